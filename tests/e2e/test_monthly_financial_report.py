"""monthly_financial_report end to end on the real stack: S3 files landing after the sensors
deferred, parallel loads, the report in the warehouse, its S3 folder, one email, one Slack summary;
a missing file, a rejected billing file, a retried send and a re-run month."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import httpx
import pytest

from dataplatform.reports import formatting
from dataplatform.reports.financial.tables import TABLES
from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS
from devstack.samples.billing import write_billing_csv
from devstack.samples.insurance import write_insurance_csv
from devstack.samples.patients import write_patients_csv
from tests.support.loads import drop_tables, load_run, run_steps
from tests.support.report_mail import parse, png_size, with_subject

pytestmark = pytest.mark.e2e

DAG_ID = "monthly_financial_report"
PATIENTS_N = 500
SENSORS = ["billing.wait_for_file", "insurance.wait_for_file"]
FAST = {"poke_interval_seconds": 1, "wait_timeout_seconds": 120}


@pytest.fixture
def report_dag(airflow_stack, warehouse, tmp_path, smtp_sink, slack_sink):
    airflow_stack.wait_for_dag(DAG_ID)
    drop_tables(warehouse)
    patients = write_patients_csv(
        tmp_path / "patients.csv", PATIENTS_N, seed=9, today=dt.date(2026, 10, 1)
    ).path
    run_steps(PATIENTS, str(patients), load_run(PATIENTS, "2026-10-01"))
    return airflow_stack


def month_files(tmp_path, month: dt.date, *, billing_defects: float = 0.01):
    return {
        BILLING: write_billing_csv(
            tmp_path / "b.csv", month, 2000, patients=PATIENTS_N, dirty=True, defect_rate=billing_defects
        ),
        INSURANCE: write_insurance_csv(tmp_path / "i.csv", month, 2000, patients=PATIENTS_N, dirty=True),
    }


def upload(s3, contract, generated, label: str) -> None:
    s3.upload_file(str(generated.path), "landing", contract.landing_key.format(period=label))


def report_rows(warehouse, month: dt.date) -> dict[str, list[tuple]]:
    return {
        t.name: warehouse.execute(
            f"SELECT {', '.join(t.column_names)} FROM {t.name} WHERE report_month = %s ORDER BY 1, 2",
            (month,),
        ).fetchall()
        for t in TABLES
    }


def test_a_month_is_loaded_reported_and_sent_once(
    report_dag, s3_server, warehouse, smtp_sink, slack_sink, tmp_path
):
    september = dt.date(2026, 9, 1)
    run_id = report_dag.trigger(
        DAG_ID, conf={"period": "2026-09", **FAST}, logical_date="2026-09-01T00:00:00Z"
    )
    # the files land only after both sensors handed over to the triggerer
    report_dag.wait_for_task_state(DAG_ID, run_id, SENSORS, "deferred", timeout=120)
    for contract, generated in month_files(tmp_path, september).items():
        upload(s3_server, contract, generated, "2026-09")
    assert report_dag.wait_for_run(DAG_ID, run_id, timeout=400) == "success", report_dag.task_states(
        DAG_ID, run_id
    )
    # both sensors waited at once; neither load depends on the other; the report waits for both
    downstream = {
        t["task_id"]: set(t["downstream_task_ids"])
        for t in report_dag.http.get(f"/dags/{DAG_ID}/tasks").json()["tasks"]
    }
    for source, other in (("billing", "insurance"), ("insurance", "billing")):
        reachable, todo = set(), [t for t in downstream if t.startswith(f"{source}.")]
        while todo:
            for nxt in downstream[todo.pop()] - reachable:
                reachable.add(nxt)
                todo.append(nxt)
        assert not any(t.startswith(f"{other}.") for t in reachable) and "report.build" in reachable

    # the figures, checked against the loaded tables with plain SQL
    revenue, claims = warehouse.execute(
        "SELECT sum(amount), count(*) FROM public.billing_claims WHERE billing_month = %s AND currency = 'EUR'",
        (september,),
    ).fetchone()
    [mail] = [
        parse(m) for m in with_subject(smtp_sink.wait_for(1, timeout=30), "Financial report September 2026")
    ]
    assert mail.subject.startswith(
        f"Financial report September 2026: revenue {formatting.money(revenue, 'EUR')}"
    )
    assert "re-issue" not in mail.subject
    assert mail.to == "finance@hospital.example"
    assert formatting.money(revenue, "EUR") in mail.html and formatting.integer(claims) in mail.html
    assert mail.cid_references == set(mail.images) == {"revenue_trend", "payer_mix", "denial_rate"}
    for data in mail.images.values():
        width, height = png_size(data)
        assert width >= 800 and height >= 400
    assert set(mail.attachments) == {f"{t.short_name}_2026-09.csv" for t in TABLES}
    by_ward = list(csv.DictReader(io.StringIO(mail.attachments["financial_by_ward_2026-09.csv"].decode())))
    assert sum(Decimal(r["revenue"]) for r in by_ward) == revenue
    assert "multipart/related" in mail.content_types and "text/plain" in mail.content_types

    [summary] = [m for m in slack_sink.wait_for(1) if "Financial report September 2026" in m["text"]]
    assert formatting.money(revenue, "EUR") in summary["text"]
    [button] = [e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"]]
    page = httpx.get(button["url"], timeout=10)  # the link opens the report (presigned S3 URL)
    assert page.status_code == 200 and "Financial report · September 2026" in page.text

    keys = {
        o["Key"]
        for o in s3_server.list_objects_v2(Bucket="reports", Prefix="reports/financial/2026-09/")["Contents"]
    }
    prefix = "reports/financial/2026-09/"
    assert {
        prefix + k for k in ("report.html", "manifest.json", "charts/revenue_trend.png", "email/body.html")
    } <= keys
    assert {prefix + f"data/{t.short_name}.csv" for t in TABLES} <= keys

    # a retry of the send after it succeeded sends nothing
    first = report_rows(warehouse, september)
    report_dag.clear_tasks(DAG_ID, run_id, ["report.send_email", "report.post_slack"])
    assert report_dag.wait_for_run(DAG_ID, run_id, timeout=120) == "success"
    assert {t["task_id"]: t["try_number"] for t in report_dag.task_instances(DAG_ID, run_id)}[
        "report.send_email"
    ] == 2
    assert len(with_subject(smtp_sink.wait_for(2, timeout=5), "Financial report September")) == 1
    assert len([m for m in slack_sink.messages if "Financial report September" in m["text"]]) == 1

    # re-running the month: identical tables, the report sent again as a re-issue
    rerun = report_dag.trigger(
        DAG_ID, conf={"period": "2026-09", **FAST}, logical_date="2026-09-01T00:00:01Z"
    )
    assert report_dag.wait_for_run(DAG_ID, rerun, timeout=300) == "success", report_dag.task_states(
        DAG_ID, rerun
    )
    assert report_rows(warehouse, september) == first
    mails = [parse(m) for m in with_subject(smtp_sink.wait_for(2, timeout=30), "Financial report September")]
    assert len(mails) == 2 and mails[1].subject.endswith(", re-issue 2")
    assert "Re-issue 2." in mails[1].html


def test_a_month_with_one_file_times_out_naming_the_missing_one(
    report_dag, s3_server, smtp_sink, slack_sink, tmp_path
):
    files = month_files(tmp_path, dt.date(2026, 7, 1))
    upload(s3_server, BILLING, files[BILLING], "2026-07")
    run_id = report_dag.trigger(
        DAG_ID,
        conf={"period": "2026-07", "poke_interval_seconds": 1, "wait_timeout_seconds": 15},
        logical_date="2026-07-01T00:00:00Z",
    )
    assert report_dag.wait_for_run(DAG_ID, run_id, timeout=300) == "failed"
    states = report_dag.task_states(DAG_ID, run_id)
    assert states["insurance.wait_for_file"] == "failed" and states["billing.reconcile"] == "success"
    assert states["report.build"] == "upstream_failed"
    alerts = [m["text"] for m in slack_sink.wait_for(1, timeout=30)]
    assert any(
        "insurance.wait_for_file" in t and "insurance/2026-07/insurance_data.csv" in t for t in alerts
    ), alerts
    assert not with_subject(smtp_sink.messages, "Financial report July 2026")


def test_a_rejected_billing_file_sends_no_report(report_dag, s3_server, smtp_sink, slack_sink, tmp_path):
    files = month_files(tmp_path, dt.date(2026, 6, 1), billing_defects=0.3)
    for contract, generated in files.items():
        upload(s3_server, contract, generated, "2026-06")
    run_id = report_dag.trigger(
        DAG_ID, conf={"period": "2026-06", **FAST}, logical_date="2026-06-01T00:00:00Z"
    )
    assert report_dag.wait_for_run(DAG_ID, run_id, timeout=300) == "failed"
    states = report_dag.task_states(DAG_ID, run_id)
    assert states["billing.validate"] == "failed" and states["insurance.reconcile"] == "success"
    assert states["report.build"] == "upstream_failed" and states["report.send_email"] == "upstream_failed"
    alerts = [m["text"] for m in slack_sink.wait_for(1, timeout=30)]
    assert any("billing.validate" in t and "rejected" in t for t in alerts), alerts
    assert not with_subject(smtp_sink.messages, "Financial report June 2026")
