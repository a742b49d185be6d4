"""The optimizer's state read from a real InfluxDB, and built by hand without one."""

from __future__ import annotations

import datetime as dt

import pytest

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import LocalDay, at_local
from core.registry import BinSize, CollectionPoint, District
from core.schema import ViolationKind
from optimizer.planning.config import PlanningConfig, shape_share
from optimizer.planning.demand import daily_rate, registry_rate
from optimizer.planning.state import DistrictState, history, read_state

DAY = dt.date(2026, 11, 20)
MIN = 60_000


def test_read_state_from_influx(influx_db: InfluxClient) -> None:
    """Last fill and its rate, today's clearances, last pest visits, open (not closed)
    violations and truck positions come back per subject."""
    at = at_local(DAY, dt.time(10, 0))
    start = LocalDay(DAY).start_ms
    bin_tags = {"device_id": "bin-p1", "point_id": "p1", "community": "c1", "town": "t"}
    lines = [
        line(schema.BIN.name, bin_tags, {"fill_pct": 20.0}, at - 180 * MIN),
        line(schema.BIN.name, bin_tags, {"fill_pct": 50.0}, at - 60 * MIN),
        line(
            schema.BIN.name,
            {**bin_tags, "device_id": "bin-p2", "point_id": "p2"},
            {"fill_pct": 70.0},
            at - 30 * MIN,
        ),
        line(
            schema.CLEARANCE.name,
            {"point_id": "p3", "community": "c1", "town": "t", "vehicle_id": "trk"},
            {"fill_before_pct": 80.0},
            at - 90 * MIN,
        ),
        line(
            schema.CLEARANCE.name,
            {"point_id": "p4", "community": "c1", "town": "t", "vehicle_id": "trk"},
            {"fill_before_pct": 80.0},
            start - 90 * MIN,
        ),
        line(
            schema.PEST_VISIT.name,
            {"site_id": "s1", "community": "c1", "town": "t", "crew_id": "crew"},
            {"duration_min": 90},
            at - 3 * 86_400_000,
        ),
        line(
            schema.VIOLATION.name,
            {"kind": "bin_overflow", "community": "c1", "town": "t", "subject": "p1"},
            {"state": "open", "value": 101.0},
            at - 50 * MIN,
        ),
        line(
            schema.VIOLATION.name,
            {"kind": "sewer_overflow", "community": "c2", "town": "t", "subject": "o1"},
            {"state": "open", "value": 1.0},
            at - 50 * MIN,
        ),
        line(
            schema.VIOLATION.name,
            {"kind": "sewer_overflow", "community": "c2", "town": "t", "subject": "o1"},
            {"state": "closed", "value": 1.0},
            at - 40 * MIN,
        ),
        line(
            schema.VEHICLE_POSITION.name,
            {"vehicle_id": "trk", "town": "t"},
            {"lat": 23.05, "lon": 113.1},
            at - 5 * MIN,
        ),
    ]
    influx_db.write_lines(lines)
    state = read_state(influx_db, at, start)
    assert state.bins["p1"].fill_pct == 50.0
    assert state.bins["p1"].rate_pct_per_h == pytest.approx(15.0)
    assert state.bins["p2"].rate_pct_per_h is None  # one reading: no rate
    assert set(state.cleared) == {"p3"}  # p4 was cleared yesterday
    assert state.last_pest_visit == {"s1": at - 3 * 86_400_000}
    assert state.open_violations == {"c1": {ViolationKind.BIN_OVERFLOW}}
    assert state.vehicle_positions["trk"].lat == pytest.approx(23.05)


def test_state_without_influx() -> None:
    """Tests and demos build the state directly; an empty one knows nothing."""
    state = DistrictState.empty(123)
    assert (state.at_ms, state.bins, state.cleared) == (123, {}, {})
    assert state.violations_of("c1") == set()


def test_daily_rate_measured_from_a_week_of_readings(influx_db: InfluxClient) -> None:
    """A point emptied every morning at 06:00 and filling 80 % a day (with the hourly
    shape) shows a history of 80 % per weekday across its clearances, whichever truck
    made them; the forecast's rate follows it, weighed against the registry's
    expectation. The last clearance and its truck start tomorrow's round."""
    config = PlanningConfig()
    shape = config.garbage_shape
    tags = {"device_id": "bin-p5", "point_id": "p5", "community": "c1", "town": "t"}
    lines = []
    mornings = [at_local(DAY - dt.timedelta(days=d), dt.time(6, 0)) for d in (4, 3, 2, 1)]

    def fill(since_ms: int, ts: int) -> float:
        hours = (ts - since_ms) / 3_600_000  # at most a day, from 06:00
        share = shape_share(shape, 6 * 3600, min(24, 6 + hours) * 3600)
        share += shape_share(shape, 0, max(0.0, 6 + hours - 24) * 3600)
        return config.cleared_fill_pct + 80.0 * share

    at = at_local(DAY, dt.time(3, 30))
    for i, morning in enumerate(mornings):
        if i:
            lines.append(
                line(
                    schema.CLEARANCE.name,
                    {"point_id": "p5", "community": "c1", "town": "t", "vehicle_id": f"trk{i}"},
                    {"fill_before_pct": fill(mornings[i - 1], morning)},
                    morning,
                )
            )
        until = mornings[i + 1] if i + 1 < len(mornings) else at
        for ts in range(morning, until, 3_600_000):
            lines.append(line(schema.BIN.name, tags, {"fill_pct": fill(morning, ts)}, ts))
    influx_db.write_lines(lines)
    state = read_state(influx_db, at, LocalDay(DAY).start_ms, config=config)
    reading = state.bins["p5"]
    measured = reading.history_rise_pct / reading.history_weekday_days
    assert reading.history_weekend_days == 0.0  # Monday to Friday
    assert 3.5 < reading.history_weekday_days < 4.0
    assert measured == pytest.approx(80.0, rel=0.01)
    assert (reading.last_cleared_ms, reading.last_cleared_by) == (mornings[-1], "trk3")
    point = CollectionPoint(
        id="p5",
        community_id="c1",
        served_population=100,
        lat=23.0,
        lon=113.0,
        bins=[BinSize(volume_l=240, count=4)],
    )
    prior = registry_rate(point, District()) * 24
    rate = daily_rate(point, reading, District(), config)
    days = reading.history_weekday_days
    assert rate == pytest.approx((measured * days + prior) / (days + 1), rel=1e-6)


@pytest.mark.parametrize(
    ("first", "clearances", "last", "spans"),
    [
        ((0, 10.0), [], (10, 40.0), [(0, 10, 30.0)]),
        ((0, 10.0), [(10, 90.0)], (20, 50.0), [(0, 10, 80.0), (10, 20, 47.0)]),
        # Emptied by hand (no clearance recorded): the span is not counted.
        ((0, 80.0), [], (10, 20.0), []),
        (None, [(5, 70.0)], (9, 30.0), [(5, 9, 27.0)]),
    ],
)
def test_history_spans(
    first: tuple[int, float] | None,
    clearances: list[tuple[int, float]],
    last: tuple[int, float],
    spans: list[tuple[int, int, float]],
) -> None:
    """Rises between the first reading, each clearance (the bin restarts at 3 %) and the last."""
    assert history(first, clearances, last, cleared_fill_pct=3.0) == spans
