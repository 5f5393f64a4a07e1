"""``TableLoad``: apply the rows of a staging table to a target, once, inside one transaction.

Obtained from :meth:`dataplatform.hooks.warehouse.WarehouseHook.load_into`, which has locked the
target ``SHARE ROW EXCLUSIVE`` and the staging table ``SHARE`` and described both. The staging
table's columns that the target also has are applied (cast where the types differ); its other
columns (``line_no``...) are ignored. Two applies, each a guarded single statement (or two):

* :meth:`TableLoad.merge` -- insert new keys, update changed rows, leave identical rows alone (a
  re-run rewrites nothing); a key repeated in the staging table is an error naming the keys
  (:mod:`dataplatform.warehouse.merge`);
* :meth:`TableLoad.replace_partition` -- delete the target's rows of one partition
  (``{"column": value}``) and insert the staged rows, which must all belong to it (else an error
  naming the offending values, and nothing changes).

Both take ``stamp={"column": value}``: target columns the staging table does not have, written on
every inserted (and, for a merge, updated) row -- the audit columns ``loaded_at`` /
``loaded_by_run``. Any error is a :class:`~dataplatform.warehouse.errors.WarehouseLoadError` and
the caller's transaction rolls back: the target is exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from dataplatform.warehouse import merge as merge_sql
from dataplatform.warehouse.arguments import key_columns, partition_spec, stamp_spec
from dataplatform.warehouse.casts import Casts
from dataplatform.warehouse.catalog import Table
from dataplatform.warehouse.errors import WarehouseLoadError, server_error
from dataplatform.warehouse.result import LoadResult

#: A stamp value: a Python value (a constant of the column's type) or SQL (``sql.SQL("now()")``).
StampValue = sql.Composable | Any


class TableLoad:
    """The rows of ``source`` (a staging table) about to be applied to ``target``.

    Attributes: ``connection`` (the transaction's psycopg connection), ``target`` / ``source``
    (catalog entries), ``columns`` (target columns the apply writes).
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        target: Table,
        source: Table,
        *,
        columns: Sequence[str] | None = None,
    ) -> None:
        if source.oid == target.oid:
            raise WarehouseLoadError(f"staging table {source.name} is the target itself", table=target.name)
        self.connection = conn
        self.target = target
        self.source = source
        self._started = time.monotonic()
        self._applied: LoadResult | None = None
        if columns is None:
            columns = [c for c in source.columns if c in target.columns]
        self.columns: tuple[str, ...] = tuple(columns)
        self._check_columns()
        self._casts = Casts(target, {c: col.type for c, col in source.columns.items()})

    # ----------------------------------------------------------------------------- applies

    def merge(self, key: str | Sequence[str], *, stamp: Mapping[str, StampValue] | None = None) -> LoadResult:
        """Upsert the staged rows on ``key``: new keys inserted, changed rows updated, equal rows left.

        ``stamp`` columns are written on inserted and updated rows but never compared: a row that
        did not change keeps its old stamp, so a re-run reports 0 updated and rewrites nothing.
        """
        keys = self._merge_key(key)
        stamps = self._stamps(stamp)
        self._check_not_applied()
        if self._target_is_empty():  # plain INSERT: same outcome as ON CONFLICT, about twice as fast
            inserted = self._insert(stamps, "merging into", keys=keys)
            return self._finish("merge", rows=inserted, inserted=inserted)
        staged = self._count()
        data = [c for c in self.columns if c not in keys]
        prefilter = merge_sql.mostly_unchanged(
            self.connection, self.target.ident, self.source.ident, keys, data, self._casts, staged
        )
        stmt = merge_sql.upsert(
            self.target.ident,
            self.source.ident,
            self.columns,
            keys,
            self._casts,
            stamp=stamps,
            prefilter=prefilter,
        )
        try:
            with self.connection.transaction():  # a savepoint: the duplicate-key report can still query
                row = self.connection.execute(stmt).fetchone()
        except pg_errors.CardinalityViolation as err:
            raise self._duplicate_keys_error(keys) from err
        except psycopg.Error as err:
            raise server_error(err, "merging into", self.target.name, self.source.name) from err
        inserted, updated = (int(row[0]), int(row[1])) if row else (0, 0)
        return self._finish(
            "merge", rows=staged, inserted=inserted, updated=updated, unchanged=staged - inserted - updated
        )

    def replace_partition(
        self, partition: Mapping[str, Any], *, stamp: Mapping[str, StampValue] | None = None
    ) -> LoadResult:
        """Delete the target's rows of ``partition``, insert the staged rows (all or nothing).

        A partition column the staging table does not have is set to the partition value on every
        inserted row; one it has must hold that value in every staged row (else nothing changes and
        the error names the offending values).
        """
        spec = partition_spec(partition)
        if unknown := self.target.unknown(spec):
            raise WarehouseLoadError(
                f"partition column {unknown[0]!r} does not exist in table {self.target.name}",
                table=self.target.name,
            )
        stamps = self._stamps(stamp)
        if both := [c for c in spec if c in stamps]:
            raise ValueError(f"column {both[0]!r} is both a partition and a stamp column")
        self._check_not_applied()
        if loaded := [c for c in spec if c in self.columns]:
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
                sql.SQL("DELETE FROM {} WHERE {}").format(self.target.ident, where)
            ).rowcount
        except psycopg.Error as err:
            raise server_error(err, "replacing a partition of", self.target.name, self.source.name) from err
        inserted = self._insert({**constants, **stamps}, "replacing a partition of", keys=self.target_key())
        return self._finish("replace_partition", rows=inserted, inserted=inserted, deleted=deleted)

    def target_key(self) -> tuple[str, ...] | None:
        """The target's primary key (or first unique key) among the applied columns, if any."""
        for key in self.target.unique_keys:
            if key <= set(self.columns):
                return tuple(c for c in self.columns if c in key)
        return None

    # ----------------------------------------------------------------------------- internals

    def _check_columns(self) -> None:
        target, source = self.target, self.source
        if not self.columns:
            raise WarehouseLoadError(
                f"{source.name} has no column of {target.name} (its columns: {', '.join(source.columns)})",
                table=target.name,
                source=source.name,
            )
        for where, table in (("target", target), ("staging table", source)):
            if unknown := table.unknown(self.columns):
                raise WarehouseLoadError(
                    f"column {unknown[0]!r} does not exist in the {where} {table.name} "
                    f"(its columns: {', '.join(table.columns)})",
                    table=target.name,
                    source=source.name,
                )

    def _insert(
        self, also: Mapping[str, sql.Composable], doing: str, *, keys: tuple[str, ...] | None = None
    ) -> int:
        """Insert every staged row (plus the ``also`` columns); return the rows inserted."""
        if missing := [c for c in self.target.required if c not in self.columns and c not in also]:
            raise WarehouseLoadError(
                f"column {missing[0]!r} of {self.target.name} is NOT NULL without a default, but "
                f"{self.source.name} does not fill it (applied columns: {', '.join(self.columns)})",
                table=self.target.name,
                source=self.source.name,
            )
        stmt = self._casts.insert(self.target.ident, self.source.ident, self.columns, also)
        try:
            with self.connection.transaction():  # a savepoint: the duplicate-key report can still query
                return self.connection.execute(stmt).rowcount
        except pg_errors.UniqueViolation as err:
            if keys and self._repeated_keys(keys):
                raise self._duplicate_keys_error(keys) from err
            raise server_error(err, doing, self.target.name, self.source.name) from err
        except psycopg.Error as err:
            raise server_error(err, doing, self.target.name, self.source.name) from err

    def _stamps(self, stamp: Mapping[str, StampValue] | None) -> dict[str, sql.Composable]:
        """``stamp`` checked against the target, its values as SQL."""
        spec = stamp_spec(stamp)
        if unknown := self.target.unknown(spec):
            raise WarehouseLoadError(
                f"stamp column {unknown[0]!r} does not exist in table {self.target.name} "
                f"(its columns: {', '.join(self.target.columns)})",
                table=self.target.name,
            )
        if loaded := [c for c in spec if c in self.columns]:
            raise ValueError(
                f"stamp column {loaded[0]!r} is also applied from the staging table; stamp only columns "
                f"it does not have (applied: {', '.join(self.columns)})"
            )
        return {c: v if isinstance(v, sql.Composable) else self._casts.literal(c, v) for c, v in spec.items()}

    def _merge_key(self, key: str | Sequence[str]) -> tuple[str, ...]:
        keys = key_columns(key)
        name = self.target.name
        if unknown := self.target.unknown(keys):
            raise WarehouseLoadError(f"key column {unknown[0]!r} does not exist in table {name}", table=name)
        if not_loaded := [k for k in keys if k not in self.columns]:
            raise WarehouseLoadError(
                f"key column {not_loaded[0]!r} of {name} is not among the applied columns", table=name
            )
        if frozenset(keys) not in self.target.unique_keys:
            raise WarehouseLoadError(
                f"merge key ({', '.join(keys)}) of {name} has no primary key or unique index "
                "(non-partial, non-deferrable) on exactly these columns",
                table=name,
            )
        return keys

    def _count(self) -> int:
        row = self.connection.execute(sql.SQL("SELECT count(*) FROM {}").format(self.source.ident)).fetchone()
        return int(row[0]) if row else 0

    def _target_is_empty(self) -> bool:
        row = self.connection.execute(
            sql.SQL("SELECT NOT EXISTS (SELECT FROM {})").format(self.target.ident)
        ).fetchone()
        return bool(row and row[0])

    def _check_not_applied(self) -> None:
        if self._applied is not None:
            raise RuntimeError(f"the load into {self.target.name} was already applied ({self._applied.mode})")

    def _repeated_keys(self, keys: tuple[str, ...]) -> list[tuple[str, int]]:
        try:
            with self.connection.transaction():
                return merge_sql.repeated_keys(self.connection, self.source.ident, keys)
        except psycopg.Error:
            return []

    def _duplicate_keys_error(self, keys: tuple[str, ...]) -> WarehouseLoadError:
        repeated = self._repeated_keys(keys)
        if repeated:
            shown = "; ".join(f"{k} ({n} rows)" for k, n in repeated)
            problem = f"key ({', '.join(keys)}) repeats in {self.source.name}: {shown}. Deduplicate first."
        else:  # unique in the stage: the conflict is with rows of other partitions
            problem = f"key ({', '.join(keys)}) of some staged rows already exists in {self.target.name}"
        return WarehouseLoadError(
            f"cannot load {self.source.name} into {self.target.name}: {problem}",
            table=self.target.name,
            source=self.source.name,
            sqlstate="23505",
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
        ).format(shown=shown, stage=self.source.ident, outside=outside)
        try:
            bad = self.connection.execute(stmt).fetchall()
        except psycopg.Error as err:
            raise server_error(err, "checking the partition of", self.target.name, self.source.name) from err
        if bad:
            wanted = ", ".join(f"{c}={v!r}" for c, v in spec.items())
            raise WarehouseLoadError(
                f"{self.source.name}: rows outside partition {wanted} of {self.target.name}: "
                + "; ".join(f"{v} ({n} rows)" for v, n in bad)
                + ". Nothing was replaced.",
                table=self.target.name,
                source=self.source.name,
            )

    def _finish(self, mode: str, *, rows: int, **counts: int) -> LoadResult:
        self._applied = LoadResult(
            table=self.target.name,
            mode=mode,
            rows=rows,
            seconds=round(time.monotonic() - self._started, 3),
            source=self.source.name,
            **counts,
        )
        return self._applied
