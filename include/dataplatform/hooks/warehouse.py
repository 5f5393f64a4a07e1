"""``WarehouseHook``: the one way loading code talks to the warehouse.

It owns the connection (the official ``PostgresHook``, psycopg 3), the transaction, the session
settings every step runs with (``lock_timeout``, ``statement_timeout``, ``work_mem``:
:mod:`dataplatform.warehouse.settings`), identifier checking and quoting
(:mod:`dataplatform.warehouse.identifiers`), and the two ways rows reach a target:

* :meth:`WarehouseHook.copy_csv` streams CSV bytes into a table with ``COPY ... FROM STDIN`` (the
  loading stack's staging tables), never holding the data in memory;
* :meth:`WarehouseHook.load_into` locks a target and a staging table and yields a
  :class:`~dataplatform.warehouse.apply.TableLoad` whose ``merge`` / ``replace_partition`` apply
  the staged rows, in the same transaction as anything else the caller does with
  ``load.connection`` (its load record, for one)::

    hook = WarehouseHook()
    with hook.load_into("public.patients", source_table="staging.patients_rows__x") as load:
        result = load.merge("patient_id", stamp={"loaded_at": sql.SQL("now()"), "loaded_by_run": run_id})

Every failure is a :class:`WarehouseLoadError` after the transaction rolled back; its
``transient`` attribute says whether a retry could fix it (a lock timeout: yes; a duplicate key:
no). Names are validated before any SQL runs and always quoted, never formatted into SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from airflow.providers.postgres.hooks.postgres import PostgresHook
from psycopg import sql

from dataplatform.conn_ids import WAREHOUSE_CONN_ID
from dataplatform.warehouse.apply import TableLoad
from dataplatform.warehouse.catalog import lock_source, lock_target
from dataplatform.warehouse.errors import WarehouseLoadError, server_error
from dataplatform.warehouse.identifiers import check_columns, column_list, table_identifier
from dataplatform.warehouse.result import LoadResult
from dataplatform.warehouse.settings import SessionSettings

__all__ = ["LoadResult", "TableLoad", "WarehouseHook", "WarehouseLoadError"]


class WarehouseHook(PostgresHook):
    """The official ``PostgresHook`` plus transactions with the platform's session settings.

    :param postgres_conn_id: the warehouse connection (default ``warehouse_db``).
    :param lock_timeout: seconds a statement waits for a lock before failing (None: forever).
    :param statement_timeout: seconds any one statement may run (None: no limit).
    :param work_mem: server memory per sort or hash of the transaction, e.g. ``"64MB"``.
    """

    conn_name_attr = "postgres_conn_id"
    default_conn_name = WAREHOUSE_CONN_ID
    #: Listed by ``airflow providers hooks``; connections of type ``postgres`` work the same.
    conn_type = "dataplatform_warehouse"
    hook_name = "Warehouse (Postgres)"

    def __init__(
        self,
        *args: Any,
        lock_timeout: float | None = 300.0,
        statement_timeout: float | None = None,
        work_mem: str | None = "64MB",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("postgres_conn_id", WAREHOUSE_CONN_ID)
        super().__init__(*args, **kwargs)
        self.settings = SessionSettings(lock_timeout, statement_timeout, work_mem)

    @contextmanager
    def transaction(self, *, snapshot: bool = False) -> Iterator[psycopg.Connection]:
        """A new connection in one transaction with the session settings; commits on a clean exit.

        ``snapshot``: REPEATABLE READ, so every query sees the database as of the first one (a
        report's checks and figures read the same rows). Any exception rolls everything back (server errors are raised as
        :class:`WarehouseLoadError`); the connection is closed either way.
        """
        conn = self.get_conn()
        try:
            conn.autocommit = False
            if snapshot:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self.settings.apply(conn)
            yield conn
            conn.commit()
        except psycopg.Error as err:
            _safe_rollback(conn)
            raise server_error(err, "a warehouse transaction on", self.postgres_conn_id, None) from err
        except BaseException:
            _safe_rollback(conn)
            raise
        finally:
            conn.close()

    def copy_csv(
        self,
        conn: psycopg.Connection,
        table: str,
        columns: Sequence[str],
        chunks: Iterable[bytes],
        *,
        freeze: bool = False,
    ) -> int:
        """Stream CSV ``chunks`` (no header; empty unquoted = NULL) into ``table`` (``columns`` in
        order) with ``COPY FROM STDIN`` in ``conn``'s transaction; return the rows copied.

        ``freeze``: write the rows frozen (the table must have been created in this transaction):
        later readers need not set hint bits on every page, which costs a first full scan of
        1M fresh rows ~0.2 s.
        """
        cols = check_columns(columns)
        options = sql.SQL("FORMAT csv, FREEZE") if freeze else sql.SQL("FORMAT csv")
        stmt = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(
            table_identifier(table), column_list(cols), options
        )
        cur = conn.cursor()
        try:
            with cur.copy(stmt) as copy:
                for chunk in chunks:
                    copy.write(chunk)
        except psycopg.Error as err:
            raise server_error(err, "copying rows into", table, None) from err
        return max(cur.rowcount, 0)

    @contextmanager
    def load_into(
        self, target: str, *, source_table: str, columns: Sequence[str] | None = None
    ) -> Iterator[TableLoad]:
        """Lock ``target`` and ``source_table``, describe both, yield the :class:`TableLoad`.

        ``columns``: the target columns to apply (default: every column both tables have). The
        transaction commits when the block exits cleanly, with whatever else the caller did on
        ``load.connection``.
        """
        cols = check_columns(columns) if columns is not None else None
        table_identifier(target), table_identifier(source_table)  # bad names fail before connecting
        with self.transaction() as conn:
            lock_timeout = self.settings.lock_timeout
            target_table = lock_target(conn, target, lock_timeout=lock_timeout)
            source = lock_source(conn, source_table, lock_timeout=lock_timeout)
            yield TableLoad(conn, target_table, source, columns=cols)


def _safe_rollback(conn: psycopg.Connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg.Error:  # a broken connection: the server rolls back when it goes away
        pass
