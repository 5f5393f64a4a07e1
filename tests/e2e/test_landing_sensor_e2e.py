"""End to end: the real scheduler, triggerer and workers run the deferrable LandingZoneSensor.

The test DAG ``e2e_landing`` (tests/e2e/dags) waits for the S3 keys passed in ``conf['files']``.
"""

from __future__ import annotations

import time
import uuid

import pytest

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_landing"
TASK_ID = "wait_for_files"


def wait_for_task_state(client, run_id: str, wanted: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    states: dict = {}
    while time.monotonic() < deadline:
        states = client.task_states(DAG_ID, run_id)
        if states.get(TASK_ID) == wanted:
            return
        if states.get(TASK_ID) in {"success", "failed", "upstream_failed", "skipped"}:
            break
        time.sleep(0.5)
    raise AssertionError(f"{TASK_ID} never reached {wanted!r}: {states}")


def keys(test_config, *names: str) -> list[tuple[str, str]]:
    prefix = f"e2e/{uuid.uuid4().hex[:8]}"
    return [(f"{prefix}/{n}", f"s3://{test_config.landing_bucket}/{prefix}/{n}") for n in names]


def test_deferred_sensor_succeeds_once_both_files_land(airflow_stack, s3_server, test_config):
    (billing_key, billing), (claims_key, claims) = keys(test_config, "billing.csv", "claims.csv")
    airflow_stack.wait_for_dag(DAG_ID)
    run_id = airflow_stack.trigger(
        DAG_ID, conf={"files": [billing, claims], "poke_interval": 1, "timeout": 120}
    )

    wait_for_task_state(airflow_stack, run_id, "deferred")
    s3_server.put_object(Bucket=test_config.landing_bucket, Key=billing_key, Body=b"id,amount\n1,10\n")
    s3_server.put_object(Bucket=test_config.landing_bucket, Key=claims_key, Body=b"id\n")

    assert airflow_stack.wait_for_run(DAG_ID, run_id, timeout=120) == "success"
    assert airflow_stack.task_states(DAG_ID, run_id) == {TASK_ID: "success", "summarise": "success"}
    summary = airflow_stack.task_log(DAG_ID, run_id, "summarise")
    assert f"landed: {billing} (15 bytes)" in summary
    assert f"landed: {claims} (3 bytes)" in summary


def test_deferred_sensor_times_out_naming_the_missing_key(airflow_stack, s3_server, test_config):
    (present_key, present), (_, never) = keys(test_config, "present.csv", "never.csv")
    s3_server.put_object(Bucket=test_config.landing_bucket, Key=present_key, Body=b"x")
    airflow_stack.wait_for_dag(DAG_ID)
    run_id = airflow_stack.trigger(DAG_ID, conf={"files": [present, never], "poke_interval": 1, "timeout": 8})

    wait_for_task_state(airflow_stack, run_id, "deferred")
    assert airflow_stack.wait_for_run(DAG_ID, run_id, timeout=120) == "failed"

    [ti] = [t for t in airflow_stack.task_instances(DAG_ID, run_id) if t["task_id"] == TASK_ID]
    assert ti["state"] == "failed"
    assert ti["try_number"] == 1, "a sensor timeout is final: no retry despite retries=3"
    log = airflow_stack.task_log(DAG_ID, run_id, TASK_ID, try_number=1)
    assert "LandingZoneSensor timed out after 8s" in log
    assert f"{never}: missing" in log
    assert f"{present}: " not in log.split("timed out after 8s", 1)[1], "ready files are not blamed"
