"""The routing model's nodes: one per start or end location, each station's
unloading copies, then one per stop (OR-Tools numbers nodes, the solver's types
name them)."""

from __future__ import annotations

from dataclasses import dataclass

from core.dispatch import StopKind
from optimizer.solver.problem import Problem, Stop

# The cost and time of an arc between two nodes the distance provider found no road
# for: never worth driving.
BLOCKED = 100_000_000


@dataclass(frozen=True, slots=True)
class Node:
    kind: StopKind
    ref_id: str
    loc: int
    service_s: int
    demand: int
    stop: Stop | None = None


def node_layout(problem: Problem) -> tuple[list[Node], list[int], list[int]]:
    """The nodes, and per vehicle its start node and its end node."""
    nodes: list[Node] = []
    loc_node: dict[int, int] = {}

    def endpoint(kind: StopKind, ref: str, loc: int) -> int:
        if loc not in loc_node:
            loc_node[loc] = len(nodes)
            nodes.append(Node(kind, ref, loc, 0, 0))
        return loc_node[loc]

    starts = [endpoint(StopKind.DEPOT, v.depot.id, v.start.index) for v in problem.vehicles]
    ends = [endpoint(StopKind.DEPOT, v.depot.id, v.depot.location.index) for v in problem.vehicles]
    cmax = max((v.capacity_kg for v in problem.vehicles), default=0)
    if any(s.demand_kg for s in problem.stops):
        for station in problem.stations:
            for _ in range(problem.station_copies):
                nodes.append(
                    Node(
                        StopKind.STATION,
                        station.id,
                        station.location.index,
                        station.unload_s,
                        -cmax,
                    )
                )
    for stop in problem.stops:
        nodes.append(
            Node(stop.kind, stop.id, stop.location.index, stop.service_s, stop.demand_kg, stop)
        )
    return nodes, starts, ends
