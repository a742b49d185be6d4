"""An independent check of dispatched routes: recomputes travel times with its own
haversine and checks capacity, shifts, breaks and windows from the registry and the
plan's configuration, not from anything the solver computed."""

from __future__ import annotations

import itertools
import math
from datetime import date

from core.dispatch import RouteDispatch, StopKind
from core.localday import LocalDay
from core.registry import Registry, Shift
from optimizer.params import PlanningConfig

TOLERANCE_S = 2  # rounding of metres and seconds to integers


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _clock(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 3600 + int(mm) * 60


def validate_route(
    route: RouteDispatch, registry: Registry, day: date, config: PlanningConfig, *, from_s: int = 0
) -> list[str]:
    """Every broken rule of one route, as sentences (empty: the route is valid)."""
    problems: list[str] = []
    origin = LocalDay(day).start_ms
    truck = registry.truck_by_id.get(route.vehicle_id)
    crew = registry.crew_by_id.get(route.vehicle_id)
    shift: Shift = truck.shift if truck else crew.shift  # type: ignore[union-attr]
    depot_id = truck.depot_id if truck else crew.depot_id  # type: ignore[union-attr]
    stops = route.stops
    s = [(x.eta_ms - origin) // 1000 for x in stops]
    d = [(x.depart_ms - origin) // 1000 for x in stops]
    if stops[-1].kind is not StopKind.DEPOT or stops[-1].stop_id != depot_id:
        problems.append(f"{route.vehicle_id} does not end at its depot {depot_id}")
    if d[0] < max(_clock(shift.start), from_s) - TOLERANCE_S:
        problems.append(f"{route.vehicle_id} leaves at {d[0]} s, before its shift")
    if s[-1] > _clock(shift.end) + TOLERANCE_S:
        problems.append(f"{route.vehicle_id} is back at {s[-1]} s, after its shift ends")
    speed = config.speed_kmh / 3.6
    breaks = [x for x in stops if x.kind is StopKind.BREAK]
    latest_break = _clock(shift.break_start) + config.break_slack_s
    earliest_break = _clock(shift.break_start) - config.break_slack_s
    working = d[0] < earliest_break and latest_break < s[-1]
    if shift.break_min and len(breaks) != 1 and from_s < latest_break and working:
        problems.append(f"{route.vehicle_id} works past {latest_break} s without its break")
    if len(breaks) > 1:
        problems.append(f"{route.vehicle_id} has {len(breaks)} breaks")
    for b in breaks:
        if (b.depart_ms - b.eta_ms) // 60_000 != shift.break_min:
            problems.append(f"{route.vehicle_id}'s break is not {shift.break_min} min")
    moving = [i for i, x in enumerate(stops) if x.kind is not StopKind.BREAK]
    for a, b in itertools.pairwise(moving):
        travel = (
            _metres((stops[a].lat, stops[a].lon), (stops[b].lat, stops[b].lon))
            * config.detour
            / speed
        )
        pause = sum(
            (x.depart_ms - x.eta_ms) // 1000 for x in stops[a + 1 : b] if x.kind is StopKind.BREAK
        )
        if s[b] + TOLERANCE_S < d[a] + travel + pause:
            problems.append(
                f"{route.vehicle_id}: {stops[b].stop_id} reached faster than driving allows"
            )
    capacity = truck.capacity_kg if truck else math.inf
    windows = [tuple(_clock(t) for t in (w.start, w.end)) for w in config.collection_windows]
    meals = [tuple(_clock(t) for t in (w.start, w.end)) for w in config.meal_windows]
    load = 0.0
    for i, x in enumerate(stops):
        if x.load_kg > capacity + 0.5:
            problems.append(
                f"{route.vehicle_id} carries {x.load_kg} kg at {x.stop_id}, over {capacity}"
            )
        if x.kind is StopKind.STATION:
            if x.load_kg != 0:
                problems.append(f"{route.vehicle_id} is not empty after unloading at {x.stop_id}")
            station = registry.station_by_id[x.stop_id]
            if d[i] - s[i] < station.unload_min * 60:
                problems.append(f"{route.vehicle_id} unloads faster than {x.stop_id} allows")
        elif x.kind is StopKind.POINT:
            point = registry.point_by_id[x.stop_id]
            if x.load_kg < load:
                problems.append(f"{route.vehicle_id}'s load falls at {x.stop_id} without unloading")
            if not any(a <= s[i] <= b for a, b in windows):
                problems.append(
                    f"{x.stop_id} is served at {s[i]} s, outside every collection window"
                )
            bins = sum(b.count for b in point.bins)
            if d[i] - s[i] < config.service_s_per_point + config.service_s_per_bin * bins:
                problems.append(f"{x.stop_id} is served faster than its bins allow")
        elif x.kind is StopKind.SITE:
            site = registry.pest_site_by_id[x.stop_id]
            if d[i] - s[i] != site.service_min * 60:
                problems.append(f"{x.stop_id}: visit is not {site.service_min} min")
            if any(s[i] < m1 and d[i] > m0 for m0, m1 in meals):
                problems.append(f"{x.stop_id}: visit overlaps a meal time")
        if x.kind is not StopKind.BREAK:
            load = x.load_kg
    if truck and stops[-1].load_kg != 0:
        problems.append(f"{route.vehicle_id} returns to its depot loaded")
    return problems


def validate_plan(
    routes: list[RouteDispatch],
    registry: Registry,
    day: date,
    config: PlanningConfig,
    *,
    from_s: int = 0,
) -> list[str]:
    """Every broken rule of the plan: each route's, and visits per subject: a site at
    most once, a collection point at most twice (a second visit, the two starting at
    least `config.second_visit_gap_s` apart, none when second visits are off)."""
    problems = []
    starts: dict[str, list[int]] = {}
    for r in routes:
        problems += validate_route(r, registry, day, config, from_s=from_s)
        for x in r.stops:
            if x.kind in (StopKind.POINT, StopKind.SITE):
                starts.setdefault(f"{x.kind.value}:{x.stop_id}", []).append(x.eta_ms // 1000)
    for key, times in starts.items():
        kind, _, subject = key.partition(":")
        allowed = 2 if kind == StopKind.POINT.value and config.second_visits else 1
        if len(times) > allowed:
            problems.append(f"{subject} is visited {len(times)} times")
        elif len(times) == 2 and abs(times[1] - times[0]) < config.second_visit_gap_s:
            problems.append(
                f"{subject}'s two visits start {abs(times[1] - times[0])} s apart, "
                f"less than {config.second_visit_gap_s} s"
            )
    return problems
