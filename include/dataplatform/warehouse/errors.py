"""``WarehouseLoadError``, and how a server or source error becomes one.

Every failure during a load is raised as :class:`WarehouseLoadError` after the transaction rolled
back. Its message names what was being done, the table, the source and -- for COPY errors -- the
line and column Postgres reports in the error's context (``COPY stage_p, line 5, column born``).
"""

from __future__ import annotations

import re

import psycopg

_LINE = re.compile(r"\bline (\d+)")
_COLUMN = re.compile(r"\bcolumn (\w+)")


#: SQLSTATE classes and codes a retry can fix: connection problems, lock and statement timeouts,
#: serialization failures and deadlocks, the server shutting down or out of resources. Anything
#: else (bad data, missing tables, constraint violations) fails the same way on every retry.
TRANSIENT_SQLSTATES = ("08", "40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53")


def is_transient_sqlstate(sqlstate: str | None) -> bool:
    """Whether an error with this SQLSTATE is worth retrying (None: not a server error: no)."""
    return bool(sqlstate) and any(sqlstate.startswith(code) for code in TRANSIENT_SQLSTATES)


def is_transient(err: BaseException) -> bool:
    """Whether retrying could fix ``err``: transient server errors and lost connections."""
    if isinstance(err, WarehouseLoadError):
        return err.transient
    if isinstance(err, psycopg.OperationalError) and getattr(err, "sqlstate", None) is None:
        return True  # the connection itself failed (refused, reset, server gone)
    if isinstance(err, psycopg.Error):
        return is_transient_sqlstate(err.sqlstate)
    return isinstance(err, (ConnectionError, TimeoutError))


class WarehouseLoadError(RuntimeError):
    """A load failed and was rolled back. The message names what was being done and the table;
    ``transient`` says whether a retry could fix it (see :data:`TRANSIENT_SQLSTATES`).
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
        self.transient = is_transient_sqlstate(sqlstate)
        self.table = table
        self.source = source
        self.line = line
        self.column = column
        self.sqlstate = sqlstate


def diag(err: psycopg.Error) -> tuple[str, str | None, int | None, str | None]:
    """(primary message + detail, context, line, column) of a server error."""
    info = err.diag
    primary = (info.message_primary or str(err)).strip()
    if info.message_detail:
        primary = f"{primary} ({info.message_detail.strip()})"
    context = info.context
    line = column = None
    if context and context.startswith("COPY "):
        first = context.splitlines()[0]
        if m := _LINE.search(first):
            line = int(m.group(1))
        if m := _COLUMN.search(first):
            column = m.group(1)
    return primary, context, line, column


def server_error(
    err: psycopg.Error, doing: str, table: str, source: str | None, *, named: bool = False
) -> WarehouseLoadError:
    """``"{doing} {table} failed (source S) at line N, column C: message"``; ``named``: ``doing``
    already names the source.
    """
    primary, _, line, column = diag(err)
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
