"""De-duplicate a staging table in place: per key, the row the contract says is the latest wins.

Only keys the validation flagged as possibly repeated (the ``dups`` table, a small superset of the
real repeats: :mod:`~dataplatform.loading.repeated_keys`) are looked at, so a file without repeats
costs one pass over the staging table and no sort. Among the rows of a repeated key, the greatest
``latest_by`` wins (NULLs last), then the later line; the others are deleted and counted as
superseded.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from dataplatform.loading.contract import SourceContract
from dataplatform.warehouse.identifiers import table_identifier


def supersede(conn: psycopg.Connection, contract: SourceContract, rows: str, dups: str) -> int:
    """Delete the superseded rows of ``rows``; return how many."""
    keys = [sql.Identifier(k) for k in contract.key]
    key_list = sql.SQL(", ").join(keys)
    order = [sql.SQL("{} DESC NULLS LAST").format(sql.Identifier(c)) for c in contract.latest_by]
    order.append(sql.SQL("line_no DESC"))
    # one pass over the staging table to find the candidates' rows, then the losers by physical
    # address (a TID scan): no second pass, no sort of the whole table
    stmt = sql.SQL(
        "DELETE FROM {rows} WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY {keys} ORDER BY {order}) AS rn "
        "FROM {rows} WHERE ({keys}) IN (SELECT {keys} FROM {dups})) AS ranked WHERE rn > 1))"
    ).format(
        rows=table_identifier(rows),
        dups=table_identifier(dups),
        keys=key_list,
        order=sql.SQL(", ").join(order),
    )
    return conn.execute(stmt).rowcount
