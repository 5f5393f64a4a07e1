"""Quarantine: rejected rows go to a permanent table with the reason, replaced per run date and file."""

from __future__ import annotations

from psycopg import sql

from dataplatform.etl.staging import ident


def quarantine(conn, rejects_table: str, target: str, *, source: str, run_id: str, logical_date: str) -> int:
    """Replace ``target``'s rows for (``logical_date``, ``source``) with the staged rejects; return the count.

    Runs in the caller's transaction; re-running the same date does not duplicate rows.
    """
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE logical_date = %s AND source_file = %s").format(ident(target)),
        (logical_date, source),
    )
    cur = conn.execute(
        sql.SQL(
            "INSERT INTO {target} (source_file, line_no, raw_line, reason, run_id, logical_date) "
            "SELECT %s, line_no, raw_line, reason, %s, %s FROM {rejects} ORDER BY line_no"
        ).format(target=ident(target), rejects=ident(rejects_table)),
        (source, run_id, logical_date),
    )
    return cur.rowcount
