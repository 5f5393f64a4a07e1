"""Table and JSON-lines output of audit events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from dataplatform.audit.events import AuditEvent
from dataplatform.audit.render import json_lines, table

WHEN = datetime(2026, 12, 2, 6, 37, 50, 284256, tzinfo=UTC)


def _event(**kw) -> AuditEvent:
    fields = {
        "when": WHEN,
        "user": "operator",
        "action": "trigger",
        "event": "trigger_dag_run",
        "dag_id": "d",
    }
    return AuditEvent(**{**fields, **kw})


def test_table_aligns_columns_and_shows_the_raw_event_when_no_detail() -> None:
    lines = list(
        table(
            [_event(), _event(user="viewer", action="refused", event="access_refused", detail="403 GET /x")]
        )
    )
    assert lines[0].split() == ["WHEN", "(UTC)", "USER", "ACTION", "DAG", "RUN", "TASK", "DETAIL"]
    assert lines[1].split() == [
        "2026-12-02",
        "06:37:50",
        "operator",
        "trigger",
        "d",
        "-",
        "-",
        "trigger_dag_run",
    ]
    assert lines[2].split()[2:5] == ["viewer", "refused", "d"] and lines[2].endswith("403 GET /x")
    assert lines[1].index("trigger") == lines[2].index("refused")


def test_table_shows_times_in_utc_and_cuts_long_run_ids() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=2)))
    [_, row] = table([_event(when=local, run_id="manual__" + "x" * 60)])
    assert "06:37:50" in row
    assert "manual__" + "x" * 31 + "…" in row


def test_no_events() -> None:
    assert list(table([])) == ["(no events)"]
    assert list(json_lines([])) == []


def test_json_lines_are_one_object_each_with_iso_times() -> None:
    lines = list(json_lines([_event(extra={"conf": {"a": 1}}), _event(user=None, action="running")]))
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    first = json.loads(lines[0])
    assert first["when"] == "2026-12-02T06:37:50.284256+00:00"
    assert first["extra"] == {"conf": {"a": 1}} and first["refused"] is False
    assert json.loads(lines[1])["user"] is None
