"""The routing solver: the one module that speaks OR-Tools (ortools==9.15.6755).

The model follows OR-Tools' fixed sequence: index manager, routing model,
transit matrices, dimensions ("Time", "Load"), disjunctions, search parameters,
solve, read the solution back into the optimizer's own types.

Multi-trip unloading uses OR-Tools' reload pattern: each transfer station is
duplicated into `station_copies` optional nodes (penalty 0) whose demand is
minus the largest capacity, with the Load dimension's slack free only there.
The slack lets the load after an unloading visit fall to any value from zero
up, so one dimension expresses "empty the truck here" for trucks of every size;
every other node has its slack fixed to 0. A capacity-reset dimension would
need cumul-dependent transits, which search far slower at these sizes.

The break is an OR-Tools break interval on the Time dimension (it may fall
while driving or waiting, never during service), and collection windows are
holes removed from each stop's Time cumul domain.

The search is guided local search from one or several starts; in solves of at
least LNS_MIN_S, half the time then goes to ruin and recreate (optimizer/lns.py)
on the same closed model, so every constraint above holds for what it returns.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from core.dispatch import StopKind
from core.processes import process_pool
from optimizer.construct import construct
from optimizer.lns import LnsParams, ruin_and_recreate
from optimizer.model import Problem, RoutePlan, Solution, Stop, Visit, is_second_visit
from optimizer.params import SolveParams

log = logging.getLogger("yiju.optimizer")

TIME = "Time"
LOAD = "Load"
# An arc the distance provider could not find a road for: never worth driving.
BLOCKED = 100_000_000
STATION_COST_M_PER_S = 6
# Ruin and recreate runs only in solves (or portfolio starts) of at least this
# long: below it, it has too few iterations to pay for the time it takes from
# guided local search. Four district sectors at their ~3 s: 968 km without, 992 km
# with half the time for it (27 Nov 2026).
LNS_MIN_S = 4.0
# Operators left out when the LNS runs (see _search_parameters).
LNS_OFF_OPERATORS = (
    "global_cheapest_insertion_path_lns",
    "local_cheapest_insertion_path_lns",
    "global_cheapest_insertion_visit_types_lns",
    "local_cheapest_insertion_visit_types_lns",
)


@dataclass(frozen=True, slots=True)
class _Node:
    kind: StopKind
    ref_id: str
    loc: int
    service_s: int
    demand: int
    stop: Stop | None = None


def _nodes(problem: Problem) -> tuple[list[_Node], list[int], list[int]]:
    """Nodes: one per start/end location, station copies, then one per stop."""
    nodes: list[_Node] = []
    loc_node: dict[int, int] = {}

    def endpoint(kind: StopKind, ref: str, loc: int) -> int:
        if loc not in loc_node:
            loc_node[loc] = len(nodes)
            nodes.append(_Node(kind, ref, loc, 0, 0))
        return loc_node[loc]

    starts = [endpoint(StopKind.DEPOT, v.depot.id, v.start.index) for v in problem.vehicles]
    ends = [endpoint(StopKind.DEPOT, v.depot.id, v.depot.location.index) for v in problem.vehicles]
    cmax = max((v.capacity_kg for v in problem.vehicles), default=0)
    if any(s.demand_kg for s in problem.stops):
        for station in problem.stations:
            for _ in range(problem.station_copies):
                nodes.append(
                    _Node(
                        StopKind.STATION,
                        station.id,
                        station.location.index,
                        station.unload_s,
                        -cmax,
                    )
                )
    for stop in problem.stops:
        nodes.append(
            _Node(stop.kind, stop.id, stop.location.index, stop.service_s, stop.demand_kg, stop)
        )
    return nodes, starts, ends


# With at least this much time, `initial="auto"` searches from several starts and
# keeps the best; below it, from the constructed routes alone. Each start wins on
# different instances (the constructor on R/RC, insertion on clustered C), and guided
# local search mostly stalls where its start led it, so more starts beat more time
# per start (figures: docs/optimizer.md, "The portfolio").
PORTFOLIO_MIN_S = 2.5
# One process: the constructed routes and parallel cheapest insertion, half the time
# each. With two or more processes and no ruin and recreate (below LNS_MIN_S or
# lns_share=0), each start gets `time_limit_s * workers / 4`: four shorter starts beat
# two longer ones on hard instances (docs/optimizer.md, "The portfolio").
STARTS_ONE_PROCESS = (("construct", None), ("ortools", "PARALLEL_CHEAPEST_INSERTION"))
STARTS_PARALLEL = (
    ("construct", None),
    ("ortools", "PARALLEL_CHEAPEST_INSERTION"),
    ("ortools", "SAVINGS"),
    ("ortools", "LOCAL_CHEAPEST_INSERTION"),
)


def solve(problem: Problem, params: SolveParams, *, unload_at_end: bool = True) -> Solution:
    """Solve `problem`; stops that cannot be served come back in `Solution.dropped`.

    `unload_at_end`: a truck returns to its depot empty (its last trip ends at a station).
    """
    if params.initial != "auto":
        return _solve(problem, params, unload_at_end)
    if params.time_limit_s < PORTFOLIO_MIN_S:
        return _solve(problem, replace(params, initial="construct"), unload_at_end)
    started = time.monotonic()
    workers = min(params.workers, len(STARTS_PARALLEL))
    starts: tuple[tuple[str, str | None], ...]
    if workers <= 1:
        starts = STARTS_ONE_PROCESS
    elif _uses_lns(params):
        # One start per process, each ending in its own ruin and recreate (own seed):
        # the LNS needs seconds to leave its start's region, more than a quarter of
        # the time gives it (12 hard Solomon instances, 10 s, 2 cores: two starts
        # at 10 s 2.15 %, four at 5 s 2.77 %; 27 Nov 2026).
        starts = STARTS_PARALLEL[: max(2, workers)]
    else:
        starts = STARTS_PARALLEL
    # Each process runs its share of the starts one after the other.
    per_start = params.time_limit_s / math.ceil(len(starts) / max(1, workers))
    variants = [
        replace(
            params,
            initial=initial,
            first_solution=first or params.first_solution,
            time_limit_s=per_start,
            workers=1,
            seed=params.seed + k,
        )
        for k, (initial, first) in enumerate(starts)
    ]
    if workers <= 1:
        runs = [_solve(problem, v, unload_at_end) for v in variants]
    else:
        runs = _solve_parallel(problem, variants, unload_at_end, workers)
    ok = [r for r in runs if r.status == "ok"] or runs
    best = min(ok, key=lambda r: (len([s for s in r.dropped if s.required]), r.objective))
    return replace(best, wall_s=time.monotonic() - started)


def _solve_parallel(
    problem: Problem, variants: list[SolveParams], unload_at_end: bool, workers: int
) -> list[Solution]:
    """The variants in `workers` processes (the model is rebuilt in each: OR-Tools
    objects do not cross processes, the problem and the solutions do)."""
    with process_pool(workers) as pool:
        futures = [pool.submit(_solve, problem, v, unload_at_end) for v in variants]
        return [f.result() for f in futures]


@dataclass
class _Model:
    """A built OR-Tools model and what reading its solutions back needs."""

    problem: Problem
    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    nodes: list[_Node]
    time_dim: pywrapcp.RoutingDimension
    breaks: dict[int, object]
    final: tuple[np.ndarray, np.ndarray, dict[tuple[int, int], int]] | None
    # Metres between nodes (the arc cost without unloading), for the LNS's neighbours.
    dist: np.ndarray

    def lns_inputs(self) -> tuple[list[int], list[int]]:
        """The stops' variable indices (what a ruin may remove) and, per variable
        index, its node (to look distances up)."""
        manager, routing = self.manager, self.routing
        stops = [manager.NodeToIndex(i) for i, n in enumerate(self.nodes) if n.stop is not None]
        node_of = [manager.IndexToNode(i) for i in range(routing.Size() + routing.vehicles())]
        return stops, node_of


def _solve(problem: Problem, params: SolveParams, unload_at_end: bool) -> Solution:
    started = time.monotonic()
    if not problem.vehicles:
        return Solution(problem.name, (), tuple(problem.stops), 0, 0.0, "no_vehicle")
    model = _build(problem, params, unload_at_end)
    routing, manager, nodes = model.routing, model.manager, model.nodes
    if params.branch_limit is not None:
        routing.AddSearchMonitor(routing.solver().BranchesLimit(params.branch_limit))
    lns_s = params.time_limit_s * params.lns_share if _uses_lns(params) else 0.0
    search = _search_parameters(params, params.time_limit_s - lns_s, lean=lns_s > 0)
    progress = _Progress(problem.name, routing)
    routing.AddAtSolutionCallback(progress)
    assignment = None
    if params.initial == "construct":
        start = _initial_routes(problem, nodes, unload_at_end)
        routing.CloseModelWithParameters(search)
        initial = _accepted_routes(routing, manager, start, nodes, problem.name)
        if initial is None:
            log.warning(
                "%s: constructed routes rejected by the model; using %s",
                problem.name,
                params.first_solution,
            )
        else:
            assignment = routing.SolveFromAssignmentWithParameters(initial, search)
    if assignment is None:
        assignment = routing.SolveWithParameters(search)
    if assignment is not None and lns_s > 0:
        stops, node_of = model.lns_inputs()
        assignment = ruin_and_recreate(
            routing,
            assignment,
            stops,
            model.dist,
            node_of,
            LnsParams(
                deadline=started + params.time_limit_s,
                seed=params.seed,
                log_search=params.log_search,
            ),
            name=problem.name,
        )
        left = started + params.time_limit_s - time.monotonic()
        if left > 0.1:  # the LNS stopped early: guided local search from its best
            more = routing.SolveFromAssignmentWithParameters(
                assignment, _search_parameters(params, left, lean=True)
            )
            if more is not None and more.ObjectiveValue() <= assignment.ObjectiveValue():
                assignment = more
    wall = time.monotonic() - started
    if assignment is None:
        log.warning("%s: no solution in %.1f s (status %s)", problem.name, wall, routing.status())
        return Solution(problem.name, (), tuple(problem.stops), 0, wall, "no_solution")
    solution = _read_solution(model, assignment, wall)
    log.info(
        "%s: %d stops, %d vehicles: %d routes, %d dropped, objective %d, %.1f s, %d improvements",
        problem.name,
        len(problem.stops),
        len(problem.vehicles),
        len(solution.routes),
        len(solution.dropped),
        solution.objective,
        wall,
        progress.count,
    )
    return solution


def _uses_lns(params: SolveParams) -> bool:
    """Whether the solve ends in ruin and recreate (see LNS_MIN_S and SolveParams)."""
    return params.lns_share > 0 and params.time_limit_s >= LNS_MIN_S and not params.counted


def _search_parameters(params: SolveParams, limit_s: float, *, lean: bool = False) -> object:
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, params.first_solution
    )
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    search.guided_local_search_lambda_coefficient = params.gls_lambda
    search.time_limit.FromMilliseconds(max(1, int(limit_s * 1000)))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    if lean:
        # OR-Tools builds its operators when the model closes, so the first search
        # and every recreate of the LNS share one set. The path-LNS operators cost
        # half of a recreate's time (docs/optimizer.md, "Ruin and recreate").
        operators = search.local_search_operators
        for name in LNS_OFF_OPERATORS:
            setattr(operators, f"use_{name}", optional_boolean_pb2.BOOL_FALSE)
    return search


def _build(problem: Problem, params: SolveParams, unload_at_end: bool) -> _Model:
    nodes, starts, ends = _nodes(problem)
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(problem.vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    locs = np.array([n.loc for n in nodes], dtype=np.int64)
    dist = problem.distance_m[np.ix_(locs, locs)].copy()
    travel = problem.duration_s[np.ix_(locs, locs)].copy()
    dist[dist < 0] = BLOCKED
    travel[travel < 0] = BLOCKED
    plain_dist = dist.copy()
    service = np.array([n.service_s for n in nodes], dtype=np.int64)
    final = _final_unload(problem, nodes, ends) if unload_at_end else None
    if final is not None:
        # The last trip's unloading is part of the arc into the end depot: a stop's
        # arc to its end goes via the best station. A route then grows by single
        # insertions (an explicit final unload would need a stop and a station
        # inserted together, which the local search rarely finds).
        final_time, final_dist, _ = final
        end_nodes = sorted(set(ends))
        stop_rows = np.array([n.stop is not None for n in nodes])
        for e in end_nodes:
            travel[stop_rows, e] = final_time[stop_rows, e]
            dist[stop_rows, e] = final_dist[stop_rows, e]
    # An unloading visit costs its time as distance driven at ~22 km/h, so the
    # solver does not pile up free back-to-back station visits.
    is_station = np.array([n.kind is StopKind.STATION for n in nodes])
    cost = dist + np.where(is_station, service * STATION_COST_M_PER_S, 0)[:, None]
    cost[np.ix_(is_station, is_station)] = BLOCKED
    dist_cb = routing.RegisterTransitMatrix(cost.tolist())
    time_cb = routing.RegisterTransitMatrix((travel + service[:, None]).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    if params.vehicle_cost:
        routing.SetFixedCostOfAllVehicles(params.vehicle_cost)
    horizon = max(v.shift.close_s for v in problem.vehicles) + 1
    routing.AddDimension(time_cb, horizon, horizon, False, TIME)
    time_dim = routing.GetDimensionOrDie(TIME)
    solver = routing.solver()
    breaks: dict[int, object] = {}
    visit_transits = service.tolist()
    for v, vehicle in enumerate(problem.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(vehicle.shift.open_s, vehicle.shift.close_s)
        time_dim.CumulVar(routing.End(v)).SetRange(vehicle.shift.open_s, vehicle.shift.close_s)
        rest = vehicle.rest
        if rest is not None and rest.duration_s > 0:
            interval = solver.FixedDurationIntervalVar(
                rest.earliest_s, rest.latest_s, rest.duration_s, False, f"break {vehicle.id}"
            )
            time_dim.SetBreakIntervalsOfVehicle([interval], v, visit_transits)
            breaks[v] = interval
        if params.compact_times:
            # Leave as late and come back as early as the route allows (no idle shift).
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))

    load_dim = None
    has_load = any(n.demand for n in nodes)
    if has_load:
        cmax = max(v.capacity_kg for v in problem.vehicles)
        # One demand vector per shift end: a truck that can only come early collects
        # less. Several unary demand vectors with negative (unloading) entries make
        # OR-Tools 9.15 fail at the root, so distinct vectors go in as matrices.
        vectors = [
            tuple(n.stop.demand_for(v) if n.stop is not None else n.demand for n in nodes)
            for v in problem.vehicles
        ]
        capacities = [v.capacity_kg for v in problem.vehicles]
        if len(set(vectors)) == 1:
            demand_cb = routing.RegisterUnaryTransitVector(list(vectors[0]))
            routing.AddDimensionWithVehicleCapacity(demand_cb, cmax, capacities, True, LOAD)
        else:
            callbacks: dict[tuple[int, ...], int] = {}
            for vector in vectors:
                if vector not in callbacks:
                    column = np.array(vector, dtype=np.int64)[:, None]
                    matrix = np.repeat(column, len(nodes), axis=1)
                    callbacks[vector] = routing.RegisterTransitMatrix(matrix.tolist())
            routing.AddDimensionWithVehicleTransitAndCapacity(
                [callbacks[v] for v in vectors], cmax, capacities, True, LOAD
            )
        load_dim = routing.GetDimensionOrDie(LOAD)

    for node_index, node in enumerate(nodes):
        if node.kind is StopKind.DEPOT:
            continue
        index = manager.NodeToIndex(node_index)
        if node.kind is StopKind.STATION:
            routing.AddDisjunction([index], 0)
            continue
        assert node.stop is not None
        if load_dim is not None:
            load_dim.SlackVar(index).SetValue(0)
        cumul = time_dim.CumulVar(index)
        windows = tuple(
            c for c in (w.clip(0, horizon - 1) for w in node.stop.windows) if c is not None
        )
        if node.stop.windows and not windows:
            # No window inside any vehicle's shift: the stop can only be left out.
            routing.solver().Add(routing.ActiveVar(index) == 0)
        if windows:
            cumul.SetRange(windows[0].open_s, windows[-1].close_s)
            for a, b in itertools.pairwise(windows):
                if b.open_s - a.close_s > 1:
                    cumul.RemoveInterval(a.close_s + 1, b.open_s - 1)
        if node.stop.due_s is not None and params.late_cost_per_s > 0:
            time_dim.SetCumulVarSoftUpperBound(index, node.stop.due_s, params.late_cost_per_s)
        if node.stop.required and not params.droppable:
            continue
        penalty = params.drop_penalty if node.stop.required else max(1, node.stop.prize)
        if node.stop.required and is_second_visit(node.stop.id):
            # When the fleet cannot do both, a point's only visit of the day comes
            # before another point's second one: unserved, the first overflows for
            # sure and breaks the daily clearance; the second may last the night.
            penalty //= 2
        routing.AddDisjunction([index], penalty)
    if load_dim is not None:
        for v in range(len(problem.vehicles)):
            load_dim.SlackVar(routing.Start(v)).SetValue(0)

    return _Model(problem, routing, manager, nodes, time_dim, breaks, final, plain_dist)


def _read_solution(model: _Model, assignment: pywrapcp.Assignment, wall: float) -> Solution:
    problem, routing, manager = model.problem, model.routing, model.manager
    routes = []
    for v, vehicle in enumerate(problem.vehicles):
        visits = _read_route(routing, manager, assignment, model.nodes, v, model.time_dim, problem)
        if len(visits) <= 2:
            continue
        if v in model.breaks:
            visits = _with_break(visits, assignment, model.breaks[v])
        if model.final is not None:
            visits = _with_final_unload(visits, problem, model.final[2])
        moving = [x for x in visits if x.kind is not StopKind.BREAK]
        d = sum(problem.distance(a.location, b.location) for a, b in itertools.pairwise(moving))
        routes.append(RoutePlan(vehicle, tuple(visits), d))
    served = {ref for r in routes for ref in r.served}
    dropped = tuple(s for s in problem.stops if s.id not in served)
    return Solution(problem.name, tuple(routes), dropped, assignment.ObjectiveValue(), wall, "ok")


def _final_unload(
    problem: Problem, nodes: list[_Node], ends: list[int]
) -> tuple[np.ndarray, np.ndarray, dict[tuple[int, int], int]] | None:
    """For every (node, end depot): the time and distance via the best station to
    unload at, and which station; None when trucks carry nothing or have no station."""
    if not problem.stations or not any(n.demand for n in nodes):
        return None
    n = len(nodes)
    final_time = np.zeros((n, n), dtype=np.int64)
    final_dist = np.zeros((n, n), dtype=np.int64)
    choice: dict[tuple[int, int], int] = {}
    d, t = problem.distance_m, problem.duration_s
    for e in sorted(set(ends)):
        depot = nodes[e].loc
        for i, node in enumerate(nodes):
            if node.stop is None:
                continue
            best = None
            for k, s in enumerate(problem.stations):
                loc = s.location.index
                if t[node.loc, loc] < 0 or t[loc, depot] < 0:
                    continue
                secs = int(t[node.loc, loc]) + s.unload_s + int(t[loc, depot])
                if best is None or secs < best[0]:
                    best = (secs, int(d[node.loc, loc]) + int(d[loc, depot]), k)
            if best is None:
                final_time[i, e] = final_dist[i, e] = BLOCKED
                continue
            final_time[i, e], final_dist[i, e], choice[(node.loc, depot)] = best
    return final_time, final_dist, choice


def _with_final_unload(
    visits: list[Visit], problem: Problem, choice: dict[tuple[int, int], int]
) -> list[Visit]:
    """Make the implicit last unloading visit explicit (after a break taken on the way)."""
    end = visits[-1]
    k = len(visits) - 2
    while k > 0 and visits[k].kind is StopKind.BREAK:
        k -= 1
    last = visits[k]
    if last.kind not in (StopKind.POINT, StopKind.SITE):
        return visits
    station = problem.stations[choice[(last.location.index, end.location.index)]]
    # A break after the last point may interrupt the drive (OR-Tools lets it, adding
    # its length to the leg), so the station comes the break's length after the drive,
    # not a whole drive after the break: that would reach the depot after the model's
    # end time.
    pause = sum(v.departure_s - v.arrival_s for v in visits[k + 1 : -1])
    eta = last.departure_s + problem.travel_s(last.location, station.location) + pause
    unload = Visit(StopKind.STATION, station.id, station.location, eta, eta + station.unload_s, 0)
    return [*visits[:-1], unload, replace(end, load_kg=0)]


def _initial_routes(problem: Problem, nodes: list[_Node], unload_at_end: bool) -> list[list[int]]:
    """The constructor's routes as node lists (station copies handed out in order)."""
    stop_node = {n.stop.id: i for i, n in enumerate(nodes) if n.stop is not None}
    copies: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        if n.kind is StopKind.STATION:
            copies.setdefault(n.ref_id, []).append(i)
    routes = []
    for steps in construct(problem, unload_at_end=unload_at_end):
        route = []
        for step in steps:
            if step.stop is not None:
                route.append(stop_node[problem.stops[step.stop].id])
            elif step.station is not None:
                free = copies.get(problem.stations[step.station].id, [])
                if not free:
                    break  # out of copies: the rest of this route is left to the search
                route.append(free.pop(0))
        routes.append(route)
    return routes


def _accepted_routes(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    routes: list[list[int]],
    nodes: list[_Node],
    name: str,
) -> pywrapcp.Assignment | None:
    """The constructed routes as an assignment; when the model rejects them, each
    vehicle keeps the longest prefix it accepts (cut after an unloading visit), so
    the search still starts from most of the construction.

    `routes` hold node numbers; the model reads variable indices. The two differ as
    soon as a vehicle ends at a node it does not start from (a re-plan starts trucks
    where they are): end depots get no index of their own and every later node
    shifts, which OR-Tools reported as "Invalid index" and started from wrong routes.
    """
    routes = [[manager.NodeToIndex(n) for n in route] for route in routes]
    whole = routing.ReadAssignmentFromRoutes(routes, True)
    if whole is not None:
        return whole
    kept: list[list[int]] = [[] for _ in routes]
    for v, route in enumerate(routes):
        cuts = [len(route)] + [
            k + 1
            for k in range(len(route) - 1, -1, -1)
            if nodes[manager.IndexToNode(route[k])].kind is StopKind.STATION
        ]
        for cut in [*cuts, 0]:
            trial = [*kept[:v], route[:cut], *([[]] * (len(routes) - v - 1))]
            if routing.ReadAssignmentFromRoutes(trial, True) is not None:
                kept[v] = route[:cut]
                break
    lost = sum(len(r) for r in routes) - sum(len(r) for r in kept)
    log.info("%s: constructed routes cut by %d visits to satisfy the model", name, lost)
    return routing.ReadAssignmentFromRoutes(kept, True)


def _read_route(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    assignment: pywrapcp.Assignment,
    nodes: list[_Node],
    v: int,
    time_dim: pywrapcp.RoutingDimension,
    problem: Problem,
) -> list[Visit]:
    visits: list[Visit] = []
    load = 0
    index = routing.Start(v)
    while True:
        node = nodes[manager.IndexToNode(index)]
        t = assignment.Value(time_dim.CumulVar(index))
        if node.kind is StopKind.STATION:
            load = 0
        else:
            load += node.stop.demand_for(problem.vehicles[v]) if node.stop else node.demand
        community = node.stop.community_id if node.stop else None
        visits.append(
            Visit(
                node.kind,
                node.ref_id,
                problem.locations[node.loc],
                t,
                t + node.service_s,
                load,
                community,
            )
        )
        if routing.IsEnd(index):
            break
        index = assignment.Value(routing.NextVar(index))
    return visits


def _with_break(
    visits: list[Visit], assignment: pywrapcp.Assignment, interval: object
) -> list[Visit]:
    var = assignment.IntervalVarContainer()
    for i in range(var.Size()):
        element = var.Element(i)
        if element.Var() is interval or element.Var().Name() == interval.Name():  # type: ignore[attr-defined]
            if not element.PerformedValue():
                return visits
            start, duration = element.StartValue(), element.DurationValue()
            if start >= visits[-1].arrival_s or start + duration <= visits[0].departure_s:
                return visits  # taken at the depot before leaving or after the route
            pos = next(
                (k for k, vis in enumerate(visits) if vis.arrival_s > start), len(visits) - 1
            )
            pos = max(1, pos)
            before = visits[pos - 1]
            rest = Visit(
                StopKind.BREAK, "break", before.location, start, start + duration, before.load_kg
            )
            return [*visits[:pos], rest, *visits[pos:]]
    return visits


class _Progress:
    """Logs each improving solution, at most every few seconds (long solves show life)."""

    def __init__(self, name: str, routing: pywrapcp.RoutingModel) -> None:
        self.name = name
        self.routing = routing
        self.count = 0
        self.started = time.monotonic()
        self.last_log = 0.0

    def __call__(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last_log >= 5.0:
            self.last_log = now
            log.info(
                "%s: solution %d, objective %d after %.1f s",
                self.name,
                self.count,
                self.routing.CostVar().Value(),
                now - self.started,
            )
