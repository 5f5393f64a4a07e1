"""Is the month complete? The financial report is never built from partial data.

Before any figure is computed (in the same snapshot the figures are read from), each source of the
month must have a load that reconciled -- its latest load for the month, so a later failed load of
a corrected file counts -- and the target must still hold the rows that load left; billing must
have claims; and the insurer decisions must be about that month's claims (both files cover the
same month). Every problem is named; any one of them fails the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from dataplatform.loading import ledger
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import Period
from dataplatform.warehouse.identifiers import table_identifier

#: Share of the month's insurer decisions on claims not billed that month above which the two
#: files are taken to cover different months.
MAX_UNMATCHED_DECISIONS = 0.05


class IncompleteInputsError(Exception):
    """The month's data is not complete; ``problems`` says why, one line each."""

    def __init__(self, period: Period, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"the financial report for {period.label} was not built (nothing sent): " + "; ".join(problems)
        )


@dataclass(frozen=True)
class CheckedInputs:
    """What the report was built from: each source's reconciled load, and the cross-file match."""

    loads: dict[str, dict[str, Any]]
    billed_claims: int
    decisions: int
    unmatched_decisions: int


def check_inputs(
    conn: Any, period: Period, billing: SourceContract, insurance: SourceContract
) -> CheckedInputs:
    """Raise :class:`IncompleteInputsError` unless both sources are complete for ``period``."""
    problems: list[str] = []
    loads: dict[str, dict[str, Any]] = {}
    for contract in (billing, insurance):
        record = ledger.latest_for_period(conn, contract, period.start)
        if record is None:
            problems.append(f"{contract.name} for {period.label} was never loaded ({contract.target})")
            continue
        if record.status not in ("reconciled", "skipped"):
            problems.append(
                f"the latest {contract.name} load for {period.label} (load {record.id}, run {record.run_id!r}) "
                f"did not reconcile (status {record.status})"
            )
            continue
        rows = ledger.period_rows(conn, contract, period.start)
        if rows != record.target_rows:
            problems.append(
                f"{contract.target} holds {rows} rows for {period.label} but its last reconciled load "
                f"(load {record.id}) left {record.target_rows}: the table changed after the load"
            )
        loads[contract.name] = {
            "load_id": record.id,
            "run_id": record.run_id,
            "sha256": record.sha256,
            "rows": rows,
        }
    billed = _count(conn, billing, period.start)
    if billing.name in loads and billed == 0:
        problems.append(f"{billing.target} has no claims for {period.label}")
    decisions = _count(conn, insurance, period.start)
    unmatched = _unmatched(conn, billing, insurance, period.start) if decisions else 0
    if decisions and unmatched > MAX_UNMATCHED_DECISIONS * decisions:
        problems.append(
            f"{unmatched} of {decisions} insurer decisions for {period.label} ({unmatched / decisions:.1%}) are on "
            f"claims not billed in {period.label}: the insurance and billing files do not cover the same month"
        )
    if problems:
        raise IncompleteInputsError(period, problems)
    return CheckedInputs(loads, billed, decisions, unmatched)


def _count(conn: Any, contract: SourceContract, start: dt.date) -> int:
    stmt = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
        table_identifier(contract.target), sql.Identifier(contract.partition_column or "")
    )
    if conn.execute("SELECT to_regclass(%s)", (contract.target,)).fetchone()[0] is None:
        return 0
    return int(conn.execute(stmt, (start,)).fetchone()[0])


def _unmatched(conn: Any, billing: SourceContract, insurance: SourceContract, start: dt.date) -> int:
    stmt = sql.SQL(
        "SELECT count(*) FROM {insurance} i WHERE i.{claims_month} = %(start)s AND NOT EXISTS "
        "(SELECT 1 FROM {billing} b WHERE b.{key} = i.{key} AND b.{billing_month} = %(start)s)"
    ).format(
        insurance=table_identifier(insurance.target),
        billing=table_identifier(billing.target),
        claims_month=sql.Identifier(insurance.partition_column or ""),
        billing_month=sql.Identifier(billing.partition_column or ""),
        key=sql.Identifier(billing.key[0]),
    )
    return int(conn.execute(stmt, {"start": start}).fetchone()[0])
