"""Local-day helpers: Asia/Shanghai days, cut-offs and dates of timestamps."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.localday import LocalDay, local_date, parse_clock, to_ms


def test_day_starts_at_local_midnight() -> None:
    """A Shanghai day starts at 16:00 UTC of the previous day."""
    day = LocalDay(date(2026, 11, 26))
    assert day.start_ms == to_ms(datetime(2026, 11, 25, 16, 0, tzinfo=ZoneInfo("UTC")))
    assert day.end_ms - day.start_ms == 86_400_000


def test_cutoff_and_contains() -> None:
    """The cut-off is a local clock time on the day; contains() is half-open."""
    day = LocalDay(date(2026, 11, 26), cutoff=time(22, 0))
    assert day.cutoff_ms == day.start_ms + 22 * 3_600_000
    assert day.contains(day.start_ms)
    assert not day.contains(day.end_ms)
    assert day.next().start_ms == day.end_ms


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 11, 25, 15, 59, tzinfo=ZoneInfo("UTC")), date(2026, 11, 25)),
        (datetime(2026, 11, 25, 16, 0, tzinfo=ZoneInfo("UTC")), date(2026, 11, 26)),
    ],
)
def test_local_date_of_a_timestamp(utc: datetime, expected: date) -> None:
    """The local date changes at 16:00 UTC."""
    assert local_date(to_ms(utc)) == expected


def test_clock_parsing() -> None:
    """'HH:MM' parses, 24:00 means end of day, nonsense is refused."""
    assert parse_clock("04:30") == time(4, 30)
    assert parse_clock("24:00").hour == 23
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock("4h30")
    with pytest.raises(ValueError, match="out of range"):
        parse_clock("25:00")


def test_naive_datetimes_are_refused() -> None:
    """A datetime without a zone is ambiguous and refused."""
    with pytest.raises(ValueError, match="naive"):
        to_ms(datetime(2026, 1, 1))
