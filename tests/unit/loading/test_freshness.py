from __future__ import annotations

import datetime as dt

import pytest

from dataplatform.loading.freshness import DEFAULT_FRESHNESS, Freshness
from dataplatform.sources.billing import BILLING
from dataplatform.sources.patients import PATIENTS


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-12-02T06:59", "2026-12-01"),
        ("2026-12-02T07:00", "2026-12-02"),
        ("2026-12-03T06:00", "2026-12-02"),
    ],
)
def test_a_daily_snapshot_is_due_hours_after_its_day_starts(as_of, expected):
    assert PATIENTS.due.expected_period("day", at(as_of)).label == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2026-12-01T23:59", "2026-10"), ("2026-12-02T00:00", "2026-11"), ("2027-01-01T12:00", "2026-11")],
)
def test_a_month_is_due_a_day_after_it_ends(as_of, expected):
    assert BILLING.due.expected_period("month", at(as_of)).label == expected
    assert BILLING.freshness is None and BILLING.due is DEFAULT_FRESHNESS["month"]


def test_freshness_is_not_part_of_the_fingerprint():
    from dataclasses import replace

    assert replace(PATIENTS, freshness=None).fingerprint == PATIENTS.fingerprint


def test_a_negative_delay_is_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        Freshness(dt.timedelta(hours=-1))
