"""A solved assignment read back into the solver's own types: each vehicle's visits
with their times and loads, its break, its last unloading, and the stops left out."""

from __future__ import annotations

import itertools

from ortools.constraint_solver import pywrapcp

from core.dispatch import StopKind
from optimizer.solver.build import Model
from optimizer.solver.final_unload import with_final_unload
from optimizer.solver.nodes import Node
from optimizer.solver.problem import Problem
from optimizer.solver.solution import RoutePlan, Solution, Visit


def read_solution(model: Model, assignment: pywrapcp.Assignment, wall: float) -> Solution:
    """The routes of `assignment`, found in `wall` seconds."""
    problem, routing, manager = model.problem, model.routing, model.manager
    routes = []
    for v, vehicle in enumerate(problem.vehicles):
        visits = _read_route(routing, manager, assignment, model.nodes, v, model.time_dim, problem)
        if len(visits) <= 2:
            continue
        if v in model.breaks:
            visits = _with_break(visits, assignment, model.breaks[v])
        if model.final is not None:
            visits = with_final_unload(visits, problem, model.final)
        moving = [x for x in visits if x.kind is not StopKind.BREAK]
        d = sum(problem.distance(a.location, b.location) for a, b in itertools.pairwise(moving))
        routes.append(RoutePlan(vehicle, tuple(visits), d))
    served = {ref for r in routes for ref in r.served}
    dropped = tuple(s for s in problem.stops if s.id not in served)
    return Solution(problem.name, tuple(routes), dropped, assignment.ObjectiveValue(), wall, "ok")


def _read_route(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    assignment: pywrapcp.Assignment,
    nodes: list[Node],
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
