"""Ruin and recreate (optimizer/solver/lns.py): it never returns worse than its start, its
ruin removes what it says, and the routes it leads to keep every rule of the model
(checked by the independent validators, not from the solver's own times and loads).
Where a test counts on improvement, the loop runs a fixed number of iterations, so
the outcome is the same on a busy machine as on an idle one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import random

import numpy as np
import pytest

from core.localday import LocalDay
from core.plans import PlanState
from core.registry import Registry
from optimizer.planning.state import DistrictState
from optimizer.planning.tasks import PlanTask
from optimizer.solver.budget import Budget
from optimizer.solver.build import Model, build_model
from optimizer.solver.lns import (
    Assignment,
    LnsParams,
    Ruin,
    current_routes,
    ruin_and_recreate,
)
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import (
    DistanceMatrixSource,
    Location,
    Problem,
    ProblemBuilder,
    TimeWindow,
)
from optimizer.solver.search import LNS_MIN_S, search_parameters
from optimizer.solver.solution import Solution
from simulators.district import generate_district
from tests.optimizer.planned import left_out_at_start, plan
from tests.optimizer.validator import validate_solution

DAY = dt.date(2026, 11, 20)
TOWN = "guicheng"


class Planar(DistanceMatrixSource):
    """Euclidean distances (= travel seconds), truncated as Solomon's are."""

    def __init__(self, xy: np.ndarray) -> None:
        self.xy = xy

    def matrices(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        m = np.floor(np.sqrt((diff**2).sum(axis=2))).astype(np.int64)
        return m, m.copy()


@dataclasses.dataclass(frozen=True)
class _Instance:
    """A planar instance: the problem and its coordinates, one per location index (the
    depot first, then the customers)."""

    problem: Problem
    xy: list[tuple[float, float]]

    def travel(self, a: Location, b: Location) -> tuple[int, int]:
        """(metres, seconds) straight from the coordinates, truncated as Solomon's."""
        d = math.floor(math.dist(self.xy[a.index], self.xy[b.index]))
        return d, d


def _instance(seed: int, n: int = 40, trucks: int = 10) -> _Instance:
    """A random Solomon-like instance: n customers, windows, trucks of capacity 60."""
    rng = random.Random(seed)
    xy = [(50.0, 50.0)] + [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(n)]
    builder = ProblemBuilder(f"vrptw{seed}")
    depot = builder.add_depot("d", 0.0, 0.0)
    for i in range(1, n + 1):
        ready = rng.randint(0, 600)
        builder.add_stop(
            f"c{i}",
            0.0,
            0.0,
            demand_kg=rng.randint(5, 20),
            service_s=10,
            windows=[TimeWindow(ready, ready + rng.randint(60, 300))],
        )
    for k in range(trucks):
        builder.add_vehicle(f"v{k}", depot, capacity_kg=60, shift=TimeWindow(0, 1200))
    return _Instance(builder.build(Planar(np.array(xy))), xy)


def _vrptw(seed: int, n: int = 40, trucks: int = 10) -> Problem:
    return _instance(seed, n, trucks).problem


@dataclasses.dataclass(frozen=True)
class _Started:
    """A built model, its first solution and the LNS's inputs."""

    model: Model
    start: Assignment
    stops: list[int]
    node_of: list[int]

    def improve(self, budget: Budget, params: LnsParams | None = None) -> Assignment:
        return ruin_and_recreate(
            self.model.routing,
            self.start,
            self.stops,
            self.model.dist,
            self.node_of,
            budget,
            params or LnsParams(),
        )


def _start(problem: Problem, search_s: float = 0.0) -> _Started:
    """The model and its first solution (with `search_s` of guided local search, else
    none), with the LNS's inputs."""
    params = SolveParams(time_limit_s=1, initial="ortools", lns_share=0.5)
    model = build_model(problem, params, True)
    search = search_parameters(params, max(search_s, 1.0), lean=True)
    if not search_s:
        search.solution_limit = 1  # type: ignore[attr-defined]
    start = model.routing.SolveWithParameters(search)
    assert start is not None
    stops, node_of = model.lns_inputs()
    return _Started(model, start, stops, node_of)


@pytest.mark.parametrize("seed", [1, 2])
def test_never_worse_than_its_start(seed: int) -> None:
    """From a quick first solution, twenty iterations of ruin and recreate return one at
    least as good (strictly better here: the start is a bare first solution). The
    budget is a count and each recreate runs to its local optimum (no time cut), so
    the result does not depend on the machine's load."""
    problem = _vrptw(seed)
    started = _start(problem)
    before = started.start.ObjectiveValue()
    counted = LnsParams(seed=seed, max_iterations=20, iteration_s=60)
    best = started.improve(Budget.from_now(600), counted)
    assert best.ObjectiveValue() < before


def test_never_worse_than_a_local_search_start() -> None:
    """From a solution guided local search already polished, it returns one no worse."""
    problem = _vrptw(7)
    started = _start(problem, search_s=1.0)
    best = started.improve(Budget.from_now(0.5))
    assert best.ObjectiveValue() <= started.start.ObjectiveValue()


def test_returns_its_start_when_given_no_time() -> None:
    """A deadline already passed: the start comes back unchanged."""
    problem = _vrptw(3)
    started = _start(problem)
    routing, start = started.model.routing, started.start
    best = started.improve(Budget.from_now(0))
    assert best.ObjectiveValue() == start.ObjectiveValue()
    assert current_routes(routing, best) == current_routes(routing, start)


def test_ruin_removes_strings_of_stops_and_keeps_stations() -> None:
    """The ruin takes about the asked number of stops, at most one string per route,
    and never an unloading visit (index 99 here) or a stop not in its list."""
    dist = np.abs(np.subtract.outer(np.arange(100), np.arange(100)))
    stops = list(range(1, 40))
    routes = [[1, 2, 3, 99, 4, 5], [6, 7, 8, 9, 10, 11, 12], [20, 21, 22], [], [50, 51]]
    ruin = Ruin(stops, dist, list(range(100)), random.Random(4))
    for count in (1, 3, 6):
        ruined, removed = ruin(routes, count, 4)
        gone = [i for r in routes for i in r if i not in {j for q in ruined for j in q}]
        assert removed == len(gone) <= count
        assert 99 in ruined[0]
        assert ruined[4] == [50, 51]
        assert all(i in stops for i in gone)
        for before, after in zip(routes, ruined, strict=True):
            cut = [i for i in before if i not in after]
            if cut:  # one string: consecutive in the route, stations aside
                pos = [before.index(i) for i in cut]
                span = before[min(pos) : max(pos) + 1]
                assert all(i in cut or i == 99 for i in span)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LnsParams(min_removed=0),
        lambda: LnsParams(min_removed=5, max_removed=4),
        lambda: LnsParams(max_string=0),
        lambda: LnsParams(start_temperature=0.1, end_temperature=0.2),
        lambda: LnsParams(max_iterations=-1),
        lambda: SolveParams(lns_share=1.0),
        lambda: SolveParams(lns_share=-0.1),
        lambda: SolveParams(solution_limit=0),
        lambda: SolveParams(branch_limit=0),
    ],
)
def test_parameters_validate_themselves(make: object) -> None:
    """Nonsense LNS and search-budget parameters are refused with a ValueError."""
    pattern = r"lns share|min_removed|max_string|temperature|max_iterations|limit 0 is below 1"
    with pytest.raises(ValueError, match=pattern):
        make()  # type: ignore[operator]


def test_a_counted_search_repeats_itself() -> None:
    """A budget counted in iterations, solutions or branches buys the same search each
    time: twice the same routes from ruin and recreate, and from a whole solve (which
    then leaves ruin and recreate, timed, out)."""
    problem = _vrptw(8)
    started = _start(problem)
    runs = [
        current_routes(
            started.model.routing,
            started.improve(
                Budget.from_now(600), LnsParams(seed=3, max_iterations=8, iteration_s=60)
            ),
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    counted = SolveParams(time_limit_s=600, solution_limit=150, branch_limit=1_000_000)
    solved = [solve(problem, counted) for _ in range(2)]
    assert [[v.ref_id for v in r.visits] for r in solved[0].routes] == [
        [v.ref_id for v in r.visits] for r in solved[1].routes
    ]
    assert solved[0].objective == solved[1].objective


def test_solve_with_lns_keeps_capacity_and_windows(caplog: pytest.LogCaptureFixture) -> None:
    """On a fixed instance, the solve with half its time for ruin and recreate keeps
    capacity, windows and driving times (recomputed from the coordinates and the
    stops' demands) and serves every stop, as its first solution already does."""
    instance = _instance(5, n=60, trucks=30)
    problem = instance.problem
    first = solve(problem, SolveParams(time_limit_s=60, initial="ortools", solution_limit=1))
    assert first.status == "ok"
    assert not first.dropped
    caplog.set_level(logging.INFO, logger="yiju.optimizer")
    solution = solve(problem, SolveParams(time_limit_s=LNS_MIN_S, initial="ortools"))
    assert "ruin and recreate" in caplog.text
    assert solution.status == "ok"
    assert validate_solution(problem, solution, instance.travel) == []
    assert not solution.dropped


@pytest.fixture(scope="module")
def district() -> Registry:
    """A scale-0.05 district: Guicheng has ~116 points and two trucks."""
    return generate_district(scale=0.05, seed=7)


def test_garbage_plan_with_lns_keeps_every_rule(
    district: Registry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A town's garbage plan (windows with holes, a break, unloading trips, per-truck
    demand) solved with ruin and recreate passes the independent route validator."""

    def with_lns(task: PlanTask) -> Solution:
        # One start, so the sector's whole limit goes to it and its LNS (whatever the
        # plan's clock left of its budget, enough for the LNS to run).
        limit = max(LNS_MIN_S, task.params.time_limit_s)
        params = dataclasses.replace(
            task.params, lns_share=0.5, initial="construct", time_limit_s=limit
        )
        return solve(task.problem, params, unload_at_end=task.unload_at_end)

    monkeypatch.setattr("optimizer.planning.day.solve_task", with_lns)
    caplog.set_level(logging.INFO, logger="yiju.optimizer")
    state = DistrictState.empty(LocalDay(DAY).start_ms)
    checked = plan(district, state, DAY, "garbage", TOWN, time_limit_s=6)
    assert "ruin and recreate" in caplog.text  # the town is one sector, solved inline
    assert checked.record.state is PlanState.DONE
    assert checked.problems == []
    # Its start serves every point and the LNS never returns worse than its start.
    assert left_out_at_start(checked.prepared) == []
    assert checked.record.kpis["coverage_pct"] == 100.0


def test_stops_early_when_too_slow_for_its_deadline(caplog: pytest.LogCaptureFixture) -> None:
    """When the first recreates show too few would fit before the deadline, the loop
    returns early (the solve gives the time back to guided local search)."""
    problem = _vrptw(6)
    started = _start(problem)
    with caplog.at_level(logging.INFO, logger="yiju.optimizer"):
        best = started.improve(Budget.from_now(5.0), LnsParams(min_iterations=1_000_000))
    assert any("too slow here" in r.getMessage() for r in caplog.records)
    assert any("ruin and recreate: 3 iterations" in r.getMessage() for r in caplog.records)
    assert best.ObjectiveValue() <= started.start.ObjectiveValue()
