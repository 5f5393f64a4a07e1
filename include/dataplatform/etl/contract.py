"""What a landing file must look like: its columns, their warehouse types, and its row rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

#: ``check_row(fields, today_iso)`` -> ``(values, None)`` for a good row ("" is NULL) or ``(None, reason)``.
RowRule = Callable[[list[str], str], tuple[list[str] | None, str | None]]


@dataclass(frozen=True)
class FileContract:
    """A CSV landing file's contract: exact header, Postgres types per column, the row rule."""

    name: str
    columns: Sequence[tuple[str, str]]  # (column, postgres type) in file order
    key: str
    check_row: RowRule
    #: Duplicates of ``key`` in one file: the row with the greatest ``latest_by`` wins (then the later line).
    latest_by: str
    #: Optional SQL function applied to a column by the transform, e.g. ``{"gender": "upper"}``.
    normalise: Mapping[str, str] = field(default_factory=dict)

    @property
    def header(self) -> list[str]:
        return [c for c, _ in self.columns]
