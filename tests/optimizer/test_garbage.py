"""Garbage plans of a generated town: full coverage with the full fleet, named
unserved points and extra trucks with half of it, overflow deadlines, second
visits, re-planning. Every plan passes the independent validator, checked against
the problems the solver was given; full coverage is asserted where the start every
search begins from already has it (then no amount of search changes it)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.dispatch import StopKind
from core.localday import LocalDay, at_local
from core.plans import PlanState, UnservedReason
from core.registry import PointCategory, Registry
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import prepare_plan
from optimizer.planning.demand import forecast
from optimizer.planning.shifts import DAY_S, clock_s
from optimizer.planning.state import BinState, DistrictState, Position
from optimizer.planning.tasks import PlanTask
from optimizer.solver.portfolio import solve
from optimizer.solver.solution import Solution
from simulators.district import generate_district
from tests.optimizer.planned import CheckedPlan, left_out_at_start, plan

DAY = dt.date(2026, 11, 20)
TOWN = "guicheng"
CONFIG = PlanningConfig()


@pytest.fixture(scope="module")
def district() -> Registry:
    """A scale-0.05 district: Guicheng has ~116 points, two double-shifted trucks and an
    early one."""
    return generate_district(scale=0.05, seed=7)


def _empty() -> DistrictState:
    return DistrictState.empty(LocalDay(DAY).start_ms)


def _served(record: object) -> list[str]:
    return [s.stop_id for r in record.routes for s in r.stops if s.kind is StopKind.POINT]  # type: ignore[attr-defined]


def _covers_every_point(checked: CheckedPlan, points: set[str]) -> None:
    """Every point served (a second visit of the day aside), none named unserved."""
    record = checked.record
    served = _served(record)
    assert record.state is PlanState.DONE
    assert sorted(set(served)) == sorted(points)
    assert len(served) == len(points) + record.kpis["second_visits"]
    assert record.kpis["points_served"] == len(points)
    assert record.kpis["coverage_pct"] == 100.0
    assert record.unserved == []


def test_full_fleet_covers_every_point(district: Registry) -> None:
    """With the town's whole fleet every point is cleared once and every route is valid
    (the constructed start already serves every point, so any search does)."""
    checked = plan(district, _empty(), DAY, "garbage", TOWN, time_limit_s=6)
    assert checked.problems == []
    assert left_out_at_start(checked.prepared) == []
    _covers_every_point(checked, {p.id for p in district.points_in(TOWN)})
    record = checked.record
    assert all(r.town_id == TOWN and r.plan_id == record.plan_id for r in record.routes)


def test_portfolio_of_starts_in_two_processes_keeps_every_rule(
    district: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The town solved by the portfolio in two processes (each start ending in its own
    ruin and recreate) keeps every rule and, from a start serving every point, serves
    every point."""

    def portfolio(task: PlanTask) -> Solution:
        params = dataclasses.replace(task.params, workers=2, time_limit_s=4.0)
        return solve(task.problem, params, unload_at_end=task.unload_at_end)

    monkeypatch.setattr("optimizer.planning.day.solve_task", portfolio)
    checked = plan(district, _empty(), DAY, "garbage", TOWN, time_limit_s=6)
    assert checked.problems == []
    assert left_out_at_start(checked.prepared) == []
    _covers_every_point(checked, {p.id for p in district.points_in(TOWN)})


def test_half_fleet_names_unserved_and_extra_trucks(district: Registry) -> None:
    """Half the trucks (the smallest, shortest shifts): the points left out are named
    with reasons and the plan asks for trucks."""
    trucks = sorted(
        (t for t in district.trucks if t.town_id == TOWN),
        key=lambda t: (clock_s(t.shift.end) - clock_s(t.shift.start), t.capacity_kg),
    )
    kept = trucks[: len(trucks) // 2]
    half = district.model_copy(
        update={"trucks": [t for t in district.trucks if t.town_id != TOWN or t in kept]}
    )
    checked = plan(half, _empty(), DAY, "garbage", TOWN, time_limit_s=6)
    assert checked.problems == []
    record = checked.record
    points = {p.id for p in district.points_in(TOWN)}
    served = set(_served(record))
    unserved = {u.stop_id for u in record.unserved}
    assert unserved, "half the fleet cannot clear the town"
    assert served | unserved == points
    assert not served & unserved
    assert all(u.reason in set(UnservedReason) and u.detail for u in record.unserved)
    assert record.extra_vehicles_needed >= 1
    assert record.kpis["coverage_pct"] < 100


def test_point_predicted_to_overflow_is_reached_in_time(district: Registry) -> None:
    """A bin at 70 % at midnight filling 100 % a day is visited before its forecast
    reaches the deadline fill, on the morning's second window (the first would leave it
    unable to last the night)."""
    point = district.points_in(TOWN)[5]
    start = LocalDay(DAY).start_ms
    state = DistrictState(at_ms=start, bins={point.id: BinState(70.0, start, 100 / 24)})
    fc = forecast(
        point,
        state.bins[point.id],
        district.district,
        CONFIG,
        start_s=0,
        start_ms=start,
        day_end_s=DAY_S,
        weekday=DAY.weekday(),
    )
    due = fc.reaches(CONFIG.deadline_fill_pct, 0, DAY_S)
    assert due is not None
    assert 9 * 3600 < due < 12 * 3600
    # The deadline exactly as forecast (no spread), so the second window is the one.
    exact = PlanningConfig(forecast_spread=0.0)
    checked = plan(district, state, DAY, "garbage", TOWN, time_limit_s=4, config=exact)
    assert checked.problems == []
    assert left_out_at_start(checked.prepared) == []  # so the point is served
    (stop, *_) = [s for r in checked.record.routes for s in r.stops if s.stop_id == point.id]
    assert at_local(DAY, dt.time(9, 0)) <= stop.eta_ms <= start + due * 1000


def _market(registry: Registry) -> str:
    return next(p.id for p in registry.points_in(TOWN) if p.category is PointCategory.MARKET)


def test_market_filling_fast_gets_two_visits(district: Registry) -> None:
    """A market at 85 % at midnight filling 150 % a day is visited twice: before its
    deadline in the morning and again in the daytime window, late enough to last the
    night, on a truck already out; both stops are dispatched as the point, the second
    at least the configured gap after the first."""
    market = _market(district)
    start = LocalDay(DAY).start_ms
    state = DistrictState(at_ms=start, bins={market: BinState(85.0, start, 150 / 24)})
    checked = plan(district, state, DAY, "garbage", TOWN, time_limit_s=4)
    assert checked.problems == []
    assert left_out_at_start(checked.prepared) == []  # so both visits are served
    record = checked.record
    visits = sorted(s.eta_ms for r in record.routes for s in r.stops if s.stop_id == market)
    assert len(visits) == 2, record.unserved
    first, second = visits
    assert first <= at_local(DAY, dt.time(7, 0))
    assert at_local(DAY, dt.time(9, 0)) <= second <= at_local(DAY, dt.time(16, 0))
    assert second - first >= CONFIG.second_visit_gap_s * 1000
    assert "~" not in "".join(_served(record))
    assert record.kpis["second_visits"] == 1
    assert record.kpis["points_served"] == len(district.points_in(TOWN))


def test_replan_keeps_the_second_visit_of_a_point_cleared_this_morning(
    district: Registry,
) -> None:
    """Re-planning at 10:00: the market emptied at 05:00 fills 150 % a day, so it still
    gets its evening visit; a slow point cleared at 05:00 is not visited again."""
    market = _market(district)
    slow = next(p.id for p in district.points_in(TOWN) if p.id != market)
    cleared_ms = at_local(DAY, dt.time(5, 0))
    from_ms = at_local(DAY, dt.time(10, 0))
    state = DistrictState(
        at_ms=from_ms,
        bins={
            market: BinState(3.0, cleared_ms, None, history_rise_pct=750.0, history_weekday_days=5),
            slow: BinState(3.0, cleared_ms, None, history_rise_pct=250.0, history_weekday_days=5),
        },
        cleared={market: cleared_ms, slow: cleared_ms},
    )
    checked = plan(district, state, DAY, "garbage", TOWN, time_limit_s=4, from_ms=from_ms)
    assert checked.problems == []
    assert left_out_at_start(checked.prepared) == []  # so the evening visit is served
    record = checked.record
    served = _served(record)
    assert served.count(market) == 1
    assert slow not in served
    assert record.kpis["points_total"] == len(district.points_in(TOWN)) - 2
    assert record.kpis["second_visits"] == 1


def test_replan_rest_of_day_after_breakdown(district: Registry) -> None:
    """From 10:00 with one truck broken down and some points cleared: those are left
    out, the broken truck has no route, nothing starts before 10:00."""
    small = generate_district(scale=0.02, seed=7)
    trucks = [t for t in small.trucks if t.town_id == TOWN]
    points = [p.id for p in small.points_in(TOWN)]
    cleared = points[:10]
    from_ms = at_local(DAY, dt.time(10, 0))
    checked = plan(
        small,
        DistrictState.empty(from_ms),
        DAY,
        "garbage",
        TOWN,
        time_limit_s=4,
        already_cleared=cleared,
        from_ms=from_ms,
        excluded_vehicles=[trucks[0].id],
    )
    assert checked.problems == []
    record = checked.record
    served = set(_served(record))
    assert not served & set(cleared)
    assert trucks[0].id not in {r.vehicle_id for r in record.routes}
    assert all(r.start_ms >= from_ms for r in record.routes)
    assert record.kpis["points_total"] == len(points) - len(cleared)
    assert served | {u.stop_id for u in record.unserved} == set(points[10:])
    assert 0 < checked.inputs.from_s < DAY_S


def test_replan_borrows_trucks_of_another_town(district: Registry) -> None:
    """Every truck of the town broken down at 10:00: with two trucks lent by another
    town the rest of its points are served by them, and the lenders' own town is not
    planned."""
    small = generate_district(scale=0.02, seed=7)
    own = [t.id for t in small.trucks if t.town_id == TOWN]
    lent = [t.id for t in small.trucks if t.town_id == "dali"][:2]
    from_ms = at_local(DAY, dt.time(10, 0))
    kwargs = {
        "time_limit_s": 4,
        "from_ms": from_ms,
        "excluded_vehicles": own,
    }
    alone = plan(small, DistrictState.empty(from_ms), DAY, "garbage", TOWN, **kwargs).record
    assert alone.routes == []
    assert {u.reason for u in alone.unserved} == {UnservedReason.NO_VEHICLE}
    checked = plan(
        small,
        DistrictState.empty(from_ms),
        DAY,
        "garbage",
        TOWN,
        borrowed_vehicles=lent,
        **kwargs,
    )
    assert checked.problems == []
    helped = checked.record
    assert {r.vehicle_id for r in helped.routes} <= set(lent)
    assert helped.routes
    assert all(r.town_id == TOWN for r in helped.routes)
    served = set(_served(helped))
    assert served <= {p.id for p in small.points_in(TOWN)}
    assert served | {u.stop_id for u in helped.unserved} == {p.id for p in small.points_in(TOWN)}


def test_visits_outside_every_remaining_shift_are_named(district: Registry) -> None:
    """Re-planning at 10:00 with only an early truck (its shift ends 12:30) left: a
    point's evening second visit cannot be served and is named with its reason before
    the solve, instead of reaching the routing model."""
    town_trucks = [t for t in district.trucks if t.town_id == TOWN]
    late = [t.id for t in town_trucks if t.shift.end > "12:30"]
    assert len(late) < len(town_trucks)  # the town has an early truck
    from_ms = at_local(DAY, dt.time(10, 0))
    point = district.points_in(TOWN)[0]
    # Emptied at 05:00 and filling 150 % a day: it needs an evening visit to last.
    state = DistrictState(
        at_ms=from_ms,
        bins={point.id: BinState(40.0, from_ms, 150.0 / 24)},
        cleared={point.id: at_local(DAY, dt.time(5, 0))},
    )
    checked = plan(
        district,
        state,
        DAY,
        "garbage",
        TOWN,
        time_limit_s=4,
        from_ms=from_ms,
        excluded_vehicles=late,
    )
    assert checked.problems == []
    record = checked.record
    (named,) = [u for u in record.unserved if u.stop_id == point.id]
    assert named.reason is UnservedReason.TIME_WINDOW
    assert named.detail.startswith("second visit:")
    assert "on shift" in named.detail
    assert point.id not in _served(record)


def test_replan_starts_trucks_where_they_are(district: Registry) -> None:
    """Re-planning at 10:00 with the town's trucks last seen at points of the town: each
    route starts where its truck is (the validator holds it to the state's positions)
    and ends at its depot."""
    from_ms = at_local(DAY, dt.time(10, 0))
    points = district.points_in(TOWN)
    trucks = [t for t in district.trucks if t.town_id == TOWN]
    seen = {
        t.id: Position(points[7 * k].lat, points[7 * k].lon, from_ms - 60_000)
        for k, t in enumerate(trucks)
    }
    state = DistrictState(at_ms=from_ms, vehicle_positions=seen)
    checked = plan(district, state, DAY, "garbage", TOWN, time_limit_s=4, from_ms=from_ms)
    assert checked.given.starts.keys() == seen.keys()
    assert checked.problems == []
    assert checked.record.routes
    for route in checked.record.routes:
        first, last = route.stops[0], route.stops[-1]
        here = seen[route.vehicle_id]
        assert (first.lat, first.lon) == (here.lat, here.lon)
        depot = district.depot_by_id[district.truck_by_id[route.vehicle_id].depot_id]
        assert (last.stop_id, last.lat, last.lon) == (depot.id, depot.lat, depot.lon)


@pytest.mark.parametrize(("clock", "from_position"), [("03:30", False), ("10:00", True)])
def test_trucks_start_where_they_are_only_on_shift(
    district: Registry, clock: str, from_position: bool
) -> None:
    """A plan made before the shifts start (the 03:30 morning plan) starts every truck
    at its depot, whatever its last fix; a re-plan during the shift starts it there."""
    truck = next(t for t in district.trucks if t.town_id == TOWN)
    depot = district.depot_by_id[truck.depot_id]
    away = Position(depot.lat + 0.02, depot.lon + 0.02, LocalDay(DAY).start_ms + 60_000)
    state = dataclasses.replace(_empty(), vehicle_positions={truck.id: away})
    from_ms = at_local(DAY, dt.time.fromisoformat(clock))
    prepared = prepare_plan(district, state, DAY, "garbage", TOWN, from_ms=from_ms)
    (vehicle,) = [v for t in prepared.tasks for v in t.problem.vehicles if v.id == truck.id]
    start = (vehicle.start.lat, vehicle.start.lon)
    assert start == ((away.lat, away.lon) if from_position else (depot.lat, depot.lon))


def test_crowded_first_window_is_served_late_rather_than_dropped(district: Registry) -> None:
    """Every point of the town due before 07:00 and one truck: with hard deadlines most
    points cannot be served today; allowed to be late (a re-plan after a breakdown),
    the points the
    first window cannot hold are served after it, each after its due time and within
    the allowance, and the plan keeps every rule."""
    truck = next(t for t in district.trucks if t.town_id == TOWN)
    lone = district.model_copy(
        update={"trucks": [t for t in district.trucks if t.town_id != TOWN or t is truck]}
    )
    start = LocalDay(DAY).start_ms
    at = start + 3 * 3_600_000
    # 92 % at 03:00, 40 % a day: due in the first window, one visit lasts the night.
    full = {p.id: BinState(92.0, at, 40 / 24) for p in district.points_in(TOWN)}
    state = DistrictState(at_ms=at, bins=full)
    points = {p.id for p in district.points_in(TOWN)}

    allowed = dataclasses.replace(CONFIG, late_allowance_s=4 * 3600, late_cost_per_s=500)
    hard = plan(lone, state, DAY, "garbage", TOWN, time_limit_s=4)
    late = plan(lone, state, DAY, "garbage", TOWN, time_limit_s=4, config=allowed)
    assert hard.problems == []
    assert late.problems == []
    left_hard = {u.stop_id for u in hard.record.unserved}
    left_late = {u.stop_id for u in late.record.unserved}
    assert len(left_hard) > len(points) // 2, "one truck cannot meet the town's deadlines"
    assert len(left_late) <= len(left_hard) - 15, "the points served late are few"

    due = {s.id: s.due_s for t in late.prepared.tasks for s in t.problem.stops if s.due_s}
    etas = {s.stop_id: s.eta_ms for r in late.record.routes for s in r.stops}
    lateness = [(etas[p] - start) / 1000 - due[p] for p in etas if p in due]
    assert max(lateness) > 0, "no point was served after its due time"
    assert max(lateness) <= allowed.late_allowance_s
