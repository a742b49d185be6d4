"""The optimizer's state read from a real InfluxDB, and built by hand without one."""

from __future__ import annotations

import datetime as dt

import pytest

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import LocalDay, at_local
from core.schema import ViolationKind
from optimizer.state import DistrictState, read_state

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
