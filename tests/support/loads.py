"""Run a contract's load steps in order, as its task group does, and look at what they left."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dataplatform.loading import steps
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import LoadRun, Period
from dataplatform.sources import CONTRACTS


def load_run(
    contract: SourceContract,
    day: str,
    run_id: str = "scheduled__1",
    try_number: int = 1,
    *,
    period: str | None = None,
) -> LoadRun:
    """The run of ``day`` (its date rules' "today"), for the period holding it (or ``period``)."""
    date = dt.date.fromisoformat(day)
    kind = contract.period
    p = Period.parse(kind, period) if period else Period.containing(kind, date)
    return LoadRun(f"{contract.name}_load", run_id, try_number, date, p)


def run_steps(contract: SourceContract, source: str, run: LoadRun, **validate_kwargs: Any) -> dict[str, Any]:
    """validate -> deduplicate -> load -> reconcile -> cleanup; the reconcile summary."""
    validated = steps.validate(contract, source, run, **validate_kwargs)
    deduplicated = steps.deduplicate(contract, validated)
    loaded = steps.load(contract, validated, deduplicated)
    summary = steps.reconcile_load(contract, validated, deduplicated, loaded)
    steps.cleanup(contract, run.dag_id, run.run_id)
    return summary


def drop_tables(conn) -> None:
    """Every table the contracts, the load ledger and the reports create (a fresh warehouse)."""
    names = [t for c in CONTRACTS.values() for t in (c.target, c.quarantine)]
    conn.execute(f"DROP TABLE IF EXISTS {', '.join(names)}, dataplatform.loads CASCADE")
    conn.execute("DROP SCHEMA IF EXISTS staging CASCADE")
    conn.execute("DROP SCHEMA IF EXISTS reports CASCADE")


def table(conn, name: str, order: str = "1", where: str = "true") -> list[tuple]:
    """Rows of a target with their xmin (a row rewritten gets a new one), audit columns left out."""
    cols = conn.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('loaded_at', 'loaded_by_run')",
        (name,),
    ).fetchone()[0]
    return conn.execute(f"SELECT {cols}, xmin::text FROM {name} WHERE {where} ORDER BY {order}").fetchall()


def quarantined(conn, contract: SourceContract) -> list[tuple]:
    """(line_no, reason, raw_line) of the quarantine, by line."""
    return conn.execute(
        f"SELECT line_no, reason, raw_line FROM {contract.quarantine} ORDER BY line_no"
    ).fetchall()
