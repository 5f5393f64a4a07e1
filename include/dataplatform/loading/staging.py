"""Run-scoped staging tables: where one try of one load keeps its rows between tasks.

UNLOGGED tables in the ``staging`` schema, named by contract, run and try, so retries and
overlapping runs never share one: ``staging.<contract>_rows__<dag>_<hash(run)>_t<try>`` (every
record of the file: good rows typed, rejected ones with reason and raw text, until the rejects
move to quarantine) and ``..._dups__...`` (keys that may repeat, for the de-duplication). A load's
``cleanup`` drops its run's tables; tables of failed runs are kept for inspection and dropped
after ``keep_failed_days`` by a later cleanup (each table's comment records when it was made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from dataplatform.loading.contract import SourceContract
from dataplatform.loading.ddl import STAGING_SCHEMA
from dataplatform.loading.period import LoadRun, run_prefix

_SAFE = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class StagingTables:
    """The staging tables of one try of one load (qualified names)."""

    rows: str
    dups: str

    @classmethod
    def for_run(cls, contract: SourceContract, run: LoadRun) -> StagingTables:
        return cls(_name(contract.name, "rows", run.key), _name(contract.name, "dups", run.key))


def _name(contract: str, kind: str, key: str) -> str:
    name = f"{contract}_{kind}__{key}"
    if len(name) > 63 or not _SAFE.fullmatch(name):
        raise ValueError(f"staging table name {name!r} is not a safe identifier of at most 63 characters")
    return f"{STAGING_SCHEMA}.{name}"


def _ident(qualified: str) -> sql.Identifier:
    return sql.Identifier(*qualified.split("."))


def create(conn: psycopg.Connection, contract: SourceContract, tables: StagingTables) -> None:
    """(Re)create both tables of this try, empty, stamped with their creation time."""
    cols = [sql.SQL("line_no bigint NOT NULL, reason text, raw_line text")]
    cols += [
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.type.pg_type)) for c in contract.columns
    ]
    keys = [
        sql.SQL("{} {}").format(sql.Identifier(k), sql.SQL(contract.column(k).type.pg_type))
        for k in contract.key
    ]
    for table, body in ((tables.rows, cols), (tables.dups, keys)):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(_ident(table)))
        conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(_ident(table), sql.SQL(", ").join(body)))
        _stamp_created(conn, table)


def _stamp_created(conn: psycopg.Connection, table: str) -> None:
    """Record the creation time in the table comment (read by :func:`drop_stale`)."""
    created = conn.execute("""SELECT to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS')""").fetchone()[0]
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(_ident(table), sql.Literal(created)))


def drop_run(conn: psycopg.Connection, contract: SourceContract, dag_id: str, run_id: str) -> list[str]:
    """Drop every staging table of ``contract`` in ``run_id`` (all tries); return their names."""
    pattern = f"^{contract.name}_(rows|dups)__{run_prefix(dag_id, run_id)}_t[0-9]+$"
    return _drop(
        conn,
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename ~ %s",
        (STAGING_SCHEMA, pattern),
    )


def drop_stale(conn: psycopg.Connection, contract: SourceContract, older_than_days: int) -> list[str]:
    """Drop staging tables of ``contract`` made more than ``older_than_days`` ago (failed runs)."""
    query = """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname ~ %s
          AND COALESCE(obj_description(c.oid, 'pg_class'), '') < to_char(now() - make_interval(days => %s), 'YYYY-MM-DD"T"HH24:MI:SS')
    """
    return _drop(conn, query, (STAGING_SCHEMA, f"^{contract.name}_(rows|dups)__", older_than_days))


def _drop(conn: psycopg.Connection, query: str, params: tuple) -> list[str]:
    names = [r[0] for r in conn.execute(query, params).fetchall()]
    for name in names:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING_SCHEMA, name)))
    return [f"{STAGING_SCHEMA}.{n}" for n in names]
