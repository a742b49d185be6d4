"""The garbage-clearance model: collection points, trucks and transfer stations of
each town as routing problems.

Each town runs its own fleet. A large town is cut into sectors (communities
swept by angle around the town centre, each with a mix of the town's trucks),
because a flat model of thousands of stops neither finds a first solution nor
fits memory in the time budget; sectors are solved in parallel processes.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np

from core.dispatch import StopKind
from core.plans import UnservedReason
from core.registry import CollectionPoint, Registry, Truck
from optimizer.distance import great_circle_m
from optimizer.planning.config import PlanningConfig
from optimizer.planning.demand import PointForecast, forecast, kg
from optimizer.planning.shifts import DAY_S, clock_s, shift_break, shift_window
from optimizer.planning.state import BinState, DistrictState
from optimizer.planning.tasks import PlanTask, Unserved
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import (
    DistanceMatrixSource,
    ProblemBuilder,
    TimeWindow,
    is_second_visit,
    second_visit_id,
)

log = logging.getLogger("yiju.optimizer")


@dataclass(frozen=True, slots=True)
class PointStop:
    """One visit of a point: its first (or only) visit of the day, or a second one
    (`stop_id` with problem.SECOND_VISIT) whose garbage is counted from `since_s`, the
    first visit's earliest start, in a bin emptied then."""

    point: CollectionPoint
    forecast: PointForecast
    windows: tuple[TimeWindow, ...]
    demand_kg: int
    service_s: int
    stop_id: str = ""
    since_s: int | None = None
    # Service should start by then (a soft deadline); None: any time in `windows`.
    due_s: int | None = None

    @property
    def latest_s(self) -> int:
        """The latest start the plan counts on: the due time, else the last window's end."""
        return self.due_s if self.due_s is not None else self.windows[-1].close_s

    @property
    def second(self) -> bool:
        return is_second_visit(self.stop_id)

    def fill_at(self, t_s: int, from_s: int, config: PlanningConfig) -> float:
        since = self.since_s
        if since is None and config.daily_round_load:
            since = t_s - DAY_S  # emptied at this time yesterday, as on a fixed daily round
        if since is None:
            return self.forecast.fill_at(t_s, from_s, config.max_fill_pct)
        gained = self.forecast.accumulated(since, t_s)
        return min(config.max_fill_pct, config.cleared_fill_pct + gained)

    def demand_at(self, t_s: int, from_s: int, config: PlanningConfig, density: float) -> int:
        return kg(self.fill_at(t_s, from_s, config), self.point.volume_l, density)


# A window cut shorter than this by the plan's start or a deadline is no window: a
# re-plan at 16:00 must not offer the 09:00–16:00 window's last second.
MIN_WINDOW_S = 15 * 60


def _windows(config: PlanningConfig, from_s: int, deadline: int | None) -> tuple[TimeWindow, ...]:
    hi = deadline if deadline is not None else DAY_S
    out = []
    for w in config.collection_windows:
        a, b = w.seconds
        clipped = TimeWindow(a, b).clip(from_s, hi)
        whole = clipped == TimeWindow(a, b)
        if clipped is not None and (whole or clipped.close_s - clipped.open_s >= MIN_WINDOW_S):
            out.append(clipped)
    return tuple(out)


# A planned visit: its windows, and for a second visit the time its garbage counts from.
Visit = tuple[tuple[TimeWindow, ...], int | None]


def _usual_clock_s(reading: BinState | None, from_ms: int, from_s: int) -> int | None:
    """The clock time (seconds of the day) of the point's clearance yesterday, when it
    was cleared yesterday; None otherwise."""
    if reading is None or reading.last_cleared_ms is None:
        return None
    since_s = (from_ms - reading.last_cleared_ms) // 1000
    yesterday_s = from_s - since_s + DAY_S  # its clock time, as seconds of today
    return int(yesterday_s) if 0 <= yesterday_s < DAY_S and since_s > from_s else None


def _round_band(usual_s: int | None, config: PlanningConfig) -> tuple[int, int] | None:
    """When today's visit of a point cleared yesterday at `usual_s` keeps its round:
    from `keep_round_s` before to `keep_round_late_s` after that time, counted in
    collection time, so a band reaching into the morning's no-collection gap carries
    on across it. A point cleared at 06:30 may come at 09:00-10:30 today, one cleared
    at 09:30 from 05:30: counted on the clock, the first band would end at 07:00 and
    the second start at 09:00, and the points the first window took on day 1 stayed
    pinned to it (310 of 611 on day 2 at scale 0.05, with four more trucks out to
    serve them before 07:00).

    An evening clearance (the afternoon look's extra visit of a point that would not
    have lasted the night) is no round to keep: kept in the evening, such a point
    would call a truck out from its depot every evening from then on, so it goes to
    the daytime window (09:00–16:00), all of it, where the trucks out on their routes
    take it and it lasts the night; and no band reaches into the evening. None: no
    round to keep."""
    if usual_s is None:
        return None
    windows = [w.seconds for w in config.collection_windows]
    if _in_evening(usual_s, config):
        return windows[-2]
    if len(windows) >= 2:
        windows = windows[:-1]
    at = _collection_s(windows, usual_s)
    return (
        _clock_s(windows, at - config.keep_round_s, earliest=True),
        min(windows[-1][1], _clock_s(windows, at + config.keep_round_late_s, earliest=False)),
    )


def _in_evening(clock_s: int, config: PlanningConfig) -> bool:
    """Whether `clock_s` falls in the evening window (the last of two or more)."""
    windows = config.collection_windows
    return len(windows) >= 2 and clock_s >= windows[-1].seconds[0]


def _collection_s(windows: list[tuple[int, int]], t: int) -> int:
    """Seconds of collection time (inside `windows`, in order) before clock time `t`."""
    return sum(max(0, min(t, b) - a) for a, b in windows)


def _clock_s(windows: list[tuple[int, int]], c: int, *, earliest: bool) -> int:
    """The clock time at `c` seconds of collection time: at a window's end or the next
    one's opening (`earliest` picks the end); before the first window or after the
    last, the clock runs on from its edge."""
    passed = 0
    for a, b in windows:
        if c < passed + (b - a) or (earliest and c == passed + (b - a)):
            return a + (c - passed)
        passed += b - a
    return windows[-1][1] + (c - passed)


def plan_visits(
    fc: PointForecast,
    config: PlanningConfig,
    from_s: int,
    *,
    cleared: bool = False,
    usual_s: int | None = None,
) -> list[Visit]:
    """The visits a point needs today and the windows of each (pure; see docs/optimizer.md,
    "Preventing exposure").

    Each visit comes before the fill reaches `deadline_fill_pct` (or, already there,
    within `urgent_within_s`). The day's last visit must also leave the point below
    `overnight_fill_pct` until tomorrow's first service (`next_service_s`): a release
    time. When one visit cannot be both before the deadline and after the release, the
    point gets two: the second from the release on, in the earliest window that allows
    it, the first before the deadline, at least `second_visit_gap_s` earlier and late
    enough that the refilling bin lasts until the second's latest start (dropped when
    nothing fits: a point too full to last even so is still served twice). A point
    `cleared` today gets a visit only when it would not last until tomorrow's service.
    Empty: no window is left. With `config.second_visits` off: one visit before the
    deadline, no release."""
    left = _windows(config, from_s, None)
    if not left:
        return []
    limit = config.deadline_fill_pct
    after = config.cleared_fill_pct
    if fc.fill_pct >= limit:
        deadline: int | None = from_s + config.urgent_within_s
    else:
        level = fc.fill_pct + (limit - fc.fill_pct) / (1 + config.forecast_spread)
        deadline = fc.reaches(level, from_s, DAY_S)
    # Overflowing before any window opens: the first window left is the best there is.
    before = _windows(config, from_s, deadline) or left[:1]
    if not config.second_visits:
        return [] if cleared else [(before, None)]
    due = before[-1].close_s
    night = config.overnight_fill_pct
    release = fc.release_s(config.next_service_s, night, after)
    if cleared:
        if fc.fill_at(config.next_service_s, from_s, config.max_fill_pct) < night:
            return []
        return [(_windows(config, max(from_s, release), due) or before, None)]
    single = _windows(config, max(from_s, release), due)
    band = _round_band(usual_s, config)
    if single and band is not None:
        # Keep to yesterday's round, about 24 h after yesterday's clearance: not much
        # earlier, so points do not drift towards the first window day after day
        # (crowding it and calling out more trucks), and not much later, where a day
        # busier than forecast overflows the bin before the truck comes. The deadline
        # and the release still rule.
        lo = max(from_s, release, band[0])
        steady = _windows(config, lo, min(due, band[1]))
        single = steady or single
    if single:
        return [(single, None)]
    return _two_visits(fc, config, from_s, left, release, due) or [(before, None)]


def _two_visits(
    fc: PointForecast,
    config: PlanningConfig,
    from_s: int,
    left: tuple[TimeWindow, ...],
    release: int,
    due: int,
) -> list[Visit]:
    """A first visit before the deadline and a second from the release on, in the
    earliest window after the first that holds both: a second visit in the daytime
    window goes on a truck already out, where an evening one calls a truck out from
    its depot. Empty when no window pair fits."""
    limit, after = config.deadline_fill_pct, config.cleared_fill_pct
    for window in left[1:]:
        opens = max(window.open_s, release)
        if window.close_s - opens < MIN_WINDOW_S:
            continue
        second = TimeWindow(opens, window.close_s)
        latest_first = min(due, opens - config.second_visit_gap_s)
        # The refilling bin must last until the second visit's latest start.
        earliest_first = max(from_s, fc.release_s(second.close_s, limit, after))
        first = _windows(config, earliest_first, latest_first) or _windows(
            config, from_s, latest_first
        )
        if first:
            return [(first, None), ((second,), first[0].open_s)]
    return []


def point_stops(
    registry: Registry,
    points: list[CollectionPoint],
    state: DistrictState,
    config: PlanningConfig,
    from_s: int,
    from_ms: int,
    town_id: str,
    *,
    cleared: dict[str, int] | None = None,
    day: date | None = None,
) -> tuple[list[PointStop], list[Unserved]]:
    """The visits of `points` (not cleared today) and of the points `cleared` today
    (point id -> clearance ms) that will not last until tomorrow's first service."""
    district = registry.district
    density = district.garbage_density_kg_per_l
    stops, unserved = [], []
    cleared = cleared or {}
    todo = [(p, False) for p in points] + [
        (p, True) for p in registry.points_in(town_id) if p.id in cleared
    ]
    for point, was_cleared in todo:
        reading = state.bins.get(point.id)
        if was_cleared:
            at = cleared[point.id]
            if reading is None:
                reading = BinState(config.cleared_fill_pct, at)
            elif reading.ts_ms < at:  # the last reading is from before the clearance
                reading = dataclasses.replace(
                    reading, fill_pct=config.cleared_fill_pct, ts_ms=at, rate_pct_per_h=None
                )
        fc = forecast(
            point,
            reading,
            district,
            config,
            start_s=from_s,
            start_ms=from_ms,
            day_end_s=DAY_S,
            day=day,
        )
        visits = plan_visits(
            fc,
            config,
            from_s,
            cleared=was_cleared,
            usual_s=_usual_clock_s(reading, from_ms, from_s),
        )
        if not visits and not was_cleared:
            unserved.append(
                Unserved(
                    point.id,
                    StopKind.POINT,
                    UnservedReason.TIME_WINDOW,
                    "no collection window is left today",
                    point.community_id,
                    town_id,
                )
            )
            continue
        bins = sum(b.count for b in point.bins)
        service = config.service_s_per_point + config.service_s_per_bin * bins
        for i, (windows, since) in enumerate(visits):
            stop_id = second_visit_id(point.id) if i or was_cleared else point.id
            due: int | None = None
            if len(visits) == 1 and not was_cleared and config.late_allowance_s > 0:
                # A lone visit's last start is a due time, not a wall: late (a
                # breakdown, a crowded first window) beats never, at a cost per
                # second that keeps it the exception.
                due = windows[-1].close_s
                late = due + config.late_allowance_s
                windows = _windows(config, windows[0].open_s, late) or windows
            visit = PointStop(point, fc, windows, 0, service, stop_id, since, due)
            demand = visit.demand_at(visit.latest_s, from_s, config, density)
            stops.append(dataclasses.replace(visit, demand_kg=demand))
    return stops, unserved


def _within_shifts(
    stops: list[PointStop], trucks: list[Truck], from_s: int, town_id: str
) -> tuple[list[PointStop], list[Unserved]]:
    """The visits cut to the hours some truck is on shift; a visit whose windows all
    fall outside them (an evening visit when only morning trucks are left after a
    breakdown) is named unserved instead of reaching the solver."""
    spans = [w for w in (shift_window(t.shift, from_s) for t in trucks) if w is not None]
    if not spans:
        return stops, []
    lo, hi = min(w.open_s for w in spans), max(w.close_s for w in spans)
    kept, unserved = [], []
    for s in stops:
        windows = tuple(c for c in (w.clip(lo, hi) for w in s.windows) if c is not None)
        if windows:
            kept.append(dataclasses.replace(s, windows=windows) if windows != s.windows else s)
            continue
        second = "second visit: " if s.stop_id != s.point.id else ""
        unserved.append(
            Unserved(
                s.point.id,
                StopKind.POINT,
                UnservedReason.TIME_WINDOW,
                f"{second}no truck of {town_id} is on shift in its collection windows",
                s.point.community_id,
                town_id,
            )
        )
    return kept, unserved


def _station_trip_s(
    stops: list[PointStop], stations: list[tuple[float, float, int]], config: PlanningConfig
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


def sweep_sectors(
    stops: list[PointStop],
    trucks: list[Truck],
    centre: tuple[float, float],
    stations: list[tuple[float, float, int]],
    config: PlanningConfig,
    from_s: int,
) -> list[tuple[list[PointStop], list[Truck]]]:
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

    def angle(s: PointStop) -> float:
        return math.atan2(s.point.lat - centre[0], s.point.lon - centre[1])

    trip = _station_trip_s(stops, stations, config)
    fleet = sorted(trucks, key=lambda t: (clock_s(t.shift.start), -t.capacity_kg, t.id))
    mean_cap = sum(t.capacity_kg for t in fleet) / len(fleet)
    demand = sum(s.demand_kg for s in stops)
    # Seconds per kg spent at and between stops, and the demand-weighted trip length.
    per_kg = sum(s.service_s + 60 for s in stops) / max(1.0, demand)
    mean_trip = float(np.dot(trip, [s.demand_kg for s in stops])) / max(1.0, demand)
    work = {
        s.stop_id: s.service_s + 60 + s.demand_kg * float(t) / mean_cap
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
    sectors: list[list[PointStop]] = [[] for _ in range(k)]
    current, acc = 0, 0.0
    for s in ordered:
        w = work[s.stop_id]
        target = total * sum(powers[: current + 1]) / total_power
        if current < k - 1 and acc + w / 2 > target and sectors[current]:
            current += 1
        sectors[current].append(s)
        acc += w
    return [(sec, d) for sec, d in zip(sectors, dealt, strict=True) if sec]


def usual_rounds(
    stops: list[PointStop], state: DistrictState, config: PlanningConfig, from_ms: int, from_s: int
) -> dict[str, tuple[str, ...]]:
    """Per truck, the stops of the points it cleared yesterday, in the order it cleared
    them: its usual round, which the solver starts from (`Vehicle.usual`). A point's
    second visit is in no round; a point cleared twice is in its last truck's. An
    evening clearance is in no round either (`_round_band`): the evening truck's few
    extra visits are no day's work to give it again."""
    cleared: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for s in stops:
        reading = state.bins.get(s.point.id)
        if s.second or reading is None or reading.last_cleared_by is None:
            continue
        usual_s = _usual_clock_s(reading, from_ms, from_s)
        if usual_s is not None and not _in_evening(usual_s, config):
            cleared[reading.last_cleared_by].append((usual_s, s.stop_id))
    return {truck: tuple(stop for _, stop in sorted(done)) for truck, done in cleared.items()}


def _demand_steps(
    s: PointStop, trucks: list[Truck], from_s: int, registry: Registry, config: PlanningConfig
) -> tuple[tuple[int, int], ...]:
    """The point's demand for trucks whose shift ends at each of the sector's shift ends."""
    density = registry.district.garbage_density_kg_per_l
    latest = s.latest_s
    steps = set()
    for t in trucks:
        end = clock_s(t.shift.end)
        if end < latest:
            steps.add((end, s.demand_at(end, from_s, config, density)))
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
    day: date | None = None,
    borrowed: frozenset[str] = frozenset(),
) -> tuple[list[PlanTask], list[Unserved], int, int]:
    """Routing tasks for one town; returns (tasks, unserved known before solving,
    points to serve, trucks available). Points cleared today get only the second visit
    they may need; `day` (the planned date) applies the weekend factors. `borrowed`:
    trucks of other towns lent for this plan (a re-plan after a breakdown)."""
    done = dict(state.cleared)
    for p in cleared:
        done.setdefault(p, from_ms)  # cleared earlier today, time unknown: assume now
    points = [p for p in registry.points_in(town_id) if p.id not in done]
    stops, unserved = point_stops(
        registry,
        points,
        state,
        config,
        from_s,
        from_ms,
        town_id,
        cleared={p: t for p, t in done.items() if p in registry.point_by_id},
        day=day,
    )
    trucks = [
        t
        for t in registry.trucks
        if (t.town_id == town_id or t.id in borrowed)
        and t.id not in excluded
        and shift_window(t.shift, from_s)
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
    stops, off_shift = _within_shifts(stops, trucks, from_s, town_id)
    unserved += off_shift
    sectors = sweep_sectors(stops, trucks, (town.lat, town.lon), unload_at, config, from_s)
    rounds = usual_rounds(stops, state, config, from_ms, from_s)
    if not stations:
        log.warning("%s has no transfer station: trucks unload at their depots", town_id)
    tasks = []
    for i, (sector_stops, sector_trucks) in enumerate(sectors):
        # A sector's trucks may all end before a visit's windows (early trucks only).
        sector_stops, off_shift = _within_shifts(sector_stops, sector_trucks, from_s, town_id)
        unserved += off_shift
        if not sector_stops:
            continue
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
                s.stop_id,
                s.point.lat,
                s.point.lon,
                kind=StopKind.POINT,
                demand_kg=s.demand_kg,
                service_s=s.service_s,
                windows=s.windows,
                community_id=s.point.community_id,
                demand_steps=_demand_steps(s, sector_trucks, from_s, registry, config),
                due_s=s.due_s,
                note=f"fill {s.forecast.fill_pct:.0f}% +{s.forecast.rate_pct_per_h * 24:.0f}%/day"
                + (" second visit" if s.second else ""),
            )
        for truck in sector_trucks:
            window = shift_window(truck.shift, from_s)
            assert window is not None
            # Before its shift a truck is parked at its depot, wherever its last fix
            # was (a last unloading trip, yesterday's breakdown spot).
            on_shift = from_s > clock_s(truck.shift.start)
            pos = state.vehicle_positions.get(truck.id) if use_positions and on_shift else None
            builder.add_vehicle(
                truck.id,
                depots[truck.depot_id],
                capacity_kg=int(truck.capacity_kg),
                shift=window,
                rest=shift_break(truck.shift, window, config.break_slack_s),
                start=(pos.lat, pos.lon) if pos is not None else None,
                usual=rounds.get(truck.id, ()),
            )
        demand = sum(s.demand_kg for s in sector_stops)
        min_cap = min(t.capacity_kg for t in sector_trucks)
        copies = math.ceil(demand / max(1.0, min_cap)) + len(sector_trucks) + 1
        problem = builder.build(provider, station_copies=copies)
        params = SolveParams(
            time_limit_s=time_limit_s,
            vehicle_cost=config.truck_fixed_cost_m,
            late_cost_per_s=config.late_cost_per_s,
        )
        tasks.append(PlanTask(town_id, problem, params))
    log.info(
        "%s: %d points to clear (%d already cleared), %d second visits, %d trucks, %d sectors",
        town_id,
        len(points),
        len(done),
        sum(1 for s in stops if s.second),
        len(trucks),
        len(tasks),
    )
    return tasks, unserved, len(points), len(trucks)
