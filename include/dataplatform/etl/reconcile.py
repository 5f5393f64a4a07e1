"""Post-load checks: every row read is accounted for, and the target really holds the loaded rows."""

from __future__ import annotations

from psycopg import sql

from dataplatform.etl.contract import FileContract
from dataplatform.etl.staging import ident
from dataplatform.etl.transform import SET_WORK_MEM


class ReconciliationError(AssertionError):
    """Counts or contents after a load do not add up."""


def check_counts(*, rows_read: int, loaded: int, rejected: int, superseded: int) -> None:
    """rows read = loaded + rejected + superseded duplicates, or raise naming every number."""
    if rows_read != loaded + rejected + superseded:
        raise ReconciliationError(
            f"rows read ({rows_read}) != loaded ({loaded}) + rejected ({rejected}) + superseded "
            f"duplicates ({superseded}) = {loaded + rejected + superseded}"
        )


def count_matching(conn, contract: FileContract, final_table: str, target: str) -> int:
    """How many rows of ``final_table`` are in ``target`` with exactly the same values."""
    cols = [c for c, _ in contract.columns]
    conn.execute(SET_WORK_MEM)
    row = conn.execute(
        sql.SQL(
            "SELECT count(*) FROM {final} f JOIN {target} t USING ({key}) WHERE ({tcols}) IS NOT DISTINCT FROM ({fcols})"
        ).format(
            final=ident(final_table),
            target=ident(target),
            key=sql.Identifier(contract.key),
            tcols=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in cols),
            fcols=sql.SQL(", ").join(sql.SQL("f.{}").format(sql.Identifier(c)) for c in cols),
        )
    ).fetchone()
    return row[0]


def check_target(conn, contract: FileContract, final_table: str, target: str, expected: int) -> None:
    """Raise unless all ``expected`` transformed rows are present, value for value, in ``target``."""
    found = count_matching(conn, contract, final_table, target)
    if found != expected:
        raise ReconciliationError(f"{target} holds {found} of the {expected} rows loaded from {final_table}")
