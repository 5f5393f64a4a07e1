"""End to end: the real scheduler runs platform_healthcheck against the real services."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

DAG_ID = "platform_healthcheck"


def test_healthcheck_succeeds_through_the_scheduler(airflow_stack, test_config):
    airflow_stack.wait_for_dag(DAG_ID)
    run_id = airflow_stack.trigger(DAG_ID, conf={"requested_by": "e2e"})

    assert airflow_stack.wait_for_run(DAG_ID, run_id, timeout=180) == "success"
    assert airflow_stack.task_states(DAG_ID, run_id) == {
        "check_warehouse": "success",
        "check_landing_bucket": "success",
    }
    log = airflow_stack.task_log(DAG_ID, run_id, "check_warehouse")
    assert "warehouse warehouse_db reachable: PostgreSQL 15" in log
    bucket_log = airflow_stack.task_log(DAG_ID, run_id, "check_landing_bucket")
    assert f"landing bucket {test_config.landing_bucket} reachable on aws_default" in bucket_log


def test_import_errors_are_empty(airflow_stack):
    airflow_stack.wait_for_dag(DAG_ID)
    assert airflow_stack.import_errors() == []


def test_conf_reaches_the_task_and_its_log(airflow_stack):
    airflow_stack.wait_for_dag("e2e_echo")
    run_id = airflow_stack.trigger("e2e_echo", conf={"message": "hello from the test"})
    assert airflow_stack.wait_for_run("e2e_echo", run_id, timeout=120) == "success"
    assert "echo: hello from the test" in airflow_stack.task_log("e2e_echo", run_id, "echo")
