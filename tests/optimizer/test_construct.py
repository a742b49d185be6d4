"""The constructed start: what a truck does when it is full, when it must wait for a
window, and where it makes its last unloading trip. Checked on the routes' own
timeline, recomputed here from the problem's matrix, not from the constructor."""

from __future__ import annotations

from optimizer.distance import GreatCircle
from optimizer.solver.construct import Step, construct
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import Break, Problem, ProblemBuilder, TimeWindow, second_visit_id
from tests.optimizer.validator import great_circle, validate_solution

HOUR = 3600
PROVIDER = GreatCircle(detour=1.3, speed_kmh=22.0)


def _problem(*, windows: tuple[TimeWindow, ...], n: int, demand: int) -> Problem:
    """One truck (04:30–21:00, break 11:30–13:30) at a depot, a station 1 km away and
    `n` points of `demand` kg in a row east of the depot."""
    b = ProblemBuilder("construct")
    depot = b.add_depot("d", 23.0, 113.0)
    b.add_station("st", 23.009, 113.0, 15 * 60)
    for i in range(n):
        b.add_stop(
            f"p{i}", 23.0, 113.002 + 0.001 * i, demand_kg=demand, service_s=120, windows=windows
        )
    b.add_vehicle(
        "t",
        depot,
        capacity_kg=1000,
        shift=TimeWindow(4 * HOUR + 1800, 21 * HOUR),
        rest=Break(11 * HOUR + 1800, 13 * HOUR + 1800, 1800),
    )
    return b.build(PROVIDER, station_copies=n)


def _timeline(problem: Problem, steps: list[Step]) -> list[tuple[str, int, int]]:
    """(kind, arrival, start) of each step, driving straight on, waiting for windows."""
    vehicle = problem.vehicles[0]
    dur = problem.duration_s
    here, t, out = vehicle.start.index, vehicle.shift.open_s, []
    for step in steps:
        if step.stop is not None:
            stop = problem.stops[step.stop]
            arrive = t + int(dur[here, stop.location.index])
            start = max(arrive, next(w.open_s for w in stop.windows if arrive <= w.close_s))
            out.append(("stop", arrive, start))
            here, t = stop.location.index, start + stop.service_s
        else:
            station = problem.stations[step.station or 0]
            arrive = t + int(dur[here, station.location.index])
            out.append(("station", arrive, arrive))
            here, t = station.location.index, arrive + station.unload_s
    return out


def test_a_full_truck_unloads_instead_of_parking_until_its_break() -> None:
    """Four points of 400 kg fill a 1 t truck after two: it unloads and goes on the same
    morning rather than waiting for its break at 11:30."""
    problem = _problem(windows=(TimeWindow(4 * HOUR, 7 * HOUR),), n=4, demand=400)
    steps = construct(problem)[0]
    kinds = [s.stop is not None for s in steps]
    assert kinds.count(True) == 4
    timeline = _timeline(problem, steps)
    assert timeline[2][0] == "station"
    assert all(start < 7 * HOUR for kind, _, start in timeline if kind == "stop")


def test_unloading_fits_into_the_gap_between_windows() -> None:
    """Points open 04:00–05:00 and 09:00–16:00: the truck loads in the first window and
    unloads while it waits for the second, so it arrives empty at 09:00."""
    windows = (TimeWindow(4 * HOUR, 5 * HOUR), TimeWindow(9 * HOUR, 16 * HOUR))
    problem = _problem(windows=windows, n=6, demand=300)
    steps = construct(problem)[0]
    timeline = _timeline(problem, steps)
    served = [start for kind, _, start in timeline if kind == "stop"]
    assert len(served) == 6
    nine = next(
        i for i, (kind, _, start) in enumerate(timeline) if kind == "stop" and start >= 9 * HOUR
    )
    kind, arrive, _ = timeline[nine - 1]
    assert kind == "station"
    assert arrive < 9 * HOUR


def test_constructed_routes_are_accepted_whole_by_the_model() -> None:
    """A day's worth of loads and unloading trips for one truck: the solver accepts
    the constructed routes and keeps every visit."""
    problem = _problem(windows=(TimeWindow(4 * HOUR, 21 * HOUR),), n=30, demand=200)
    built = sum(1 for s in construct(problem)[0] if s.stop is not None)
    solution = solve(problem, SolveParams(time_limit_s=1.0, initial="construct"))
    served = sum(len(r.served) for r in solution.routes)
    assert built == 30
    assert served == 30
    assert validate_solution(problem, solution, great_circle(1.3, 22.0)) == []


def test_a_first_visit_comes_before_a_second_one_when_only_one_fits() -> None:
    """One hour of shift, two points each needing 40 min of service: the plan serves
    the point's only visit of the day and names the other point's second visit."""
    b = ProblemBuilder("priority")
    depot = b.add_depot("d", 23.0, 113.0)
    window = (TimeWindow(9 * HOUR, 16 * HOUR),)
    # The second visit is nearer, so distance alone would pick it.
    b.add_stop(second_visit_id("near"), 23.0, 113.001, service_s=2400, windows=window)
    b.add_stop("far", 23.0, 113.004, service_s=2400, windows=window)
    b.add_vehicle("t", depot, shift=TimeWindow(9 * HOUR, 10 * HOUR))
    problem = b.build(PROVIDER)
    first = [problem.stops[s.stop].id for s in construct(problem)[0] if s.stop is not None]
    assert first == ["far"]
    solution = solve(problem, SolveParams(time_limit_s=1.0))
    assert validate_solution(problem, solution, great_circle(1.3, 22.0)) == []
    assert [s for r in solution.routes for s in r.served] == ["far"]
    assert [s.id for s in solution.dropped] == [second_visit_id("near")]
