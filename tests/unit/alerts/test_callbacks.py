"""Callback decisions and the run summary's bookkeeping, without sending anything."""

from __future__ import annotations

import pytest

from dataplatform.alerts import on_dag_failure, on_dag_success, on_task_failure, on_task_retry
from dataplatform.alerts.callbacks import failed_tasks_of_run, handle_task_event
from dataplatform.alerts.dedup import AlertRecord, record_key
from dataplatform.alerts.settings import AlertSettings
from tests.support.alert_context import RUN_ID, task_context
from tests.support.alert_ledger import MemoryLedger

QUIET = AlertSettings(alert_email=("x@corp.test",))


@pytest.mark.parametrize("state", [None, "up_for_retry"])
def test_retry_remaining_sends_nothing_when_retry_notices_are_off(state):
    """Try 1 of 4, whether the task process (state up_for_retry) or the dag-processor after a
    heartbeat timeout (state unset, even via on_failure_callback) reports it: no FAILED alert."""
    ledger = MemoryLedger()
    ctx = task_context(try_number=1, max_tries=3, state=state, exception=None)
    assert handle_task_event(ctx, ledger=ledger, settings=QUIET) is None
    assert ledger.memory.values == {}


def test_already_alerted_try_is_not_sent_again():
    ledger = MemoryLedger()
    ledger.record(AlertRecord("TASK_FAILED", "sales_daily", RUN_ID, "load", -1, 4, channel="slack"))
    ctx = task_context(try_number=4, max_tries=3, state="failed", exception=ValueError("x"))
    assert handle_task_event(ctx, ledger=ledger, settings=QUIET) is None  # returns before delivering


@pytest.mark.parametrize("callback", [on_task_failure, on_task_retry, on_dag_failure, on_dag_success])
@pytest.mark.parametrize(
    "context", [{}, {"ti": object(), "dag": 42}, {"dag": None, "run_id": None, "reason": 1}]
)
def test_callbacks_never_raise(callback, context, monkeypatch):
    # a default route with no channel at all: delivery fails without touching the network
    monkeypatch.setenv(
        "AIRFLOW__DATAPLATFORM__ALERT_ROUTES", '{"default": {"slack_conn_id": null, "email": []}}'
    )
    monkeypatch.setattr("dataplatform.alerts.callbacks.get_ledger", MemoryLedger)
    callback(context)


def test_summary_marks_which_failed_tasks_already_had_their_own_alert():
    states = {
        ("extract", -1): "failed",
        ("killed", -1): "failed",
        ("fanout", 0): "success",
        ("fanout", 1): "failed",
        ("publish", -1): "upstream_failed",
        ("report", -1): "success",
    }
    records = [
        AlertRecord("TASK_FAILED", "d", "r", "extract", -1, 4, log_url="http://ui/extract?try_number=4")
    ]
    last_ti = type("TI", (), {"task_id": "killed", "map_index": -1, "try_number": 1})()
    failed, upstream = failed_tasks_of_run("d", "r", states, records, last_ti)
    by_label = {t.label: t for t in failed}
    assert list(by_label) == ["extract", "fanout[1]", "killed"]
    assert by_label["extract"].alerted is True
    assert by_label["extract"].log_url == "http://ui/extract?try_number=4"
    assert by_label["killed"].alerted is False
    assert by_label["killed"].try_number == 1  # from the server's last task instance
    assert by_label["killed"].log_url.endswith("/runs/r/tasks/killed?try_number=1")
    assert by_label["fanout[1]"].log_url.endswith("/tasks/fanout/mapped/1")  # try unknown: latest try
    assert upstream == ["publish"]


def test_summary_without_server_view_still_names_the_context_task():
    last_ti = type("TI", (), {"task_id": "killed", "map_index": -1, "try_number": 2})()
    failed, upstream = failed_tasks_of_run("d", "r", None, [], last_ti)
    assert [(t.task_id, t.try_number, t.alerted) for t in failed] == [("killed", 2, False)]
    assert upstream == []


def test_memory_ledger_keys_by_try_and_kind():
    ledger = MemoryLedger()
    ledger.record(AlertRecord("TASK_FAILED", "d", "r", "t", -1, 2))
    assert ledger.seen("TASK_FAILED", "d", "r", "t", -1, 2)
    assert not ledger.seen("TASK_FAILED", "d", "r", "t", -1, 3)
    assert not ledger.seen("TASK_RETRY", "d", "r", "t", -1, 2)
    assert not ledger.seen("TASK_FAILED", "d", "other-run", "t", -1, 2)
    assert [r.task_id for r in ledger.run_records("d", "r", "TASK_FAILED")] == ["t"]
    assert record_key("DAG_FAILED", "d", "r").startswith("dpalert.")
    assert len(record_key("TASK_FAILED", "d" * 250, "r" * 250, "t" * 250, 0, 1) + "20261122") < 250
