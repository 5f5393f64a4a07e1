"""Checks of caller arguments, all done before any SQL runs (bad ones raise ``ValueError``,
:class:`~dataplatform.warehouse.identifiers.InvalidIdentifierError` for names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dataplatform.warehouse.identifiers import check_columns


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
