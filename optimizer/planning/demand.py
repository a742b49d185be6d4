"""Fill prediction for collection points: the point's daily rate, its fill at any
time, when it overflows, and how late a visit must come to last the night.

The rate is the garbage a point collects per weekday, as a share of its volume:
measured from its own sensor's rises between clearances (`state.BinState`'s
history), weighed against what the registry expects from the residents it serves
(`PlanningConfig.history_prior_days`). Each day's garbage follows an hourly shape
(little at night, peaks after meals; `PlanningConfig.garbage_hourly`) and a weekend
factor per category. Pure functions of the registry record, the point's last state
and the plan's figures; no I/O. Times are seconds from the planned day's local
midnight (negative: yesterday, beyond 86,400: tomorrow).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, timedelta

from core.calendar import calendar_factor, mean_calendar_factor
from core.registry import CollectionPoint, District, PointCategory
from optimizer.planning.config import PlanningConfig
from optimizer.planning.shifts import DAY_S
from optimizer.planning.state import BinState

HOUR_S = 3600
# The forecast's hourly table covers the day before yesterday to tomorrow: a last
# reading may be up to two days old, a night must last until tomorrow morning.
FIRST_DAY = -2
DAYS = 4

# Garbage per resident relative to a household (a market or school point fills faster).
CATEGORY_FACTOR = {
    PointCategory.RESIDENTIAL: 1.0,
    PointCategory.SCHOOL: 1.6,
    PointCategory.MARKET: 2.5,
}


@dataclass(frozen=True, slots=True)
class PointForecast:
    """A point's predicted fill: at the plan's start, today's mean rate, when it
    overflows, and the garbage accumulated hour by hour (`knots`, % of volume since
    the table's origin, one value per hour from FIRST_DAY's midnight on). Without
    knots the fill grows at the constant `rate_pct_per_h`."""

    fill_pct: float  # at the plan's start
    rate_pct_per_h: float  # today's mean
    overflow_s: int | None  # when it reaches the overflow threshold, None: not today
    volume_l: int
    start_s: int = 0
    knots: tuple[float, ...] = ()

    def _acc(self, t_s: float) -> float:
        """Garbage accumulated (% of volume) from the table's origin to `t_s`."""
        if not self.knots:
            return self.rate_pct_per_h * t_s / HOUR_S
        x = (t_s - FIRST_DAY * DAY_S) / HOUR_S
        last = len(self.knots) - 1
        if x <= 0:
            return self.knots[0]
        if x >= last:  # beyond the table: the last day's mean rate
            return self.knots[last] + (self.knots[last] - self.knots[last - 24]) / 24 * (x - last)
        k = int(x)
        return self.knots[k] + (self.knots[k + 1] - self.knots[k]) * (x - k)

    def _time_of(self, level: float) -> float:
        """The earliest time the accumulated garbage reaches `level` (inverse of _acc)."""
        if not self.knots:
            return level / self.rate_pct_per_h * HOUR_S if self.rate_pct_per_h > 0 else math.inf
        last = len(self.knots) - 1
        if level <= self.knots[0]:
            return FIRST_DAY * DAY_S
        if level > self.knots[last]:
            per_h = (self.knots[last] - self.knots[last - 24]) / 24
            if per_h <= 0:
                return math.inf
            x = last + (level - self.knots[last]) / per_h
        else:
            k = bisect.bisect_left(self.knots, level) - 1
            step = self.knots[k + 1] - self.knots[k]
            x = k + 1 if step <= 0 else k + (level - self.knots[k]) / step
        return FIRST_DAY * DAY_S + x * HOUR_S

    def accumulated(self, a_s: float, b_s: float) -> float:
        """Garbage (% of volume) put out between `a_s` and `b_s`."""
        return max(0.0, self._acc(b_s) - self._acc(a_s))

    def fill_at(self, t_s: int, start_s: int, cap_pct: float) -> float:
        """Predicted fill at `t_s` without a visit (`fill_pct` being the fill at `start_s`)."""
        return min(cap_pct, self.fill_pct + self.accumulated(start_s, t_s))

    def demand_kg(self, t_s: int, start_s: int, cap_pct: float, density: float) -> int:
        return kg(self.fill_at(t_s, start_s, cap_pct), self.volume_l, density)

    def reaches(self, pct: float, from_s: int, until_s: int) -> int | None:
        """When the fill (no visit) reaches `pct`, at `from_s` or later; None if not
        before `until_s`."""
        if self.fill_pct >= pct:
            return from_s
        t = self._time_of(self._acc(self.start_s) + pct - self.fill_pct)
        if t >= until_s:
            return None
        return max(from_s, math.ceil(t))

    def release_s(self, until_s: int, pct: float, after_pct: float) -> int:
        """The earliest visit after which the fill (from `after_pct`, an emptied bin)
        stays below `pct` until `until_s`; FIRST_DAY's midnight when any will do."""
        level = self._acc(until_s) - (pct - after_pct)
        t = self._time_of(level)
        return math.ceil(t) if math.isfinite(t) else until_s


def kg(fill_pct: float, volume_l: int, density: float) -> int:
    return math.ceil(fill_pct / 100 * volume_l * density)


def registry_rate(point: CollectionPoint, district: District) -> float:
    """Fill rate (% of volume per hour) expected from the residents the point serves."""
    if point.volume_l <= 0:
        return 0.0
    kg_day = point.served_population * district.kg_per_resident_day
    litres_day = (
        kg_day * CATEGORY_FACTOR.get(point.category, 1.0) / district.garbage_density_kg_per_l
    )
    return litres_day / point.volume_l * 100 / 24


def daily_rate(
    point: CollectionPoint, reading: BinState | None, district: District, config: PlanningConfig
) -> float:
    """The point's garbage on a weekday of the calendar's mean, % of its volume: its own
    history (rises between clearances over weekday and weekend exposure) weighed
    against the registry's expectation; a hand-set `rate_pct_per_h` counts as the
    day's mean rate."""
    # The registry expects an ordinary day; the history holds the calendar's market
    # days too. Both must stand for the same day before they are weighed, and
    # `forecast` takes the calendar's mean back out.
    prior = registry_rate(point, district) * 24 * mean_calendar_factor(point.category)
    if reading is None:
        return prior
    weekend = config.weekend_factor(point.category)
    exposure = reading.history_weekday_days + reading.history_weekend_days * weekend
    if exposure > 0:
        k = config.history_prior_days
        rate = max(0.0, (reading.history_rise_pct + prior * k) / (exposure + k))
        return _with_todays_pace(rate, reading, weekend, config)
    if reading.rate_pct_per_h is not None and reading.rate_pct_per_h > 0:
        return reading.rate_pct_per_h * 24
    return prior


def _with_todays_pace(
    rate: float, reading: BinState, weekend: float, config: PlanningConfig
) -> float:
    """The week's rate, moved towards the pace the bins have kept since they were last
    emptied once that span stands for enough of a day's garbage to tell (a day busier
    or quieter than usual: a market day, a festival, the day's own swing)."""
    days = reading.current_weekday_days + reading.current_weekend_days * weekend
    if days < config.pace_min_days:
        return rate
    pace = reading.current_rise_pct / days
    weight = min(config.pace_max_weight, days)
    return (1 - weight) * rate + weight * pace


def forecast(
    point: CollectionPoint,
    reading: BinState | None,
    district: District,
    config: PlanningConfig,
    *,
    start_s: int,
    start_ms: int,
    day_end_s: int,
    weekday: int | None = None,
    day: date | None = None,
) -> PointForecast:
    """The point's fill at the plan's start (from its last reading, or
    `unknown_fill_pct` at midnight without one), its hour-by-hour accumulation over
    yesterday, today and tomorrow (weekend factor by category when `weekday`, the
    planned day's 0 = Monday, is given) and its overflow time if it comes today.
    With `day`, the planned date, its weekday is known too, and the district's
    calendar (market days, festivals; core/calendar.py) scales each day against
    the calendar's mean, which the measured rate stands for."""
    base = daily_rate(point, reading, district, config)
    shape = config.garbage_shape
    weekend = config.weekend_factor(point.category)
    if day is not None and weekday is None:
        weekday = day.weekday()
    mean_calendar = mean_calendar_factor(point.category)
    knots = [0.0]
    today = base
    for offset in range(FIRST_DAY, FIRST_DAY + DAYS):
        factor = weekend if weekday is not None and (weekday + offset) % 7 >= 5 else 1.0
        if day is not None:
            on = day + timedelta(days=offset)
            factor *= calendar_factor(point.category, on) / mean_calendar
        if offset == 0:
            today = base * factor
        for value in shape:
            knots.append(knots[-1] + base * factor * value / 24)
    provisional = PointForecast(0.0, today / 24, None, point.volume_l, start_s, tuple(knots))
    if reading is not None:
        read_s = start_s - max(0, start_ms - reading.ts_ms) / 1000
        fill = reading.fill_pct + provisional.accumulated(read_s, start_s)
    else:
        fill = config.unknown_fill_pct + provisional.accumulated(0, start_s)
    fill = min(fill, config.max_fill_pct)
    fc = PointForecast(fill, today / 24, None, point.volume_l, start_s, tuple(knots))
    overflow = fc.reaches(config.overflow_pct, start_s, day_end_s)
    return PointForecast(fill, today / 24, overflow, point.volume_l, start_s, tuple(knots))
