"""Small instances whose optimum a brute force finds: the solver finds it too, with a
search budget counted in solutions (the same search on a busy machine as on an idle
one), and its routes pass the independent validator."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import numpy as np
import pytest

from core.dispatch import StopKind
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import DistanceMatrixSource, Location, ProblemBuilder, TimeWindow
from tests.optimizer.validator import validate_solution

HORIZON = 10_000
# Guided local search stopped after this many solutions: each instance below reaches
# its optimum by 300 (measured); the time limit only caps a machine that stalls.
BUDGET = SolveParams(time_limit_s=60, solution_limit=500)


class FixedMatrix(DistanceMatrixSource):
    """Euclidean distances (= travel seconds) of the points' planar coordinates, one
    point per location index."""

    def __init__(self, xy: list[tuple[int, int]]) -> None:
        self.points = list(xy)
        self.xy = np.array(xy, dtype=float)

    def matrices(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        assert len(points) == len(self.xy)
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        m = np.rint(np.sqrt((diff**2).sum(axis=2))).astype(np.int64)
        return m, m.copy()

    def travel(self, a: Location, b: Location) -> tuple[int, int]:
        """(metres, seconds) from `a` to `b`, straight from the coordinates (what the
        validator recomputes routes with, not the matrices the solver read)."""
        d = round(math.dist(self.points[a.index], self.points[b.index]))
        return d, d


def _points(seed: int, n: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)]


def _cost(m: np.ndarray, seq: list[int]) -> int:
    return int(sum(m[a, b] for a, b in itertools.pairwise(seq)))


def _time_ok(
    m: np.ndarray, seq: list[int], windows: dict[int, tuple[int, int]], service: int
) -> bool:
    t = 0
    for a, b in itertools.pairwise(seq):
        t += (service if a in windows else 0) + int(m[a, b])
        if b in windows:
            lo, hi = windows[b]
            if t > hi:
                return False
            t = max(t, lo)
    return t <= HORIZON


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tsp_with_time_windows(seed: int) -> None:
    """One vehicle, six stops, some with windows: the solver finds the brute-force optimum."""
    xy = _points(seed, 7)
    rng = random.Random(seed)
    windows = {i: (w, w + 120) for i in range(1, 7) if (w := rng.randint(0, 300)) and i % 2 == 0}
    builder = ProblemBuilder("tsptw")
    depot = builder.add_depot("d", 0.0, 0.0)
    for i in range(1, 7):
        lo, hi = windows.get(i, (0, HORIZON))
        builder.add_stop(f"s{i}", 0.0, 0.0, service_s=10, windows=[TimeWindow(lo, hi)])
    builder.add_vehicle("v", depot, shift=TimeWindow(0, HORIZON))
    problem = builder.build(FixedMatrix(xy))
    m = problem.distance_m
    best = min(
        (
            _cost(m, [0, *p, 0])
            for p in itertools.permutations(range(1, 7))
            if _time_ok(m, [0, *p, 0], {i: windows.get(i, (0, HORIZON)) for i in range(1, 7)}, 10)
        ),
        default=None,
    )
    assert best is not None, "the instance must be feasible"
    solution = solve(problem, BUDGET)
    assert validate_solution(problem, solution, FixedMatrix(xy).travel) == []
    assert not solution.dropped
    assert solution.distance_m == best


@pytest.mark.parametrize(("seed", "workers"), [(4, 1), (5, 1), (4, 2)])
def test_capacitated_two_vehicles(seed: int, workers: int) -> None:
    """Two trucks of 12 units, seven stops: the optimum over every split and order
    (also with the portfolio of four starts in two processes, within the limit)."""
    xy = _points(seed, 8)
    rng = random.Random(seed)
    demand = [0] + [rng.randint(1, 3) for _ in range(7)]
    builder = ProblemBuilder("cvrp")
    depot = builder.add_depot("d", 0.0, 0.0)
    for i in range(1, 8):
        builder.add_stop(f"s{i}", 0.0, 0.0, demand_kg=demand[i])
    for k in range(2):
        builder.add_vehicle(f"v{k}", depot, capacity_kg=12, shift=TimeWindow(0, HORIZON))
    problem = builder.build(FixedMatrix(xy))
    m = problem.distance_m

    def tour(nodes: tuple[int, ...]) -> int:
        if not nodes:
            return 0
        return min(_cost(m, [0, *p, 0]) for p in itertools.permutations(nodes))

    best = None
    for mask in range(2**7):
        a = tuple(i for i in range(1, 8) if mask >> (i - 1) & 1)
        b = tuple(i for i in range(1, 8) if not mask >> (i - 1) & 1)
        if sum(demand[i] for i in a) > 12 or sum(demand[i] for i in b) > 12:
            continue
        total = tour(a) + tour(b)
        best = total if best is None else min(best, total)
    if best is None:
        pytest.fail("seed gives an infeasible instance; pick another")
    solution = solve(problem, dataclasses.replace(BUDGET, workers=workers))
    assert validate_solution(problem, solution, FixedMatrix(xy).travel) == []
    assert not solution.dropped
    assert solution.distance_m == best


def test_multi_trip_unloading() -> None:
    """One truck of 10 units, five stops of 4: it unloads twice mid-route and once at
    the end, in the cheapest places a brute force finds."""
    xy = [(0, 0), (60, 0), (10, 30), (20, 40), (80, 20), (90, 40), (30, 90)]
    builder = ProblemBuilder("multitrip")
    depot = builder.add_depot("d", 0.0, 0.0)
    builder.add_station("ts", 0.0, 0.0, unload_s=5)
    for i in range(5):
        builder.add_stop(f"s{i}", 0.0, 0.0, demand_kg=4, kind=StopKind.POINT)
    builder.add_vehicle("v", depot, capacity_kg=10, shift=TimeWindow(0, HORIZON))
    problem = builder.build(FixedMatrix(xy), station_copies=5)
    m = problem.distance_m
    station, stops = 1, list(range(2, 7))
    best = None
    for perm in itertools.permutations(stops):
        for cuts in itertools.product((False, True), repeat=4):
            seq, load, ok = [0], 0, True
            for k, s in enumerate(perm):
                seq.append(s)
                load += 4
                if load > 10:
                    ok = False
                if k < 4 and cuts[k]:
                    seq.append(station)
                    load = 0
            if not ok:
                continue
            cost = _cost(m, [*seq, station, 0])
            best = cost if best is None else min(best, cost)
    solution = solve(problem, BUDGET)
    assert validate_solution(problem, solution, FixedMatrix(xy).travel) == []
    assert not solution.dropped
    (route,) = solution.routes
    assert route.unloads == 3
    assert route.distance_m == best
    assert max(v.load_kg for v in route.visits) <= 10
