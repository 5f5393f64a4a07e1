"""Table and column names from callers: validated first, then quoted with ``psycopg.sql.Identifier``.

Only plain names are accepted (``^[A-Za-z_][A-Za-z0-9_$]*$``, at most 63 characters, Postgres's
``NAMEDATALEN - 1``), so a name can never carry SQL, quotes or a second statement; it is then
quoted anyway and never formatted into a SQL string. Quoting keeps the case: ``Patients`` names
the table ``"Patients"``, not ``patients`` (write names as the catalog spells them).

No Airflow import here, and psycopg only when a name is quoted: contracts use the checks at DAG
parse time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg import sql

IDENTIFIER_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
#: Postgres truncates longer names silently (NAMEDATALEN - 1); we refuse them instead.
MAX_IDENTIFIER_LENGTH = 63


class InvalidIdentifierError(ValueError):
    """A table or column name that is not a plain SQL identifier; raised before any SQL runs."""


def check_identifier(name: object, what: str = "identifier") -> str:
    """Return ``name`` if it is a plain identifier, else raise :class:`InvalidIdentifierError`.

    ``what`` names the role in the message (``"column"``, ``"table"``...).
    """
    if not isinstance(name, str):
        raise InvalidIdentifierError(f"{what} name must be a string, got {type(name).__name__}: {name!r}")
    if not name:
        raise InvalidIdentifierError(f"{what} name is empty")
    if len(name) > MAX_IDENTIFIER_LENGTH:
        raise InvalidIdentifierError(
            f"{what} name {name[:20]!r}... is {len(name)} characters long; "
            f"Postgres identifiers have at most {MAX_IDENTIFIER_LENGTH}"
        )
    if not IDENTIFIER_PATTERN.fullmatch(name):
        raise InvalidIdentifierError(
            f"{what} name {name!r} is not a plain identifier "
            "(letters, digits, '_' and '$', not starting with a digit)"
        )
    return name


def split_table_name(name: object) -> tuple[str | None, str]:
    """``"schema.table"`` -> ``("schema", "table")``; ``"table"`` -> ``(None, "table")``; validated."""
    if not isinstance(name, str):
        raise InvalidIdentifierError(f"table name must be a string, got {type(name).__name__}: {name!r}")
    parts = name.split(".")
    if len(parts) == 1:
        return None, check_identifier(parts[0], "table")
    if len(parts) == 2:
        return check_identifier(parts[0], "schema"), check_identifier(parts[1], "table")
    raise InvalidIdentifierError(f"table name {name!r} must be 'table' or 'schema.table'")


def table_identifier(name: str) -> sql.Identifier:
    """A validated ``table`` / ``schema.table`` as a quoted ``sql.Identifier``."""
    from psycopg import sql  # not at import: contracts (checked with this module) load at DAG parse time

    schema, table = split_table_name(name)
    return sql.Identifier(schema, table) if schema else sql.Identifier(table)


def check_columns(columns: Iterable[str], what: str = "column") -> tuple[str, ...]:
    """Validate a list of column names: plain identifiers, at least one, no duplicates."""
    if isinstance(columns, str):
        raise InvalidIdentifierError(f"{what} names must be a list of names, not the string {columns!r}")
    names = tuple(check_identifier(c, what) for c in columns)
    if not names:
        raise InvalidIdentifierError(f"at least one {what} is required")
    seen: set[str] = set()
    for c in names:
        if c in seen:
            raise InvalidIdentifierError(f"{what} {c!r} is listed twice")
        seen.add(c)
    return names


def column_list(columns: Iterable[str], prefix: str | None = None) -> sql.Composed:
    """``"a", "b"`` (or ``"p"."a", "p"."b"``) for already validated column names."""
    from psycopg import sql

    if prefix is None:
        return sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    return sql.SQL(", ").join(sql.Identifier(prefix, c) for c in columns)
