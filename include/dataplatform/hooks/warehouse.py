"""WarehouseHook: load CSV files into warehouse tables with COPY, all or nothing.

A load streams the file's raw bytes (local path, ``s3://`` via the official ``S3Hook``, or a
binary file object) 1 MiB at a time through ``COPY ... FROM STDIN`` into a temporary staging table
(``LIKE target INCLUDING DEFAULTS``, ``ON COMMIT DROP``), then applies it to the target in the same
transaction. Rows are never parsed in Python, so client memory is flat whatever the file size.

* ``merge`` -- ``INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE (old) IS DISTINCT FROM (new)``:
  new keys are inserted, changed rows updated, identical rows left alone (a re-run rewrites
  nothing: row ``xmin`` values stay the same). Counts come from ``RETURNING (xmax = 0)``,
  aggregated in SQL. A key repeated within the staged rows is an error naming the key values.
* ``replace_partition`` -- delete the target rows of one partition (``{"col": value}``) and insert
  the staged rows, which must all belong to that partition (else an error naming the values).
* ``append`` -- insert every row.

Two shortcuts give the same result with less work (measured in ``bench/warehouse_load.py``):
``append``, and ``merge`` into an empty target, COPY straight into the target (one pass instead of
two; a repeated key then fails on the unique index, naming the line); a ``merge`` whose sampled
staged rows are mostly identical to the target first drops those rows with one hash anti-join,
instead of letting ``ON CONFLICT`` probe and lock each of them.

Each load takes ``SHARE ROW EXCLUSIVE`` on the target (readers never wait; other writers and
loads of the table do), so counts are exact. Any error rolls the whole transaction back: the target
is exactly as it was. Names are validated (:mod:`dataplatform.hooks.identifiers`), quoted with
``psycopg.sql.Identifier`` and checked against the catalog before any data moves.

``synchronous_commit`` is left alone: a load commits once, and that commit measured 0.02 s of a
2.5 s load of 1M rows, so turning it off (risking the last commit on a server crash) buys nothing.

For flows that validate or transform rows in SQL before applying them, :meth:`WarehouseHook.staged`
yields the :class:`Stage` that ``load_csv`` itself uses::

    with WarehouseHook().staged("public.patients", raw=True) as stage:  # all-TEXT staging
        stage.copy_csv("s3://landing/patients.csv")
        stage.reject_where(sql.SQL("birth_date !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"))
        result = stage.merge("patient_id")  # values cast to the target's types; commits on exit
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import psycopg
from airflow.providers.postgres.hooks.postgres import PostgresHook
from psycopg import errors as pg_errors
from psycopg import sql

from dataplatform.conn_ids import AWS_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.hooks.csv_source import (
    ByteChunks,
    Source,
    describe,
    is_utf8,
    open_source,
    parse_header,
)
from dataplatform.hooks.identifiers import (
    InvalidIdentifierError,
    check_columns,
    check_identifier,
    column_list,
    split_table_name,
    table_identifier,
)

Mode = Literal["merge", "replace_partition", "append"]
MODES: tuple[str, ...] = ("merge", "replace_partition", "append")
#: A staging-only column type written as a string: a type name, optional (n[,m]) and [].
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ ]*(\(\d+(,\s*\d+)?\))?(\[\])?")
_LINE = re.compile(r"\bline (\d+)")
_COLUMN = re.compile(r"\bcolumn (\w+)")
_WORK_MEM = re.compile(r"\d+\s*(kB|MB|GB)")
#: merge skips already-identical rows up front when a sample of this many staged rows
#: (stages of at least PREFILTER_MIN_ROWS rows) is at least PREFILTER_SHARE identical.
PREFILTER_SAMPLE = 2000
PREFILTER_MIN_ROWS = 20_000
PREFILTER_SHARE = 0.8


class WarehouseLoadError(RuntimeError):
    """A load failed and was rolled back. The message names the source, the table and, for COPY
    errors, the line Postgres reports (``line`` attribute; line 1 is the header when there is one).
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.source = source
        self.line = line
        self.column = column
        self.sqlstate = sqlstate


@dataclass(frozen=True)
class LoadResult:
    """What one load did. ``rows_read`` = rows staged from the source(s); for a merge
    ``rows_read = inserted + updated + unchanged + rejected``.
    """

    table: str
    mode: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    seconds: float = 0.0
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (for XCom)."""
        return asdict(self)


@dataclass(frozen=True)
class _Column:
    name: str
    type: str  # format_type(): e.g. "numeric(12,2)", "timestamp without time zone"
    comparable: bool  # has a default btree opclass: compared as is, else as text
    required: bool = False  # NOT NULL without a default: a COPY must fill it


@dataclass(frozen=True)
class _Target:
    name: str  # schema.table as found in the catalog
    ident: sql.Identifier
    oid: int
    columns: dict[str, _Column]
    unique_keys: tuple[frozenset[str], ...]
    automatic: tuple[str, ...] = ()  # identity / generated columns

    def unknown(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if n not in self.columns]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c, col in self.columns.items() if col.required)


@dataclass(frozen=True)
class _CsvOptions:
    header: bool | Literal["match"]
    delimiter: str
    null: str
    encoding: str
    quote: str
    escape: str | None

    def check(self) -> _CsvOptions:
        if self.header not in (True, False, "match"):
            raise ValueError(f"header must be True, False or 'match', not {self.header!r}")
        for opt in ("delimiter", "quote"):
            value = getattr(self, opt)
            if not isinstance(value, str) or len(value.encode()) != 1 or value in "\r\n":
                raise ValueError(f"{opt} must be one single-byte character, not {value!r}")
        if self.escape is not None and (not isinstance(self.escape, str) or len(self.escape.encode()) != 1):
            raise ValueError(f"escape must be one single-byte character, not {self.escape!r}")
        if self.delimiter == self.quote:
            raise ValueError("delimiter and quote must differ")
        if not isinstance(self.null, str) or "\n" in self.null or "\r" in self.null:
            raise ValueError(f"null must be a string without newlines, not {self.null!r}")
        if not isinstance(self.encoding, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", self.encoding):
            raise ValueError(f"encoding must be an encoding name like 'utf-8', not {self.encoding!r}")
        return self

    def copy_options(self) -> sql.Composed:
        header = {True: "true", False: "false", "match": "match"}[self.header]
        parts = [
            sql.SQL("FORMAT csv"),
            sql.SQL("HEADER " + header),
            sql.SQL("DELIMITER {}").format(sql.Literal(self.delimiter)),
            sql.SQL("NULL {}").format(sql.Literal(self.null)),
            sql.SQL("QUOTE {}").format(sql.Literal(self.quote)),
            sql.SQL("ENCODING {}").format(sql.Literal(self.encoding)),
        ]
        if self.escape is not None:
            parts.append(sql.SQL("ESCAPE {}").format(sql.Literal(self.escape)))
        return sql.SQL(", ").join(parts)


def _check_mode_args(mode: str, key: Any, partition: Any) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "merge" and not key:
        raise ValueError("mode='merge' needs key= (the column(s) of a unique index or primary key)")
    if mode != "merge" and key is not None:
        raise ValueError(f"key= is only used with mode='merge', not mode={mode!r}")
    if mode == "replace_partition" and not partition:
        raise ValueError("mode='replace_partition' needs partition={'column': value}")
    if mode != "replace_partition" and partition is not None:
        raise ValueError(f"partition= is only used with mode='replace_partition', not mode={mode!r}")


def _key_columns(key: str | Sequence[str]) -> tuple[str, ...]:
    return check_columns([key] if isinstance(key, str) else key, "key column")


def _partition_spec(partition: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(partition, Mapping) or not partition:
        raise ValueError(f"partition must be a non-empty mapping {{'column': value}}, not {partition!r}")
    check_columns(list(partition), "partition column")
    return dict(partition)


def _extra_columns(extra: Mapping[str, str | sql.Composable] | None) -> dict[str, sql.Composable]:
    out: dict[str, sql.Composable] = {}
    for name, typ in (extra or {}).items():
        check_identifier(name, "staging column")
        if isinstance(typ, sql.Composable):
            out[name] = typ
        elif isinstance(typ, str) and _TYPE_NAME.fullmatch(typ.strip()):
            out[name] = sql.SQL(typ.strip())
        else:
            raise ValueError(
                f"type of staging column {name!r} must be a type name like 'bigint' or 'numeric(12,2)' "
                f"(or a psycopg.sql.Composable), not {typ!r}"
            )
    return out


def _seconds_ms(seconds: float | None) -> str:
    return "0" if seconds is None else f"{max(1, round(seconds * 1000))}ms"


def _diag(err: psycopg.Error) -> tuple[str, str | None, int | None, str | None]:
    """(primary message + detail, context, line, column) of a server error."""
    diag = err.diag
    primary = (diag.message_primary or str(err)).strip()
    if diag.message_detail:
        primary = f"{primary} ({diag.message_detail.strip()})"
    context = diag.context
    line = column = None
    if context and context.startswith("COPY "):
        first = context.splitlines()[0]
        if m := _LINE.search(first):
            line = int(m.group(1))
        if m := _COLUMN.search(first):
            column = m.group(1)
    return primary, context, line, column


def _safe_rollback(conn: psycopg.Connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg.Error:  # a broken connection: the server rolls back when it goes away
        pass


class Stage:
    """A temporary staging table for one target, inside the load's transaction.

    Obtained from :meth:`WarehouseHook.staged`. Fill it (:meth:`copy_csv`, :meth:`copy_rows`),
    check or fix rows with SQL (:meth:`execute`, :meth:`reject_where`, composing with
    :attr:`table`), then apply it once (:meth:`merge`, :meth:`replace_partition`, :meth:`append`).
    The transaction commits when the ``with`` block exits cleanly and rolls back otherwise; the
    staging table is dropped at commit.

    Attributes: ``table`` (the staging table, ``sql.Identifier``), ``target`` (the target table,
    ``sql.Identifier``), ``target_name``, ``columns`` (target columns the apply writes),
    ``staging_columns`` (all columns of the staging table), ``rows_read``, ``rejected`` (settable),
    ``connection`` (the transaction's psycopg connection).
    """

    def __init__(
        self,
        hook: WarehouseHook,
        conn: psycopg.Connection,
        target: _Target,
        *,
        columns: tuple[str, ...] | None,
        raw: bool,
        extra_columns: dict[str, sql.Composable],
        started: float,
    ) -> None:
        self._hook = hook
        self._target = target
        self._started = started
        self.connection = conn
        self.target = target.ident
        self.target_name = target.name
        self._columns_given = columns is not None
        if columns is None:
            columns = tuple(target.columns)
        elif unknown := target.unknown(columns):
            raise WarehouseLoadError(
                f"column {unknown[0]!r} does not exist in table {target.name} "
                f"(its columns: {', '.join(target.columns)})",
                table=target.name,
            )
        clash = [c for c in extra_columns if c in target.columns]
        if clash:
            raise ValueError(f"staging column {clash[0]!r} is also a column of {target.name}")
        self.columns: tuple[str, ...] = columns
        self.raw = raw
        name = f"stage_{target.name.split('.')[-1]}"[:63]
        self.table = sql.Identifier("pg_temp", name)
        # staging column -> its type where it differs from the target's (cast on apply)
        if raw:
            self._staging_types = {c: "text" for c in columns}
            self.staging_columns = columns + tuple(extra_columns)
            body = sql.SQL(", ").join(
                [sql.SQL("{} text").format(sql.Identifier(c)) for c in columns]
                + [sql.SQL("{} {}").format(sql.Identifier(c), t) for c, t in extra_columns.items()]
            )
            ddl = sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(self.table, body)
        else:
            self._staging_types = {c: col.type for c, col in target.columns.items()}
            self.staging_columns = tuple(target.columns) + tuple(extra_columns)
            ddl = sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                self.table, target.ident
            )
        self._run(ddl, what="creating the staging table")
        for c in () if raw else target.automatic:
            # LIKE copies their NOT NULL but not how the target fills them: staging rows may omit them
            self._run(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL").format(self.table, sql.Identifier(c)),
                what=f"relaxing staging column {c!r}",
            )
        for c, typ in () if raw else extra_columns.items():  # raw: already in the CREATE
            self._run(
                sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(self.table, sql.Identifier(c), typ),
                what=f"adding staging column {c!r}",
            )
        self._required = set() if raw else set(target.required)  # NOT NULL, no default in staging
        self.rows_read = 0
        self.rejected = 0
        self.sources: list[str] = []
        self._staged: int | None = 0  # rows in staging, None once SQL may have changed them
        self._filled = False  # a copy has set self.columns (when staged() was not given columns)
        self._result: LoadResult | None = None

    # ----------------------------------------------------------------------------- filling

    def copy_csv(
        self,
        source: Source,
        *,
        columns: Sequence[str] | None = None,
        header: bool | Literal["match"] = True,
        delimiter: str = ",",
        null: str = "",
        encoding: str = "utf-8",
        quote: str = '"',
        escape: str | None = None,
    ) -> int:
        """Stream a CSV file's bytes into the staging table with COPY; return the rows copied.

        ``columns`` are the file's columns in file order. Default: the header's names when
        ``header`` is true (a file with columns in any order loads right), else :attr:`columns`.
        ``header="match"`` makes Postgres check the header equals ``columns``. Empty unquoted
        fields are NULL (``null=""``); ``""`` is an empty string.
        """
        opts = _CsvOptions(header, delimiter, null, encoding, quote, escape).check()
        cols = self._copy_columns(columns) if columns is not None else None
        self._check_open()
        n, copied = _copy_csv(
            self.connection,
            self.table,
            self.target_name,
            source,
            columns=cols,
            default_columns=self.columns,
            allowed=self.staging_columns,
            required=self._required,
            opts=opts,
            aws_conn_id=self._hook.aws_conn_id,
        )
        self._add_rows(n, describe(source), copied)
        return n

    def copy_rows(self, rows: Iterable[Sequence[Any]], *, columns: Sequence[str] | None = None) -> int:
        """COPY Python rows (tuples in ``columns`` order, default :attr:`columns`) into staging."""
        cols = self._copy_columns(columns) if columns is not None else self.columns
        self._check_open()
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(self.table, column_list(cols))
        cur = self.connection.cursor()
        try:
            with cur.copy(stmt) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as err:
            raise _server_error(
                err, "copying rows into the staging table of", self.target_name, "rows"
            ) from err
        n = max(cur.rowcount, 0)
        self._add_rows(n, "rows", cols)
        return n

    # ----------------------------------------------------------------------------- checking

    def execute(self, query: str | sql.Composable, params: Any = None) -> psycopg.Cursor:
        """Run caller SQL in the load's transaction (compose with :attr:`table` / :attr:`target`).

        A failure is a :class:`WarehouseLoadError` and rolls the whole load back.
        """
        self._check_open()
        cur = self.connection.cursor()
        try:
            cur.execute(query, params)
        except psycopg.Error as err:
            text = query if isinstance(query, str) else query.as_string(self.connection)
            raise _server_error(
                err, f"staged SQL ({text[:300]}) on", self.target_name, self._source_text()
            ) from err
        self._staged = None
        return cur

    def reject_where(self, condition: str | sql.Composable, params: Any = None) -> int:
        """Delete the staged rows matching ``condition`` and count them as rejected."""
        cond = sql.SQL(condition) if isinstance(condition, str) else condition
        cur = self.execute(sql.SQL("DELETE FROM {} WHERE ").format(self.table) + cond, params)
        self.rejected += cur.rowcount
        return cur.rowcount

    def count(self) -> int:
        """Rows currently in the staging table."""
        if self._staged is None:
            row = self.connection.execute(sql.SQL("SELECT count(*) FROM {}").format(self.table)).fetchone()
            self._staged = int(row[0]) if row else 0
        return self._staged

    # ----------------------------------------------------------------------------- applying

    def merge(self, key: str | Sequence[str]) -> LoadResult:
        """Upsert staged rows on ``key``: insert new keys, update changed rows, leave equal rows alone.

        A key present twice in the staged rows is an error (Postgres cannot apply two rows to one
        target row in one statement, and which one should win is for the caller to decide:
        deduplicate with :meth:`execute` first if the source may repeat keys).
        """
        keys = self._merge_key(key)
        self._check_open()
        staged = self.count()
        data = [c for c in self.columns if c not in keys]
        cols, values = column_list(self.columns), self._values()
        prefilter = sql.SQL("")
        if data and self._mostly_unchanged(keys, data, staged):
            # Mostly a re-run: skip identical rows with one hash anti-join instead of letting
            # ON CONFLICT probe and lock each of them (measured 2.1 s -> 1.2 s per 1M unchanged rows;
            # slower when most rows are new or changed, hence the sample).
            prefilter = sql.SQL("WHERE NOT {}").format(self._identical_in_target(keys, data))
            if self._hook.work_mem:
                self.connection.execute("SELECT set_config('work_mem', %s, true)", (self._hook.work_mem,))
        if data:
            conflict = sql.SQL("DO UPDATE SET {assign} WHERE ({old}) IS DISTINCT FROM ({new})").format(
                assign=sql.SQL(", ").join(
                    sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in data
                ),
                old=self._compared("t", data),
                new=self._compared("excluded", data),
            )
        else:  # every loaded column is part of the key: nothing to update
            conflict = sql.SQL("DO NOTHING")
        stmt = sql.SQL(
            "WITH m AS (INSERT INTO {target} AS t ({cols}) SELECT {values} FROM {stage} AS s {prefilter} "
            "ON CONFLICT ({keys}) {conflict} RETURNING (t.xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM m"
        ).format(
            target=self.target,
            cols=cols,
            values=values,
            stage=self.table,
            prefilter=prefilter,
            keys=column_list(keys),
            conflict=conflict,
        )
        try:
            with self.connection.transaction():  # a savepoint: the staging table survives an error
                row = self.connection.execute(stmt).fetchone()
        except pg_errors.CardinalityViolation as err:
            raise self._duplicate_keys_error(keys) from err
        except psycopg.Error as err:
            raise _server_error(err, "merging into", self.target_name, self._source_text()) from err
        inserted, updated = (int(row[0]), int(row[1])) if row else (0, 0)
        return self._finish(
            "merge", inserted=inserted, updated=updated, unchanged=staged - inserted - updated
        )

    def replace_partition(self, partition: Mapping[str, Any]) -> LoadResult:
        """Delete the target's rows of ``partition`` (``{"col": value, ...}``), insert the staged rows.

        Every staged row must be in the partition (else nothing changes and the error names the
        offending values). A partition column that is not loaded is set to the partition value.
        """
        spec = _partition_spec(partition)
        if unknown := self._target.unknown(spec):
            raise WarehouseLoadError(
                f"partition column {unknown[0]!r} does not exist in table {self.target_name}",
                table=self.target_name,
            )
        self._check_open()
        loaded = [c for c in spec if c in self.columns]
        if loaded:
            self._check_partition(spec, loaded)
        where = sql.SQL(" AND ").join(
            sql.SQL("{} IS NULL").format(sql.Identifier(c))
            if v is None
            else sql.SQL("{} = CAST({} AS {})").format(
                sql.Identifier(c), sql.Literal(v), sql.SQL(self._target.columns[c].type)
            )
            for c, v in spec.items()
        )
        missing = [c for c in spec if c not in self.columns]
        cols = column_list([*self.columns, *missing])
        values = sql.SQL(", ").join(
            [self._values()]
            + [
                sql.SQL("CAST({} AS {})").format(sql.Literal(spec[c]), sql.SQL(self._target.columns[c].type))
                for c in missing
            ]
        )
        try:
            deleted = self.connection.execute(
                sql.SQL("DELETE FROM {} WHERE {}").format(self.target, where)
            ).rowcount
            inserted = self.connection.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} AS s").format(
                    self.target, cols, values, self.table
                )
            ).rowcount
        except psycopg.Error as err:
            raise _server_error(
                err, "replacing a partition of", self.target_name, self._source_text()
            ) from err
        return self._finish("replace_partition", inserted=inserted, deleted=deleted)

    def append(self) -> LoadResult:
        """Insert every staged row into the target."""
        self._check_open()
        try:
            inserted = self.connection.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} AS s").format(
                    self.target, column_list(self.columns), self._values(), self.table
                )
            ).rowcount
        except psycopg.Error as err:
            raise _server_error(err, "appending to", self.target_name, self._source_text()) from err
        return self._finish("append", inserted=inserted)

    @property
    def result(self) -> LoadResult | None:
        """The apply's result, once applied."""
        return self._result

    # ----------------------------------------------------------------------------- internals

    def _load_direct(
        self, source: Source, mode: str, columns: Sequence[str] | None, opts: _CsvOptions
    ) -> LoadResult:
        """COPY straight into the target (append, or merge into an empty target): same outcome as
        staging + apply, one pass less. A key repeated in the file fails on the unique index.
        """
        self._check_open()
        n, _ = _copy_csv(
            self.connection,
            self.target,
            self.target_name,
            source,
            columns=columns,
            default_columns=self.columns,
            allowed=tuple(self._target.columns),
            required=self._target.required,
            opts=opts,
            aws_conn_id=self._hook.aws_conn_id,
            duplicate_hint=mode == "merge",
        )
        self.rows_read += n
        self.sources.append(describe(source))
        self._staged = 0
        return self._finish(mode, inserted=n)

    def _default(self, column: str, value: Any) -> None:
        """Give a staging column a default (a partition value), so files may leave it out."""
        self._run(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT CAST({} AS {})").format(
                self.table,
                sql.Identifier(column),
                sql.Literal(value),
                sql.SQL(self._staging_types[column]),
            ),
            what=f"setting the staging default of {column!r}",
        )
        self._required.discard(column)

    def _target_is_empty(self) -> bool:
        row = self.connection.execute(
            sql.SQL("SELECT NOT EXISTS (SELECT FROM {})").format(self.target)
        ).fetchone()
        return bool(row and row[0])

    def _check_open(self) -> None:
        if self._result is not None:
            raise RuntimeError(f"the stage of {self.target_name} was already applied ({self._result.mode})")

    def _copy_columns(self, columns: Sequence[str]) -> tuple[str, ...]:
        cols = check_columns(columns)
        if unknown := [c for c in cols if c not in self.staging_columns]:
            raise WarehouseLoadError(
                f"column {unknown[0]!r} does not exist in table {self.target_name} "
                f"(its columns: {', '.join(self.staging_columns)})",
                table=self.target_name,
            )
        return cols

    def _add_rows(self, n: int, source: str, copied: Sequence[str]) -> None:
        if not self._columns_given:
            # columns not fixed by staged(): the apply writes the target columns the copies filled
            filled = [c for c in copied if c in self._target.columns]
            self.columns = (
                tuple(filled)
                if not self._filled
                else self.columns + tuple(c for c in filled if c not in self.columns)
            )
            self._filled = True
        self.rows_read += n
        if self._staged is not None:
            self._staged += n
        if source not in self.sources:
            self.sources.append(source)

    def _source_text(self) -> str | None:
        return ", ".join(self.sources) or None

    def _staged_value(self, c: str) -> sql.Composable:
        """Staged column ``s.c`` in the target's type (cast when the staging type differs)."""
        if self._staging_types[c] == self._target.columns[c].type:
            return sql.Identifier("s", c)
        return sql.SQL("CAST({} AS {})").format(sql.Identifier("s", c), sql.SQL(self._target.columns[c].type))

    def _values(self) -> sql.Composed:
        """The staged values of :attr:`columns`, in the target's types."""
        return sql.SQL(", ").join(self._staged_value(c) for c in self.columns)

    def _compared(self, prefix: str | None, columns: Sequence[str]) -> sql.Composed:
        """Columns for IS [NOT] DISTINCT FROM (``prefix`` None: the staged values); types without a
        btree equality (json, xml, point...) are compared as text.
        """
        exprs = (self._staged_value(c) if prefix is None else sql.Identifier(prefix, c) for c in columns)
        return sql.SQL(", ").join(
            e if self._target.columns[c].comparable else sql.SQL("({})::text").format(e)
            for c, e in zip(columns, exprs, strict=True)
        )

    def _identical_in_target(self, keys: Sequence[str], data: Sequence[str]) -> sql.Composed:
        """``EXISTS`` a target row ``o`` with the staged row ``s``'s key and the same data."""
        return sql.SQL("EXISTS (SELECT FROM {} AS o WHERE {} AND ({}) IS NOT DISTINCT FROM ({}))").format(
            self.target,
            sql.SQL(" AND ").join(
                sql.SQL("{} = {}").format(sql.Identifier("o", k), self._staged_value(k)) for k in keys
            ),
            self._compared("o", data),
            self._compared(None, data),
        )

    def _mostly_unchanged(self, keys: Sequence[str], data: Sequence[str], staged: int) -> bool:
        """Sample the stage: are most staged rows already in the target, identical?"""
        if staged < PREFILTER_MIN_ROWS:
            return False
        percent = min(100.0, 100.0 * 4 * PREFILTER_SAMPLE / staged)
        stmt = sql.SQL(
            "WITH sample AS MATERIALIZED (SELECT * FROM {stage} TABLESAMPLE SYSTEM ({pct}) LIMIT {n}) "
            "SELECT count(*), count(*) FILTER (WHERE {identical}) FROM sample AS s"
        ).format(
            stage=self.table,
            pct=sql.Literal(percent),
            n=sql.Literal(PREFILTER_SAMPLE),
            identical=self._identical_in_target(keys, data),
        )
        row = self.connection.execute(stmt).fetchone()
        sampled, identical = (int(row[0]), int(row[1])) if row else (0, 0)
        return sampled >= PREFILTER_SAMPLE // 4 and identical >= PREFILTER_SHARE * sampled

    def _merge_key(self, key: str | Sequence[str]) -> tuple[str, ...]:
        keys = _key_columns(key)
        if unknown := self._target.unknown(keys):
            raise WarehouseLoadError(
                f"key column {unknown[0]!r} does not exist in table {self.target_name}",
                table=self.target_name,
            )
        if not_loaded := [k for k in keys if k not in self.columns]:
            raise WarehouseLoadError(
                f"key column {not_loaded[0]!r} of {self.target_name} is not among the loaded columns",
                table=self.target_name,
            )
        if frozenset(keys) not in self._target.unique_keys:
            raise WarehouseLoadError(
                f"merge key ({', '.join(keys)}) of {self.target_name} has no primary key or unique "
                "index (non-partial, non-deferrable) on exactly these columns",
                table=self.target_name,
            )
        return keys

    def _duplicate_keys_error(self, keys: tuple[str, ...]) -> WarehouseLoadError:
        stmt = sql.SQL(
            "SELECT {shown}, count(*) FROM {stage} GROUP BY {keys} HAVING count(*) > 1 "
            "ORDER BY count(*) DESC, 1 LIMIT 5"
        ).format(
            shown=sql.SQL(" || ', ' || ").join(
                sql.SQL("{} || '=' || coalesce({}::text, 'NULL')").format(sql.Literal(k), sql.Identifier(k))
                for k in keys
            ),
            stage=self.table,
            keys=column_list(keys),
        )
        try:
            examples = self.connection.execute(stmt).fetchall()
        except psycopg.Error:
            examples = []
        shown = "; ".join(f"{k} ({n} rows)" for k, n in examples)
        source = self._source_text()
        return WarehouseLoadError(
            f"{source or 'the staged rows'}: key ({', '.join(keys)}) is not unique, so it cannot be "
            f"merged into {self.target_name}: {shown or 'some keys repeat'}. Deduplicate the source "
            "(or the stage with SQL) first.",
            table=self.target_name,
            source=source,
            sqlstate="21000",
        )

    def _check_partition(self, spec: dict[str, Any], loaded: list[str]) -> None:
        outside = sql.SQL(" OR ").join(
            sql.SQL("{} IS DISTINCT FROM CAST({} AS {})").format(
                self._staged_value(c), sql.Literal(spec[c]), sql.SQL(self._target.columns[c].type)
            )
            for c in loaded
        )
        shown = sql.SQL(" || ', ' || ").join(
            sql.SQL("{} || '=' || coalesce({}::text, 'NULL')").format(sql.Literal(c), sql.Identifier("s", c))
            for c in loaded
        )
        stmt = sql.SQL(
            "SELECT {shown}, count(*) FROM {stage} AS s WHERE {outside} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
        ).format(shown=shown, stage=self.table, outside=outside)
        try:
            bad = self.connection.execute(stmt).fetchall()
        except psycopg.Error as err:
            raise _server_error(
                err, "checking the partition of rows for", self.target_name, self._source_text()
            ) from err
        if bad:
            wanted = ", ".join(f"{c}={v!r}" for c, v in spec.items())
            shown_rows = "; ".join(f"{v} ({n} rows)" for v, n in bad)
            source = self._source_text()
            raise WarehouseLoadError(
                f"{source or 'the staged rows'}: rows outside partition {wanted} of {self.target_name}: "
                f"{shown_rows}. Nothing was replaced.",
                table=self.target_name,
                source=source,
            )

    def _finish(self, mode: str, **counts: int) -> LoadResult:
        self._result = LoadResult(
            table=self.target_name,
            mode=mode,
            rows_read=self.rows_read,
            rejected=self.rejected,
            seconds=round(time.monotonic() - self._started, 3),
            source=self._source_text(),
            **counts,
        )
        return self._result

    def _run(self, stmt: sql.Composable, *, what: str) -> None:
        try:
            self.connection.execute(stmt)
        except psycopg.Error as err:
            raise _server_error(err, what + " for", self.target_name, None) from err


def _server_error(
    err: psycopg.Error, doing: str, table: str, source: str | None, *, named: bool = False
) -> WarehouseLoadError:
    """``"{doing} {table} failed (source S) at line N, column C: message"``; ``named``: ``doing``
    already names the source.
    """
    primary, _, line, column = _diag(err)
    where = f" at line {line}" if line else ""
    if column:
        where += f", column {column}"
    shown = f" (source {source})" if source and not named else ""
    return WarehouseLoadError(
        f"{doing} {table} failed{shown}{where}: {primary}",
        table=table,
        source=source,
        line=line,
        column=column,
        sqlstate=err.sqlstate,
    )


def _copy_csv(
    conn: psycopg.Connection,
    into: sql.Identifier,
    table: str,
    source: Source,
    *,
    columns: Sequence[str] | None,
    default_columns: Sequence[str],
    allowed: Sequence[str],
    required: Iterable[str],
    opts: _CsvOptions,
    aws_conn_id: str,
    duplicate_hint: bool = False,
) -> tuple[int, tuple[str, ...]]:
    """Stream ``source``'s raw bytes into ``COPY into (columns) FROM STDIN``; return the rows copied."""
    name = describe(source)
    cur = conn.cursor()
    try:
        with open_source(source, aws_conn_id=aws_conn_id) as stream:
            chunks = ByteChunks(stream, strip_bom=is_utf8(opts.encoding))
            if columns is None:
                if opts.header is False:
                    columns = tuple(default_columns)
                else:
                    try:
                        columns = check_columns(
                            parse_header(chunks.first_line(), opts.delimiter, opts.quote), "CSV header column"
                        )
                    except InvalidIdentifierError as err:
                        raise WarehouseLoadError(
                            f"{name}: header line cannot name columns of {table}: {err}",
                            table=table,
                            source=name,
                            line=1,
                        ) from err
                    except ValueError as err:
                        raise WarehouseLoadError(f"{name}: {err}", table=table, source=name, line=1) from err
            if unknown := [c for c in columns if c not in allowed]:
                raise WarehouseLoadError(
                    f"{name}: column {unknown[0]!r} does not exist in table {table} "
                    f"(its columns: {', '.join(allowed)})",
                    table=table,
                    source=name,
                )
            if missing := [c for c in required if c not in columns]:
                raise WarehouseLoadError(
                    f"{name}: column {missing[0]!r} of {table} is NOT NULL without a default, "
                    f"but the file does not fill it (file columns: {', '.join(columns)})",
                    table=table,
                    source=name,
                )
            stmt = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(
                into, column_list(columns), opts.copy_options()
            )
            with cur.copy(stmt) as copy:
                for chunk in chunks:  # raw bytes: rows are parsed by the server, not here
                    copy.write(chunk)
    except WarehouseLoadError:
        raise
    except psycopg.Error as err:
        if duplicate_hint and isinstance(err, pg_errors.UniqueViolation):
            primary, _, line, _ = _diag(err)
            raise WarehouseLoadError(
                f"{name}: key repeated in the file, cannot merge into {table}"
                f"{f' (line {line})' if line else ''}: {primary}",
                table=table,
                source=name,
                line=line,
                sqlstate=err.sqlstate,
            ) from err
        raise _server_error(err, f"COPY of {name} into", table, name, named=True) from err
    except Exception as err:  # the source could not be opened or read (psycopg re-raises it after
        # telling the server the COPY failed)
        raise _source_error(err, name, table) from err
    return max(cur.rowcount, 0), tuple(columns)


def _source_error(err: BaseException, name: str, table: str) -> WarehouseLoadError:
    return WarehouseLoadError(
        f"reading {name} for {table} failed: {type(err).__name__}: {err}", table=table, source=name
    )


class WarehouseHook(PostgresHook):
    """The official ``PostgresHook`` (psycopg 3) plus all-or-nothing CSV loads into the warehouse.

    :param postgres_conn_id: the warehouse connection (default ``warehouse_db``).
    :param aws_conn_id: connection used for ``s3://`` sources (official ``S3Hook``).
    :param lock_timeout: seconds a load waits for its table lock before failing (None: forever).
    :param statement_timeout: seconds any one statement of a load may run (None: server default).
    :param work_mem: ``work_mem`` for a merge that skips unchanged rows with a hash anti-join
        (e.g. ``"256MB"``: server memory, for this transaction only; None: server default).

    Every load takes ``SHARE ROW EXCLUSIVE`` on its target for the length of its transaction:
    readers are never blocked, concurrent writers and other loads of the same table wait (so
    counts are exact and ``replace_partition`` cannot interleave with another writer).
    """

    conn_name_attr = "postgres_conn_id"
    default_conn_name = WAREHOUSE_CONN_ID
    #: Listed by ``airflow providers hooks``; connections of type ``postgres`` work the same.
    conn_type = "dataplatform_warehouse"
    hook_name = "Warehouse (Postgres)"

    def __init__(
        self,
        *args: Any,
        aws_conn_id: str = AWS_CONN_ID,
        lock_timeout: float | None = 300.0,
        statement_timeout: float | None = None,
        work_mem: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if work_mem is not None and not _WORK_MEM.fullmatch(work_mem):
            raise ValueError(f"work_mem must look like '64MB' (kB, MB or GB), not {work_mem!r}")
        self.aws_conn_id = aws_conn_id
        self.lock_timeout = lock_timeout
        self.statement_timeout = statement_timeout
        self.work_mem = work_mem

    # ----------------------------------------------------------------------------- public API

    def load_csv(
        self,
        source: Source,
        table: str,
        *,
        mode: Mode,
        key: str | Sequence[str] | None = None,
        partition: Mapping[str, Any] | None = None,
        columns: Sequence[str] | None = None,
        header: bool | Literal["match"] = True,
        delimiter: str = ",",
        null: str = "",
        encoding: str = "utf-8",
        quote: str = '"',
        escape: str | None = None,
    ) -> LoadResult:
        """Load one CSV file (path, ``s3://bucket/key`` or binary file object) into ``table``.

        See the module docstring for the modes. ``columns``: the file's columns in file order
        (default: the header's names, or all target columns when ``header=False``). Raises
        ``ValueError`` (incl. :class:`InvalidIdentifierError`) for bad arguments before any SQL
        runs, and :class:`WarehouseLoadError` for anything that failed during the load, which is
        then rolled back entirely.
        """
        _check_mode_args(mode, key, partition)
        split_table_name(table)
        cols = check_columns(columns) if columns is not None else None
        keys = _key_columns(key) if key is not None else None
        spec = _partition_spec(partition) if partition is not None else None
        opts = _CsvOptions(header, delimiter, null, encoding, quote, escape).check()
        name = describe(source)
        local = isinstance(source, (str, os.PathLike)) and not name.startswith("s3://")
        if local and not Path(name.removeprefix("file://")).is_file():
            raise WarehouseLoadError(f"{name}: no such file (loading {table})", table=table, source=name)

        started = time.monotonic()
        with self.staged(table, columns=cols) as stage:
            if mode == "merge":
                assert keys is not None
                stage._merge_key(keys)  # key errors before any data moves
                if stage._target_is_empty():
                    result = stage._load_direct(source, "merge", cols, opts)
                else:
                    stage.copy_csv(
                        source,
                        columns=cols,
                        header=header,
                        delimiter=delimiter,
                        null=null,
                        encoding=encoding,
                        quote=quote,
                        escape=escape,
                    )
                    result = stage.merge(keys)
            elif mode == "append":
                result = stage._load_direct(source, "append", cols, opts)
            else:
                assert spec is not None
                for column, value in spec.items():
                    if column in stage._staging_types:  # unknown names: replace_partition says so
                        stage._default(column, value)
                stage.copy_csv(
                    source,
                    columns=cols,
                    header=header,
                    delimiter=delimiter,
                    null=null,
                    encoding=encoding,
                    quote=quote,
                    escape=escape,
                )
                result = stage.replace_partition(spec)
        result = replace(result, seconds=round(time.monotonic() - started, 3))
        self.log.info(
            "loaded %s into %s (%s): %d read, %d inserted, %d updated, %d unchanged, %d deleted in %.2fs",
            name,
            result.table,
            mode,
            result.rows_read,
            result.inserted,
            result.updated,
            result.unchanged,
            result.deleted,
            result.seconds,
        )
        return result

    @contextmanager
    def staged(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        raw: bool = False,
        extra_columns: Mapping[str, str | sql.Composable] | None = None,
    ) -> Iterator[Stage]:
        """Open a load transaction on ``table`` and yield its :class:`Stage`.

        ``columns``: the target columns the apply writes (default: the target columns the copies
        filled -- e.g. the CSV header's -- or all of them if nothing was copied; other target
        columns keep their value on update and get their default on insert). ``raw=True`` makes every
        staging column TEXT (values are cast to the target's types on apply, so SQL can inspect
        unparsed values first); otherwise staging is ``(LIKE target INCLUDING DEFAULTS)``.
        ``extra_columns``: staging-only columns (``{"line_no": "bigint"}``), never applied.
        Commits on clean exit; any exception rolls everything back.
        """
        target_ident = table_identifier(table)
        cols = check_columns(columns) if columns is not None else None
        extras = _extra_columns(extra_columns)
        started = time.monotonic()
        conn = self.get_conn()
        try:
            conn.autocommit = False
            target = self._begin(conn, table, target_ident)
            stage = Stage(self, conn, target, columns=cols, raw=raw, extra_columns=extras, started=started)
            yield stage
            conn.commit()
        except psycopg.Error as err:
            _safe_rollback(conn)
            raise _server_error(err, "loading", table, None) from err
        except BaseException:
            _safe_rollback(conn)
            raise
        finally:
            conn.close()

    # ----------------------------------------------------------------------------- internals

    def _begin(self, conn: psycopg.Connection, name: str, ident: sql.Identifier) -> _Target:
        """Transaction settings, the target's catalog entry, and its lock."""
        conn.execute(
            "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
            (_seconds_ms(self.lock_timeout), _seconds_ms(self.statement_timeout)),
        )
        if conn.info.server_version >= 140000:
            # stop server work soon after the client vanished (task killed), releasing the lock
            conn.execute("SELECT set_config('client_connection_check_interval', '10s', true)")
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
            conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(ident))
        except pg_errors.LockNotAvailable as err:
            raise WarehouseLoadError(
                f"could not lock {found} within {self.lock_timeout}s: another transaction is writing it",
                table=found,
                sqlstate=err.sqlstate,
            ) from err
        columns: dict[str, _Column] = {}
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
                columns[attname] = _Column(attname, typ, comparable, required)
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
        return _Target(
            name=found, ident=ident, oid=oid, columns=columns, unique_keys=keys, automatic=tuple(automatic)
        )
