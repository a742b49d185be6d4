"""Daily and seasonal shapes of the simulated field (Foshan figures, EST where marked).

Hourly profiles have a mean of 1, so a day's total is the daily figure. Each value
is its hour's (00:00–01:00 first, as the optimizer's `garbage_hourly` reads the same
figures) and is interpolated between the hours' middles.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from core.localday import MS_PER_DAY, MS_PER_HOUR
from core.registry import PointCategory

# Garbage put out per hour of the day: peaks after breakfast, lunch and dinner (EST).
_GARBAGE = np.array(
    [0.15, 0.1, 0.08, 0.08, 0.1, 0.3, 0.9, 2.1, 2.3, 1.4, 1.0, 1.2,
     1.9, 1.8, 1.0, 0.8, 0.8, 1.1, 1.9, 2.4, 2.1, 1.3, 0.7, 0.4],
)  # fmt: skip
GARBAGE_HOURLY = _GARBAGE / _GARBAGE.mean()

# Dry-weather sewage flow: low before dawn, morning and evening peaks (EST).
_SEWAGE = np.array(
    [0.55, 0.45, 0.4, 0.4, 0.45, 0.6, 0.95, 1.35, 1.45, 1.25, 1.1, 1.05,
     1.15, 1.1, 1.0, 0.95, 1.0, 1.1, 1.3, 1.45, 1.4, 1.2, 0.95, 0.7],
)  # fmt: skip
SEWAGE_HOURLY = _SEWAGE / _SEWAGE.mean()

# Foshan monthly mean air temperature, °C (climate normals, rounded).
MONTH_MEAN_C = (13.5, 15.0, 18.5, 22.5, 26.0, 28.0, 29.0, 29.0, 27.5, 24.5, 20.0, 15.0)
WET_MONTHS = (4, 5, 6, 7, 8, 9)  # Guangdong's wet season
STORMS_PER_DAY_WET = 0.45  # EST: afternoon thunderstorms most weeks
STORMS_PER_DAY_DRY = 0.08

# Garbage on weekends relative to weekdays, per kind of point (EST).
WEEKEND_FACTOR = {
    PointCategory.RESIDENTIAL: 1.12,
    PointCategory.MARKET: 1.25,
    PointCategory.SCHOOL: 0.15,
}
# Heavy points produce more than their residents alone (markets, school canteens).
CATEGORY_FACTOR = {
    PointCategory.RESIDENTIAL: 1.0,
    PointCategory.MARKET: 2.5,
    PointCategory.SCHOOL: 1.6,
}


class LocalTime:
    """Local hour, weekday and month of simulated timestamps in one time zone."""

    def __init__(self, tz: str, reference_ms: int) -> None:
        self.zone = ZoneInfo(tz)
        moment = datetime.fromtimestamp(reference_ms / 1000, tz=UTC).astimezone(self.zone)
        offset = moment.utcoffset()
        # Asia/Shanghai has no daylight saving: one offset serves the whole run.
        self.offset_ms = int(offset.total_seconds() * 1000) if offset else 0

    def hour(self, ts_ms: int) -> float:
        return ((ts_ms + self.offset_ms) % MS_PER_DAY) / MS_PER_HOUR

    def local(self, ts_ms: int) -> datetime:
        return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).astimezone(self.zone)

    def is_weekend(self, ts_ms: int) -> bool:
        return self.local(ts_ms).weekday() >= 5

    def month(self, ts_ms: int) -> int:
        return self.local(ts_ms).month


def hourly(profile: np.ndarray, hour: float) -> float:
    """The profile's value at a fractional clock hour: value h at h:30, interpolated
    in between, so each hour's mean is about its figure. Value h at h:00 would run
    half an hour ahead of the figures: every rising stretch (the breakfast and lunch
    ramps) would put out more by its end than they say."""
    x = hour - 0.5
    low = math.floor(x)
    frac = x - low
    return float(profile[low % 24] * (1 - frac) + profile[(low + 1) % 24] * frac)


def ambient_c(month: int, hour: float) -> float:
    """Air temperature: the month's mean with a ±4 °C day cycle peaking at 14:00."""
    return MONTH_MEAN_C[month - 1] + 4.0 * float(np.cos(2 * np.pi * (hour - 14) / 24))
