"""The garbage-clearance model: collection points, trucks and transfer stations of
each town as routing problems.

Each town runs its own fleet. A large town is cut into sectors (communities
swept by angle around the town centre, each with a mix of the town's trucks),
because a flat model of thousands of stops neither finds a first solution nor
fits memory in the time budget; sectors are solved in parallel processes.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from core.dispatch import StopKind
from core.localday import parse_clock
from core.plans import UnservedReason
from core.registry import CollectionPoint, Registry, Shift, Truck
from optimizer.demand import PointForecast, forecast
from optimizer.distance import great_circle_m
from optimizer.model import (
    Break,
    DistanceMatrixSource,
    PlanTask,
    ProblemBuilder,
    TimeWindow,
    Unserved,
)
from optimizer.params import PlanningConfig, SolveParams
from optimizer.state import DistrictState

log = logging.getLogger("yiju.optimizer")

DAY_S = 86_400


def clock_s(text: str) -> int:
    t = parse_clock(text)
    return t.hour * 3600 + t.minute * 60 + t.second


def shift_window(shift: Shift, from_s: int) -> TimeWindow | None:
    """The shift as a window from `from_s` on; None when it is already over."""
    start, end = clock_s(shift.start), clock_s(shift.end)
    start = max(start, from_s)
    return TimeWindow(start, end) if start < end else None


def shift_break(shift: Shift, window: TimeWindow, slack_s: int) -> Break | None:
    """The shift's break, movable by `slack_s` either way inside the window; None
    when it has no length or (re-planning) its latest start has passed."""
    if shift.break_min <= 0:
        return None
    duration = shift.break_min * 60
    nominal = clock_s(shift.break_start)
    earliest = max(window.open_s, nominal - slack_s)
    latest = min(window.close_s - duration, nominal + slack_s)
    return Break(earliest, latest, duration) if earliest <= latest else None


@dataclass(frozen=True, slots=True)
class _PointStop:
    point: CollectionPoint
    forecast: PointForecast
    windows: tuple[TimeWindow, ...]
    demand_kg: int
    service_s: int


def _windows(config: PlanningConfig, from_s: int, deadline: int | None) -> tuple[TimeWindow, ...]:
    hi = deadline if deadline is not None else DAY_S
    out = []
    for w in config.collection_windows:
        a, b = w.seconds
        clipped = TimeWindow(a, b).clip(from_s, hi)
        if clipped is not None:
            out.append(clipped)
    return tuple(out)


def _point_stops(
    registry: Registry,
    points: list[CollectionPoint],
    state: DistrictState,
    config: PlanningConfig,
    from_s: int,
    from_ms: int,
    town_id: str,
) -> tuple[list[_PointStop], list[Unserved]]:
    district = registry.district
    stops, unserved = [], []
    for point in points:
        fc = forecast(
            point,
            state.bins.get(point.id),
            district,
            config,
            start_s=from_s,
            start_ms=from_ms,
            day_end_s=DAY_S,
        )
        deadline = None
        if fc.overflow_s is not None:
            # Already overflowing: urgent. Overflowing before any window opens: the
            # first window left is the best the crews can do.
            deadline = from_s + config.urgent_within_s if fc.overflow_s <= from_s else fc.overflow_s
        windows = _windows(config, from_s, deadline)
        if not windows and deadline is not None:
            windows = _windows(config, from_s, None)[:1]
        if not windows:
            unserved.append(
                Unserved(
                    point.id,
                    StopKind.POINT,
                    UnservedReason.TIME_WINDOW,
                    "no collection window is left before its predicted overflow"
                    if deadline is not None
                    else "no collection window is left today",
                    point.community_id,
                    town_id,
                )
            )
            continue
        latest = windows[-1].close_s
        demand = fc.demand_kg(
            latest, from_s, config.max_fill_pct, district.garbage_density_kg_per_l
        )
        bins = sum(b.count for b in point.bins)
        service = config.service_s_per_point + config.service_s_per_bin * bins
        stops.append(_PointStop(point, fc, windows, demand, service))
    return stops, unserved


def _station_trip_s(
    stops: list[_PointStop], stations: list[tuple[float, float, int]], config: PlanningConfig
) -> np.ndarray:
    """Per stop: an estimate of the round trip to its nearest station plus the unloading
    (great circle × detour at the configured speed; a sectoring estimate, not a route)."""
    if not stops or not stations:
        return np.zeros(len(stops))
    metres = great_circle_m(
        [(s.point.lat, s.point.lon) for s in stops], [(st[0], st[1]) for st in stations]
    )
    drive_s = metres * config.detour / (config.speed_kmh / 3.6)
    trip = 2 * drive_s + np.array([st[2] for st in stations])[None, :]
    return np.asarray(trip.min(axis=1), dtype=np.float64)


def _sectors(
    stops: list[_PointStop],
    trucks: list[Truck],
    centre: tuple[float, float],
    stations: list[tuple[float, float, int]],
    config: PlanningConfig,
    from_s: int,
) -> list[tuple[list[_PointStop], list[Truck]]]:
    """Communities swept by angle around the town centre into sectors, each with a mix
    of the town's trucks dealt round-robin, cut so each sector's work matches what its
    trucks can do.

    Work and truck power are in the same unit, seconds of an average truck: a stop
    costs its service, a minute's drive and its share of the trips to unload
    (kg × round trip to its nearest station ÷ the fleet's mean capacity); a truck is
    worth its shift left, scaled down when it is small (more trips per tonne) and up
    when it is large. Cutting by truck count instead left sectors of small trucks far
    from a station with more than their trucks could clear (27 Nov 2026: 19 stops left
    out in three such sectors of the district benchmark).
    """
    k = max(1, min(len(trucks), round(len(trucks) / config.trucks_per_sector)))
    if k == 1:
        return [(stops, trucks)]

    def angle(s: _PointStop) -> float:
        return math.atan2(s.point.lat - centre[0], s.point.lon - centre[1])

    trip = _station_trip_s(stops, stations, config)
    fleet = sorted(trucks, key=lambda t: (clock_s(t.shift.start), -t.capacity_kg, t.id))
    mean_cap = sum(t.capacity_kg for t in fleet) / len(fleet)
    demand = sum(s.demand_kg for s in stops)
    # Seconds per kg spent at and between stops, and the demand-weighted trip length.
    per_kg = sum(s.service_s + 60 for s in stops) / max(1.0, demand)
    mean_trip = float(np.dot(trip, [s.demand_kg for s in stops])) / max(1.0, demand)
    work = {
        s.point.id: s.service_s + 60 + s.demand_kg * float(t) / mean_cap
        for s, t in zip(stops, trip, strict=True)
    }

    def power(truck: Truck) -> float:
        window = shift_window(truck.shift, from_s)
        hours = window.close_s - window.open_s if window is not None else 0
        scale = (per_kg + mean_trip / mean_cap) / (per_kg + mean_trip / truck.capacity_kg)
        return hours * scale

    # Sweep points by angle, a community's points kept together (they sit close).
    community_angle: dict[str, list[float]] = defaultdict(list)
    for s in stops:
        community_angle[s.point.community_id].append(angle(s))
    mean = {c: sum(a) / len(a) for c, a in community_angle.items()}
    ordered = sorted(stops, key=lambda s: (mean[s.point.community_id], angle(s)))
    dealt: list[list[Truck]] = [[] for _ in range(k)]
    for i, truck in enumerate(fleet):
        dealt[i % k].append(truck)
    powers = [sum(power(t) for t in d) for d in dealt]
    total_power = sum(powers) or 1.0
    total = sum(work.values())
    sectors: list[list[_PointStop]] = [[] for _ in range(k)]
    current, acc = 0, 0.0
    for s in ordered:
        w = work[s.point.id]
        target = total * sum(powers[: current + 1]) / total_power
        if current < k - 1 and acc + w / 2 > target and sectors[current]:
            current += 1
        sectors[current].append(s)
        acc += w
    return [(sec, d) for sec, d in zip(sectors, dealt, strict=True) if sec]


def _demand_steps(
    s: _PointStop, trucks: list[Truck], from_s: int, registry: Registry, config: PlanningConfig
) -> tuple[tuple[int, int], ...]:
    """The point's demand for trucks whose shift ends at each of the sector's shift ends."""
    density = registry.district.garbage_density_kg_per_l
    latest = s.windows[-1].close_s
    steps = set()
    for t in trucks:
        end = clock_s(t.shift.end)
        if end < latest:
            steps.add((end, s.forecast.demand_kg(end, from_s, config.max_fill_pct, density)))
    return tuple(sorted(steps))


def garbage_tasks(
    registry: Registry,
    state: DistrictState,
    town_id: str,
    config: PlanningConfig,
    provider: DistanceMatrixSource,
    *,
    from_s: int,
    from_ms: int,
    time_limit_s: float,
    excluded: frozenset[str] = frozenset(),
    cleared: frozenset[str] = frozenset(),
    use_positions: bool = False,
) -> tuple[list[PlanTask], list[Unserved], int, int]:
    """Routing tasks for one town; returns (tasks, unserved known before solving,
    points to serve, trucks available)."""
    points = [
        p for p in registry.points_in(town_id) if p.id not in cleared and p.id not in state.cleared
    ]
    stops, unserved = _point_stops(registry, points, state, config, from_s, from_ms, town_id)
    trucks = [
        t
        for t in registry.trucks
        if t.town_id == town_id and t.id not in excluded and shift_window(t.shift, from_s)
    ]
    if not trucks:
        for s in stops:
            unserved.append(
                Unserved(
                    s.point.id,
                    StopKind.POINT,
                    UnservedReason.NO_VEHICLE,
                    f"{town_id} has no truck on shift",
                    s.point.community_id,
                    town_id,
                )
            )
        return [], unserved, len(points), 0
    town = registry.town_by_id[town_id]
    stations = [s for s in registry.transfer_stations if s.town_id == town_id]
    unload_at = [(st.lat, st.lon, st.unload_min * 60) for st in stations] or [
        (registry.depot_by_id[t.depot_id].lat, registry.depot_by_id[t.depot_id].lon, 15 * 60)
        for t in trucks
    ]
    sectors = _sectors(stops, trucks, (town.lat, town.lon), unload_at, config, from_s)
    if not stations:
        log.warning("%s has no transfer station: trucks unload at their depots", town_id)
    tasks = []
    for i, (sector_stops, sector_trucks) in enumerate(sectors):
        builder = ProblemBuilder(f"garbage {town_id} sector {i + 1}/{len(sectors)}")
        depots = {}
        for truck in sector_trucks:
            if truck.depot_id not in depots:
                d = registry.depot_by_id[truck.depot_id]
                depots[truck.depot_id] = builder.add_depot(d.id, d.lat, d.lon)
        if stations:
            for st in stations:
                builder.add_station(st.id, st.lat, st.lon, st.unload_min * 60)
        else:
            depot = registry.depot_by_id[sector_trucks[0].depot_id]
            builder.add_station(depot.id, depot.lat, depot.lon, 15 * 60)
        for s in sector_stops:
            builder.add_stop(
                s.point.id,
                s.point.lat,
                s.point.lon,
                kind=StopKind.POINT,
                demand_kg=s.demand_kg,
                service_s=s.service_s,
                windows=s.windows,
                community_id=s.point.community_id,
                demand_steps=_demand_steps(s, sector_trucks, from_s, registry, config),
                note=f"fill {s.forecast.fill_pct:.0f}% +{s.forecast.rate_pct_per_h:.1f}%/h",
            )
        for truck in sector_trucks:
            window = shift_window(truck.shift, from_s)
            assert window is not None
            pos = state.vehicle_positions.get(truck.id) if use_positions else None
            builder.add_vehicle(
                truck.id,
                depots[truck.depot_id],
                capacity_kg=int(truck.capacity_kg),
                shift=window,
                rest=shift_break(truck.shift, window, config.break_slack_s),
                start=(pos.lat, pos.lon) if pos is not None else None,
            )
        demand = sum(s.demand_kg for s in sector_stops)
        min_cap = min(t.capacity_kg for t in sector_trucks)
        copies = math.ceil(demand / max(1.0, min_cap)) + len(sector_trucks) + 1
        problem = builder.build(provider, station_copies=copies)
        tasks.append(PlanTask(town_id, problem, SolveParams(time_limit_s=time_limit_s)))
    log.info(
        "%s: %d points to clear (%d already cleared), %d trucks, %d sectors",
        town_id,
        len(stops),
        len(state.cleared) + len(cleared),
        len(trucks),
        len(tasks),
    )
    return tasks, unserved, len(points), len(trucks)
