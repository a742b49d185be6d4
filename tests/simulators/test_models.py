"""The field models: bins fill, storms and blockages raise sewers, cameras fail (no broker)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from core.calendar import MARKET_DAY_FACTOR
from core.registry import Registry
from core.schema import ViolationKind
from core.topics import Topics
from simulators.bins import EVENING_PCT
from simulators.day import parse_start
from simulators.engine import DistrictSim
from simulators.faults import FaultConfig, FaultKind, Storm
from simulators.messages import Outbound
from simulators.profiles import GARBAGE_HOURLY

HOUR = 3_600_000
# The fill at which a bin sensor reports at once (docs/simulators.md).
ALARM = 90.0
DAY = 24 * HOUR


def _simulate(
    registry: Registry, faults: FaultConfig, hours: float, clock: str = "2026-07-15T00:00"
) -> tuple[list[Outbound], DistrictSim]:
    start = parse_start(clock, registry.district.tz)
    end = start + int(hours * HOUR)
    sim = DistrictSim(registry, start_ms=start, end_ms=end, seed=4, faults=faults, topics=Topics())
    out = sim.opening()
    sim.delivered(out)
    t = start
    while t < end:
        batch = sim.step(t, min(t + 60_000, end))
        sim.delivered(batch)
        out += batch
        t += 60_000
    return out, sim


def _payloads(out: list[Outbound], family: str) -> list[tuple[str, dict[str, object]]]:
    return [(m.topic.rsplit("/", 1)[1], json.loads(m.payload)) for m in out if m.family == family]


def test_bins_fill_faster_at_meal_times(small_district: Registry) -> None:
    """Fill rises through the day, more after dinner than at night; readings count on."""
    out, sim = _simulate(small_district, FaultConfig.none(), 24)
    readings = _payloads(out, "bin")
    device = readings[0][0]
    series = [(p["ts"], p["fill_pct"]) for d, p in readings if d == device]
    assert series == sorted(series)
    night = [f for ts, f in series if ts < sim.start_ms + 5 * HOUR]
    evening = [f for ts, f in series if sim.start_ms + 17 * HOUR <= ts < sim.start_ms + 22 * HOUR]
    assert (evening[-1] - evening[0]) > (night[-1] - night[0])
    seq = [p["seq"] for d, p in readings if d == device]
    assert seq == list(range(1, len(seq) + 1))


def test_bins_alarm_exactly_when_fill_crosses_90(small_district: Registry) -> None:
    """A sensor reports off its schedule exactly when its bin's fill crosses 90 %, once
    per crossing, at the moment the fill (linear within a step) reaches it, reading
    90 % give or take its noise; bins that never cross send nothing off schedule."""
    start = parse_start("2026-07-15T00:00", small_district.district.tz)
    end = start + 24 * HOUR
    sim = DistrictSim(
        small_district,
        start_ms=start,
        end_ms=end,
        seed=4,
        faults=FaultConfig.none(),
        topics=Topics(),
    )
    sim.delivered(sim.opening())
    bins = sim.bins
    crossings: dict[str, list[int]] = {device: [] for device in bins.ids}
    readings: dict[str, list[tuple[int, float]]] = {device: [] for device in bins.ids}
    t = start
    while t < end:
        t1 = min(t + 60_000, end)
        before = bins.fill.copy()
        batch = sim.step(t, t1)
        sim.delivered(batch)
        after = bins.fill
        for i in np.nonzero((before < ALARM) & (after >= ALARM))[0].tolist():
            # No truck runs here, so the fill grows linearly through the step.
            share = (ALARM - before[i]) / (after[i] - before[i])
            crossings[bins.ids[i]].append(t + int(share * (t1 - t)) + 1)
        for m in batch:
            if m.family == "bin":
                payload = json.loads(m.payload)
                readings[m.topic.rsplit("/", 1)[1]].append((payload["ts"], payload["fill_pct"]))
        t = t1
    assert sum(map(len, crossings.values())) >= 5, "too few crossings to judge the alarm by"
    interval_ms = {
        p.sensor.device_id: p.sensor.interval_s * 1000
        for p in small_district.collection_points
        if p.sensor is not None
    }
    for device, got in readings.items():
        # The schedule is every interval from the sensor's own phase: the residue
        # nearly all of its readings share.
        every = interval_ms[device]
        phase, _ = Counter(ts % every for ts, _ in got).most_common(1)[0]
        alarms = [(ts, fill) for ts, fill in got if ts % every != phase]
        want = crossings[device]
        assert len(alarms) == len(want), (device, alarms, want)
        for (ts, fill), expected_ts in zip(alarms, want, strict=True):
            assert abs(ts - expected_ts) <= 1, (device, ts, expected_ts)
            # The reading's noise is normal with σ 0.7 points: 5 σ either way.
            assert abs(fill - ALARM) <= 3.5, (device, fill)


def test_storm_overflows_sewers_with_an_immediate_alarm(small_district: Registry) -> None:
    """A heavy district-wide storm pushes outlets over their overflow level; the sensors
    report at once, and the truth log has the overflows and the storm."""
    start = parse_start("2026-07-15T14:00", small_district.district.tz)
    faults = replace(FaultConfig.none(), storms=(Storm(start + HOUR, 90, 160.0),))
    out, sim = _simulate(small_district, faults, 5, "2026-07-15T14:00")
    overflow = {
        o.sensor.device_id: o.overflow_level_cm for o in small_district.sewage_outlets if o.sensor
    }
    alarms = [
        (d, p)
        for d, p in _payloads(out, "sewer")
        if p["level_cm"] >= overflow[d]  # type: ignore[operator]
    ]
    assert alarms
    violations = sim.finish(sim.end_ms)
    overflows = {v.subject for v in violations if v.kind is ViolationKind.SEWER_OVERFLOW}
    assert overflows
    assert all(v.end_ms is not None for v in violations if v.kind is ViolationKind.SEWER_OVERFLOW)
    assert [f.fault for f in sim.referee.faults] == [FaultKind.STORM]


def test_platform_marks_cameras_offline_after_three_missed_heartbeats(
    small_district: Registry,
) -> None:
    """A gateway camera's offline status comes exactly 3 heartbeats after its last one,
    and the truth's camera_offline starts there."""
    faults = replace(FaultConfig.none(), nvr_outages_per_day=3.0)
    out, sim = _simulate(small_district, faults, 12)
    last: dict[str, int] = {}
    offline: set[tuple[str, int]] = set()
    for m in out:
        camera = m.topic.rsplit("/", 1)[1]
        payload = json.loads(m.payload)
        if m.family == "camera":
            last[camera] = payload["ts"]
        elif m.family == "status" and payload["online"] is False:
            assert payload["ts"] == last[camera] + 900_000
            offline.add((camera, payload["ts"]))
    assert offline
    starts = {
        (v.subject, v.start_ms)
        for v in sim.finish(sim.end_ms)
        if v.kind is ViolationKind.CAMERA_OFFLINE
    }
    assert offline <= starts


def test_fire_shows_as_a_temperature_spike(small_district: Registry) -> None:
    """A bin fire raises the reported temperature far above the air's."""
    faults = replace(FaultConfig.none(), fires_per_day=2.0)
    out, sim = _simulate(small_district, faults, 6)
    fires = {f.device_id for f in sim.referee.faults if f.fault is FaultKind.FIRE}
    hot = {d for d, p in _payloads(out, "bin") if p["temp_c"] > 70}  # type: ignore[operator]
    assert fires
    assert hot
    assert hot <= fires


def test_blocked_outlet_rises_until_cleared(small_district: Registry) -> None:
    """A blocked outlet's level climbs well above its normal level within hours."""
    faults = replace(FaultConfig.none(), blocked_outlets_per_day=3.0)
    out, sim = _simulate(small_district, faults, 12)
    blocked = {
        f.device_id
        for f in sim.referee.faults
        # The slowest blockage rises 8 cm/h: 30 cm takes it 3.75 h.
        if f.fault is FaultKind.BLOCKED_OUTLET and f.ts_ms < sim.end_ms - 4 * HOUR
    }
    normal = {
        o.sensor.device_id: o.normal_level_cm for o in small_district.sewage_outlets if o.sensor
    }
    peaks: dict[str, float] = {}
    for d, p in _payloads(out, "sewer"):
        peaks[d] = max(peaks.get(d, 0.0), float(p["level_cm"]))  # type: ignore[arg-type]
    assert blocked
    assert all(peaks[d] > normal[d] + 30 for d in blocked)


def _start_sim(registry: Registry, clock: str) -> DistrictSim:
    start = parse_start(clock, registry.district.tz)
    return DistrictSim(
        registry,
        start_ms=start,
        end_ms=start + HOUR,
        seed=4,
        faults=FaultConfig.none(),
        topics=Topics(),
    )


def test_bins_start_as_yesterdays_clearances_left_them(small_district: Registry) -> None:
    """At midnight every bin holds what it gathered since a clearance yesterday inside
    the collection windows: none empty, none above the evening-clearance bar, and each
    below a whole day's garbage at its own rate."""
    sim = _start_sim(small_district, "2026-07-15T00:00")
    fills = sim.bins.fill
    daily = sim.bins.pct_per_ms * 24 * HOUR
    assert fills.min() > 0
    assert fills.max() <= EVENING_PCT
    # Cleared no earlier than 04:00 yesterday: at most 20 h of garbage, of the day's
    # busiest hours, and the day's own factor (lognormal σ 0.15) within 4 σ.
    assert (fills <= daily * 1.85).all()
    assert fills.mean() > 0.25 * daily.mean()


def test_market_days_and_festivals_raise_the_day(small_district: Registry) -> None:
    """On a market day (the 13th: every third day) only market points take 1.5×; on
    National Day (1 October, also a market day) every point takes 1.2× and markets
    1.8×; an ordinary day is 1."""
    sim = _start_sim(small_district, "2026-07-15T00:00")
    markets = sim.bins.is_market
    assert markets.any()
    assert not markets.all()
    ordinary = sim.bins._calendar_factor(parse_start("2026-07-15T10:00", "Asia/Shanghai"))
    assert set(ordinary.tolist()) == {1.0}
    market_day = sim.bins._calendar_factor(parse_start("2026-07-13T10:00", "Asia/Shanghai"))
    assert set(market_day[markets].tolist()) == {MARKET_DAY_FACTOR}
    assert set(market_day[~markets].tolist()) == {1.0}
    national = sim.bins._calendar_factor(parse_start("2026-10-01T10:00", "Asia/Shanghai"))
    assert set(national[~markets].tolist()) == {1.2}
    assert national[markets].tolist() == pytest.approx([1.2 * MARKET_DAY_FACTOR] * markets.sum())


def test_bins_fill_as_the_hour_by_hour_figures_say(small_district: Registry) -> None:
    """From 04:00 to noon of an ordinary weekday the points put out, together, what
    their registry rates, their day factors and the hourly figures of 04:00-12:00 say:
    the figures the plan's forecast reads, each the garbage of its hour, with noise of
    mean 1 (a field running half an hour ahead of them, or noisier upwards, puts out
    more by noon than any forecast from the registry expects)."""
    start = parse_start("2026-07-15T00:00", small_district.district.tz)  # an ordinary Wednesday
    sim = DistrictSim(
        small_district,
        start_ms=start,
        end_ms=start + DAY,
        seed=4,
        faults=FaultConfig.none(),
        topics=Topics(),
    )
    sim.delivered(sim.opening())
    t, at_four = start, sim.bins.fill
    while t < start + 12 * HOUR:
        if t == start + 4 * HOUR:
            at_four = sim.bins.fill.copy()
        sim.delivered(sim.step(t, t + 60_000))
        t += 60_000
    bins = sim.bins
    share = float(GARBAGE_HOURLY[4:12].sum()) / 24
    expected = bins.pct_per_ms * DAY * bins.day_factor * share
    assert float((bins.fill - at_four).sum() / expected.sum()) == pytest.approx(1.0, abs=0.015)
