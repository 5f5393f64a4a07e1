"""Hooks of the data platform. ``WarehouseHook`` loads CSV files into the warehouse, all or nothing.

Names are resolved lazily, so ``import dataplatform.hooks.identifiers`` does not import Airflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataplatform.hooks.identifiers import InvalidIdentifierError
    from dataplatform.hooks.warehouse import LoadResult, Stage, WarehouseHook, WarehouseLoadError

__all__ = ["InvalidIdentifierError", "LoadResult", "Stage", "WarehouseHook", "WarehouseLoadError"]


def __getattr__(name: str) -> Any:
    if name == "InvalidIdentifierError":
        from dataplatform.hooks import identifiers

        return identifiers.InvalidIdentifierError
    if name in __all__:
        from dataplatform.hooks import warehouse

        return getattr(warehouse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
