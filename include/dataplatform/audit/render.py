"""Audit events as JSON lines (for jq or a SIEM) or as a table for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC

from dataplatform.audit.events import AuditEvent

COLUMNS = ("WHEN (UTC)", "USER", "ACTION", "DAG", "RUN", "TASK", "DETAIL")
#: Longest cell shown per column; longer values are cut with "…" (JSON output is never cut).
MAX_WIDTH = {"RUN": 40, "DETAIL": 60}


def json_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    """One compact JSON object per event."""
    for event in events:
        yield json.dumps(event.to_json(), sort_keys=True, default=str)


def table(events: Iterable[AuditEvent]) -> Iterator[str]:
    """An aligned table, header first; ``(no events)`` when there are none."""
    rows = [_cells(e) for e in events]
    if not rows:
        yield "(no events)"
        return
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) for i in range(len(COLUMNS))]
    for row in (COLUMNS, *rows):
        yield "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()


def _cells(event: AuditEvent) -> tuple[str, ...]:
    cells = (
        event.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        event.user or "-",
        event.action,
        event.dag_id or "-",
        event.run_id or "-",
        event.task_id or "-",
        event.detail or ("" if event.action == event.event else event.event),
    )
    return tuple(_cut(cell, MAX_WIDTH.get(name)) for name, cell in zip(COLUMNS, cells, strict=True))


def _cut(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[: width - 1] + "…"
