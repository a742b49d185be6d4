"""Independent checks of planned routes.

`validate_plan` checks dispatched routes (`core.dispatch.RouteDispatch`) against the
registry, the plan's configuration and what the solver was given (`Given`: each
stop's demand and allowed service starts, from the problem built before solving).
It recomputes, never reads from the solver's answer: travel times with its own
haversine, loads from the given demands (reset at each unloading), service times
from the bins and sites of the registry, and where each route must start and end.

`validate_solution` checks a solver `Solution` the same way against the `Problem`
it solved, with travel times from a function the test gives (its own geometry).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from core.dispatch import RouteDispatch, RouteStopOut, StopKind
from core.localday import LocalDay
from core.registry import Registry, Shift
from core.registry.models import GeoPoint
from optimizer.planning.config import PlanningConfig
from optimizer.planning.tasks import PlanTask
from optimizer.solver.problem import Location, Problem, second_visit_id
from optimizer.solver.solution import Solution

# The solver rounds each leg's seconds to an integer; this validator does not.
TOLERANCE_S = 2
# Coordinates are copied, not computed: anything further off is another place.
SAME_PLACE_DEG = 1e-9

Window = tuple[int, int]


@dataclass(frozen=True)
class Given:
    """What the solver was given for a plan, keyed by the model's stop ids (a point's
    second visit of the day has its own id, though it is dispatched as the point):
    each stop's demand per vehicle (a truck whose shift ends early collects less) and
    its allowed service starts; and where a re-plan starts a vehicle that is not at
    its depot."""

    demand_kg: Mapping[str, Mapping[str, int]]
    windows: Mapping[str, tuple[Window, ...]]
    starts: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, tasks: list[PlanTask], starts: Mapping[str, tuple[float, float]] | None = None
    ) -> Given:
        """From the problems of a prepared plan (`optimizer.planning.day.prepare_plan`)."""
        demand: dict[str, dict[str, int]] = {}
        windows: dict[str, tuple[Window, ...]] = {}
        for task in tasks:
            for stop in task.problem.stops:
                assert stop.id not in windows, f"{stop.id} is in two problems"
                windows[stop.id] = tuple((w.open_s, w.close_s) for w in stop.windows)
                demand[stop.id] = {v.id: stop.demand_for(v) for v in task.problem.vehicles}
        return cls(demand, windows, dict(starts or {}))

    def visit_of(self, stop_id: str, start_s: int) -> str | None:
        """The model stop a dispatched visit of `stop_id` starting at `start_s` is: the
        point's first visit or its second, told apart by their windows (disjoint);
        None when the solver was given neither."""
        ids = [i for i in (stop_id, second_visit_id(stop_id)) if i in self.windows]
        if len(ids) <= 1:
            return ids[0] if ids else None

        def distance(i: str) -> int:
            return min((max(a - start_s, start_s - b, 0) for a, b in self.windows[i]), default=0)

        return min(ids, key=distance)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def drive_s(a: RouteStopOut, b: RouteStopOut, config: PlanningConfig) -> float:
    """Seconds from `a` to `b`: haversine × detour at the configured speed."""
    return _metres((a.lat, a.lon), (b.lat, b.lon)) * config.detour / (config.speed_kmh / 3.6)


def _clock(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 3600 + int(mm) * 60


def _inside(t: int, windows: tuple[Window, ...]) -> bool:
    return any(a <= t <= b for a, b in windows)


def _at(x: RouteStopOut, where: GeoPoint | tuple[float, float]) -> bool:
    lat, lon = (where.lat, where.lon) if isinstance(where, GeoPoint) else where
    return abs(x.lat - lat) <= SAME_PLACE_DEG and abs(x.lon - lon) <= SAME_PLACE_DEG


def validate_route(
    route: RouteDispatch,
    registry: Registry,
    day: date,
    config: PlanningConfig,
    given: Given,
    *,
    from_s: int = 0,
) -> list[str]:
    """Every broken rule of one route, as sentences (empty: the route is valid)."""
    v = route.vehicle_id
    truck = registry.truck_by_id.get(v)
    crew = registry.crew_by_id.get(v)
    if truck is not None:
        shift: Shift = truck.shift
        depot_id = truck.depot_id
    elif crew is not None:
        shift, depot_id = crew.shift, crew.depot_id
    else:
        return [f"{v} is neither a truck nor a crew of the registry"]
    depot = registry.depot_by_id[depot_id]
    problems: list[str] = []
    origin = LocalDay(day).start_ms
    stops = route.stops
    s = [(x.eta_ms - origin) // 1000 for x in stops]
    d = [(x.depart_ms - origin) // 1000 for x in stops]

    # Where it starts (its depot, or where a re-plan found it) and ends (its depot).
    start = given.starts.get(v, (depot.lat, depot.lon))
    first, last = stops[0], stops[-1]
    if first.kind is not StopKind.DEPOT or first.stop_id != depot_id or not _at(first, start):
        problems.append(
            f"{v} starts at {first.kind.value} {first.stop_id} ({first.lat}, {first.lon}), "
            f"not at {depot_id} {start}"
        )
    if not (last.kind is StopKind.DEPOT and last.stop_id == depot_id and _at(last, depot)):
        problems.append(f"{v} does not end at its depot {depot_id}")
    places: dict[StopKind, Mapping[str, GeoPoint]] = {
        StopKind.POINT: registry.point_by_id,
        # A town without a transfer station unloads at a depot.
        StopKind.STATION: {**registry.depot_by_id, **registry.station_by_id},
        StopKind.SITE: registry.pest_site_by_id,
    }
    for x in stops[1:-1]:
        place = places.get(x.kind)
        if place is not None and (x.stop_id not in place or not _at(x, place[x.stop_id])):
            problems.append(f"{v}: {x.kind.value} {x.stop_id} is not where the registry has it")

    # The shift and its break.
    if d[0] < max(_clock(shift.start), from_s):
        problems.append(f"{v} leaves at {d[0]} s, before its shift or the plan's start")
    if s[-1] > _clock(shift.end):
        problems.append(f"{v} is back at {s[-1]} s, after its shift ends")
    breaks = [i for i, x in enumerate(stops) if x.kind is StopKind.BREAK]
    earliest_break = _clock(shift.break_start) - config.break_slack_s
    latest_break = _clock(shift.break_start) + config.break_slack_s
    working = d[0] < earliest_break and latest_break < s[-1]
    if shift.break_min and len(breaks) != 1 and from_s < latest_break and working:
        problems.append(f"{v} works past {latest_break} s without its break")
    if len(breaks) > 1:
        problems.append(f"{v} has {len(breaks)} breaks")
    for i in breaks:
        if d[i] - s[i] != shift.break_min * 60:
            problems.append(f"{v}'s break is not {shift.break_min} min")
        if not earliest_break <= s[i] <= latest_break:
            problems.append(f"{v}'s break starts at {s[i]} s, outside its range")

    # Driving: each stop is reached no sooner than the drive from the last one (plus a
    # break taken on the way); a truck that comes early waits, service starts at `eta`.
    moving = [i for i, x in enumerate(stops) if x.kind is not StopKind.BREAK]
    for a, b in itertools.pairwise(moving):
        pause = sum(d[i] - s[i] for i in range(a + 1, b))
        if s[b] + TOLERANCE_S < d[a] + drive_s(stops[a], stops[b], config) + pause:
            problems.append(f"{v}: {stops[b].stop_id} reached faster than driving allows")

    # Each visit: its service starts inside a window, lasts at least its service
    # time, and the load on board is the given demands since the last unloading.
    capacity = truck.capacity_kg if truck is not None else 0.0
    collection = tuple(w.seconds for w in config.collection_windows)
    meals = [w.seconds for w in config.meal_windows]
    load = 0
    overloaded = False
    for i, x in enumerate(stops):
        if x.kind in (StopKind.POINT, StopKind.SITE):
            visit = given.visit_of(x.stop_id, s[i])
            if visit is None or v not in given.demand_kg[visit]:
                problems.append(f"{v}: {x.stop_id} was not given to the solver for {v}")
            else:
                load += given.demand_kg[visit][v]
                if not _inside(s[i], given.windows[visit]):
                    problems.append(
                        f"{x.stop_id} is served at {s[i]} s, outside its windows "
                        f"{list(given.windows[visit])}"
                    )
                elif x.kind is StopKind.POINT and not _inside(s[i], collection):
                    problems.append(
                        f"{x.stop_id} is served at {s[i]} s, outside every collection window"
                    )
        if x.kind is StopKind.POINT and x.stop_id in registry.point_by_id:
            bins = sum(b.count for b in registry.point_by_id[x.stop_id].bins)
            if d[i] - s[i] < config.service_s_per_point + config.service_s_per_bin * bins:
                problems.append(f"{x.stop_id} is served faster than its bins allow")
        elif x.kind is StopKind.SITE and x.stop_id in registry.pest_site_by_id:
            if d[i] - s[i] < registry.pest_site_by_id[x.stop_id].service_min * 60:
                problems.append(f"{x.stop_id}: visit is shorter than the site's service time")
            if any(s[i] < m1 and d[i] > m0 for m0, m1 in meals):
                problems.append(f"{x.stop_id}: visit overlaps a meal time")
        elif x.kind is StopKind.STATION:
            load = 0
            station = registry.station_by_id.get(x.stop_id)
            if station is not None and d[i] - s[i] < station.unload_min * 60:
                problems.append(f"{v} unloads faster than {x.stop_id} allows")
        if truck is not None and load > capacity and not overloaded:
            overloaded = True
            problems.append(f"{v} carries {load} kg after {x.stop_id}, over its {capacity:g} kg")
        if x.load_kg != load:
            problems.append(
                f"{v} reports {x.load_kg:g} kg on board after {x.kind.value} {x.stop_id} "
                f"(stop {x.seq}); its demands make {load} kg"
            )
    if load:
        problems.append(f"{v} returns to its depot with {load} kg on board")
    return problems


def validate_plan(
    routes: list[RouteDispatch],
    registry: Registry,
    day: date,
    config: PlanningConfig,
    given: Given,
    *,
    from_s: int = 0,
) -> list[str]:
    """Every broken rule of the plan: each route's (`validate_route`), one route per
    vehicle, and visits per subject: a site at most once, a collection point at most
    twice (a second visit, the two starting at least `config.second_visit_gap_s`
    apart, none when second visits are off)."""
    problems = []
    vehicles = [r.vehicle_id for r in routes]
    for vehicle in sorted({x for x in vehicles if vehicles.count(x) > 1}):
        problems.append(f"{vehicle} has {vehicles.count(vehicle)} routes")
    starts: dict[tuple[StopKind, str], list[int]] = {}
    for r in routes:
        problems += validate_route(r, registry, day, config, given, from_s=from_s)
        for x in r.stops:
            if x.kind in (StopKind.POINT, StopKind.SITE):
                starts.setdefault((x.kind, x.stop_id), []).append(x.eta_ms // 1000)
    for (kind, subject), times in starts.items():
        allowed = 2 if kind is StopKind.POINT and config.second_visits else 1
        gap, least = abs(times[-1] - times[0]), config.second_visit_gap_s
        if len(times) > allowed:
            problems.append(f"{subject} is visited {len(times)} times")
        elif len(times) == 2 and gap < least:
            problems.append(f"{subject}'s two visits start {gap} s apart, less than {least} s")
    return problems


Travel = Callable[[Location, Location], tuple[float, float]]


def great_circle(detour: float, speed_kmh: float) -> Travel:
    """(metres, seconds) between two locations: haversine × `detour` at `speed_kmh`."""

    def travel(a: Location, b: Location) -> tuple[float, float]:
        metres = _metres((a.lat, a.lon), (b.lat, b.lon)) * detour
        return metres, metres / (speed_kmh / 3.6)

    return travel


def validate_solution(
    problem: Problem, solution: Solution, travel: Travel, *, unload_at_end: bool = True
) -> list[str]:
    """Every broken rule of a solver's `Solution` of `problem`, with (metres, seconds)
    between two locations from `travel` (the test's own geometry, not the matrices the
    solver read): start and end places, shifts, breaks, driving times, windows, service
    and unloading times, loads from the stops' demands, each route's distance, and every
    stop either served once or dropped."""
    problems: list[str] = []
    stop_by_id = {x.id: x for x in problem.stops}
    unload = {x.id: x.unload_s for x in problem.stations}
    served: list[str] = []
    carries = any(x.demand_kg for x in problem.stops) and bool(problem.stations)
    for route in solution.routes:
        vehicle, visits = route.vehicle, route.visits
        v = vehicle.id
        first, last = visits[0], visits[-1]
        if first.kind is not StopKind.DEPOT or first.location.index != vehicle.start.index:
            problems.append(f"{v} does not start where it is ({vehicle.start.index})")
        if last.kind is not StopKind.DEPOT or last.location != vehicle.depot.location:
            problems.append(f"{v} does not end at its depot {vehicle.depot.id}")
        if first.departure_s < vehicle.shift.open_s or last.arrival_s > vehicle.shift.close_s:
            problems.append(f"{v} works outside its shift")
        moving = [k for k, x in enumerate(visits) if x.kind is not StopKind.BREAK]
        metres = 0
        for a, b in itertools.pairwise(moving):
            m, secs = travel(visits[a].location, visits[b].location)
            metres += round(m)  # the solver's distances are whole metres a leg
            pause = sum(x.departure_s - x.arrival_s for x in visits[a + 1 : b])
            if visits[b].arrival_s + TOLERANCE_S < visits[a].departure_s + secs + pause:
                problems.append(f"{v}: {visits[b].ref_id} reached faster than driving allows")
        if metres != route.distance_m:
            problems.append(f"{v} reports {route.distance_m} m; its legs make {metres} m")
        load = 0
        overloaded = False
        for x in visits:
            if x.kind is StopKind.BREAK:
                rest = vehicle.rest
                if rest is None or x.departure_s - x.arrival_s != rest.duration_s:
                    problems.append(f"{v}'s break is not its length")
                elif not rest.earliest_s <= x.arrival_s <= rest.latest_s:
                    problems.append(f"{v}'s break starts at {x.arrival_s} s, outside its range")
            elif x.kind is StopKind.STATION:
                load = 0
                if x.departure_s - x.arrival_s < unload[x.ref_id]:
                    problems.append(f"{v} unloads faster than {x.ref_id} allows")
            elif x.kind is not StopKind.DEPOT:
                stop = stop_by_id[x.ref_id]
                served.append(stop.id)
                load += stop.demand_for(vehicle)
                if stop.windows and not any(w.contains(x.arrival_s) for w in stop.windows):
                    problems.append(f"{stop.id} is served at {x.arrival_s} s, outside its windows")
                if x.departure_s - x.arrival_s < stop.service_s:
                    problems.append(f"{stop.id} is served faster than its service time")
            if load > vehicle.capacity_kg and not overloaded:
                overloaded = True
                problems.append(f"{v} carries {load} kg at {x.ref_id}, over {vehicle.capacity_kg}")
            if x.load_kg != load:
                problems.append(f"{v} reports {x.load_kg} kg after {x.ref_id}; demands make {load}")
        if load and carries and unload_at_end:
            problems.append(f"{v} returns to its depot with {load} kg on board")
    dropped = [x.id for x in solution.dropped]
    for stop_id in sorted({x for x in served if served.count(x) > 1}):
        problems.append(f"{stop_id} is served {served.count(stop_id)} times")
    if set(served) & set(dropped):
        problems.append(f"served and dropped: {sorted(set(served) & set(dropped))}")
    if set(served) | set(dropped) != set(stop_by_id):
        problems.append(f"neither served nor dropped: {sorted(set(stop_by_id) - set(served))}")
    return problems
