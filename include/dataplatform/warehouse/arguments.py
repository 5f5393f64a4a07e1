"""Checks of caller arguments, all done before a connection is opened (bad ones raise ``ValueError``,
:class:`~dataplatform.hooks.identifiers.InvalidIdentifierError` for names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from psycopg import sql

from dataplatform.hooks.identifiers import check_columns, check_identifier

Mode = Literal["merge", "replace_partition", "append"]
MODES: tuple[str, ...] = ("merge", "replace_partition", "append")
#: A staging-only column type written as a string: a type name, optional (n[,m]) and [].
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ ]*(\(\d+(,\s*\d+)?\))?(\[\])?")
_WORK_MEM = re.compile(r"\d+\s*(kB|MB|GB)")


def check_mode_args(mode: str, key: Any, partition: Any) -> None:
    """``load_csv``'s ``mode`` with the ``key`` / ``partition`` it needs, and only those."""
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


def key_columns(key: str | Sequence[str]) -> tuple[str, ...]:
    """A merge key: one column name or several."""
    return check_columns([key] if isinstance(key, str) else key, "key column")


def partition_spec(partition: Mapping[str, Any]) -> dict[str, Any]:
    """``{"column": value, ...}``, at least one column."""
    if not isinstance(partition, Mapping) or not partition:
        raise ValueError(f"partition must be a non-empty mapping {{'column': value}}, not {partition!r}")
    check_columns(list(partition), "partition column")
    return dict(partition)


def stamp_spec(stamp: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"column": value or sql.Composable, ...}`` (``{}`` for None)."""
    if stamp is None:
        return {}
    if not isinstance(stamp, Mapping) or not stamp:
        raise ValueError(f"stamp must be a non-empty mapping {{'column': value}} or None, not {stamp!r}")
    check_columns(list(stamp), "stamp column")
    return dict(stamp)


def extra_column_types(extra: Mapping[str, str | sql.Composable] | None) -> dict[str, sql.Composable]:
    """Staging-only columns ``{"line_no": "bigint"}``: plain names, and types that are type names."""
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


def check_work_mem(work_mem: str | None) -> str | None:
    """A ``work_mem`` setting like ``"256MB"`` (kB, MB or GB), or None."""
    if work_mem is not None and not _WORK_MEM.fullmatch(work_mem):
        raise ValueError(f"work_mem must look like '64MB' (kB, MB or GB), not {work_mem!r}")
    return work_mem
