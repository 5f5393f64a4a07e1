"""``--since`` / ``--until`` values: a duration back from now (``30m``, ``24h``, ``7d``, ``2w``)
or an ISO 8601 time (``2026-12-01``, ``2026-12-01T08:00:00Z``; no zone means UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TimeSpecError(ValueError):
    """A value that is neither a duration nor an ISO time; the message shows both forms."""


def parse_time(value: str, now: datetime | None = None, *, option: str = "--since") -> datetime:
    """The moment ``value`` names, timezone-aware (UTC when ``value`` has no zone).

    :param now: the reference for durations (default: the current time).
    :param option: the option name the error message should name.
    """
    now = now or datetime.now(UTC)
    match = _DURATION.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise TimeSpecError(
            f"{option} {value!r}: expected a duration back from now (30m, 24h, 7d, 2w) "
            "or an ISO time (2026-12-01, 2026-12-01T08:00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
