"""When a source's period is expected to be loaded: the freshness the daily report checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from dataplatform.loading.period import Period, PeriodKind


@dataclass(frozen=True)
class Freshness:
    """A period's file is due loaded ``after`` this long past the period's ``start`` (a file that
    describes its own day, such as the daily patients snapshot) or past its ``end`` (an extract of
    a finished month)."""

    after: dt.timedelta
    counted_from: Literal["start", "end"] = "end"

    def __post_init__(self) -> None:
        if self.after < dt.timedelta(0):
            raise ValueError("Freshness.after must not be negative")
        if self.counted_from not in ("start", "end"):
            raise ValueError("Freshness.counted_from is 'start' or 'end'")

    def due_at(self, period: Period) -> dt.datetime:
        """When ``period`` should be loaded (UTC)."""
        day = period.start if self.counted_from == "start" else period.end
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + self.after

    def expected_period(self, kind: PeriodKind, as_of: dt.datetime) -> Period:
        """The newest period of ``kind`` that should be loaded by ``as_of``."""
        period = Period.containing(kind, as_of.astimezone(dt.UTC).date())
        while self.due_at(period) > as_of:
            period = period.previous()
        return period


#: Defaults by period kind: a day's file by the next day, a month's extract a day after it ends.
DEFAULT_FRESHNESS: dict[str, Freshness] = {
    "day": Freshness(dt.timedelta(days=1), "start"),
    "month": Freshness(dt.timedelta(days=1), "end"),
}
