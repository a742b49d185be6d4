"""The OR-Tools routing model of a `Problem`.

The model follows OR-Tools' fixed sequence: index manager, routing model,
transit matrices, dimensions ("Time", "Load"), disjunctions; search parameters,
the solve and reading the solution back come after (`search`, `reading`).

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
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from core.dispatch import StopKind
from optimizer.solver.final_unload import FinalUnload, final_unload
from optimizer.solver.nodes import BLOCKED, Node, node_layout
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import Problem, is_second_visit

TIME = "Time"
LOAD = "Load"
STATION_COST_M_PER_S = 6


@dataclass
class Model:
    """A built OR-Tools model and what reading its solutions back needs."""

    problem: Problem
    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    nodes: list[Node]
    time_dim: pywrapcp.RoutingDimension
    breaks: dict[int, object]
    final: FinalUnload | None
    # Metres between nodes (the arc cost without unloading), for the LNS's neighbours.
    dist: np.ndarray

    def lns_inputs(self) -> tuple[list[int], list[int]]:
        """The stops' variable indices (what a ruin may remove) and, per variable
        index, its node (to look distances up)."""
        manager, routing = self.manager, self.routing
        stops = [manager.NodeToIndex(i) for i, n in enumerate(self.nodes) if n.stop is not None]
        node_of = [manager.IndexToNode(i) for i in range(routing.Size() + routing.vehicles())]
        return stops, node_of


def build_model(problem: Problem, params: SolveParams, unload_at_end: bool) -> Model:
    """The model of `problem`; `unload_at_end`: a truck returns to its depot empty."""
    nodes, starts, ends = node_layout(problem)
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(problem.vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    locs = np.array([n.loc for n in nodes], dtype=np.int64)
    dist = problem.distance_m[np.ix_(locs, locs)].copy()
    travel = problem.duration_s[np.ix_(locs, locs)].copy()
    dist[dist < 0] = BLOCKED
    travel[travel < 0] = BLOCKED
    plain_dist = dist.copy()
    service = np.array([n.service_s for n in nodes], dtype=np.int64)
    final = final_unload(problem, nodes, ends) if unload_at_end else None
    if final is not None:
        # The last trip's unloading is part of the arc into the end depot
        # (optimizer/solver/final_unload.py).
        end_nodes = sorted(set(ends))
        stop_rows = np.array([n.stop is not None for n in nodes])
        for e in end_nodes:
            travel[stop_rows, e] = final.time_s[stop_rows, e]
            dist[stop_rows, e] = final.distance_m[stop_rows, e]
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

    return Model(problem, routing, manager, nodes, time_dim, breaks, final, plain_dist)
