"""How report values read: money with thousands separators, shares in %, changes with a sign.

One set of rules for HTML, plain text, Slack and the chart labels' neighbours; ``None`` is shown as
an en dash (a figure that does not exist, e.g. last month's revenue before the first load).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dataplatform.reports.tables import Format

MISSING = "–"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _number(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value: Any, currency: str | None = None, *, cents: bool = False) -> str:
    """``€1,234,568`` (or ``CHF 1,234,568``); ``cents`` keeps two decimals."""
    if value is None:
        return MISSING
    amount = _number(value).quantize(Decimal("0.01") if cents else Decimal("1"), ROUND_HALF_UP)
    text = f"{abs(amount):,.2f}" if cents else f"{abs(amount):,.0f}"
    sign = "−" if amount < 0 else ""
    if not currency:
        return f"{sign}{text}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def pct(value: Any, digits: int = 1) -> str:
    """A share: ``0.1234`` -> ``12.3 %``."""
    if value is None:
        return MISSING
    return f"{_number(value) * 100:.{digits}f} %"


def change(value: Any) -> str:
    """A relative change: ``0.042`` -> ``+4.2 %``, ``-0.031`` -> ``−3.1 %``."""
    if value is None:
        return MISSING
    number = _number(value) * 100
    return f"{'+' if number >= 0 else '−'}{abs(number):.1f} %"


def points(value: Any) -> str:
    """A change of a rate in percentage points: ``0.012`` -> ``+1.2 pp``."""
    if value is None:
        return MISSING
    number = _number(value) * 100
    return f"{'+' if number >= 0 else '−'}{abs(number):.1f} pp"


def integer(value: Any) -> str:
    return MISSING if value is None else f"{int(value):,}"


def month(value: Any) -> str:
    """``2026-11-01`` -> ``Nov 2026``."""
    if value is None:
        return MISSING
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{day:%b %Y}"


def month_long(value: Any) -> str:
    """``2026-11-01`` -> ``November 2026``."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{day:%B %Y}"


def duration(seconds: Any) -> str:
    """``75`` -> ``1m 15s``; ``3725`` -> ``1h 02m``."""
    if seconds is None:
        return MISSING
    total = int(round(float(seconds)))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m {total % 60:02d}s"
    return f"{total // 3600}h {total % 3600 // 60:02d}m"


def value(value: Any, fmt: Format, currency: str | None = None) -> str:
    """A table cell by its column's format."""
    if value is None:
        return MISSING
    if fmt == "money":
        return money(value, currency)
    if fmt == "pct":
        return pct(value)
    if fmt == "change":
        return change(value)
    if fmt == "int":
        return integer(value)
    if fmt == "decimal":
        return money(value, cents=True)
    if fmt == "ratio":
        return f"{_number(value):.1f}×"
    if fmt == "month":
        return month(value)
    if fmt == "bool":
        return "yes" if value else "no"
    if fmt == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def is_number(fmt: Format) -> bool:
    """Right-aligned in tables."""
    return fmt in ("money", "pct", "change", "int", "decimal", "ratio")


def utc_minute(value: dt.datetime | str) -> str:
    """A moment as ``2026-12-01 02:14 UTC``."""
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
