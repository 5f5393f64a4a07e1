"""``LoadResult``: what one apply did, as counts (JSON-ready for XCom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoadResult:
    """What one apply did. ``rows`` = rows of the staging table applied; for a merge
    ``rows = inserted + updated + unchanged``, for a partition replace ``rows = inserted``.
    """

    table: str
    mode: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (for XCom)."""
        return asdict(self)
