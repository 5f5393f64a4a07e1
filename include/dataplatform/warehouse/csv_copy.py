"""Stream a CSV source's raw bytes into ``COPY table (columns) FROM STDIN``.

The source (local path, ``s3://`` via the official ``S3Hook``, or a binary file object, see
:mod:`dataplatform.hooks.csv_source`) is read 1 MiB at a time and written to COPY as it is: rows
are parsed by the server, never in Python, so client memory is flat whatever the file size. The
file's columns come from its header line (any order loads right) unless given; they are checked
against the table before any data moves. COPY errors name the source line Postgres reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from dataplatform.hooks.csv_source import ByteChunks, Source, describe, is_utf8, open_source, parse_header
from dataplatform.hooks.identifiers import InvalidIdentifierError, check_columns, column_list
from dataplatform.warehouse.errors import WarehouseLoadError, diag, server_error, source_error


@dataclass(frozen=True)
class CsvOptions:
    """The CSV dialect, checked (:meth:`check`) before it becomes COPY options."""

    header: bool | Literal["match"]
    delimiter: str
    null: str
    encoding: str
    quote: str
    escape: str | None

    def check(self) -> CsvOptions:
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


def copy_csv(
    conn: psycopg.Connection,
    into: sql.Identifier,
    table: str,
    source: Source,
    *,
    columns: Sequence[str] | None,
    default_columns: Sequence[str],
    allowed: Sequence[str],
    required: Iterable[str],
    opts: CsvOptions,
    aws_conn_id: str,
    duplicate_hint: bool = False,
) -> tuple[int, tuple[str, ...]]:
    """Stream ``source``'s raw bytes into ``COPY into (columns) FROM STDIN``; return the rows copied
    and the columns they filled.

    ``columns``: the file's columns (None: the header's, or ``default_columns`` without a header);
    each must be in ``allowed`` and every ``required`` column among them. ``table`` names the
    target in messages. ``duplicate_hint``: a unique violation means a key repeated in the file.
    """
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
            primary, _, line, _ = diag(err)
            raise WarehouseLoadError(
                f"{name}: key repeated in the file, cannot merge into {table}"
                f"{f' (line {line})' if line else ''}: {primary}",
                table=table,
                source=name,
                line=line,
                sqlstate=err.sqlstate,
            ) from err
        raise server_error(err, f"COPY of {name} into", table, name, named=True) from err
    except Exception as err:  # the source could not be opened or read (psycopg re-raises it after
        # telling the server the COPY failed)
        raise source_error(err, name, table) from err
    return max(cur.rowcount, 0), tuple(columns)
