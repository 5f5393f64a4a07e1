"""``make run``'s first manual run never takes the logical date the scheduler is about to create."""

from __future__ import annotations

import datetime as dt

import pytest

from devstack.seed import PATIENT_DAYS
from devstack.stack import first_run_logical_date


def latest_scheduled_0600(now: dt.datetime) -> dt.date:
    """The day of the latest ``0 6 * * *`` tick at or before ``now`` (what catchup=False schedules)."""
    day = now.date()
    return day if now.time() >= dt.time(6) else day - dt.timedelta(days=1)


@pytest.mark.parametrize("hour", [0, 5, 6, 7, 23])
def test_manual_run_is_a_seeded_day_the_scheduler_does_not_take(hour: int) -> None:
    now = dt.datetime(2026, 11, 22, hour, 30, tzinfo=dt.UTC)
    manual = dt.date.fromisoformat(first_run_logical_date(now, PATIENT_DAYS)[:10])
    seeded = {now.date() - dt.timedelta(days=back) for back in range(PATIENT_DAYS)}
    assert manual in seeded
    assert manual != latest_scheduled_0600(now)
    assert latest_scheduled_0600(now) in seeded  # the scheduler's own run has its file too


def test_logical_date_is_0600_utc() -> None:
    now = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # 21 Nov 20:00 UTC
    assert first_run_logical_date(now, 3) == "2026-11-19T06:00:00Z"
