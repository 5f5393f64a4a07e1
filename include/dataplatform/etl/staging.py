"""Run-scoped staging tables in the warehouse: named by run and try, dropped when the run succeeds."""

from __future__ import annotations

import hashlib
import re

from psycopg import sql

STAGING_SCHEMA = "staging"
_SAFE = re.compile(r"[^a-z0-9_]")


def run_key(dag_id: str, run_id: str, try_number: int) -> str:
    """A short identifier-safe key for one try of one run: ``<dag>_<hash(run_id)>_t<try>``."""
    digest = hashlib.sha1(f"{dag_id}/{run_id}".encode()).hexdigest()[:10]
    prefix = _SAFE.sub("_", dag_id.lower())[:30]
    return f"{prefix}_{digest}_t{try_number}"


def staging_table(kind: str, key: str) -> str:
    """``staging.<kind>__<key>`` (fits Postgres's 63-character identifiers)."""
    name = f"{kind}__{key}"
    if len(name) > 63 or _SAFE.search(name):
        raise ValueError(f"staging table name {name!r} is not a safe identifier")
    return f"{STAGING_SCHEMA}.{name}"


def ident(qualified: str) -> sql.Identifier:
    """``schema.table`` -> a quoted ``sql.Identifier``."""
    return sql.Identifier(*qualified.split("."))


def drop_run_tables(conn, dag_id: str, run_id: str) -> list[str]:
    """Drop every staging table of ``run_id`` (all tries); return their names."""
    digest = run_key(dag_id, run_id, 0).rsplit("_t", 1)[0]
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
        (STAGING_SCHEMA, f"%\\_\\_{digest}\\_t%"),
    ).fetchall()
    for (name,) in rows:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING_SCHEMA, name)))
    return [f"{STAGING_SCHEMA}.{name}" for (name,) in rows]


def drop_stale_tables(conn, dag_id: str, older_than_days: int = 7) -> list[str]:
    """Drop staging tables of ``dag_id`` left by failed runs more than ``older_than_days`` ago."""
    prefix = _SAFE.sub("_", dag_id.lower())[:30]
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname LIKE %s
          AND COALESCE(obj_description(c.oid, 'pg_class'), '') < to_char(now() - make_interval(days => %s), 'YYYY-MM-DD"T"HH24:MI:SS')
        """,
        (STAGING_SCHEMA, f"%\\_\\_{prefix}\\_%", older_than_days),
    ).fetchall()
    for (name,) in rows:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING_SCHEMA, name)))
    return [f"{STAGING_SCHEMA}.{name}" for (name,) in rows]


def stamp_created(conn, qualified: str) -> None:
    """Record the creation time in the table comment (read by :func:`drop_stale_tables`)."""
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(ident(qualified), sql.Literal(_now_iso(conn))))


def _now_iso(conn) -> str:
    return conn.execute("""SELECT to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS')""").fetchone()[0]
