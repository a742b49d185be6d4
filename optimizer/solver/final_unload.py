"""A truck's last unloading, folded into its arc home.

A stop's arc to its end depot goes via the best station to unload at, so a route
grows by single insertions (an explicit final unload would need a stop and a
station inserted together, which the local search rarely finds). Reading a
solution makes the implicit visit explicit again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.dispatch import StopKind
from optimizer.solver.nodes import BLOCKED, Node
from optimizer.solver.problem import Problem
from optimizer.solver.solution import Visit


@dataclass(frozen=True)
class FinalUnload:
    """Per (node, end depot node): the time and distance home via the best station;
    `station_of` names that station (an index into `Problem.stations`) per (location,
    depot location)."""

    time_s: np.ndarray
    distance_m: np.ndarray
    station_of: dict[tuple[int, int], int]


def final_unload(problem: Problem, nodes: list[Node], ends: list[int]) -> FinalUnload | None:
    """The way home via a station from every stop; None when trucks carry nothing or
    have no station."""
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
    return FinalUnload(final_time, final_dist, choice)


def with_final_unload(visits: list[Visit], problem: Problem, final: FinalUnload) -> list[Visit]:
    """Make the implicit last unloading visit explicit (after a break taken on the way)."""
    end = visits[-1]
    k = len(visits) - 2
    while k > 0 and visits[k].kind is StopKind.BREAK:
        k -= 1
    last = visits[k]
    if last.kind not in (StopKind.POINT, StopKind.SITE):
        return visits
    station = problem.stations[final.station_of[(last.location.index, end.location.index)]]
    # A break after the last point may interrupt the drive (OR-Tools lets it, adding
    # its length to the leg), so the station comes the break's length after the drive,
    # not a whole drive after the break: that would reach the depot after the model's
    # end time.
    pause = sum(v.departure_s - v.arrival_s for v in visits[k + 1 : -1])
    eta = last.departure_s + problem.travel_s(last.location, station.location) + pause
    unload = Visit(StopKind.STATION, station.id, station.location, eta, eta + station.unload_s, 0)
    return [*visits[:-1], unload, replace(end, load_kg=0)]
