"""Each truck starts the day from its usual round: the points it cleared yesterday, in
the order it cleared them. The rounds come from the clearances' trucks, the first
solution follows them (out of order only for a stop that would close first), and
the search tries yesterday's trucks before calling another one out."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.localday import LocalDay, at_local
from core.registry import Registry
from optimizer.distance import GreatCircle
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import prepare_plan
from optimizer.planning.state import BinState, DistrictState
from optimizer.solver.construct import construct
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import Problem, ProblemBuilder, TimeWindow
from simulators.district import generate_district
from tests.optimizer.planned import plan
from tests.optimizer.validator import great_circle, validate_solution

HOUR = 3600
PROVIDER = GreatCircle(detour=1.3, speed_kmh=22.0)
DAY_WINDOW = (TimeWindow(9 * HOUR, 16 * HOUR),)


def _problem(
    rounds: dict[str, list[int]],
    *,
    n: int = 8,
    shifts: dict[str, TimeWindow] | None = None,
    windows: dict[int, tuple[TimeWindow, ...]] | None = None,
) -> Problem:
    """Trucks t1-t3 (09:00-17:00 unless `shifts` says) at one depot, `n` points of 100 kg
    in a row east of it, a station near the depot; `rounds` gives trucks their usual
    rounds as point numbers."""
    b = ProblemBuilder("rounds")
    depot = b.add_depot("d", 23.0, 113.0)
    b.add_station("st", 23.002, 113.0, 10 * 60)
    for i in range(n):
        b.add_stop(
            f"p{i}",
            23.0,
            113.002 + 0.002 * i,
            demand_kg=100,
            service_s=300,
            windows=(windows or {}).get(i, DAY_WINDOW),
        )
    for truck in ("t1", "t2", "t3"):
        b.add_vehicle(
            truck,
            depot,
            capacity_kg=2000,
            shift=(shifts or {}).get(truck, TimeWindow(9 * HOUR, 17 * HOUR)),
            usual=tuple(f"p{i}" for i in rounds.get(truck, [])),
        )
    return b.build(PROVIDER, station_copies=4)


def _order(problem: Problem, truck: str) -> list[str]:
    v = next(i for i, v in enumerate(problem.vehicles) if v.id == truck)
    return [problem.stops[s.stop].id for s in construct(problem)[v] if s.stop is not None]


def test_first_routes_follow_the_usual_rounds() -> None:
    """Each truck with a round keeps its order, even a roundabout one; a truck without
    one stays home."""
    problem = _problem({"t1": [3, 1, 0, 2], "t2": [7, 5, 6, 4]})
    assert _order(problem, "t1") == ["p3", "p1", "p0", "p2"]
    assert _order(problem, "t2") == ["p7", "p5", "p6", "p4"]
    assert _order(problem, "t3") == []


def test_a_point_in_no_round_joins_the_round_of_its_nearest_point() -> None:
    """p3 and p4 were in no round yesterday (new points, or a truck kept home today):
    each goes right after the round point nearest to it, p2 of t1 and p5 of t2."""
    problem = _problem({"t1": [0, 1, 2], "t2": [7, 6, 5]})
    assert _order(problem, "t1") == ["p0", "p1", "p2", "p3"]
    assert _order(problem, "t2") == ["p7", "p6", "p5", "p4"]
    assert _order(problem, "t3") == []


def test_a_stop_closing_soon_is_taken_out_of_order() -> None:
    """p5 must be served by 09:30 today (due earlier than yesterday's round had it): the
    truck takes it first and keeps the round's order for the rest."""
    soon = (TimeWindow(9 * HOUR, 9 * HOUR + 1800),)
    problem = _problem({"t1": [0, 1, 2, 3, 4, 5]}, n=6, windows={5: soon})
    assert _order(problem, "t1") == ["p5", "p0", "p1", "p2", "p3", "p4"]


def test_rounds_are_cut_to_the_problem_and_claimed_once() -> None:
    """A round keeps only this problem's stops (a point moved to another sector drops
    out of it); a stop in two rounds stays in the first truck's."""
    b = ProblemBuilder("cut")
    depot = b.add_depot("d", 23.0, 113.0)
    b.add_stop("a", 23.0, 113.01, windows=DAY_WINDOW)
    b.add_stop("b", 23.0, 113.02, windows=DAY_WINDOW)
    shift = TimeWindow(9 * HOUR, 17 * HOUR)
    b.add_vehicle("t1", depot, shift=shift, usual=("a", "elsewhere", "b"))
    b.add_vehicle("t2", depot, shift=shift, usual=("b",))
    problem = b.build(PROVIDER)
    assert [v.usual for v in problem.vehicles] == [("a", "b"), ()]


def test_yesterdays_truck_serves_alone_when_it_can() -> None:
    """Yesterday's truck can serve all eight points again: the constructed start keeps
    to it, although a truck parked next to the points would drive less (the search
    from the whole fleet takes that one) and no fixed cost holds the other back."""
    b = ProblemBuilder("yesterday")
    far = b.add_depot("far", 23.0, 112.95)
    near = b.add_depot("near", 23.0, 113.0)
    for i in range(8):
        b.add_stop(f"p{i}", 23.0, 113.002 + 0.002 * i, service_s=300, windows=DAY_WINDOW)
    shift = TimeWindow(9 * HOUR, 17 * HOUR)
    b.add_vehicle("t1", far, shift=shift, usual=tuple(f"p{i}" for i in range(8)))
    b.add_vehicle("t2", near, shift=shift)
    problem = b.build(PROVIDER)
    for initial, trucks in (("construct", ["t1"]), ("ortools", ["t2"])):
        solution = solve(problem, SolveParams(time_limit_s=2.0, initial=initial))
        assert validate_solution(problem, solution, great_circle(1.3, 22.0)) == []
        assert solution.dropped == ()
        assert [r.vehicle.id for r in solution.routes] == trucks


def test_another_truck_is_added_when_yesterdays_cannot_serve_all() -> None:
    """Yesterday's truck has a one-hour shift today: the plan adds a truck, the one
    with the longest shift first, and serves every point."""
    shifts = {
        "t1": TimeWindow(9 * HOUR, 10 * HOUR),
        "t2": TimeWindow(9 * HOUR, 12 * HOUR),
        "t3": TimeWindow(9 * HOUR, 17 * HOUR),
    }
    problem = _problem({"t1": list(range(8))}, shifts=shifts)
    params = SolveParams(time_limit_s=2.0, initial="construct", vehicle_cost=30_000)
    solution = solve(problem, params)
    assert validate_solution(problem, solution, great_circle(1.3, 22.0)) == []
    assert solution.dropped == ()
    assert {r.vehicle.id for r in solution.routes} <= {"t1", "t3"}
    assert "t3" in {r.vehicle.id for r in solution.routes}


DAY = dt.date(2026, 11, 20)
TOWN = "guicheng"


@pytest.fixture(scope="module")
def district() -> Registry:
    return generate_district(scale=0.05, seed=7)


def _yesterday(district: Registry, town: str) -> tuple[DistrictState, dict[str, list[str]]]:
    """A state at 03:30 in which the town's first two trucks cleared its points
    yesterday, in turn, each round in reverse order of the registry's list, every
    tenth point in the evening; and the rounds that gives (evening clearances aside)."""
    trucks = [t.id for t in district.trucks if t.town_id == town]
    yesterday = LocalDay(DAY - dt.timedelta(days=1)).start_ms
    at = at_local(DAY, dt.time(3, 30))
    bins: dict[str, BinState] = {}
    expected: dict[str, list[str]] = {t: [] for t in trucks}
    for i, point in enumerate(p.id for p in district.points_in(town)):
        truck = trucks[i % 2]
        evening = i % 10 == 9
        clock = 20 * HOUR if evening else 15 * HOUR - 60 * i
        cleared = yesterday + clock * 1000
        bins[point] = BinState(40.0, at - 1000, 2.0, last_cleared_ms=cleared, last_cleared_by=truck)
        if not evening:
            expected[truck].insert(0, point)
    return DistrictState(at_ms=at, bins=bins), expected


def test_rounds_come_from_yesterdays_clearances(district: Registry) -> None:
    """The morning plan gives each truck the points it cleared yesterday in the order
    it cleared them; an evening clearance is in no round."""
    state, expected = _yesterday(district, TOWN)
    config = dataclasses.replace(PlanningConfig(), second_visits=False)
    prepared = prepare_plan(
        district, state, DAY, "garbage", TOWN, from_ms=state.at_ms, config=config, time_limit_s=5
    )
    usual = {v.id: list(v.usual) for task in prepared.tasks for v in task.problem.vehicles}
    assert usual == expected


def test_a_short_fleet_with_rounds_still_names_the_trucks_it_needs(district: Registry) -> None:
    """One of yesterday's trucks alone today (the others are withheld): the plan from
    its round names the points it leaves and sizes the extra trucks (sizing copies a
    truck, without its round)."""
    state, _ = _yesterday(district, TOWN)
    withheld = [t.id for t in district.trucks if t.town_id == TOWN][1:]
    checked = plan(
        district,
        state,
        DAY,
        "garbage",
        TOWN,
        time_limit_s=4,
        from_ms=state.at_ms,
        excluded_vehicles=withheld,
    )
    assert checked.problems == []
    record = checked.record
    assert record.unserved, "one truck cannot clear the town"
    assert record.extra_vehicles_needed >= 1


def test_a_problem_cut_after_it_was_built_keeps_its_rounds_valid() -> None:
    """A sizing run solves some of a problem's stops with copies of one truck: rounds
    naming stops the cut problem has not, or copied onto several trucks, are skipped
    (a stop stays in the first round), and the solve serves every stop."""
    problem = _problem({"t1": [0, 1, 2, 3, 4, 5, 6, 7]})
    t1 = problem.vehicles[0]
    cut = dataclasses.replace(
        problem,
        stops=problem.stops[4:],
        vehicles=(t1, dataclasses.replace(t1, id="copy")),
    )
    steps = construct(cut)
    assert [[cut.stops[s.stop].id for s in r if s.stop is not None] for r in steps] == [
        ["p4", "p5", "p6", "p7"],
        [],
    ]
    solution = solve(cut, SolveParams(time_limit_s=1.0, initial="construct"))
    assert solution.dropped == ()
