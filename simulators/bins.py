"""Collection points: garbage accumulates, fill sensors report, trucks empty the bins.

Garbage per point follows its served population (the district's kg per resident
and day, markets and schools heavier), an hourly profile with meal peaks,
weekday/weekend differences, market days at market points, festival days
(`simulators/profiles.py`), a per-point day-to-day factor and noise. Fill is the
garbage volume over the bins' volume and may pass 100 % (garbage piled beside
full bins) up to 200 %.
Sensors report `fill_pct` (with temperature and battery) every interval,
immediately when fill crosses 90 %, and right when a truck empties the point.
A rare fire shows as a temperature spike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.calendar import MARKET_DAY_FACTOR, festival_factor, is_market_day
from core.localday import MS_PER_DAY, MS_PER_MINUTE
from core.registry import CollectionPoint, District, PointCategory
from simulators.faults import FaultKind
from simulators.messages import Outbound
from simulators.profiles import (
    CATEGORY_FACTOR,
    GARBAGE_HOURLY,
    WEEKEND_FACTOR,
    LocalTime,
    ambient_c,
    hourly,
)
from simulators.sensors import FieldRun, SensorField, nudge

ALARM_PCT = 90.0  # sensors report at once when fill crosses this
MAX_FILL_PCT = 200.0
# Out-of-order faults only on readings this low: whichever order ingest applies them
# in, they can neither open nor close an overflow, and a late reading followed by an
# emptied bin's reading never drops by the manual-clearance 40 points.
CALM_FILL_PCT = 35.0
# The running start: yesterday's clearances fell in the collection windows (local
# clock hours, as the optimizer's defaults); a point that would start above
# EVENING_PCT was cleared in the evening window.
CLEARED_WINDOWS_H = ((4.0, 7.0), (9.0, 16.0), (19.0, 22.0))
EVENING_WINDOW_H = (19.0, 22.0)
EVENING_PCT = 75.0
# Each point's garbage varies by day (DAY_SIGMA) and, less, by step (STEP_SIGMA):
# lognormal factors with a mean of 1, so the field puts out the registry's garbage
# on average (lognormal(0, σ) means exp(σ²/2): +1.1 % and +3.2 % more).
DAY_SIGMA = 0.15
STEP_SIGMA = 0.25


def mean_one(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """`n` lognormal factors of spread `sigma` and mean 1."""
    return rng.lognormal(-sigma * sigma / 2, sigma, n)


def _profile_share(from_h: np.ndarray, to_h: float) -> np.ndarray:
    """Share of a day's garbage put out between clock hours `from_h` (may be negative:
    yesterday) and `to_h`, along the hourly profile (10-minute steps)."""
    steps = np.arange(0.0, 48.0, 1 / 6)
    rates = np.array([hourly(GARBAGE_HOURLY, h % 24) for h in steps]) / 6 / 24
    cumulative = np.concatenate(([0.0], np.cumsum(rates)))
    grid = np.concatenate((steps, [48.0]))

    def at(hours: np.ndarray | float) -> np.ndarray:
        return np.interp(np.asarray(hours) + 24.0, grid, cumulative)

    return np.asarray(at(to_h) - at(from_h))


class BinField(SensorField):
    family = "bin"

    def __init__(
        self,
        points: Sequence[CollectionPoint],
        district: District,
        links: Sequence[str],
        clock: LocalTime,
        run: FieldRun,
    ) -> None:
        sensors = [p.sensor for p in points if p.sensor is not None]
        super().__init__(
            [s.device_id for s in sensors],
            [s.interval_s for s in sensors],
            links,
            run,
        )
        faults, thresholds, start_ms = run.faults, run.thresholds, run.start_ms
        self.point_ids = [p.id for p in points]
        self.index = {p.id: i for i, p in enumerate(points)}
        self.clock = clock
        self.edges = frozenset(
            round(x, 1) for x in (thresholds.bin_overflow_pct, thresholds.bin_overflow_clear_pct)
        )
        rng = self.rng
        volume = np.array([max(p.volume_l, 1) for p in points], dtype=float)
        kg = np.array(
            [
                p.served_population * district.kg_per_resident_day * CATEGORY_FACTOR[p.category]
                for p in points
            ]
        )
        self.pct_per_ms = kg / district.garbage_density_kg_per_l / volume * 100 / MS_PER_DAY
        self.weekend = np.array([WEEKEND_FACTOR[p.category] for p in points])
        self.is_market = np.array([p.category is PointCategory.MARKET for p in points])
        self.fill = self._steady_start(start_ms, clock, rng)
        self.temp_offset = rng.normal(1.5, 0.8, self.n)
        self.day_factor = np.ones(self.n)
        self._day = -1
        self.fires: dict[int, tuple[int, int, float]] = {}
        self._plan_fires(faults.fires_per_day)
        self._clears: dict[int, tuple[int, float]] = {}
        self._t0, self._f0 = start_ms, self.fill.copy()
        self._rate = np.zeros(self.n)
        self._rate_l: list[float] = [0.0] * self.n
        self._f0_l: list[float] = self.fill.tolist()
        self._noise: list[float] = [0.0] * self.n
        self._temp_offset: list[float] = self.temp_offset.tolist()
        self._month = clock.month(start_ms)

    def _steady_start(
        self, start_ms: int, clock: LocalTime, rng: np.random.Generator
    ) -> np.ndarray:
        """The fill at the start as yesterday's clearance left it (a running start).

        Each point was last cleared the day before, at a time drawn from the
        collection windows in proportion to their length; since then garbage has
        accumulated along the hourly profile, the weekday and the point's own daily
        variation. A point that such a clearance would leave above `EVENING_PCT`
        at the start was cleared in the evening window instead, as a dispatcher of
        either kind would have done for a point that fills that fast.
        """
        hours_before = np.empty(self.n)
        lengths = np.array([b - a for a, b in CLEARED_WINDOWS_H])
        pick = rng.choice(len(CLEARED_WINDOWS_H), size=self.n, p=lengths / lengths.sum())
        for k, (a, b) in enumerate(CLEARED_WINDOWS_H):
            mask = pick == k
            hours_before[mask] = rng.uniform(a, b, int(mask.sum()))
        start_hour = clock.hour(start_ms)
        yesterday = start_ms - MS_PER_DAY
        week = self.weekend if clock.is_weekend(yesterday) else np.ones(self.n)
        daily = self.pct_per_ms * MS_PER_DAY * week * mean_one(rng, DAY_SIGMA, self.n)
        # Hours since the clearance: from its clock time yesterday to the start.
        since_h = 24.0 + start_hour - hours_before
        fill = daily * _profile_share(start_hour - since_h, start_hour)
        late = fill > EVENING_PCT
        if late.any():
            evening = rng.uniform(EVENING_WINDOW_H[0], EVENING_WINDOW_H[1], int(late.sum()))
            since_late = 24.0 + start_hour - evening
            fill[late] = daily[late] * _profile_share(start_hour - since_late, start_hour)
        return np.asarray(np.minimum(fill, MAX_FILL_PCT))

    def _plan_fires(self, per_day: float) -> None:
        days = (self.end_ms - self.start_ms) / MS_PER_DAY
        counts = self.rng.poisson(per_day * days, self.n)
        for i in np.nonzero(counts)[0].tolist():
            start = self.start_ms + int(self.rng.random() * (self.end_ms - self.start_ms))
            minutes = float(self.rng.uniform(20, 90))
            peak = float(self.rng.uniform(60, 120))
            self.fires[i] = (start, int(minutes * MS_PER_MINUTE), peak)
            self.report(
                FaultKind.FIRE,
                self.ids[i],
                start,
                f"bin fire for {minutes:.0f} min, +{peak:.0f} °C",
            )

    def _calendar_factor(self, ts_ms: int) -> np.ndarray:
        """The day's festival factor for every point, and market days at markets."""
        local = self.clock.local(ts_ms).date()
        factor = np.full(self.n, festival_factor(local))
        if is_market_day(local):
            factor = np.where(self.is_market, factor * MARKET_DAY_FACTOR, factor)
        return factor

    def clear(self, point_id: str, ts: int) -> bool:
        """A truck empties the point at `ts` (within the coming step); False if unknown."""
        i = self.index.get(point_id)
        if i is None:
            return False
        residual = (ts // 1000 % 300) / 100  # 0–3 % left in the bins
        self._clears[i] = (ts, residual)
        return True

    def step(self, t0: int, t1: int) -> list[Outbound]:
        rng = self.rng
        day = (t0 + self.clock.offset_ms) // MS_PER_DAY
        if day != self._day:  # a new local day: new daily variation, new weekday
            self._day = day
            self.day_factor = mean_one(rng, DAY_SIGMA, self.n) * self._calendar_factor(t0)
            self._month = self.clock.month(t0)
        mid = (t0 + t1) // 2
        week = self.weekend if self.clock.is_weekend(mid) else 1.0
        shape = hourly(GARBAGE_HOURLY, self.clock.hour(mid))
        self._rate = (
            self.pct_per_ms * shape * week * self.day_factor * mean_one(rng, STEP_SIGMA, self.n)
        )
        self._noise = rng.normal(0, 0.7, self.n).tolist()
        self._rate_l = self._rate.tolist()
        draws = rng.random(self.n)
        self._t0, self._f0 = t0, self.fill
        self._f0_l = self.fill.tolist()
        f1 = np.minimum(self.fill + self._rate * (t1 - t0), MAX_FILL_PCT)
        out: list[Outbound] = []
        for i, (ts, residual) in sorted(self._clears.items()):
            if not self.silent_from[i] <= ts < self.silent_until[i]:
                self.reading(i, ts, None, out)  # the sensor sees the bins emptied
            f1[i] = min(residual + self._rate[i] * (t1 - ts), MAX_FILL_PCT)
        self.scheduled(t1, draws, out)
        crossing = (self._f0 < ALARM_PCT) & (f1 >= ALARM_PCT)
        for i in np.nonzero(crossing)[0].tolist():
            if i in self._clears:
                continue
            ts = t0 + int((ALARM_PCT - self._f0[i]) / self._rate[i]) + 1
            if ts < t1 and not self.silent_from[i] <= ts < self.silent_until[i]:
                self.reading(i, ts, None, out)
        self.fill = f1
        self._clears = {}
        out += self.faults.release(t1)
        return out

    def fill_at(self, i: int, ts: int) -> float:
        cleared = self._clears.get(i)
        if cleared is not None and ts >= cleared[0]:
            value = cleared[1] + self._rate_l[i] * (ts - cleared[0])
        else:
            value = self._f0_l[i] + self._rate_l[i] * (ts - self._t0)
        return min(value, MAX_FILL_PCT)

    def reading(self, i: int, ts: int, draw: float | None, out: list[Outbound]) -> None:
        fill = nudge(max(0.0, self.fill_at(i, ts) + self._noise[i]), self.edges)
        temp = ambient_c(self._month, self.clock.hour(ts)) + self._temp_offset[i]
        fire = self.fires.get(i)
        if fire is not None and fire[0] <= ts < fire[0] + fire[1] + 30 * MS_PER_MINUTE:
            start, length, peak = fire
            ramp = min(1.0, (ts - start) / (10 * MS_PER_MINUTE))
            fade = max(0.0, 1 - max(0, ts - start - length) / (30 * MS_PER_MINUTE))
            temp += peak * ramp * fade
        seq = self.next_seq(i)
        text = f"{fill:.1f}"
        payload = (
            f'{{"ts":{ts},"fill_pct":{text},"temp_c":{temp:.1f},'
            f'"battery_pct":{self.battery[i]:.1f},"seq":{seq}}}'
        ).encode()
        self.publish(out, i, ts, payload, float(text), draw, fill < CALM_FILL_PCT)
