"""``--since`` / ``--until`` values: durations back from now and ISO times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dataplatform.audit.timespec import TimeSpecError, parse_time

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "back"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        (" 7D ", timedelta(days=7)),
        ("0h", timedelta(0)),
    ],
)
def test_durations_count_back_from_now(value: str, back: timedelta) -> None:
    assert parse_time(value, NOW) == NOW - back


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T09:00:00+01:00", datetime(2026, 12, 1, 9, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-12-01T08:00:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),  # no zone: UTC
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_iso_times(value: str, expected: datetime) -> None:
    moment = parse_time(value, NOW)
    assert moment == expected and moment.tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", "24", "h24", "7days", "-1d", "2026-13-01", ""])
def test_bad_values_name_the_option_and_both_forms(value: str) -> None:
    with pytest.raises(TimeSpecError) as err:
        parse_time(value, NOW, option="--until")
    message = str(err.value)
    assert message.startswith(f"--until {value!r}:")
    assert "24h" in message and "2026-12-01T08:00:00Z" in message


def test_default_now_is_the_current_time() -> None:
    before = datetime.now(UTC)
    assert before - timedelta(hours=1, seconds=5) < parse_time("1h") <= datetime.now(UTC) - timedelta(hours=1)
