"""A fast, feasible first solution: soonest-feasible-stop routes built vehicle by vehicle.

OR-Tools' insertion heuristics need several seconds for a first solution of a
~170-stop sector with breaks, collection windows and optional unloading visits,
more than the district's time budget leaves per sector. This constructor needs
milliseconds; the solver starts its local search from it. It simulates time
conservatively (the break is taken as a full stop between two visits, waiting
for a window is allowed), so every route it makes is feasible for the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.solver.problem import Break, Problem, Vehicle, is_second_visit, rounds_within

# Waiting longer than this for a window to open is not worth it for a first route;
# a double-shifted truck done with the day's stops by 13:00 still waits for the
# evening window.
MAX_WAIT_S = 6 * 3600
# Seconds of score per second of slack left after the visit: of the open stops,
# the one that can start soonest wins, a stop whose last window closes early a
# little before one that could wait.
URGENCY = 0.01
# Seconds of score per second of driving: among stops that open at the same time
# (a truck waiting for the evening window), the nearest first.
TIE_BREAK = 0.1
# Seconds of score added to a second visit: a point's only visit of the day comes
# first when the two compete for a truck (the solver's drop penalty agrees).
SECOND_LATER_S = 1800
# Seconds of score per place a truck following its usual round skips ahead: it keeps
# the round's order, but does not wait an hour for a stop whose band opens late when
# the next ones are open now.
SKIP_S = 600
# A stop of the round whose last window closes within this of its earliest start is
# taken out of order.
URGENT_S = 45 * 60


@dataclass(frozen=True, slots=True)
class Step:
    """A step of a constructed route: a stop (index into problem.stops) or a station."""

    stop: int | None = None
    station: int | None = None


def _rest_in_wait(rest: Break, arrive: int, begin: int) -> bool:
    """Whether the whole break fits between arriving and the window's opening."""
    start = max(arrive, rest.earliest_s)
    return start <= rest.latest_s and start + rest.duration_s <= begin


def construct(problem: Problem, *, unload_at_end: bool = True) -> list[list[Step]]:
    """One step list per vehicle of `problem` (possibly empty).

    When some vehicles have a usual round (`Vehicle.usual`), each of those follows its
    round (the stops still due, in the round's order, unloading when full) and the
    other vehicles stay home: yesterday's routes are the best start the search can
    have, a greedy route of every stop for every truck calls more trucks out than the
    search can send home. A required stop no round holds (a point new to the plan, or
    in the round of a truck left out of this problem) joins the round of its nearest
    stop, right after it (`_with_loose_stops`); what a round's truck cannot fit is
    left to the search to insert.
    """
    stops = problem.stops
    n = len(stops)
    served = np.zeros(n, dtype=bool)
    stop_loc = np.array([s.location.index for s in stops], dtype=np.int64)
    windows = [[(w.open_s, w.close_s) for w in s.windows] or [(0, 10**9)] for s in stops]
    width = max((len(w) for w in windows), default=1)
    # Window k of each stop as columns; a stop with fewer windows pads with one that
    # closes before it opens, so no arrival fits it.
    opens = np.full((n, width), 10**9, dtype=np.int64)
    closes = np.full((n, width), -1, dtype=np.int64)
    for i, ws in enumerate(windows):
        for k, (a, b) in enumerate(ws):
            opens[i, k], closes[i, k] = a, b
    last_close = np.array([ws[-1][1] for ws in windows], dtype=np.int64)
    # A second visit waits for the first visits that compete with it (SECOND_LATER_S).
    later = np.array([SECOND_LATER_S if is_second_visit(s.id) else 0 for s in stops])
    demand = np.array([s.demand_kg for s in stops], dtype=np.int64)
    service = np.array([s.service_s for s in stops], dtype=np.int64)
    # Optional stops wait for the search; the constructor takes the required ones.
    required = np.array([s.required for s in stops], dtype=bool)
    dur = problem.duration_s
    station_loc = [st.location.index for st in problem.stations]
    uses_load = bool(demand.any())
    order = sorted(range(len(problem.vehicles)), key=lambda v: problem.vehicles[v].shift.open_s)
    plans: list[list[Step]] = [[] for _ in problem.vehicles]
    rounds = _with_loose_stops(problem, required)
    follow = any(rounds)
    for v in order:
        vehicle = problem.vehicles[v]
        if follow and not rounds[v]:
            continue
        demand = np.array([s.demand_for(vehicle) for s in stops], dtype=np.int64)
        rank = None
        if follow:
            rank = np.full(n, -1, dtype=np.int64)
            rank[rounds[v]] = np.arange(len(rounds[v]))
        plans[v] = _route(
            problem,
            problem.vehicles[v],
            served,
            required if rank is None else required & (rank >= 0),
            rank,
            stop_loc,
            (opens, closes, last_close, later),
            demand,
            service,
            dur,
            station_loc,
            uses_load,
            unload_at_end,
        )
    return plans


def _with_loose_stops(problem: Problem, required: np.ndarray) -> list[list[int]]:
    """Each vehicle's usual round as stop indices, every required stop no round holds
    put right after the round stop nearest to it (by driving time). Empty rounds when
    no vehicle has one. Rounds are cut to the problem's stops again
    (`rounds_within`): a problem cut down after it was built (a sizing run on some of
    its stops) may name stops it no longer has, or copy a round."""
    position = {s.id: i for i, s in enumerate(problem.stops)}
    rounds = [[position[i] for i in r] for r in rounds_within(problem.vehicles, problem.stops)]
    held = [i for r in rounds for i in r]
    if not held:
        return rounds
    loose = np.flatnonzero(required)
    loose = loose[~np.isin(loose, held)]
    if loose.size == 0:
        return rounds
    loc = np.array([s.location.index for s in problem.stops], dtype=np.int64)
    anchors = np.array(held, dtype=np.int64)
    to = problem.duration_s[np.ix_(loc[anchors], loc[loose])]
    from_ = problem.duration_s[np.ix_(loc[loose], loc[anchors])].T
    nearest = anchors[np.argmin(to + from_, axis=0)]
    after: dict[int, list[int]] = {}
    for stop, anchor in zip(loose.tolist(), nearest.tolist(), strict=True):
        after.setdefault(anchor, []).append(stop)
    return [[k for i in r for k in (i, *after.get(i, ()))] for r in rounds]


def _route(
    problem: Problem,
    vehicle: Vehicle,
    served: np.ndarray,
    required: np.ndarray,
    rank: np.ndarray | None,
    stop_loc: np.ndarray,
    windows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    demand: np.ndarray,
    service: np.ndarray,
    dur: np.ndarray,
    station_loc: list[int],
    uses_load: bool,
    unload_at_end: bool,
) -> list[Step]:
    steps: list[Step] = []
    here, t, load = vehicle.start.index, vehicle.shift.open_s, 0
    end_loc, close = vehicle.depot.location.index, vehicle.shift.close_s
    rest = vehicle.rest
    rest_due = rest is not None and rest.duration_s > 0

    def nearest_station(loc: int) -> int:
        return int(np.argmin([dur[loc, s] for s in station_loc]))

    # Per stop: its windows' opens and closes, its last close, its second-visit delay.
    opens, closes, last_close, later = windows
    home_direct = dur[stop_loc, end_loc].astype(np.int64)
    if station_loc and unload_at_end:
        unload = np.array([st.unload_s for st in problem.stations], dtype=np.int64)
        stations = np.array(station_loc, dtype=np.int64)
        via = dur[np.ix_(stop_loc, stations)] + unload[None, :] + dur[stations, end_loc]
        home_loaded = via.min(axis=1).astype(np.int64)
    else:
        home_loaded = home_direct

    def _pick(
        cand: np.ndarray, here: int, t: int, load: int, vehicle: Vehicle, rest: Break | None
    ) -> tuple[int, int, int, int] | None:
        """The open stop whose service can start soonest (a stop whose last window
        closes early a little before, the nearer on a tie) among those the truck can
        still serve and get home from: (stop, departure, arrival, service start)."""
        arrive = t + dur[here, stop_loc[cand]].astype(np.int64)
        begin = np.full(cand.size, -1, dtype=np.int64)
        for k in range(opens.shape[1] - 1, -1, -1):
            fits = arrive <= closes[cand, k]
            begin = np.where(fits, np.maximum(arrive, opens[cand, k]), begin)
        ok = (begin >= 0) & (begin - arrive <= MAX_WAIT_S)
        carrying = load + demand[cand]
        if uses_load:
            ok &= carrying <= vehicle.capacity_kg
        depart = begin + service[cand]
        extra = np.zeros(cand.size, dtype=np.int64)
        if rest is not None:
            start = np.maximum(arrive, rest.earliest_s)
            in_wait = (start <= rest.latest_s) & (start + rest.duration_s <= begin)
            ok &= in_wait | (depart <= rest.latest_s)
            extra = np.where(in_wait, 0, rest.duration_s)
        home = np.where(carrying > 0, home_loaded[cand], home_direct[cand])
        ok &= depart + home + extra <= close
        if not ok.any():
            return None
        if rank is not None:
            # The usual round's next stop, unless it opens much later or a stop
            # further on closes soon (a point due earlier than yesterday's round).
            slack = last_close[cand] - begin
            gap = np.where(slack < URGENT_S, 0, rank[cand] - rank[cand].min())
            score = (begin - t) + SKIP_S * gap + URGENCY * slack
        else:
            score = (
                (begin - t)
                + URGENCY * (last_close[cand] - begin)
                + TIE_BREAK * (arrive - t)
                + later[cand]
            )
        j = int(np.argmin(np.where(ok, score, np.inf)))
        return int(cand[j]), int(depart[j]), int(arrive[j]), int(begin[j])

    while True:
        if rest_due and rest is not None and t >= rest.earliest_s:
            if t > rest.latest_s:
                break  # a late start: the break can no longer be placed; end here
            t += rest.duration_s
            rest_due = False
        cand = np.flatnonzero(~served & required)
        if cand.size == 0:
            break
        chosen = _pick(cand, here, t, load, vehicle, rest if rest_due else None)
        if chosen is None:
            # A full truck unloads before anything else: taking the break first would
            # park it until the break's earliest start (a double-shifted truck full at
            # 05:00 would idle until noon), which cost the district plan a fifth of its
            # points before this order was fixed.
            if station_loc and load > 0:
                k = nearest_station(here)
                s = station_loc[k]
                back = t + int(dur[here, s]) + problem.stations[k].unload_s
                if rest_due and rest is not None and back > rest.latest_s:
                    if t > rest.latest_s:
                        break
                    t = max(t, rest.earliest_s) + rest.duration_s
                    rest_due = False
                    back = t + int(dur[here, s]) + problem.stations[k].unload_s
                if back + int(dur[s, end_loc]) > close:
                    break
                steps.append(Step(station=k))
                here, t, load = s, back, 0
                continue
            if rest_due and rest is not None and t <= rest.latest_s:
                t = max(t, rest.earliest_s) + rest.duration_s
                rest_due = False
                continue
            break
        i, depart, arrive, begin = chosen
        relied = rest_due and rest is not None and _rest_in_wait(rest, arrive, begin)
        if station_loc and load > 0 and begin > arrive:
            # Waiting for a window (07:00-09:00): unload meanwhile when the trip fits.
            k = nearest_station(here)
            s = station_loc[k]
            via = t + int(dur[here, s]) + problem.stations[k].unload_s + int(dur[s, stop_loc[i]])
            keeps_rest = not relied or (rest is not None and _rest_in_wait(rest, via, begin))
            if via <= begin and keeps_rest:
                steps.append(Step(station=k))
                load, arrive = 0, via
        if relied:
            rest_due = False
        served[i] = True
        steps.append(Step(stop=i))
        here, t, load = int(stop_loc[i]), depart, load + int(demand[i])
    if station_loc and load > 0 and unload_at_end:
        # The station home_loaded counted on: the quickest way home, not the nearest.
        last = [
            int(dur[here, s]) + problem.stations[k].unload_s + int(dur[s, end_loc])
            for k, s in enumerate(station_loc)
        ]
        steps.append(Step(station=int(np.argmin(last))))
    return steps
