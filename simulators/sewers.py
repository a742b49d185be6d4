"""Sewage outlets: dry-weather flow, rain storms and blockages; level sensors report.

The level is a function of time: the outlet's normal level times the daily
sewage profile, plus the rise of every storm over its town (or the whole
district; the April–September wet season has more), plus a blockage's rise
until it is cleared. Sensors report every interval and immediately when the
level passes the outlet's overflow level (the alarm reading is at least
0.5 cm above it, as a float switch would report).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.localday import MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, day_start_ms
from core.registry import Registry, SewageOutlet
from simulators.faults import FaultConfig, FaultKind, Storm
from simulators.messages import Outbound
from simulators.profiles import (
    SEWAGE_HOURLY,
    STORMS_PER_DAY_DRY,
    STORMS_PER_DAY_WET,
    WET_MONTHS,
    LocalTime,
    hourly,
)
from simulators.seeding import stream
from simulators.sensors import FieldRun, SensorField, nudge

SPILL_CM = 30.0  # above its overflow level the water runs into the street
CALM_MARGIN_CM = 10.0  # out-of-order faults only this far below the closing level


class SewerField(SensorField):
    family = "sewer"

    def __init__(
        self,
        outlets: Sequence[SewageOutlet],
        registry: Registry,
        links: Sequence[str],
        clock: LocalTime,
        run: FieldRun,
    ) -> None:
        sensors = [o.sensor for o in outlets if o.sensor is not None]
        super().__init__(
            [s.device_id for s in sensors],
            [s.interval_s for s in sensors],
            links,
            run,
        )
        faults, thresholds, report = run.faults, run.thresholds, run.report
        start_ms, end_ms, seed = run.start_ms, run.end_ms, run.seed
        self.clock = clock
        self.normal = np.array([o.normal_level_cm for o in outlets])
        self.overflow = np.array([o.overflow_level_cm for o in outlets])
        self.close_below = self.overflow - thresholds.sewer_clear_margin_cm
        self.edge_pairs = [
            frozenset((round(o, 1), round(o - thresholds.sewer_clear_margin_cm, 1)))
            for o in self.overflow
        ]
        self.towns = [registry.town_of(o.community_id) for o in outlets]
        rng = self.rng
        self.sensitivity = rng.uniform(0.5, 1.4, self.n)
        self.storms = list(faults.storms) + plan_storms(
            registry, clock, start_ms, end_ms, seed, faults
        )
        for storm in self.storms:
            where = storm.town_id or "district"
            report(
                FaultKind.STORM,
                where,
                storm.start_ms,
                f"rain over {where} for {storm.duration_min:.0f} min, "
                f"up to +{storm.rise_cm:.0f} cm",
            )
        # Blockages: outlet -> (start, cleared, rise per ms).
        self.blocks: dict[int, tuple[int, int, float]] = {}
        days = (end_ms - start_ms) / MS_PER_DAY
        for i in np.nonzero(rng.poisson(faults.blocked_outlets_per_day * days, self.n))[0].tolist():
            start = start_ms + 10 * MS_PER_MINUTE + int(rng.random() * (end_ms - start_ms))
            hours = float(rng.uniform(2, 10))
            rate = float(rng.uniform(8, 25))
            if start >= end_ms:
                continue
            self.blocks[i] = (start, start + int(hours * MS_PER_HOUR), rate / MS_PER_HOUR)
            report(
                FaultKind.BLOCKED_OUTLET,
                self.ids[i],
                start,
                f"outlet blocked for {hours:.1f} h, rising {rate:.0f} cm/h",
            )
        self._noise: list[float] = [0.0] * self.n
        self._normal: list[float] = self.normal.tolist()
        self._overflow: list[float] = self.overflow.tolist()
        towns = np.array(self.towns)
        self._storm_weight = [
            self.sensitivity * (1.0 if s.town_id is None else (towns == s.town_id))
            for s in self.storms
        ]

    def levels(self, ts: int) -> np.ndarray:
        """`level` of every outlet at once (blockages added where there are any)."""
        value = self.normal * (0.55 + 0.45 * hourly(SEWAGE_HOURLY, self.clock.hour(ts)))
        for storm, weight in zip(self.storms, self._storm_weight, strict=True):
            x = (ts - storm.start_ms) / (storm.duration_min * MS_PER_MINUTE)
            if 0 <= x < 1.5:
                shape = x / 0.3 if x < 0.3 else (1.0 if x < 1 else 1 - (x - 1) / 0.5)
                value = value + storm.rise_cm * shape * weight
        for i in self.blocks:
            value[i] = self.level(i, ts)
        return np.minimum(value, self.overflow + SPILL_CM)

    def level(self, i: int, ts: int) -> float:
        """The true level of outlet `i` at `ts` (without sensor noise)."""
        value = self._normal[i] * (0.55 + 0.45 * hourly(SEWAGE_HOURLY, self.clock.hour(ts)))
        for storm in self.storms:
            if storm.town_id is not None and storm.town_id != self.towns[i]:
                continue
            x = (ts - storm.start_ms) / (storm.duration_min * MS_PER_MINUTE)
            if 0 <= x < 1.5:  # rises over the first 30 %, recedes in half the rain's length
                shape = x / 0.3 if x < 0.3 else (1.0 if x < 1 else 1 - (x - 1) / 0.5)
                value += storm.rise_cm * self.sensitivity[i] * shape
        block = self.blocks.get(i)
        if block is not None and ts >= block[0]:
            start, cleared, rate = block
            peak = rate * (min(ts, cleared) - start)
            value += peak if ts <= cleared else max(0.0, peak - 4 * rate * (ts - cleared))
        return min(float(value), self._overflow[i] + SPILL_CM)

    def step(self, t0: int, t1: int) -> list[Outbound]:
        self._noise = self.rng.normal(0, 0.4, self.n).tolist()
        draws = self.rng.random(self.n)
        out: list[Outbound] = []
        self.scheduled(t1, draws, out)
        before, after = self.levels(t0), self.levels(t1)
        for i in np.nonzero((before < self.overflow) & (after >= self.overflow))[0].tolist():
            ovf = self.overflow[i]
            low, high = t0, t1
            while high - low > 1000:  # the crossing, to a second
                mid = (low + high) // 2
                low, high = (mid, high) if self.level(i, mid) < ovf else (low, mid)
            if not self.silent_from[i] <= high < self.silent_until[i]:
                self.reading(i, high, None, out, alarm=True)
        out += self.faults.release(t1)
        return out

    def reading(
        self, i: int, ts: int, draw: float | None, out: list[Outbound], alarm: bool = False
    ) -> None:
        value = max(0.0, self.level(i, ts) + self._noise[i])
        if alarm:
            value = max(value, self.overflow[i] + 0.5)
        level = nudge(value, self.edge_pairs[i])
        calm = False
        if draw is not None and self.faults.d <= draw < self.faults.o:
            interval = int(self.interval[i])
            calm = level < self.close_below[i] - CALM_MARGIN_CM and all(
                self.level(i, ts + k * interval) < self.close_below[i] - CALM_MARGIN_CM
                for k in (1, 2)
            )
        seq = self.next_seq(i)
        text = f"{level:.1f}"
        payload = (
            f'{{"ts":{ts},"level_cm":{text},"battery_pct":{self.battery[i]:.1f},"seq":{seq}}}'
        ).encode()
        self.publish(out, i, ts, payload, float(text), draw, calm)


def plan_storms(
    registry: Registry, clock: LocalTime, start_ms: int, end_ms: int, seed: int, faults: FaultConfig
) -> list[Storm]:
    """Random storms of the run, from the whole district's towns (the same in every
    worker process): afternoon thunderstorms in the wet season, fewer at other times."""
    rng = stream(seed, "storms")
    towns = [t.id for t in registry.towns]
    storms: list[Storm] = []
    day = clock.local(start_ms).date()
    while day_start_ms(day, clock.zone) < end_ms:
        wet = day.month in WET_MONTHS
        rate = faults.storms_per_day
        if rate is None:
            rate = STORMS_PER_DAY_WET if wet else STORMS_PER_DAY_DRY
        for _ in range(int(rng.poisson(rate))):
            hour = rng.uniform(12, 20) if wet else rng.uniform(0, 24)
            start = day_start_ms(day, clock.zone) + int(hour * MS_PER_HOUR)
            town = None if rng.random() < 0.35 else str(rng.choice(towns))
            storm = Storm(start, float(rng.uniform(30, 180)), float(rng.uniform(25, 90)), town)
            if start_ms <= start < end_ms:
                storms.append(storm)
        day = day.fromordinal(day.toordinal() + 1)
    return storms
