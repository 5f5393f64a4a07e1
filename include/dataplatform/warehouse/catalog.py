"""The tables of a load as the catalog describes them, and the load transaction's locks on them.

A table is resolved (``to_regclass`` of the quoted name: case-sensitive, never folded), locked, and
only then described (columns, types, unique keys), so its definition cannot change under the load
(``ALTER TABLE`` needs a lock that conflicts with ours).

The target is locked ``SHARE ROW EXCLUSIVE`` until commit (:func:`lock_target`): readers never
wait; other writers and other loads of the table do, so a load's counts are exact and
``replace_partition`` cannot interleave with another writer. The staging table it reads is locked
``SHARE`` (:func:`lock_source`). The wait is bounded by the session's ``lock_timeout``
(:mod:`dataplatform.warehouse.settings`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from dataplatform.warehouse.errors import WarehouseLoadError
from dataplatform.warehouse.identifiers import table_identifier


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(): e.g. "numeric(12,2)", "timestamp without time zone"
    comparable: bool  # has a default btree opclass: compared as is, else as text
    required: bool = False  # NOT NULL without a default: a COPY must fill it


@dataclass(frozen=True)
class Table:
    """A table found in the catalog: its loadable columns (generated ones left out) and keys."""

    name: str  # schema.table as found in the catalog
    ident: sql.Identifier
    oid: int
    columns: dict[str, Column]
    unique_keys: tuple[frozenset[str], ...]
    automatic: tuple[str, ...] = ()  # identity / generated columns

    def unknown(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if n not in self.columns]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c, col in self.columns.items() if col.required)


def lock_target(conn: psycopg.Connection, name: str, *, lock_timeout: float | None) -> Table:
    """The table a load writes, locked ``SHARE ROW EXCLUSIVE`` until commit, then described."""
    return _locked(conn, name, table_identifier(name), "SHARE ROW EXCLUSIVE", lock_timeout)


def lock_source(conn: psycopg.Connection, name: str, *, lock_timeout: float | None) -> Table:
    """A table the load reads its rows from, locked ``SHARE`` (no one changes it until commit)."""
    return _locked(conn, name, table_identifier(name), "SHARE", lock_timeout)


def _locked(
    conn: psycopg.Connection,
    name: str,
    ident: sql.Identifier,
    mode: Literal["SHARE", "SHARE ROW EXCLUSIVE"],
    lock_timeout: float | None,
) -> Table:
    row = conn.execute(
        "SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(%s)",
        (ident.as_string(conn),),
    ).fetchone()
    if row is None:
        raise WarehouseLoadError(
            f"table {name} does not exist (names are case-sensitive and not folded to lower case)",
            table=name,
        )
    oid, schema, relname, relkind = row
    found = f"{schema}.{relname}"
    if relkind not in ("r", "p"):
        raise WarehouseLoadError(f"{found} is not a table (relkind {relkind!r})", table=found)
    ident = sql.Identifier(schema, relname)
    try:
        conn.execute(sql.SQL("LOCK TABLE {} IN {} MODE").format(ident, sql.SQL(mode)))
    except pg_errors.LockNotAvailable as err:
        raise WarehouseLoadError(
            f"could not lock {found} within {lock_timeout}s: another transaction is writing it",
            table=found,
            sqlstate=err.sqlstate,
        ) from err
    return _describe(conn, oid, found, ident)


def _describe(conn: psycopg.Connection, oid: int, found: str, ident: sql.Identifier) -> Table:
    columns: dict[str, Column] = {}
    automatic: list[str] = []  # identity and generated columns: values made by the target
    for attname, typ, comparable, required, auto, generated in conn.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod),
               EXISTS (SELECT FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
                       WHERE oc.opcdefault AND am.amname = 'btree' AND oc.opcintype = a.atttypid),
               a.attnotnull AND NOT a.atthasdef AND a.attidentity = '',
               a.attidentity <> '' OR a.attgenerated <> '', a.attgenerated <> ''
        FROM pg_attribute a
        WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        (oid,),
    ):
        if auto:
            automatic.append(attname)
        if not generated:  # generated columns cannot be written: not loadable
            columns[attname] = Column(attname, typ, comparable, required)
    keys = tuple(
        frozenset(r[0])
        for r in conn.execute(
            """
            SELECT ARRAY(SELECT a.attname FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k(n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)
            FROM pg_index i
            WHERE i.indrelid = %s AND i.indisunique AND i.indisvalid AND i.indimmediate
              AND i.indpred IS NULL AND i.indexprs IS NULL
            """,
            (oid,),
        )
    )
    return Table(
        name=found, ident=ident, oid=oid, columns=columns, unique_keys=keys, automatic=tuple(automatic)
    )
