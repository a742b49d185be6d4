"""Local-day arithmetic.

The district plan counts in local days (Asia/Shanghai): "cleared today" means a
clearance between the local day's start and its cut-off. All timestamps inside
yiju are epoch milliseconds (UTC); these helpers are the only place that turns
them into local dates and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"
MS_PER_MINUTE = 60_000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
END_OF_DAY = time(23, 59, 59, 999_000)


def zone(tz: str | ZoneInfo = DEFAULT_TZ) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime; a naive one is refused."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give it a time zone")
    return int(moment.timestamp() * 1000)


def from_ms(ms: int, tz: str | ZoneInfo = DEFAULT_TZ) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone(tz))


def now_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


def local_date(ms: int, tz: str | ZoneInfo = DEFAULT_TZ) -> date:
    """The local calendar date a timestamp falls on."""
    return from_ms(ms, tz).date()


def day_start_ms(day: date, tz: str | ZoneInfo = DEFAULT_TZ) -> int:
    """Epoch ms of local midnight starting `day`."""
    return to_ms(datetime.combine(day, time(0, 0), tzinfo=zone(tz)))


def at_local(day: date, clock: time, tz: str | ZoneInfo = DEFAULT_TZ) -> int:
    """Epoch ms of a local wall-clock time on `day`."""
    return to_ms(datetime.combine(day, clock, tzinfo=zone(tz)))


def parse_clock(text: str) -> time:
    """'HH:MM' to a time; '24:00' is accepted as the end of the day (23:59:59.999)."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"clock time {text!r} is not HH:MM")
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return time(23, 59, 59, 999_000)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"clock time {text!r} is out of range")
    return time(h, m)


@dataclass(frozen=True, slots=True)
class LocalDay:
    """One local day with its clearance cut-off.

    `cutoff` is the local time by which every collection point must have been
    cleared; the default is the end of the day (日产日清: produced and cleared
    the same day).
    """

    day: date
    tz: str = DEFAULT_TZ
    cutoff: time = END_OF_DAY

    @classmethod
    def of(cls, ms: int, tz: str = DEFAULT_TZ, cutoff: time | None = None) -> LocalDay:
        return cls(local_date(ms, tz), tz, cutoff or END_OF_DAY)

    @property
    def start_ms(self) -> int:
        return day_start_ms(self.day, self.tz)

    @property
    def end_ms(self) -> int:
        """Start of the next local day (exclusive end of this one)."""
        return day_start_ms(self.day + timedelta(days=1), self.tz)

    @property
    def cutoff_ms(self) -> int:
        return at_local(self.day, self.cutoff, self.tz)

    def contains(self, ms: int) -> bool:
        return self.start_ms <= ms < self.end_ms

    def next(self) -> LocalDay:
        return LocalDay(self.day + timedelta(days=1), self.tz, self.cutoff)
