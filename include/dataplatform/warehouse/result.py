"""``LoadResult``: what one load did, as counts (returned by every apply, JSON-ready for XCom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoadResult:
    """What one load did. ``rows_read`` = rows staged from the source(s); for a merge
    ``rows_read = inserted + updated + unchanged + rejected``.
    """

    table: str
    mode: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    seconds: float = 0.0
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (for XCom)."""
        return asdict(self)
