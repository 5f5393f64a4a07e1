"""``Stage``: a load's staging table, and the applies that move its rows into the target.

A stage lives inside the load's transaction. By default it is a temporary table (``ON COMMIT
DROP``) typed like the target (``LIKE target INCLUDING DEFAULTS``) or all TEXT (``raw=True``:
values are cast to the target's types on apply, so SQL can inspect unparsed values first), filled
by COPY (:meth:`Stage.copy_csv`, :meth:`Stage.copy_rows`). Or it is an existing table
(``source_table=``) that an earlier step already filled: it is read in place, nothing is copied
(copying 1M rows into a temporary table measured 0.6-0.8 s, a third of a merge into an empty
target), and it is left as it is.

Rows are checked or fixed with SQL (:meth:`Stage.execute`, :meth:`Stage.reject_where`), then
applied once:

* :meth:`Stage.merge` -- insert new keys, update changed rows, leave identical rows alone
  (:mod:`dataplatform.warehouse.merge`);
* :meth:`Stage.replace_partition` -- delete the target rows of one partition (``{"col": value}``)
  and insert the staged rows, which must all belong to that partition (else an error naming the
  values);
* :meth:`Stage.append` -- insert every row.

Every apply takes ``stamp={"column": value}``: target columns the stage does not load, written on
each inserted (and, for a merge, updated) row -- audit columns like ``loaded_at`` / ``loaded_by``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from dataplatform.hooks.csv_source import Source, describe
from dataplatform.hooks.identifiers import check_columns, column_list
from dataplatform.warehouse import merge as merge_sql
from dataplatform.warehouse.arguments import key_columns, partition_spec, stamp_spec
from dataplatform.warehouse.casts import Casts
from dataplatform.warehouse.catalog import Table
from dataplatform.warehouse.csv_copy import CsvOptions, copy_csv
from dataplatform.warehouse.errors import WarehouseLoadError, server_error
from dataplatform.warehouse.result import LoadResult

#: A stamp value: a Python value (a constant of the column's type) or SQL (``sql.SQL("now()")``).
StampValue = sql.Composable | Any


class Stage:
    """The staging table of one load into one target, inside the load's transaction.

    Obtained from :meth:`WarehouseHook.staged`. Fill it (:meth:`copy_csv`, :meth:`copy_rows`),
    check or fix rows with SQL (:meth:`execute`, :meth:`reject_where`, composing with
    :attr:`table`), then apply it once (:meth:`merge`, :meth:`replace_partition`, :meth:`append`).
    The transaction commits when the ``with`` block exits cleanly and rolls back otherwise; a
    temporary staging table is dropped at commit.

    A stage over an existing table (``staged(..., source_table=...)``) reads that table in place:
    it cannot be filled and :meth:`reject_where` is refused (it would delete the caller's rows);
    :meth:`execute` still runs whatever SQL the caller composes.

    Attributes: ``table`` (the staging table, ``sql.Identifier``), ``target`` (the target table,
    ``sql.Identifier``), ``target_name``, ``source_table`` (the existing table read as the stage,
    else None), ``columns`` (target columns the apply writes), ``staging_columns`` (all columns of
    the staging table), ``rows_read``, ``rejected`` (settable), ``connection`` (the transaction's
    psycopg connection).
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        target: Table,
        *,
        columns: tuple[str, ...] | None,
        raw: bool = False,
        extra_columns: Mapping[str, sql.Composable] | None = None,
        source: Table | None = None,
        started: float,
        aws_conn_id: str,
        work_mem: str | None = None,
    ) -> None:
        self._aws_conn_id = aws_conn_id
        self._work_mem = work_mem
        self._target = target
        self._started = started
        self.connection = conn
        self.target = target.ident
        self.target_name = target.name
        self.raw = raw
        self.rows_read = 0
        self.rejected = 0
        self.sources: list[str] = []
        self._result: LoadResult | None = None
        self._columns_given = columns is not None
        self._filled = False  # a copy has set self.columns (when staged() was not given columns)
        if columns is not None and (unknown := target.unknown(columns)):
            raise WarehouseLoadError(
                f"column {unknown[0]!r} does not exist in table {target.name} "
                f"(its columns: {', '.join(target.columns)})",
                table=target.name,
            )
        self.source_table = source.name if source is not None else None
        if source is not None:
            self._read_in_place(source, columns)
        else:
            self._create(columns or tuple(target.columns), raw, dict(extra_columns or {}))
        self._casts = Casts(target, self._staging_types)

    def _create(self, columns: tuple[str, ...], raw: bool, extra_columns: dict[str, sql.Composable]) -> None:
        """Create the temporary staging table."""
        target = self._target
        clash = [c for c in extra_columns if c in target.columns]
        if clash:
            raise ValueError(f"staging column {clash[0]!r} is also a column of {target.name}")
        self.columns: tuple[str, ...] = columns
        name = f"stage_{target.name.split('.')[-1]}"[:63]
        self.table = sql.Identifier("pg_temp", name)
        # staging column -> its type (cast on apply where it differs from the target's)
        self._staging_types: dict[str, str]
        if raw:
            self._staging_types = dict.fromkeys(columns, "text")
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
        self._staged: int | None = 0  # rows in staging, None once SQL may have changed them

    def _read_in_place(self, source: Table, columns: tuple[str, ...] | None) -> None:
        """Use the existing table ``source`` as the stage: its columns the target has are applied."""
        target = self._target
        self.table = source.ident
        self._staging_types = {c: col.type for c, col in source.columns.items()}
        self.staging_columns = tuple(source.columns)
        if columns is None:
            columns = tuple(c for c in source.columns if c in target.columns)
            if not columns:
                raise WarehouseLoadError(
                    f"{source.name} has no column of {target.name} (its columns: "
                    f"{', '.join(source.columns)}; {target.name}'s: {', '.join(target.columns)})",
                    table=target.name,
                    source=source.name,
                )
        elif unknown := source.unknown(columns):
            raise WarehouseLoadError(
                f"column {unknown[0]!r} does not exist in {source.name} "
                f"(its columns: {', '.join(source.columns)})",
                table=target.name,
                source=source.name,
            )
        if missing := [c for c in target.required if c not in columns]:
            raise WarehouseLoadError(
                f"column {missing[0]!r} of {target.name} is NOT NULL without a default, "
                f"but {source.name} does not fill it (applied columns: {', '.join(columns)})",
                table=target.name,
                source=source.name,
            )
        self.columns = columns
        self._required = set()
        self._staged = None
        self.sources.append(source.name)

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
        opts = CsvOptions(header, delimiter, null, encoding, quote, escape).check()
        cols = self._copy_columns(columns) if columns is not None else None
        self._check_open()
        self._check_fillable("copy_csv")
        n, copied = copy_csv(
            self.connection,
            self.table,
            self.target_name,
            source,
            columns=cols,
            default_columns=self.columns,
            allowed=self.staging_columns,
            required=self._required,
            opts=opts,
            aws_conn_id=self._aws_conn_id,
        )
        self._add_rows(n, describe(source), copied)
        return n

    def copy_rows(self, rows: Iterable[Sequence[Any]], *, columns: Sequence[str] | None = None) -> int:
        """COPY Python rows (tuples in ``columns`` order, default :attr:`columns`) into staging."""
        cols = self._copy_columns(columns) if columns is not None else self.columns
        self._check_open()
        self._check_fillable("copy_rows")
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(self.table, column_list(cols))
        cur = self.connection.cursor()
        try:
            with cur.copy(stmt) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as err:
            raise server_error(
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
            raise server_error(
                err, f"staged SQL ({text[:300]}) on", self.target_name, self._source_text()
            ) from err
        self._staged = None
        return cur

    def reject_where(self, condition: str | sql.Composable, params: Any = None) -> int:
        """Delete the staged rows matching ``condition`` and count them as rejected."""
        self._check_fillable("reject_where")
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

    def merge(self, key: str | Sequence[str], *, stamp: Mapping[str, StampValue] | None = None) -> LoadResult:
        """Upsert staged rows on ``key``: insert new keys, update changed rows, leave equal rows alone.

        ``stamp``: target columns written on every inserted or updated row but never compared, e.g.
        ``{"loaded_at": sql.SQL("now()"), "loaded_by_run": run_id}``; a row that did not change
        keeps its old stamp, so a re-run reports 0 updated and rewrites nothing. Values are SQL
        (``psycopg.sql.Composable``, evaluated per row; ``now()`` is the transaction's start) or
        Python constants (cast to the column's type).

        A key present twice in the staged rows is an error (Postgres cannot apply two rows to one
        target row in one statement, and which one should win is for the caller to decide:
        deduplicate with :meth:`execute` first if the source may repeat keys).
        """
        keys = self._merge_key(key)
        stamps = self._stamps(stamp)
        self._check_open()
        if self._target_is_empty():  # plain INSERT: same outcome as ON CONFLICT, about twice as fast
            inserted = self._insert(stamps, "merging into", keys=keys)
            self._read(inserted)
            return self._finish("merge", inserted=inserted)
        staged = self.count()
        data = [c for c in self.columns if c not in keys]
        prefilter = merge_sql.mostly_unchanged(
            self.connection, self.target, self.table, keys, data, self._casts, staged
        )
        if prefilter and self._work_mem:
            self.connection.execute("SELECT set_config('work_mem', %s, true)", (self._work_mem,))
        stmt = merge_sql.upsert(
            self.target, self.table, self.columns, keys, self._casts, stamp=stamps, prefilter=prefilter
        )
        try:
            with self.connection.transaction():  # a savepoint: the staging table survives an error
                row = self.connection.execute(stmt).fetchone()
        except pg_errors.CardinalityViolation as err:
            raise self._duplicate_keys_error(keys) from err
        except psycopg.Error as err:
            raise server_error(err, "merging into", self.target_name, self._source_text()) from err
        inserted, updated = (int(row[0]), int(row[1])) if row else (0, 0)
        self._read(staged)
        return self._finish(
            "merge", inserted=inserted, updated=updated, unchanged=staged - inserted - updated
        )

    def replace_partition(
        self, partition: Mapping[str, Any], *, stamp: Mapping[str, StampValue] | None = None
    ) -> LoadResult:
        """Delete the target's rows of ``partition`` (``{"col": value, ...}``), insert the staged rows.

        Every staged row must be in the partition (else nothing changes and the error names the
        offending values). A partition column that is not loaded is set to the partition value.
        ``stamp``: more target columns written on every inserted row (see :meth:`merge`).
        """
        spec = partition_spec(partition)
        if unknown := self._target.unknown(spec):
            raise WarehouseLoadError(
                f"partition column {unknown[0]!r} does not exist in table {self.target_name}",
                table=self.target_name,
            )
        stamps = self._stamps(stamp)
        if both := [c for c in spec if c in stamps]:
            raise ValueError(f"column {both[0]!r} is both a partition and a stamp column")
        self._check_open()
        loaded = [c for c in spec if c in self.columns]
        if loaded:
            self._check_partition(spec, loaded)
        where = sql.SQL(" AND ").join(
            sql.SQL("{} IS NULL").format(sql.Identifier(c))
            if v is None
            else sql.SQL("{} = {}").format(sql.Identifier(c), self._casts.literal(c, v))
            for c, v in spec.items()
        )
        constants = {c: self._casts.literal(c, spec[c]) for c in spec if c not in self.columns}
        try:
            deleted = self.connection.execute(
                sql.SQL("DELETE FROM {} WHERE {}").format(self.target, where)
            ).rowcount
        except psycopg.Error as err:
            raise server_error(
                err, "replacing a partition of", self.target_name, self._source_text()
            ) from err
        inserted = self._insert({**constants, **stamps}, "replacing a partition of")
        self._read(inserted)
        return self._finish("replace_partition", inserted=inserted, deleted=deleted)

    def append(self, *, stamp: Mapping[str, StampValue] | None = None) -> LoadResult:
        """Insert every staged row into the target (``stamp``: see :meth:`merge`)."""
        stamps = self._stamps(stamp)
        self._check_open()
        inserted = self._insert(stamps, "appending to")
        self._read(inserted)
        return self._finish("append", inserted=inserted)

    @property
    def result(self) -> LoadResult | None:
        """The apply's result, once applied."""
        return self._result

    # ----------------------------------------------------------------------------- internals

    def _load_direct(
        self, source: Source, mode: str, columns: Sequence[str] | None, opts: CsvOptions
    ) -> LoadResult:
        """COPY straight into the target (append, or merge into an empty target): same outcome as
        staging + apply, one pass less. A key repeated in the file fails on the unique index.
        """
        self._check_open()
        n, _ = copy_csv(
            self.connection,
            self.target,
            self.target_name,
            source,
            columns=columns,
            default_columns=self.columns,
            allowed=tuple(self._target.columns),
            required=self._target.required,
            opts=opts,
            aws_conn_id=self._aws_conn_id,
            duplicate_hint=mode == "merge",
        )
        self.rows_read += n
        self.sources.append(describe(source))
        self._staged = 0
        return self._finish(mode, inserted=n)

    def _insert(
        self, also: Mapping[str, sql.Composable], doing: str, *, keys: tuple[str, ...] | None = None
    ) -> int:
        """Insert every staged row (plus the ``also`` columns); return the rows inserted.

        ``keys``: a unique violation on the stage's repeated keys is reported as such.
        """
        stmt = self._casts.insert(self.target, self.table, self.columns, also)
        try:
            with self.connection.transaction():  # a savepoint: the stage can be inspected after an error
                return self.connection.execute(stmt).rowcount
        except pg_errors.UniqueViolation as err:
            if keys and self._repeated_keys(keys):
                raise self._duplicate_keys_error(keys) from err
            raise server_error(err, doing, self.target_name, self._source_text()) from err
        except psycopg.Error as err:
            raise server_error(err, doing, self.target_name, self._source_text()) from err

    def _stamps(self, stamp: Mapping[str, StampValue] | None) -> dict[str, sql.Composable]:
        """``stamp`` checked against the target, its values as SQL."""
        spec = stamp_spec(stamp)
        if unknown := self._target.unknown(spec):
            raise WarehouseLoadError(
                f"stamp column {unknown[0]!r} does not exist in table {self.target_name} "
                f"(its columns: {', '.join(self._target.columns)})",
                table=self.target_name,
            )
        if loaded := [c for c in spec if c in self.columns]:
            raise ValueError(
                f"stamp column {loaded[0]!r} is also loaded from the stage; stamp only columns the "
                f"stage does not write (loaded: {', '.join(self.columns)})"
            )
        return {c: v if isinstance(v, sql.Composable) else self._casts.literal(c, v) for c, v in spec.items()}

    def _read(self, staged: int) -> None:
        """A stage over an existing table: its rows are read when applied."""
        if self.source_table is not None:
            self.rows_read = staged + self.rejected

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

    def _check_fillable(self, method: str) -> None:
        if self.source_table is not None:
            raise RuntimeError(
                f"{method}() is not available: the stage of {self.target_name} is the existing table "
                f"{self.source_table} (source_table=), read as it is"
            )

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

    def _merge_key(self, key: str | Sequence[str]) -> tuple[str, ...]:
        keys = key_columns(key)
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

    def _repeated_keys(self, keys: tuple[str, ...]) -> list[tuple[str, int]]:
        try:
            with self.connection.transaction():
                return merge_sql.repeated_keys(self.connection, self.table, keys)
        except psycopg.Error:
            return []

    def _duplicate_keys_error(self, keys: tuple[str, ...]) -> WarehouseLoadError:
        shown = "; ".join(f"{k} ({n} rows)" for k, n in self._repeated_keys(keys))
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
            sql.SQL("{} IS DISTINCT FROM {}").format(self._casts.value(c), self._casts.literal(c, spec[c]))
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
            raise server_error(
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
            raise server_error(err, what + " for", self.target_name, None) from err
