"""Fill prediction for collection points: rate, fill at a time, overflow deadline.

Pure functions of the registry record, the point's last state and the plan's
figures; no I/O. Times are seconds from the planned day's local midnight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.registry import CollectionPoint, District, PointCategory
from optimizer.params import PlanningConfig
from optimizer.state import BinState

# Garbage per resident relative to a household (a market or school point fills faster).
CATEGORY_FACTOR = {
    PointCategory.RESIDENTIAL: 1.0,
    PointCategory.SCHOOL: 1.6,
    PointCategory.MARKET: 2.5,
}


@dataclass(frozen=True, slots=True)
class PointForecast:
    """A point's predicted fill: at the plan's start, its rate, and when it overflows."""

    fill_pct: float  # at the plan's start
    rate_pct_per_h: float
    overflow_s: int | None  # when it reaches the overflow threshold, None: not today
    volume_l: int

    def fill_at(self, t_s: int, start_s: int, cap_pct: float) -> float:
        hours = max(0, t_s - start_s) / 3600
        return min(cap_pct, self.fill_pct + self.rate_pct_per_h * hours)

    def demand_kg(self, t_s: int, start_s: int, cap_pct: float, density: float) -> int:
        return math.ceil(self.fill_at(t_s, start_s, cap_pct) / 100 * self.volume_l * density)


def registry_rate(point: CollectionPoint, district: District) -> float:
    """Fill rate (% of volume per hour) expected from the residents the point serves."""
    if point.volume_l <= 0:
        return 0.0
    kg_day = point.served_population * district.kg_per_resident_day
    litres_day = (
        kg_day * CATEGORY_FACTOR.get(point.category, 1.0) / district.garbage_density_kg_per_l
    )
    return litres_day / point.volume_l * 100 / 24


def forecast(
    point: CollectionPoint,
    reading: BinState | None,
    district: District,
    config: PlanningConfig,
    *,
    start_s: int,
    start_ms: int,
    day_end_s: int,
) -> PointForecast:
    """The point's fill at the plan's start (from its last reading and rate, or the
    registry's expected rate when it has none) and its overflow time if it comes today."""
    rate = registry_rate(point, district)
    if reading is not None and reading.rate_pct_per_h is not None and reading.rate_pct_per_h > 0:
        rate = reading.rate_pct_per_h
    if reading is not None:
        hours = max(0, start_ms - reading.ts_ms) / 3_600_000
        fill = reading.fill_pct + rate * hours
    else:
        fill = config.unknown_fill_pct + rate * start_s / 3600
    fill = min(fill, config.max_fill_pct)
    overflow: int | None
    if fill >= config.overflow_pct:
        overflow = start_s  # already overflowing: urgent
    elif rate <= 0:
        overflow = None
    else:
        t = start_s + int((config.overflow_pct - fill) / rate * 3600)
        overflow = t if t < day_end_s else None
    return PointForecast(fill, rate, overflow, point.volume_l)
