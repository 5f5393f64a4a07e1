"""daily_report end to end: a day on which the test ran known DAG runs (one of them failing) and a
known patients load; the report's numbers, links and freshness are checked against them."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pytest

from dataplatform.sources.patients import PATIENTS
from devstack.samples.patients import DEFECTS as PATIENT_DEFECTS
from devstack.samples.patients import write_patients_csv
from tests.support.loads import drop_tables, load_run, run_steps
from tests.support.report_mail import parse, with_subject

pytestmark = pytest.mark.e2e

DAG_ID = "daily_report"


def run_to_end(
    stack, dag_id: str, logical_date: str | None = None, conf: dict | None = None
) -> tuple[str, str]:
    stack.wait_for_dag(dag_id)
    run_id = stack.trigger(dag_id, conf=conf or {}, logical_date=logical_date)
    return run_id, stack.wait_for_run(dag_id, run_id, timeout=240)


def test_the_daily_report_counts_the_days_runs_loads_and_rejects(
    airflow_stack, warehouse, smtp_sink, slack_sink, tmp_path
):
    today = dt.datetime.now(dt.UTC).date()
    drop_tables(warehouse)
    generated = write_patients_csv(tmp_path / "p.csv", 800, seed=3, dirty=True, defect_rate=0.03, today=today)
    loaded = run_steps(PATIENTS, str(generated.path), load_run(PATIENTS, today.isoformat()))

    ok_runs = [run_to_end(airflow_stack, "e2e_report_ok") for _ in range(2)]
    failed_run, state = run_to_end(airflow_stack, "e2e_report_fails")
    assert [s for _, s in ok_runs] == ["success", "success"] and state == "failed"

    report_run, state = run_to_end(
        airflow_stack,
        DAG_ID,
        logical_date=dt.datetime.now(dt.UTC).isoformat(),
        conf={"day": today.isoformat()},
    )
    assert state == "success", airflow_stack.task_states(DAG_ID, report_run)

    facts = warehouse.execute(
        "SELECT figures FROM reports.editions WHERE report = 'daily' AND run_id = %s", (report_run,)
    ).fetchone()[0]
    dags = {d["dag_id"]: d for d in facts["dags"]}
    assert (
        dags["e2e_report_ok"]["runs"],
        dags["e2e_report_ok"]["success"],
        dags["e2e_report_ok"]["failed"],
    ) == (2, 2, 0)
    assert (dags["e2e_report_fails"]["runs"], dags["e2e_report_fails"]["failed"]) == (1, 1)
    assert dags["e2e_report_ok"]["median_seconds"] > 0
    assert dags[DAG_ID]["unfinished"] == 1  # the report's own run, still running while it counts
    expected_link = (  # the shape of Airflow's own ti.log_url
        f"{airflow_stack.stack.cfg.api_url}/dags/e2e_report_fails/runs/{quote(failed_run, safe='')}/tasks/boom?try_number=1"
    )
    [failure] = [x for x in facts["failed_tasks"] if x["dag_id"] == "e2e_report_fails"]
    assert (failure["run_id"], failure["task_id"], failure["log_url"]) == (failed_run, "boom", expected_link)

    [patients] = [x for x in facts["loads"] if x["source"] == "patients"]
    assert (patients["loads"], patients["rows_read"], patients["rows_loaded"], patients["rows_rejected"]) == (
        1,
        generated.rows,
        loaded["loaded"],
        sum(generated.defects.values()),
    )
    freshness = {x["source"]: x for x in facts["freshness"]}
    assert (freshness["patients"]["status"], freshness["patients"]["latest_period"]) == (
        "fresh",
        today.isoformat(),
    )
    assert freshness["billing"]["status"] == "never loaded"
    expected_reasons = generated.expected_reasons(PATIENT_DEFECTS)
    assert {r["reason"]: r["rows"] for r in facts["reject_reasons"]} == dict(expected_reasons.most_common(10))

    [mail] = [parse(m) for m in with_subject(smtp_sink.wait_for(1, timeout=30), f"Daily report {today}")]
    assert mail.to == "data-team@hospital.example, stakeholders@hospital.example"
    assert expected_link in mail.html and expected_link in mail.text
    assert "e2e_report_ok" in mail.html and "never loaded" in mail.html
    [summary] = [
        m for m in slack_sink.wait_for(1, timeout=30) if m["text"].startswith(f"Daily report {today}")
    ]
    assert expected_link in json.dumps(summary["blocks"])
