"""Data facts of one day from the warehouse: what each source loaded and rejected (the load
ledger, ``dataplatform.loads``), how fresh each table is against its contract's schedule, and the
most frequent reject reasons (the quarantine tables).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import Period
from dataplatform.warehouse.identifiers import table_identifier

TOP_REASONS = 10


def _exists(conn: Any, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None


def load_figures(
    conn: Any, contracts: Sequence[SourceContract], start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Per source: loads written in ``[start, end)`` and their rows (a skipped re-run of an
    unchanged file counts as a load, not as rows), and loads never reconciled."""
    rows: dict[str, dict[str, Any]] = {}
    if _exists(conn, "dataplatform.loads"):
        found = (
            conn.cursor(row_factory=dict_row)
            .execute(
                """
            SELECT contract,
                   count(*) AS loads,
                   count(*) FILTER (WHERE status = 'skipped') AS skipped,
                   count(*) FILTER (WHERE status = 'loaded') AS unreconciled,
                   coalesce(sum(rows_read) FILTER (WHERE status <> 'skipped'), 0) AS rows_read,
                   coalesce(sum(rows_loaded) FILTER (WHERE status <> 'skipped'), 0) AS rows_loaded,
                   coalesce(sum(rows_rejected) FILTER (WHERE status <> 'skipped'), 0) AS rows_rejected,
                   coalesce(sum(rows_superseded) FILTER (WHERE status <> 'skipped'), 0) AS rows_superseded
            FROM dataplatform.loads WHERE loaded_at >= %s AND loaded_at < %s
            GROUP BY contract
            """,
                (start, end),
            )
            .fetchall()
        )
        rows = {r["contract"]: r for r in found}
    empty = dict.fromkeys(
        ("loads", "skipped", "unreconciled", "rows_read", "rows_loaded", "rows_rejected", "rows_superseded"),
        0,
    )
    return [
        {
            "source": c.name,
            "target": c.target,
            **{k: int(v) for k, v in {**empty, **rows.get(c.name, {})}.items() if k != "contract"},
        }
        for c in contracts
    ]


def freshness(conn: Any, contracts: Sequence[SourceContract], as_of: dt.datetime) -> list[dict[str, Any]]:
    """Per table: the newest period its source loaded (reconciled) and the one its schedule says
    should be loaded by ``as_of``: ``fresh``, ``late`` or ``never loaded``."""
    latest: dict[str, dict[str, Any]] = {}
    if _exists(conn, "dataplatform.loads"):
        found = (
            conn.cursor(row_factory=dict_row)
            .execute(
                """
            SELECT DISTINCT ON (contract) contract, period_start, coalesce(reconciled_at, loaded_at) AS loaded_at
            FROM dataplatform.loads
            WHERE status IN ('reconciled', 'skipped') AND loaded_at < %s
            ORDER BY contract, period_start DESC, id DESC
            """,
                (as_of,),
            )
            .fetchall()
        )
        latest = {r["contract"]: r for r in found}
    out = []
    for contract in contracts:
        expected = contract.due.expected_period(contract.period, as_of)
        row = latest.get(contract.name)
        loaded = Period.containing(contract.period, row["period_start"]) if row else None
        status = "never loaded" if loaded is None else ("fresh" if loaded.start >= expected.start else "late")
        out.append(
            {
                "source": contract.name,
                "target": contract.target,
                "schedule": contract.period,
                "latest_period": loaded.label if loaded else None,
                "loaded_at": row["loaded_at"].isoformat() if row else None,
                "expected_period": expected.label,
                "due_at": contract.due.due_at(expected).isoformat(),
                "status": status,
            }
        )
    return out


def reject_reasons(
    conn: Any, contracts: Sequence[SourceContract], start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """The most frequent reasons of rows rejected in ``[start, end)``, across sources."""
    parts = [
        sql.SQL(
            "SELECT {name} AS source, reason, count(*) AS rows FROM {table} "
            "WHERE rejected_at >= %(start)s AND rejected_at < %(end)s GROUP BY reason"
        ).format(name=sql.Literal(c.name), table=table_identifier(c.quarantine))
        for c in contracts
        if _exists(conn, c.quarantine)
    ]
    if not parts:
        return []
    stmt = sql.SQL("SELECT * FROM ({}) AS r ORDER BY rows DESC, source, reason LIMIT {}").format(
        sql.SQL(" UNION ALL ").join(parts), sql.Literal(TOP_REASONS)
    )
    found = conn.cursor(row_factory=dict_row).execute(stmt, {"start": start, "end": end}).fetchall()
    return [{"source": r["source"], "reason": r["reason"], "rows": int(r["rows"])} for r in found]


def data_facts(
    conn: Any, contracts: Sequence[SourceContract], start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Loads and rejects of ``[start, end)``; freshness as of ``end``, or now for a day not over yet."""
    return {
        "loads": load_figures(conn, contracts, start, end),
        "freshness": freshness(conn, contracts, min(end, dt.datetime.now(dt.UTC))),
        "reject_reasons": reject_reasons(conn, contracts, start, end),
    }
