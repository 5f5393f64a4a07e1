"""WarehouseHook: load CSV files into warehouse tables with COPY, all or nothing.

A load streams the file's raw bytes (local path, ``s3://`` via the official ``S3Hook``, or a
binary file object) through ``COPY ... FROM STDIN`` into a temporary staging table, then applies
it to the target in the same transaction (:mod:`dataplatform.warehouse.csv_copy`,
:mod:`dataplatform.warehouse.stage`). Rows are never parsed in Python, so client memory is flat
whatever the file size.

* ``merge`` -- insert new keys, update changed rows, leave identical rows alone (a re-run
  rewrites nothing). A key repeated within the staged rows is an error naming the key values.
* ``replace_partition`` -- delete the target rows of one partition (``{"col": value}``) and insert
  the staged rows, which must all belong to that partition (else an error naming the values).
* ``append`` -- insert every row.

Shortcuts give the same result with less work (measured in ``bench/warehouse_load.py``, details
in :mod:`dataplatform.warehouse.merge`): ``append``, and ``merge`` into an empty target, COPY
straight into the target (one pass instead of two; a repeated key then fails on the unique index,
naming the line); a ``merge`` whose sampled staged rows are mostly identical to the target first
drops those rows with one hash anti-join, instead of letting ``ON CONFLICT`` probe and lock each
of them.

Each load takes ``SHARE ROW EXCLUSIVE`` on the target (readers never wait; other writers and
loads of the table do), so counts are exact (:mod:`dataplatform.warehouse.catalog`). Any error
rolls the whole transaction back: the target is exactly as it was. Names are validated
(:mod:`dataplatform.hooks.identifiers`), quoted with ``psycopg.sql.Identifier`` and checked
against the catalog before any data moves.

For flows that validate or transform rows in SQL before applying them, :meth:`WarehouseHook.staged`
yields the :class:`~dataplatform.warehouse.stage.Stage` that ``load_csv`` itself uses::

    with WarehouseHook().staged("public.patients", raw=True) as stage:  # all-TEXT staging
        stage.copy_csv("s3://landing/patients.csv")
        stage.reject_where(sql.SQL("birth_date !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"))
        result = stage.merge("patient_id")  # values cast to the target's types; commits on exit

Rows an earlier step already put in a table are merged from it in place, with audit columns that
only new and changed rows get (a re-run rewrites nothing)::

    with WarehouseHook().staged("public.patients", source_table="staging.patients_final") as stage:
        result = stage.merge("patient_id", stamp={"loaded_at": sql.SQL("now()"), "loaded_by_run": run_id})

``LoadResult``, ``Stage`` and ``WarehouseLoadError`` are importable from here too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import psycopg
from airflow.providers.postgres.hooks.postgres import PostgresHook
from psycopg import sql

from dataplatform.conn_ids import AWS_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.hooks.csv_source import Source, describe
from dataplatform.hooks.identifiers import check_columns, split_table_name, table_identifier
from dataplatform.warehouse.arguments import (
    Mode,
    check_mode_args,
    check_work_mem,
    extra_column_types,
    key_columns,
    partition_spec,
)
from dataplatform.warehouse.catalog import begin_load, lock_source
from dataplatform.warehouse.csv_copy import CsvOptions
from dataplatform.warehouse.errors import WarehouseLoadError, server_error
from dataplatform.warehouse.result import LoadResult
from dataplatform.warehouse.stage import Stage

__all__ = ["LoadResult", "Mode", "Stage", "WarehouseHook", "WarehouseLoadError"]


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
        check_work_mem(work_mem)
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
        check_mode_args(mode, key, partition)
        split_table_name(table)
        cols = check_columns(columns) if columns is not None else None
        keys = key_columns(key) if key is not None else None
        spec = partition_spec(partition) if partition is not None else None
        opts = CsvOptions(header, delimiter, null, encoding, quote, escape).check()
        name = describe(source)
        local = isinstance(source, (str, os.PathLike)) and not name.startswith("s3://")
        if local and not Path(name.removeprefix("file://")).is_file():
            raise WarehouseLoadError(f"{name}: no such file (loading {table})", table=table, source=name)

        csv_format: dict[str, Any] = {
            "header": header,
            "delimiter": delimiter,
            "null": null,
            "encoding": encoding,
            "quote": quote,
            "escape": escape,
        }
        started = time.monotonic()
        with self.staged(table, columns=cols) as stage:
            if mode == "merge":
                assert keys is not None
                stage._merge_key(keys)  # key errors before any data moves
                if stage._target_is_empty():
                    result = stage._load_direct(source, "merge", cols, opts)
                else:
                    stage.copy_csv(source, columns=cols, **csv_format)
                    result = stage.merge(keys)
            elif mode == "append":
                result = stage._load_direct(source, "append", cols, opts)
            else:
                assert spec is not None
                for column, value in spec.items():
                    if column in stage._staging_types:  # unknown names: replace_partition says so
                        stage._default(column, value)
                stage.copy_csv(source, columns=cols, **csv_format)
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
        source_table: str | None = None,
    ) -> Iterator[Stage]:
        """Open a load transaction on ``table`` and yield its :class:`Stage`.

        ``columns``: the target columns the apply writes (default: the target columns the copies
        filled -- e.g. the CSV header's -- or all of them if nothing was copied; other target
        columns keep their value on update and get their default on insert). ``raw=True`` makes every
        staging column TEXT (values are cast to the target's types on apply, so SQL can inspect
        unparsed values first); otherwise staging is ``(LIKE target INCLUDING DEFAULTS)``.
        ``extra_columns``: staging-only columns (``{"line_no": "bigint"}``), never applied.

        ``source_table``: an existing table (``schema.table``) to use as the stage instead of a
        temporary one, for rows an earlier step already staged: nothing is copied, the applies read
        it in place. Its columns that ``table`` also has are applied (default ``columns``; cast
        where the types differ), the others are ignored. It is locked ``SHARE`` until the end of
        the load (nobody changes it meanwhile) and left as it is (the caller drops it); it cannot
        be filled, nor combined with ``raw`` or ``extra_columns``.

        Commits on clean exit; any exception rolls everything back.
        """
        target_ident = table_identifier(table)
        cols = check_columns(columns) if columns is not None else None
        extras = extra_column_types(extra_columns)
        source_ident = table_identifier(source_table) if source_table is not None else None
        if source_table is not None and (raw or extras):
            raise ValueError("source_table= reads an existing table: it takes no raw= or extra_columns=")
        started = time.monotonic()
        conn = self.get_conn()
        try:
            conn.autocommit = False
            target = begin_load(
                conn,
                table,
                target_ident,
                lock_timeout=self.lock_timeout,
                statement_timeout=self.statement_timeout,
            )
            source = None
            if source_ident is not None:
                source = lock_source(conn, source_table, source_ident, lock_timeout=self.lock_timeout)
                if source.oid == target.oid:
                    raise WarehouseLoadError(
                        f"source_table {source.name} is the target table itself", table=target.name
                    )
            stage = Stage(
                conn,
                target,
                columns=cols,
                raw=raw,
                extra_columns=extras,
                source=source,
                started=started,
                aws_conn_id=self.aws_conn_id,
                work_mem=self.work_mem,
            )
            yield stage
            conn.commit()
        except psycopg.Error as err:
            _safe_rollback(conn)
            raise server_error(err, "loading", table, source_table) from err
        except BaseException:
            _safe_rollback(conn)
            raise
        finally:
            conn.close()


def _safe_rollback(conn: psycopg.Connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg.Error:  # a broken connection: the server rolls back when it goes away
        pass
