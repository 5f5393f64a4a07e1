"""patient_data_pipeline end to end: real scheduler, triggerer, moto S3, warehouse Postgres."""

from __future__ import annotations

import json

import pytest

from dataplatform.sources.patients import PATIENTS
from tests.support.patient_rows import HEADER, SELECT_PATIENTS, TRICKY_LINES, TRICKY_ROWS, good
from tests.support.slack_messages import log_link, settle

pytestmark = pytest.mark.e2e

DAG_ID = "patient_data_pipeline"
STEPS = ("resolve", "wait_for_file", "validate", "deduplicate", "load", "reconcile", "cleanup")
ALL_TASKS = tuple(f"patients.{s}" for s in STEPS)


@pytest.fixture
def patients_dag(airflow_stack, warehouse):
    airflow_stack.wait_for_dag(DAG_ID)
    warehouse.execute("DROP TABLE IF EXISTS public.patients, public.patients_rejected, dataplatform.loads")
    return airflow_stack


def land(s3, day: str, body: str) -> str:
    key = f"patients/{day}/patients.csv"
    s3.put_object(Bucket="landing", Key=key, Body=body.encode())
    return f"s3://landing/{key}"


def run_for(client, day: str, **conf) -> tuple[str, str]:
    run_id = client.trigger(
        DAG_ID,
        conf={"poke_interval_seconds": 1, "wait_timeout_seconds": 30, **conf},
        logical_date=f"{day}T06:00:00Z",
    )
    return run_id, client.wait_for_run(DAG_ID, run_id, timeout=240)


def test_clean_file_loads_exact_rows_and_emits_the_asset(patients_dag, s3_server, warehouse):
    day = "2026-10-01"
    land(s3_server, day, "\n".join([HEADER, *TRICKY_LINES]) + "\n")
    run_id, state = run_for(patients_dag, day)
    assert state == "success", patients_dag.task_states(DAG_ID, run_id)
    assert patients_dag.task_states(DAG_ID, run_id) == dict.fromkeys(ALL_TASKS, "success")
    assert warehouse.execute(SELECT_PATIENTS).fetchall() == TRICKY_ROWS
    assert "'rows_read': 2" in patients_dag.task_log(DAG_ID, run_id, "patients.reconcile")
    assert warehouse.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'").fetchone()[0] == 0
    [event] = patients_dag.asset_events("warehouse.public.patients", source_run_id=run_id)
    assert (event["extra"]["loaded"], event["extra"]["inserted"], event["extra"]["skipped"]) == (2, 2, False)


def test_dirty_file_quarantines_exact_rows_and_a_rerun_rewrites_nothing(patients_dag, s3_server, warehouse):
    day = "2026-10-02"
    good_lines = [good(i) for i in range(1, 41)]
    land(
        s3_server,
        day,
        "\n".join(
            [
                HEADER,
                *good_lines,
                "41,Future,2030-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",
                "x,BadId,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",
                "5,Older duplicate,1990-01-01,F,2025-01-01 10:00:00,icu,I10,9.00",
            ]
        )
        + "\n",
    )
    run_id, state = run_for(patients_dag, day, max_reject_ratio=0.1)
    assert state == "success", patients_dag.task_states(DAG_ID, run_id)
    rejected = warehouse.execute(
        "SELECT line_no, reason FROM public.patients_rejected WHERE logical_date = %s ORDER BY line_no",
        (day,),
    ).fetchall()
    assert rejected == [(42, "birth_date is in the future"), (43, "patient_id is not an integer")]
    table = warehouse.execute("SELECT *, xmin::text FROM public.patients ORDER BY patient_id").fetchall()
    assert len(table) == 40 and table[4][1] == "P5"  # the later admission won

    patients_dag.clear(DAG_ID, run_id)
    assert patients_dag.wait_for_run(DAG_ID, run_id, timeout=240) == "success"
    assert (
        warehouse.execute("SELECT *, xmin::text FROM public.patients ORDER BY patient_id").fetchall() == table
    )
    assert (
        warehouse.execute(
            "SELECT line_no, reason FROM public.patients_rejected WHERE logical_date = %s ORDER BY line_no",
            (day,),
        ).fetchall()
        == rejected
    )
    log = patients_dag.task_log(DAG_ID, run_id, "patients.reconcile", try_number=2)
    assert "'skipped': True" in log and "'unchanged': 40" in log


def test_failure_mid_load_leaves_target_unchanged_and_retry_loads(
    patients_dag, s3_server, warehouse, test_config
):
    from dataplatform.hooks.warehouse import WarehouseHook
    from dataplatform.loading.ddl import ensure_tables

    day = "2026-10-03"
    land(
        s3_server,
        day,
        HEADER
        + "\n"
        + "".join(f"{i},P{i},1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00\n" for i in range(1, 101)),
    )
    with WarehouseHook().transaction() as conn:  # same warehouse as the stack's warehouse_db
        ensure_tables(conn, PATIENTS)
    warehouse.execute("""
        DROP SEQUENCE IF EXISTS e2e_fail_once; CREATE SEQUENCE e2e_fail_once;
        CREATE OR REPLACE FUNCTION e2e_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.patient_id = 50 AND nextval('e2e_fail_once') = 1 THEN
          RAISE EXCEPTION 'injected failure mid-load' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER e2e_fail_once BEFORE INSERT ON public.patients
          FOR EACH ROW EXECUTE FUNCTION e2e_fail_once();
    """)
    try:
        run_id, state = run_for(patients_dag, day)
        assert state == "success", patients_dag.task_states(DAG_ID, run_id)
        load = next(t for t in patients_dag.task_instances(DAG_ID, run_id) if t["task_id"] == "patients.load")
        assert load["try_number"] == 2  # a serialization failure is retried
        assert "injected failure mid-load" in patients_dag.task_log(
            DAG_ID, run_id, "patients.load", try_number=1
        )
        # try 1 inserted 49 rows before failing: none of them survived its rollback
        assert warehouse.execute("SELECT nextval('e2e_fail_once')").fetchone()[0] == 3
        assert warehouse.execute("SELECT count(*), min(loaded_by_run) FROM public.patients").fetchone() == (
            100,
            run_id,
        )
    finally:
        warehouse.execute(
            "DROP TRIGGER IF EXISTS e2e_fail_once ON public.patients; DROP SEQUENCE IF EXISTS e2e_fail_once"
        )


@pytest.mark.parametrize(
    ("day", "body", "failed_task", "message"),
    [
        ("2026-10-10", None, "wait_for_file", "s3://landing/patients/2026-10-10/patients.csv: missing"),
        ("2026-10-11", "", "validate", "s3://landing/patients/2026-10-11/patients.csv: file is empty"),
        ("2026-10-12", HEADER + "\n", "validate", "patients.csv: file has a header but no data rows"),
        (
            "2026-10-13",
            "patient_id,name\n1,Ana\n",
            "validate",
            "patients.csv line 1: bad header: missing columns",
        ),
        (
            "2026-10-14",
            HEADER + "\n1,Jos\udcff,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1\n",
            "validate",
            "patients.csv line 2: not valid UTF-8",
        ),
    ],
)
def test_fatal_input_fails_the_run_naming_file_and_problem(
    patients_dag, s3_server, warehouse, slack_sink, day, body, failed_task, message
):
    if body is not None:
        key = f"patients/{day}/patients.csv"
        s3_server.put_object(Bucket="landing", Key=key, Body=body.encode("utf-8", "surrogateescape"))
    run_id, state = run_for(patients_dag, day, wait_timeout_seconds=5)
    assert state == "failed"
    task_id = f"patients.{failed_task}"
    states = patients_dag.task_states(DAG_ID, run_id)
    assert states[task_id] == "failed", states
    assert states["patients.load"] != "success"
    task = next(t for t in patients_dag.task_instances(DAG_ID, run_id) if t["task_id"] == task_id)
    assert task["try_number"] == 1, "bad input must not be retried"
    assert message in patients_dag.task_log(DAG_ID, run_id, task_id)
    assert warehouse.execute("SELECT to_regclass('public.patients')").fetchone()[0] is None or (
        warehouse.execute("SELECT count(*) FROM public.patients").fetchone()[0] == 0
    )
    # exactly one alert for the failed task (with its log link and the problem), one run summary
    alerts = settle(slack_sink, run_id, 2)
    heads = sorted(m["text"].split("\n")[0] for m in alerts)
    assert len(alerts) == 2, heads
    task_alert = next(m for m in alerts if m["text"].startswith(f"[FAILED] {DAG_ID}.{task_id} (try 1/"))
    assert log_link(patients_dag, DAG_ID, run_id, task_id, 1) in json.dumps(task_alert)
    assert message.split(": ", 1)[-1][:40] in json.dumps(task_alert, ensure_ascii=False)
    assert any(h.startswith(f"[FAILED] {DAG_ID} run {run_id}: 1 failed task") for h in heads), heads
