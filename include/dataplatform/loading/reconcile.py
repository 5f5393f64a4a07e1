"""After a load: every row read is accounted for, and the target holds what the load wrote.

Three checks, each naming every number when it fails:

* counts -- rows read = loaded + rejected + superseded;
* quarantine -- the rejected rows are all in the quarantine table, under this file and period;
* target -- the rows the load's transaction wrote (``loaded_at`` = its start time) are still there,
  as many as it reported inserted and updated; for a partitioned target, the period's partition
  holds exactly the rows loaded, with the same control totals (sums of the contract's decimal
  columns) as the staging table had.

These cost one pass over the rows written (the value-for-value comparison of every row -- a hash
join of staging and target, 0.7 s per million rows here -- is what the merge itself does for the
rows it leaves unchanged, inside the load's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from dataplatform.loading.column_types import Decimal as DecimalType
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import LoadRun
from dataplatform.warehouse.identifiers import table_identifier


class ReconciliationError(AssertionError):
    """Counts or contents after a load do not add up."""


@dataclass(frozen=True)
class Counts:
    read: int
    rejected: int
    superseded: int
    loaded: int

    def check(self) -> None:
        if self.read != self.loaded + self.rejected + self.superseded:
            raise ReconciliationError(
                f"rows read ({self.read}) != loaded ({self.loaded}) + rejected ({self.rejected}) + superseded "
                f"duplicates ({self.superseded}) = {self.loaded + self.rejected + self.superseded}"
            )


def _totals_sql(contract: SourceContract) -> tuple[list[str], sql.Composable]:
    names = [c.name for c in contract.columns if isinstance(c.type, DecimalType)]
    parts = [sql.SQL("count(*)")] + [sql.SQL("sum({})").format(sql.Identifier(n)) for n in names]
    return names, sql.SQL(", ").join(parts)


def control_totals(
    conn: psycopg.Connection,
    contract: SourceContract,
    table: str,
    where: sql.Composable | None = None,
    params: Any = None,
) -> dict[str, str]:
    """``{"rows": n, "<decimal column>": sum, ...}`` of ``table`` (as strings: exact decimals in JSON)."""
    names, select = _totals_sql(contract)
    stmt = sql.SQL("SELECT {} FROM {}").format(select, table_identifier(table))
    if where is not None:
        stmt = stmt + sql.SQL(" WHERE ") + where
    row = conn.execute(stmt, params).fetchone()
    return {
        "rows": str(row[0]),
        **{n: str(v if v is not None else Decimal(0)) for n, v in zip(names, row[1:], strict=True)},
    }


def check_quarantine(
    conn: psycopg.Connection, contract: SourceContract, run: LoadRun, source: str, rejected: int
) -> None:
    stmt = sql.SQL("SELECT count(*) FROM {} WHERE logical_date = %s AND source_file = %s").format(
        table_identifier(contract.quarantine)
    )
    kept = int(conn.execute(stmt, (run.period.start, source)).fetchone()[0])
    if kept != rejected:
        raise ReconciliationError(
            f"{contract.quarantine} holds {kept} rows of {source}, {rejected} were rejected"
        )


def check_target(
    conn: psycopg.Connection, contract: SourceContract, run: LoadRun, loaded: dict[str, Any]
) -> None:
    """The target still holds what the load wrote (see the module docstring)."""
    target = table_identifier(contract.target)
    written = loaded["inserted"] + loaded["updated"]
    stmt = sql.SQL("SELECT count(*) FROM {} WHERE loaded_at = %s").format(target)
    found = int(conn.execute(stmt, (loaded["written_at"],)).fetchone()[0])
    if found != written:
        raise ReconciliationError(
            f"{contract.target} holds {found} rows written by load {loaded['load_id']} (at {loaded['written_at']}), "
            f"which inserted {loaded['inserted']} and updated {loaded['updated']}"
        )
    if contract.partition_column:
        where = sql.SQL("{} = %s").format(sql.Identifier(contract.partition_column))
        now = control_totals(conn, contract, contract.target, where, (run.period.start,))
        if now != loaded["totals"]:
            raise ReconciliationError(
                f"{contract.target} partition {contract.partition_column}={run.period.start} has {now}, "
                f"the load staged {loaded['totals']}"
            )
