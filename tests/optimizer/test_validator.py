"""The validators can fail: a valid plan, tampered with in one way at a time, is
reported for exactly that one broken rule.

The plan is a town's garbage plan from a search with a count for its budget (so the
same plan every run), a single truck working both windows with unloading trips and
its break; the solver-level checks use a small multi-trip instance."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from core.dispatch import RouteDispatch, RouteStopOut, StopKind
from core.localday import LocalDay
from optimizer.planning.config import PlanningConfig
from optimizer.planning.state import DistrictState
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import Problem, ProblemBuilder, TimeWindow
from optimizer.solver.solution import RoutePlan, Solution
from simulators.district import generate_district
from tests.optimizer.planned import CheckedPlan, plan, solve_counted
from tests.optimizer.test_known_optimum import FixedMatrix
from tests.optimizer.validator import TOLERANCE_S, drive_s, validate_plan, validate_solution

DAY = dt.date(2026, 11, 20)
TOWN = "guicheng"


@pytest.fixture(scope="module")
def valid() -> CheckedPlan:
    """Guicheng's plan (116 points), searched for a count of solutions."""
    registry = generate_district(scale=0.05, seed=7)
    state = DistrictState.empty(LocalDay(DAY).start_ms)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("optimizer.planning.day.solve_task", solve_counted)
        return plan(registry, state, DAY, "garbage", TOWN, time_limit_s=2)


@pytest.fixture(scope="module")
def waiting() -> CheckedPlan:
    """Guicheng re-planned at 07:30, between the first window and the second: every
    truck reaches its first stop before 09:00 and waits for the window to open."""
    registry = generate_district(scale=0.05, seed=7)
    state = DistrictState.empty(LocalDay(DAY).start_ms)
    from_ms = LocalDay(DAY).start_ms + (7 * 3600 + 1800) * 1000
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("optimizer.planning.day.solve_task", solve_counted)
        return plan(
            registry,
            state,
            DAY,
            "garbage",
            TOWN,
            time_limit_s=2,
            from_ms=from_ms,
            config=PlanningConfig(forecast_spread=0.0),
        )


def _check(valid: CheckedPlan, routes: list[RouteDispatch]) -> list[str]:
    inputs = valid.inputs
    return validate_plan(routes, inputs.registry, DAY, inputs.config, valid.given)


def _route(valid: CheckedPlan) -> RouteDispatch:
    """The plan's longest route."""
    return max(valid.record.routes, key=lambda r: len(r.stops))


def _with(
    valid: CheckedPlan, route: RouteDispatch, stops: list[RouteStopOut]
) -> list[RouteDispatch]:
    """The plan's routes with `route`'s stops replaced."""
    changed = route.model_copy(update={"stops": stops})
    return [changed if r.route_id == route.route_id else r for r in valid.record.routes]


def _moved(x: RouteStopOut, by_s: int) -> RouteStopOut:
    """`x` served `by_s` seconds later (earlier when negative), its service as long."""
    return x.model_copy(
        update={"eta_ms": x.eta_ms + by_s * 1000, "depart_ms": x.depart_ms + by_s * 1000}
    )


def _s(x: RouteStopOut, at: str = "eta") -> int:
    ms = x.eta_ms if at == "eta" else x.depart_ms
    return (ms - LocalDay(DAY).start_ms) // 1000


def _single_visits(valid: CheckedPlan, route: RouteDispatch) -> list[int]:
    """Positions of the route's point stops that are their point's only visit, straight
    after another point (no break or unloading in between)."""
    second = {k.removesuffix("~2") for k in valid.given.windows if k.endswith("~2")}
    return [
        i
        for i in range(2, len(route.stops))
        if route.stops[i].kind is StopKind.POINT
        and route.stops[i - 1].kind is StopKind.POINT
        and route.stops[i].stop_id not in second
    ]


def _earliest_s(valid: CheckedPlan, route: RouteDispatch, i: int) -> float:
    """When stop i could be reached at the soonest, leaving stop i - 1 as planned."""
    a, b = route.stops[i - 1], route.stops[i]
    return _s(a, "depart") + drive_s(a, b, valid.inputs.config)


def test_the_plan_is_valid(valid: CheckedPlan) -> None:
    """Untouched, the plan breaks no rule (the tampered ones below each break one)."""
    assert valid.problems == []
    route = _route(valid)
    assert [x.kind for x in route.stops].count(StopKind.STATION) >= 2


def test_a_wrong_load_on_one_stop(valid: CheckedPlan) -> None:
    """One point stop reporting a kilogram more than its demands make."""
    route = _route(valid)
    stops = list(route.stops)
    k = next(i for i, x in enumerate(stops) if x.kind is StopKind.POINT and i > 3)
    x = stops[k]
    stops[k] = x.model_copy(update={"load_kg": x.load_kg + 1})
    assert _check(valid, _with(valid, route, stops)) == [
        f"{route.vehicle_id} reports {x.load_kg + 1:g} kg on board after point {x.stop_id} "
        f"(stop {x.seq}); its demands make {x.load_kg:g} kg"
    ]


def test_a_route_starting_away_from_its_depot(valid: CheckedPlan) -> None:
    """The first stop moved halfway to the second (nearer to it, so no drive is too
    short): the route does not start at its depot."""
    route = _route(valid)
    stops = list(route.stops)
    first, second = stops[0], stops[1]
    lat, lon = (first.lat + second.lat) / 2, (first.lon + second.lon) / 2
    stops[0] = first.model_copy(update={"lat": lat, "lon": lon})
    assert _check(valid, _with(valid, route, stops)) == [
        f"{route.vehicle_id} starts at depot {first.stop_id} ({lat}, {lon}), "
        f"not at {first.stop_id} {(first.lat, first.lon)}"
    ]


def test_a_replan_route_starting_at_its_depot_instead_of_where_the_truck_is(
    valid: CheckedPlan,
) -> None:
    """Held to a re-plan's start (the truck seen elsewhere), the route that starts at the
    depot is reported: the start is checked against the position given, not the depot
    alone."""
    route = _route(valid)
    seen = (route.stops[1].lat, route.stops[1].lon)
    given = dataclasses.replace(valid.given, starts={route.vehicle_id: seen})
    inputs = valid.inputs
    first = route.stops[0]
    assert validate_plan(valid.record.routes, inputs.registry, DAY, inputs.config, given) == [
        f"{route.vehicle_id} starts at depot {first.stop_id} ({first.lat}, {first.lon}), "
        f"not at {first.stop_id} {seen}"
    ]


def test_a_stop_served_before_its_window_opens(waiting: CheckedPlan) -> None:
    """A stop the truck waited at for its window (reached in time to start earlier)
    served a minute before the window opens."""
    candidates = [
        (route, i)
        for route in waiting.record.routes
        for i in _single_visits(waiting, route)
        if any(a == _s(route.stops[i]) for a, _ in waiting.given.windows[route.stops[i].stop_id])
        and _earliest_s(waiting, route, i) + TOLERANCE_S <= _s(route.stops[i]) - 60
    ]
    if not candidates:
        pytest.fail("no stop of any route waits a minute for its window to open")
    route, i = candidates[0]
    x = route.stops[i]
    stops = list(route.stops)
    stops[i] = _moved(x, -60)
    assert _check(waiting, _with(waiting, route, stops)) == [
        f"{x.stop_id} is served at {_s(x) - 60} s, outside its windows "
        f"{list(waiting.given.windows[x.stop_id])}"
    ]


def test_a_stop_reached_faster_than_driving_allows(valid: CheckedPlan) -> None:
    """A stop served a minute sooner than the drive from the one before allows, still
    inside its window."""
    route = _route(valid)
    for i in _single_visits(valid, route):
        x = route.stops[i]
        early = math.ceil(_s(x) - _earliest_s(valid, route, i)) + 60
        if any(a <= _s(x) - early <= b for a, b in valid.given.windows[x.stop_id]):
            break
    else:
        pytest.fail("no stop can be moved a minute before its drive allows inside its window")
    stops = list(route.stops)
    stops[i] = _moved(x, -early)
    assert _check(valid, _with(valid, route, stops)) == [
        f"{route.vehicle_id}: {x.stop_id} reached faster than driving allows"
    ]


def test_an_overloaded_truck(valid: CheckedPlan) -> None:
    """An unloading trip left out mid-route, the loads after it carried on (so they
    agree with the demands): the truck carries more than it holds."""
    route = _route(valid)
    capacity = valid.inputs.registry.truck_by_id[route.vehicle_id].capacity_kg
    stops = list(route.stops)
    k = next(i for i, x in enumerate(stops) if x.kind is StopKind.STATION)
    before = stops[k - 1].load_kg
    nxt = next(i for i in range(k + 1, len(stops)) if stops[i].kind is StopKind.STATION)
    assert before + stops[nxt - 1].load_kg > capacity  # the trip after fills the rest
    carried = [x.model_copy(update={"load_kg": x.load_kg + before}) for x in stops[k + 1 : nxt]]
    over = next(x for x in carried if x.load_kg > capacity)
    tampered = [*stops[:k], *carried, *stops[nxt:]]
    assert _check(valid, _with(valid, route, tampered)) == [
        f"{route.vehicle_id} carries {over.load_kg:g} kg after {over.stop_id}, "
        f"over its {capacity:g} kg"
    ]


# --- the solver-level validator ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Solved:
    """A solved multi-trip instance and the geometry it was built from."""

    matrix: FixedMatrix
    problem: Problem
    solution: Solution

    def check(self, route: RoutePlan) -> list[str]:
        """The validator's findings with `route` as the solution's only route."""
        tampered = dataclasses.replace(self.solution, routes=(route,))
        return validate_solution(self.problem, tampered, self.matrix.travel)


@pytest.fixture(scope="module")
def solved() -> _Solved:
    """One truck of 10 units, five stops of 4 and a station: it unloads mid-route."""
    xy = [(0, 0), (60, 0), (10, 30), (20, 40), (80, 20), (90, 40), (30, 90)]
    builder = ProblemBuilder("multitrip")
    depot = builder.add_depot("d", 0.0, 0.0)
    builder.add_station("ts", 0.0, 0.0, unload_s=5)
    for i in range(5):
        builder.add_stop(f"s{i}", 0.0, 0.0, demand_kg=4, service_s=3)
    builder.add_vehicle("v", depot, capacity_kg=10, shift=TimeWindow(0, 2000))
    matrix = FixedMatrix(xy)
    problem = builder.build(matrix, station_copies=5)
    solution = solve(problem, SolveParams(time_limit_s=60, solution_limit=100))
    assert validate_solution(problem, solution, matrix.travel) == []
    (route,) = solution.routes
    assert route.unloads >= 2
    return _Solved(matrix, problem, solution)


def test_solver_reports_a_wrong_load(solved: _Solved) -> None:
    """A visit of the solver's route reporting one unit more than the demands make."""
    (route,) = solved.solution.routes
    visits = list(route.visits)
    k = next(i for i, x in enumerate(visits) if x.kind is StopKind.POINT and x.load_kg > 4)
    x = visits[k]
    visits[k] = dataclasses.replace(x, load_kg=x.load_kg + 1)
    assert solved.check(dataclasses.replace(route, visits=tuple(visits))) == [
        f"v reports {x.load_kg + 1} kg after {x.ref_id}; demands make {x.load_kg}"
    ]


def test_solver_route_starting_away_from_its_start(solved: _Solved) -> None:
    """The route's first visit put where its first stop is (its distance to match)."""
    (route,) = solved.solution.routes
    first, second = route.visits[0], route.visits[1]
    metres, _ = solved.matrix.travel(first.location, second.location)
    visits = (dataclasses.replace(first, location=second.location), *route.visits[1:])
    moved = dataclasses.replace(route, visits=visits, distance_m=route.distance_m - metres)
    assert solved.check(moved) == [f"v does not start where it is ({first.location.index})"]


def test_solver_reports_a_wrong_distance(solved: _Solved) -> None:
    """The route's distance ten metres short of its legs."""
    (route,) = solved.solution.routes
    short = dataclasses.replace(route, distance_m=route.distance_m - 10)
    assert solved.check(short) == [
        f"v reports {route.distance_m - 10} m; its legs make {route.distance_m} m"
    ]
