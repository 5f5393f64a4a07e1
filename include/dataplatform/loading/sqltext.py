"""Text of DuckDB SQL built from contracts: literals and quoted names, nothing else.

Contract names are plain identifiers (checked by :mod:`dataplatform.warehouse.identifiers` when
the contract is built) and are double-quoted anyway; values are always rendered as literals here,
never pasted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def literal(value: object) -> str:
    """``value`` as a DuckDB literal: strings quoted, dates and timestamps typed, numbers as is."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}: {value!r}")


def quoted(name: str) -> str:
    """A column or table name, double-quoted."""
    return '"' + name.replace('"', '""') + '"'
