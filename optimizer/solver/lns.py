"""Ruin and recreate around OR-Tools' local search (a large neighbourhood search).

Guided local search stalls in the region its start put it in. This loop leaves
that region on purpose: it removes a few strings of nearby stops from the routes
they sit on (SISR-style ruin, after Christiaens & Vanden Berghe 2020), hands the
ruined routes back to OR-Tools (`ReadAssignmentFromRoutes`, the removed stops
become unperformed at their drop penalty) and lets a greedy descent of OR-Tools'
own operators reinsert and improve them. The descent works on the one closed
model, so every constraint of that model holds for every solution it returns
(capacity, windows with holes, breaks, unloading copies, per-vehicle demand);
the loop itself only chooses what to remove and which solution to keep.

Acceptance is simulated annealing on the objective, the temperature falling
exponentially over the time left (or the iterations, given a count), so early
iterations may worsen the current solution a little and late ones only improve
it; the best solution is kept and returned, never one worse than the start.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.solver.budget import Budget

log = logging.getLogger("yiju.optimizer")

# A solution as OR-Tools holds it, named here so that code outside the solver (the
# tests of this loop) need not import OR-Tools to type it.
Assignment = pywrapcp.Assignment


@dataclass(frozen=True, slots=True)
class LnsParams:
    """How the ruin-and-recreate loop runs (the time it may take is its `Budget`)."""

    seed: int = 1
    # Stops removed per iteration: uniform between these (capped by the stops served).
    # On 12 hard Solomon instances (10 s, 2 cores) 5-15 gave a mean gap of 1.53 %,
    # 8-20 2.15 %, 10-30 2.31 %: a recreate is a greedy descent, which reinserts
    # a few stops well and many badly.
    min_removed: int = 5
    max_removed: int = 15
    # Longest string cut from one route.
    max_string: int = 10
    # Temperature, as a share of the mean arc cost of the start, at the start and end.
    start_temperature: float = 0.5
    end_temperature: float = 0.02
    # Time one recreate (greedy descent) may take at most.
    iteration_s: float = 1.0
    # Stop early (the caller gives the time back to guided local search) when the
    # first iterations show fewer than this many would fit before the deadline: a
    # ~250-stop district sector with breaks and unloading takes ~0.8 s a recreate,
    # and three recreates in 2.5 s improved nothing on four sectors (27 Nov 2026).
    min_iterations: int = 10
    # Stop after this many iterations whatever the deadline (None: at the deadline): a
    # count buys the same search on a busy machine as on an idle one (tests).
    max_iterations: int | None = None
    log_search: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.min_removed <= self.max_removed:
            raise ValueError("need 1 <= min_removed <= max_removed")
        if self.max_string < 1 or self.iteration_s <= 0:
            raise ValueError("max_string must be >= 1 and iteration_s > 0")
        if not 0 <= self.end_temperature <= self.start_temperature:
            raise ValueError("need 0 <= end_temperature <= start_temperature")
        if self.max_iterations is not None and self.max_iterations < 0:
            raise ValueError(f"max_iterations {self.max_iterations} is negative")


def descent_parameters(limit_s: float, log_search: bool = False) -> object:
    """Search parameters of one recreate: OR-Tools' operators down to a local optimum."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    search.time_limit.FromMilliseconds(max(1, int(limit_s * 1000)))
    search.log_search = log_search
    return search


def current_routes(
    routing: pywrapcp.RoutingModel, assignment: pywrapcp.Assignment
) -> list[list[int]]:
    """The visits of each vehicle between its start and end, as variable indices."""
    routes = []
    for v in range(routing.vehicles()):
        route = []
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


class Ruin:
    """SISR-style removal: strings of stops near a random seed stop, one per route."""

    def __init__(self, stops: list[int], dist: np.ndarray, node_of: list[int], rng: random.Random):
        self.stops = stops
        self.rng = rng
        self.dist = dist
        self.nodes = np.array([node_of[i] for i in stops], dtype=np.int64)
        self.is_stop = set(stops)
        self.position = {stop: k for k, stop in enumerate(stops)}

    def served(self, routes: list[list[int]]) -> int:
        """How many of the ruin's stops `routes` visit."""
        return sum(1 for route in routes for i in route if i in self.is_stop)

    def _neighbours(self, seed: int) -> list[int]:
        """Every stop by closeness to `seed` (either direction), `seed` first."""
        k = self.position[seed]
        row = np.minimum(self.dist[self.nodes[k], self.nodes], self.dist[self.nodes, self.nodes[k]])
        row[k] = -1
        return [self.stops[j] for j in np.argsort(row, kind="stable")]

    def __call__(
        self, routes: list[list[int]], count: int, max_string: int
    ) -> tuple[list[list[int]], int]:
        """`routes` with about `count` stops removed; the number removed."""
        where = {index: r for r, route in enumerate(routes) for index in route}
        served = [s for s in self.stops if s in where]
        if not served:
            return routes, 0
        seed = self.rng.choice(served)
        ruined = [list(route) for route in routes]
        touched: set[int] = set()
        removed = 0
        for stop in self._neighbours(seed):
            if removed >= count:
                break
            r = where.get(stop)
            if r is None or r in touched:
                continue
            touched.add(r)
            route = ruined[r]
            pos = route.index(stop)
            length = self.rng.randint(1, min(max_string, len(route), count - removed))
            first = self.rng.randint(max(0, pos - length + 1), min(pos, len(route) - length))
            cut = route[first : first + length]
            # Unloading visits stay: without them the rest of the route may not fit.
            kept = [i for i in cut if i not in self.is_stop]
            ruined[r] = route[:first] + kept + route[first + length :]
            removed += length - len(kept)
        return ruined, removed


def ruin_and_recreate(
    routing: pywrapcp.RoutingModel,
    start: pywrapcp.Assignment,
    stops: list[int],
    dist: np.ndarray,
    node_of: list[int],
    budget: Budget,
    params: LnsParams,
    *,
    name: str = "",
) -> pywrapcp.Assignment:
    """The best solution found from `start` within `budget` (at worst `start`).

    `stops` are the variable indices the ruin may remove; `dist[node_of[i], node_of[j]]`
    orders them by closeness. The model must be closed (it is after a first solve).
    """
    solver = routing.solver()
    rng = random.Random(params.seed)
    ruin = Ruin(stops, dist, node_of, rng)
    best = solver.Assignment(start)
    best_obj = current_obj = start.ObjectiveValue()
    current = current_routes(routing, start)
    current_assignment = best
    served = ruin.served(current)
    arcs = max(1, served + sum(1 for route in current if route))
    mean_arc = _routes_distance(current, dist, node_of, routing) / arcs
    t0 = max(1e-9, params.start_temperature * mean_arc)
    t1 = max(1e-9, params.end_temperature * mean_arc)
    began = time.monotonic()
    span = max(1e-9, budget.remaining_s())
    iterations = improved = failed = 0
    while True:
        now = time.monotonic()
        left = budget.remaining_s()
        if left < 0.02 or served == 0 or iterations == params.max_iterations:
            break
        # Cooling follows the budget: the clock, or the count (then the same on any machine).
        count_frac = iterations / params.max_iterations if params.max_iterations else None
        frac = (now - began) / span if count_frac is None else count_frac
        temperature = t0 * (t1 / t0) ** frac
        count = rng.randint(min(params.min_removed, served), min(params.max_removed, served))
        ruined, removed = ruin(current, count, params.max_string)
        iterations += 1
        too_slow = (now - began) / 2 * params.min_iterations > span
        if iterations == 3 and params.max_iterations is None and too_slow:
            log.info(
                "%s: ruin and recreate too slow here (%.2f s an iteration)", name, (now - began) / 2
            )
            break
        if removed == 0:
            continue
        partial = _read_routes(routing, ruined, current_assignment)
        if partial is None:
            failed += 1
            continue
        found = routing.SolveFromAssignmentWithParameters(
            partial, descent_parameters(min(left, params.iteration_s), params.log_search)
        )
        if found is None:
            failed += 1
            continue
        obj = found.ObjectiveValue()
        accept = obj < current_obj or rng.random() < math.exp((current_obj - obj) / temperature)
        if obj < best_obj or accept:
            kept = solver.Assignment(found)
            if obj < best_obj:
                best, best_obj = kept, obj
                improved += 1
            if accept:
                current_assignment, current_obj = kept, obj
                current = current_routes(routing, kept)
                served = ruin.served(current)
    log.info(
        "%s: ruin and recreate: %d iterations (%d failed) in %.1f s, %d improvements, "
        "objective %d -> %d",
        name,
        iterations,
        failed,
        time.monotonic() - began,
        improved,
        start.ObjectiveValue(),
        best_obj,
    )
    return best


def _read_routes(
    routing: pywrapcp.RoutingModel, routes: list[list[int]], current: pywrapcp.Assignment
) -> pywrapcp.Assignment | None:
    """`routes` as an assignment (their missing stops unperformed).

    After a search that ended on its time limit, OR-Tools 9.15 sometimes refuses
    to read any routes, even ones it just returned (status ROUTING_FAIL); a short
    descent from the current solution, which ends at its local optimum, restores
    it (seen on R109 from the constructed start: every read failed before).
    """
    partial = routing.ReadAssignmentFromRoutes(routes, True)
    if partial is not None:
        return partial
    routing.SolveFromAssignmentWithParameters(current, descent_parameters(0.2))
    return routing.ReadAssignmentFromRoutes(routes, True)


def _routes_distance(
    routes: list[list[int]], dist: np.ndarray, node_of: list[int], routing: pywrapcp.RoutingModel
) -> float:
    total = 0
    for v, route in enumerate(routes):
        if not route:
            continue
        path = [routing.Start(v), *route, routing.End(v)]
        total += sum(int(dist[node_of[a], node_of[b]]) for a, b in itertools.pairwise(path))
    return float(total)
