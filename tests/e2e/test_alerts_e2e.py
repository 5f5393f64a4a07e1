"""End to end: failure alerting on the real scheduler, dag-processor, api-server and triggerer.

DAGs: ``tests/e2e/dags/e2e_alerts.py``. Every message is matched to its run by run id, and after the
expected messages arrived each test waits a few more seconds to prove that no extra one follows.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.slack_messages import QUIET_SECONDS, log_link, settle

pytestmark = pytest.mark.e2e

#: Same values as tests/e2e/dags/e2e_alerts.py (a DAG folder is not an importable package).
E2E_SECRET = "e2e-alert-secret-8f3a1c"
E2E_URL_PASSWORD = "e2e-url-pw-77d2"


def run(stack, dag_id: str, conf: dict | None = None, timeout: float = 180) -> tuple[str, str]:
    stack.wait_for_dag(dag_id)
    run_id = stack.trigger(dag_id, conf=conf or {})
    return run_id, stack.wait_for_run(dag_id, run_id, timeout=timeout)


def test_final_failure_sends_one_task_alert_and_one_run_summary(airflow_stack, slack_sink):
    dag_id = "e2e_alerts_always_fails"
    run_id, state = run(airflow_stack, dag_id)
    assert state == "failed"
    assert airflow_stack.task_states(dag_id, run_id) == {"always_fails": "failed", "unaffected": "success"}

    messages = settle(slack_sink, run_id, 2)
    texts = [m["text"] for m in messages]
    assert len(messages) == 2, texts  # no retry notice (off by default), no duplicate
    task_msg, summary = sorted(messages, key=lambda m: m["text"].startswith(f"[FAILED] {dag_id} run"))
    link = log_link(airflow_stack, dag_id, run_id, "always_fails", 2)

    assert task_msg["text"].startswith(f"[FAILED] {dag_id}.always_fails (try 2/2)")
    raw = json.dumps(task_msg)
    assert link in raw
    assert "try 2 of 2 (no retries left)" in raw
    assert "RuntimeError" in raw and "warehouse load failed" in raw
    assert E2E_SECRET not in raw and E2E_URL_PASSWORD not in raw
    assert "postgresql://loader:***@warehouse:5432/dw" in raw

    assert summary["text"].startswith(f"[FAILED] {dag_id} run {run_id}: 1 failed task")
    assert link in json.dumps(summary)
    assert "no task alert" not in json.dumps(summary)  # the task had its own alert
    assert E2E_SECRET not in json.dumps(summary)


def test_failure_then_success_on_retry_is_no_failure_alert(airflow_stack, slack_sink):
    """Retry notices are enabled for this DAG (alert_route): exactly one RETRY notice, no FAILED."""
    dag_id = "e2e_alerts_flaky"
    run_id, state = run(airflow_stack, dag_id)
    assert state == "success"
    messages = settle(slack_sink, run_id, 1)
    assert [m["text"].split("\n")[0] for m in messages] == [f"[RETRY] {dag_id}.flaky (try 1/2)"]
    assert log_link(airflow_stack, dag_id, run_id, "flaky", 1) in json.dumps(messages[0])


def test_sigkilled_task_gets_exactly_one_alert_naming_it(airflow_stack, slack_sink):
    """Airflow 3.3.2 runs no task callback for a task SIGKILLed on its last try; the run summary
    (DAG failure callback in the dag-processor) is its one alert."""
    dag_id = "e2e_alerts_sigkill"
    run_id, state = run(airflow_stack, dag_id)
    assert state == "failed"
    messages = settle(slack_sink, run_id, 1)
    assert len(messages) == 1, [m["text"] for m in messages]
    raw = json.dumps(messages[0])
    assert messages[0]["text"].startswith(f"[FAILED] {dag_id} run {run_id}: 1 failed task")
    assert "`killed`" in raw
    assert log_link(airflow_stack, dag_id, run_id, "killed", 1) in raw
    assert "no task alert was sent" in raw


def test_lost_heartbeat_duplicate_callbacks_give_one_alert(airflow_stack, slack_sink):
    """The task kills its supervisor: heartbeats stop, the scheduler fails the task after
    [scheduler] task_instance_heartbeat_timeout (30 s in the test stack) and Airflow 3.3.2 runs the
    task's failure callback twice in the dag-processor. One task alert + one summary."""
    dag_id = "e2e_alerts_lost_heartbeat"
    run_id, state = run(airflow_stack, dag_id, timeout=240)
    assert state == "failed"
    messages = settle(slack_sink, run_id, 2)
    texts = sorted(m["text"].split("\n")[0] for m in messages)
    assert texts == [
        f"[FAILED] {dag_id} run {run_id}: 1 failed task",
        f"[FAILED] {dag_id}.orphaned (try 1/1)",
    ]
    task_msg = next(m for m in messages if ".orphaned" in m["text"].split("\n")[0])
    assert log_link(airflow_stack, dag_id, run_id, "orphaned", 1) in json.dumps(task_msg)
    log = (airflow_stack.stack.log_dir.parent / "logs").rglob("e2e_alerts.py.log")
    assert any("FAILED alert already sent for this try" in p.read_text() for p in log), "no duplicate seen"


def test_recovery_message_after_a_failed_run(airflow_stack, slack_sink):
    dag_id = "e2e_alerts_recovery"
    failed_run, state = run(airflow_stack, dag_id, conf={"fail": True})
    assert state == "failed"
    assert len(settle(slack_sink, failed_run, 2)) == 2  # task alert + summary

    ok_run, state = run(airflow_stack, dag_id)
    assert state == "success"
    [recovered] = settle(slack_sink, ok_run, 1)
    assert recovered["text"].startswith(f"[RECOVERED] {dag_id}: run {ok_run} succeeded")
    assert failed_run in json.dumps(recovered)

    again, state = run(airflow_stack, dag_id)
    assert state == "success"
    assert settle(slack_sink, again, 0) == []  # success after success: silence


def test_dag_without_callbacks_is_covered_by_the_listener(airflow_stack, slack_sink):
    dag_id = "e2e_alerts_no_callbacks"
    run_id, state = run(airflow_stack, dag_id)
    assert state == "failed"
    messages = settle(slack_sink, run_id, 1)
    assert len(messages) == 1, [m["text"] for m in messages]
    assert messages[0]["text"].startswith(f"[FAILED] {dag_id} run {run_id}: 1 failed task")
    assert log_link(airflow_stack, dag_id, run_id, "fails_silently", 1) in json.dumps(messages[0])


def test_slack_hanging_falls_back_to_email_and_the_task_still_fails(airflow_stack, slack_sink, smtp_sink):
    """Slack hangs (20 s): each alert gives up after 5 s and is emailed instead, inside the 20 s the
    supervisor allows a finished task for its callbacks; the run's outcome is untouched."""
    dag_id = "e2e_alerts_always_fails"
    airflow_stack.wait_for_dag(dag_id)
    slack_sink.mode = "hang"
    run_id, state = run(airflow_stack, dag_id)
    assert state == "failed"
    assert airflow_stack.task_states(dag_id, run_id)["always_fails"] == "failed"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(smtp_sink.messages) < 2:
        time.sleep(0.2)
    time.sleep(QUIET_SECONDS)
    subjects = sorted(str(m["Subject"]) for m in smtp_sink.messages if dag_id in str(m["Subject"]))
    assert subjects == [
        f"[FAILED] {dag_id} run {run_id}: 1 failed task",
        f"[FAILED] {dag_id}.always_fails (try 2/2)",
    ]
