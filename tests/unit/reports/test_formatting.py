from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dataplatform.reports import formatting as f


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("14467915.59"), "EUR", "€14,467,916"),
        (Decimal("0.49"), "USD", "$0"),
        (Decimal("-1234.5"), "GBP", "−£1,235"),
        (Decimal("1000"), "CHF", "CHF 1,000"),
        (None, "EUR", "–"),
    ],
)
def test_money_rounds_half_up_with_separators_and_symbol(value, currency, text):
    assert f.money(value, currency) == text


def test_money_with_cents_and_without_currency():
    assert f.money(Decimal("1234.5"), cents=True) == "1,234.50"


def test_shares_changes_and_points():
    assert (f.pct(Decimal("0.1234")), f.pct(0.5), f.pct(None)) == ("12.3 %", "50.0 %", "–")
    assert (f.change(Decimal("0.042")), f.change(Decimal("-0.0312")), f.change(0)) == (
        "+4.2 %",
        "−3.1 %",
        "+0.0 %",
    )
    assert f.points(Decimal("0.012")) == "+1.2 pp" and f.points(-0.004) == "−0.4 pp"


def test_months_durations_and_moments():
    assert f.month(dt.date(2026, 11, 1)) == "Nov 2026" and f.month("2026-11-01") == "Nov 2026"
    assert f.month_long(dt.date(2026, 11, 1)) == "November 2026"
    assert [f.duration(s) for s in (None, 5, 75, 3725)] == ["–", "5s", "1m 15s", "1h 02m"]
    moment = dt.datetime(2026, 12, 1, 3, 14, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert f.utc_minute(moment) == "2026-12-01 02:14 UTC"


def test_cells_follow_their_columns_format():
    assert f.value(Decimal("4.46"), "ratio") == "4.5×"
    assert f.value(True, "bool") == "yes" and f.value(None, "money", "EUR") == "–"
    assert f.value(Decimal("12.5"), "decimal") == "12.50" and f.value(3, "int") == "3"
    assert f.is_number("money") and not f.is_number("text")
