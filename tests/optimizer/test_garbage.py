"""Garbage plans of a generated town: full coverage with the full fleet, named
unserved points and extra trucks with half of it, overflow deadlines, re-planning."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dispatch import StopKind
from core.localday import LocalDay, at_local
from core.plans import PlanState, UnservedReason
from core.registry import Registry
from optimizer.garbage import DAY_S
from optimizer.params import PlanningConfig
from optimizer.planning import plan_day
from optimizer.state import BinState, DistrictState
from simulators.district import generate_district
from tests.optimizer.validator import validate_plan

DAY = dt.date(2026, 11, 20)
TOWN = "guicheng"
CONFIG = PlanningConfig()


@pytest.fixture(scope="module")
def district() -> Registry:
    """A scale-0.05 district: Guicheng has ~116 points and two trucks."""
    return generate_district(scale=0.05, seed=7)


def _empty() -> DistrictState:
    return DistrictState.empty(LocalDay(DAY).start_ms)


def _served(record: object) -> list[str]:
    return [s.stop_id for r in record.routes for s in r.stops if s.kind is StopKind.POINT]  # type: ignore[attr-defined]


def test_full_fleet_covers_every_point(district: Registry) -> None:
    """With the town's whole fleet every point is cleared once and every route is valid."""
    record = plan_day(district, _empty(), DAY, "garbage", TOWN, time_limit_s=12)
    points = {p.id for p in district.points_in(TOWN)}
    served = _served(record)
    assert record.state is PlanState.DONE
    assert sorted(served) == sorted(points)
    assert record.kpis["coverage_pct"] == 100.0
    assert record.unserved == []
    assert validate_plan(record.routes, district, DAY, CONFIG) == []
    assert all(r.town_id == TOWN and r.plan_id == record.plan_id for r in record.routes)


def test_half_fleet_names_unserved_and_extra_trucks(district: Registry) -> None:
    """Half the trucks: the points left out are named with reasons and the plan asks for trucks."""
    trucks = [t for t in district.trucks if t.town_id == TOWN]
    kept = trucks[: len(trucks) // 2]
    half = district.model_copy(
        update={"trucks": [t for t in district.trucks if t.town_id != TOWN or t in kept]}
    )
    record = plan_day(half, _empty(), DAY, "garbage", TOWN, time_limit_s=12)
    points = {p.id for p in district.points_in(TOWN)}
    served = set(_served(record))
    unserved = {u.stop_id for u in record.unserved}
    assert unserved, "half the fleet cannot clear the town"
    assert served | unserved == points
    assert not served & unserved
    assert all(u.reason in set(UnservedReason) and u.detail for u in record.unserved)
    assert record.extra_vehicles_needed >= 1
    assert record.kpis["coverage_pct"] < 100
    assert validate_plan(record.routes, half, DAY, CONFIG) == []


def test_point_predicted_to_overflow_is_reached_in_time(district: Registry) -> None:
    """A bin at 80 % at midnight filling 4 %/h overflows at 05:00: it is served by then."""
    point = district.points_in(TOWN)[5]
    start = LocalDay(DAY).start_ms
    state = DistrictState(at_ms=start, bins={point.id: BinState(80.0, start, 4.0)})
    record = plan_day(district, state, DAY, "garbage", TOWN, time_limit_s=8)
    (stop,) = [s for r in record.routes for s in r.stops if s.stop_id == point.id]
    assert stop.eta_ms <= at_local(DAY, dt.time(5, 0))


def test_replan_rest_of_day_after_breakdown(district: Registry) -> None:
    """From 10:00 with one truck broken down and some points cleared: those are left
    out, the broken truck has no route, nothing starts before 10:00."""
    small = generate_district(scale=0.02, seed=7)
    trucks = [t for t in small.trucks if t.town_id == TOWN]
    points = [p.id for p in small.points_in(TOWN)]
    cleared = points[:10]
    from_ms = at_local(DAY, dt.time(10, 0))
    record = plan_day(
        small,
        DistrictState.empty(from_ms),
        DAY,
        "garbage",
        TOWN,
        time_limit_s=8,
        already_cleared=cleared,
        from_ms=from_ms,
        excluded_vehicles=[trucks[0].id],
    )
    served = set(_served(record))
    assert not served & set(cleared)
    assert trucks[0].id not in {r.vehicle_id for r in record.routes}
    assert all(r.start_ms >= from_ms for r in record.routes)
    assert record.kpis["points_total"] == len(points) - len(cleared)
    assert served | {u.stop_id for u in record.unserved} == set(points[10:])
    from_s = (from_ms - LocalDay(DAY).start_ms) // 1000
    assert 0 < from_s < DAY_S
    assert validate_plan(record.routes, small, DAY, CONFIG, from_s=from_s) == []
