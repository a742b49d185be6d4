"""The referee applies the rule thresholds to delivered facts (pure, no broker)."""

from __future__ import annotations

import pytest

from core.registry import Registry
from core.schema import ViolationKind
from core.thresholds import DEFAULT_THRESHOLDS
from simulators.day import parse_start
from simulators.messages import Fact
from simulators.referee import Referee
from simulators.truth import ViolationRecord

MIN = 60_000


@pytest.fixture
def start(small_district: Registry) -> int:
    return parse_start("2026-07-15T00:00", small_district.district.tz)


def _run(registry: Registry, start: int, facts: list[Fact], end: int) -> list[ViolationRecord]:
    referee = Referee(registry, DEFAULT_THRESHOLDS, start)
    for fact in facts:
        referee.observe(fact)
    return [v for v in referee.finish(end) if v.kind is not ViolationKind.BIN_NOT_CLEARED]


def _spans(violations: list[ViolationRecord], kind: ViolationKind) -> list[tuple[int, int | None]]:
    return [(v.start_ms, v.end_ms) for v in violations if v.kind is kind]


@pytest.mark.parametrize(
    ("fills", "expected"),
    [
        ([50, 99.9, 80], []),
        ([50, 100, 96, 95, 94.9], [(1, 4)]),  # opens at 100, stays open down to 95
        ([100.1, 120, 2], [(0, 2)]),
        ([90, 130], [(1, None)]),  # still open at the end
    ],
)
def test_bin_overflow_opens_at_threshold_and_closes_below_clear_level(
    small_district: Registry, start: int, fills: list[float], expected: list[tuple[int, int | None]]
) -> None:
    """bin_overflow: fill ≥ 100 opens, fill < 95 closes (hysteresis)."""
    point = small_district.collection_points[0]
    assert point.sensor is not None
    device = point.sensor.device_id
    facts = [Fact("bin", device, start + k * 15 * MIN, f) for k, f in enumerate(fills)]
    got = _run(small_district, start, facts, start + len(fills) * 15 * MIN)
    want = [
        (start + a * 15 * MIN, None if b is None else start + b * 15 * MIN) for a, b in expected
    ]
    assert _spans(got, ViolationKind.BIN_OVERFLOW) == want
    assert all(v.subject == point.id for v in got)


def test_sewer_overflow_closes_only_below_the_margin(small_district: Registry, start: int) -> None:
    """sewer_overflow: level ≥ overflow opens; it closes below overflow − 5 cm."""
    outlet = small_district.sewage_outlets[0]
    assert outlet.sensor is not None
    top = outlet.overflow_level_cm
    levels = [top - 10, top + 0.5, top - 4.9, top - 5.1]
    facts = [
        Fact("sewer", outlet.sensor.device_id, start + k * 5 * MIN, lv)
        for k, lv in enumerate(levels)
    ]
    got = _run(small_district, start, facts, start + 30 * MIN)
    assert _spans(got, ViolationKind.SEWER_OVERFLOW) == [(start + 5 * MIN, start + 15 * MIN)]


def test_sensor_silent_after_three_intervals(small_district: Registry, start: int) -> None:
    """sensor_silent starts three intervals after the last reading, ends at the next one."""
    device = small_district.collection_points[1].sensor.device_id  # type: ignore[union-attr]
    facts = [Fact("bin", device, start, 10), Fact("bin", device, start + 60 * MIN, 11)]
    got = _run(small_district, start, facts, start + 61 * MIN)
    assert _spans(got, ViolationKind.SENSOR_SILENT) == [(start + 45 * MIN, start + 60 * MIN)]
    assert got[0].subject == device


def test_sensor_silent_at_the_end_is_open(small_district: Registry, start: int) -> None:
    """A sensor quiet until the end of the run has an open sensor_silent."""
    device = small_district.collection_points[1].sensor.device_id  # type: ignore[union-attr]
    got = _run(small_district, start, [Fact("bin", device, start, 10)], start + 50 * MIN)
    assert _spans(got, ViolationKind.SENSOR_SILENT) == [(start + 45 * MIN, None)]


def test_late_readings_change_nothing(small_district: Registry, start: int) -> None:
    """A reading older than one already delivered is ignored by every rule."""
    device = small_district.collection_points[2].sensor.device_id  # type: ignore[union-attr]
    facts = [
        Fact("bin", device, start, 10),
        Fact("bin", device, start + 30 * MIN, 20),
        Fact("bin", device, start + 15 * MIN, 150),
    ]
    assert _run(small_district, start, facts, start + 31 * MIN) == []


@pytest.mark.parametrize(
    ("messages", "end", "expected"),
    [
        # heartbeat every 5 min, then a gap of 20 min: offline 15 min after the last one
        ([(0, 1), (5, 1), (25, 1)], 30, [(20, 25)]),
        # a gap of 14 min is within the grace period
        ([(0, 1), (14, 1)], 20, []),
        # the platform's offline status at last + 15 min, back online later
        ([(0, 1), (15, 0), (40, 1)], 45, [(15, 40)]),
        # silent until the end of the run
        ([(0, 1), (30, 1)], 60, [(15, 30), (45, None)]),
    ],
)
def test_camera_offline_from_status_or_missed_heartbeats(
    small_district: Registry,
    start: int,
    messages: list[tuple[int, int]],
    end: int,
    expected: list[tuple[int, int | None]],
) -> None:
    """camera_offline: an offline status, or 3 missed heartbeats; closed by an online message."""
    camera = small_district.cameras[0].id
    facts = [Fact("camera", camera, start + m * MIN, v) for m, v in messages]
    got = _run(small_district, start, facts, start + end * MIN)
    want = [(start + a * MIN, None if b is None else start + b * MIN) for a, b in expected]
    assert _spans(got, ViolationKind.CAMERA_OFFLINE) == want


def test_bin_not_cleared_at_the_cutoff(small_district: Registry, start: int) -> None:
    """Points without a clearance by 22:00 are not cleared; a later clearance closes it."""
    referee = Referee(small_district, DEFAULT_THRESHOLDS, start)
    first, second, third = (p.id for p in small_district.collection_points[:3])
    cutoff = start + 22 * 60 * MIN
    referee.observe(Fact("cleared", first, start + 6 * 60 * MIN, 0))
    referee.observe(Fact("cleared", second, cutoff + 30 * MIN, 0))
    got = {
        v.subject: v
        for v in referee.finish(start + 24 * 60 * MIN)
        if v.kind is ViolationKind.BIN_NOT_CLEARED
    }
    assert first not in got
    assert (got[second].start_ms, got[second].end_ms) == (cutoff, cutoff + 30 * MIN)
    assert (got[third].start_ms, got[third].end_ms) == (cutoff, None)
    assert len(got) == len(small_district.collection_points) - 1


def test_pest_overdue_counts_from_the_start_or_the_last_visit(
    small_district: Registry, start: int
) -> None:
    """A site not visited within its cycle (7 whole days in July) is overdue from the
    start of the day after, until visited."""
    referee = Referee(small_district, DEFAULT_THRESHOLDS, start)
    site = small_district.pest_sites[0]
    day = 24 * 60 * MIN
    referee.observe(Fact("visited", site.id, start + 3 * day + 600 * MIN, 90))
    got = [
        (v.start_ms, v.end_ms)
        for v in referee.finish(start + 12 * day)
        if v.kind is ViolationKind.PEST_OVERDUE and v.subject == site.id
    ]
    assert got == [(start + 11 * day, None)]


def test_pest_overdue_counts_from_the_imported_records(
    small_district: Registry, start: int
) -> None:
    """A visit on record before the run decides the first due date, not the run's start."""
    site, other = small_district.pest_sites[:2]
    day = 24 * 60 * MIN
    history = {site.id: start - 7 * day + 600 * MIN}  # due on day 1 of the run
    referee = Referee(small_district, DEFAULT_THRESHOLDS, start, history)
    referee.observe(Fact("visited", site.id, start + day + 1 * MIN, 90))  # on day 2: late
    got = {
        v.subject: (v.start_ms, v.end_ms)
        for v in referee.finish(start + 3 * day)
        if v.kind is ViolationKind.PEST_OVERDUE
    }
    assert got[site.id] == (start + day, start + day + 1 * MIN)
    assert other.id not in got  # no record: counted from the start, due after day 7


def test_bin_not_cleared_one_open_per_point_across_days(
    small_district: Registry, start: int
) -> None:
    """Still not cleared at the next day's cut-off: the old violation closes 1 ms before
    it and a new one opens; a clearance the next day closes the old one."""
    referee = Referee(small_district, DEFAULT_THRESHOLDS, start)
    first, second = (p.id for p in small_district.collection_points[:2])
    day = 24 * 60 * MIN
    cutoff = start + 22 * 60 * MIN
    referee.observe(Fact("cleared", second, cutoff + day - 60 * MIN, 0))  # next day, in time
    spans = sorted(
        (v.subject, v.start_ms, v.end_ms)
        for v in referee.finish(start + 2 * day)
        if v.kind is ViolationKind.BIN_NOT_CLEARED and v.subject in (first, second)
    )
    assert spans == [
        (first, cutoff, cutoff + day - 1),
        (first, cutoff + day, None),
        (second, cutoff, cutoff + day - 60 * MIN),
    ]
