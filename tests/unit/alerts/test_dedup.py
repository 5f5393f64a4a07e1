"""The alert ledger's logic (the production VariableLedger, over an in-memory Variables store)."""

from __future__ import annotations

from dataplatform.alerts.dedup import AlertRecord, record_key
from tests.support.alert_ledger import MemoryLedger


def test_a_recorded_try_is_seen_and_another_try_is_not():
    ledger = MemoryLedger()
    ledger.record(AlertRecord("TASK_FAILED", "d", "r1", "load", -1, 2))
    assert ledger.seen("TASK_FAILED", "d", "r1", "load", -1, 2)
    assert not ledger.seen("TASK_FAILED", "d", "r1", "load", -1, 3)
    assert not ledger.seen("TASK_FAILED", "d", "r2", "load", -1, 2)
    assert [r.task_id for r in ledger.run_records("d", "r1")] == ["load"]
    assert ledger.run_records("d", "r1", kind="DAG_FAILED") == []


def test_last_outcome_round_trips():
    ledger = MemoryLedger()
    assert ledger.last_outcome("d") is None
    ledger.set_last_outcome("d", "failed", "r1")
    assert ledger.last_outcome("d")["state"] == "failed"
    assert ledger.last_outcome("d")["run_id"] == "r1"


def test_prune_drops_old_records_of_other_runs_only():
    ledger = MemoryLedger()
    old_other = record_key("TASK_FAILED", "d", "r-old", "t", -1, 1) + "20200101"
    old_kept_run = record_key("TASK_FAILED", "d", "r-now", "t", -1, 1) + "20200101"
    ledger.memory.values.update({old_other: "{}", old_kept_run: "{}"})
    ledger.record(AlertRecord("TASK_FAILED", "d", "r-new", "t", -1, 1))  # dated today
    ledger.set_last_outcome("d", "success", "r-now")

    assert ledger.prune("d", keep_run_id="r-now", ttl_days=7) == 1
    assert old_other not in ledger.memory.values
    assert old_kept_run in ledger.memory.values
    assert ledger.seen("TASK_FAILED", "d", "r-new", "t", -1, 1)
    assert ledger.last_outcome("d") is not None
