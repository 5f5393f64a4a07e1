"""The period a landing file covers (a day or a month), and the run that loads it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

PeriodKind = Literal["day", "month"]
_SAFE = re.compile(r"[^a-z0-9_]")


@dataclass(frozen=True)
class Period:
    """``start`` (a day, or the 1st of a month) to ``end`` (exclusive); ``label`` names it in paths."""

    kind: PeriodKind
    start: dt.date

    @classmethod
    def containing(cls, kind: PeriodKind, day: dt.date) -> Period:
        return cls(kind, day if kind == "day" else day.replace(day=1))

    @classmethod
    def parse(cls, kind: PeriodKind, label: str) -> Period:
        """``"2026-10-01"`` (day) or ``"2026-10"`` (month); ValueError names the expected form."""
        try:
            if kind == "day":
                return cls(kind, dt.date.fromisoformat(label))
            year, month = label.split("-")
            return cls(kind, dt.date(int(year), int(month), 1))
        except ValueError as err:
            form = "YYYY-MM-DD" if kind == "day" else "YYYY-MM"
            raise ValueError(f"period {label!r} is not a {kind} ({form})") from err

    @property
    def end(self) -> dt.date:
        if self.kind == "day":
            return self.start + dt.timedelta(days=1)
        return (self.start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

    def previous(self) -> Period:
        """The period just before this one."""
        return Period.containing(self.kind, self.start - dt.timedelta(days=1))

    @property
    def label(self) -> str:
        return self.start.isoformat() if self.kind == "day" else self.start.strftime("%Y-%m")


@dataclass(frozen=True)
class LoadRun:
    """Which run (and try) a step works for, the date its rules take as "today", and the period."""

    dag_id: str
    run_id: str
    try_number: int
    run_date: dt.date
    period: Period

    @property
    def key(self) -> str:
        """A short identifier-safe key of this try: ``<dag>_<hash(run_id)>_t<try>`` (names staging tables)."""
        return f"{run_prefix(self.dag_id, self.run_id)}_t{self.try_number}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "try_number": self.try_number,
            "run_date": self.run_date.isoformat(),
            "period_kind": self.period.kind,
            "period": self.period.label,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadRun:
        kind = data["period_kind"]
        return cls(
            data["dag_id"],
            data["run_id"],
            int(data["try_number"]),
            dt.date.fromisoformat(data["run_date"]),
            Period.parse(kind, data["period"]),
        )


def run_prefix(dag_id: str, run_id: str) -> str:
    """``<dag>_<hash(run_id)>``: the part of staging names shared by every try of a run."""
    digest = hashlib.sha1(f"{dag_id}/{run_id}".encode()).hexdigest()[:10]
    return f"{_SAFE.sub('_', dag_id.lower())[:20]}_{digest}"
