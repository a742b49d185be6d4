"""The constructed routes (`construct`) as the search's first assignment."""

from __future__ import annotations

import logging

from ortools.constraint_solver import pywrapcp

from core.dispatch import StopKind
from optimizer.solver.construct import construct
from optimizer.solver.nodes import Node
from optimizer.solver.problem import Problem

log = logging.getLogger("yiju.optimizer")


def initial_routes(problem: Problem, nodes: list[Node], unload_at_end: bool) -> list[list[int]]:
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


def accepted_routes(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    routes: list[list[int]],
    nodes: list[Node],
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
