"""Why a stop was left out, and how many more vehicles would serve what was left.

The reason is found by checks independent of the search: can any vehicle reach
the stop at all (unreachable), inside one of its windows (time_window), and get
back to its depot before its shift ends (shift_length); can one truck carry it
(capacity). A stop that passes every check was left out because the fleet's
shifts are full, which is `shift_length` too: adding trucks serves it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import Counter

from core.dispatch import StopKind
from core.plans import UnservedReason
from optimizer.planning.tasks import PlanTask, Unserved
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import UNREACHABLE, Problem, Stop, Vehicle

log = logging.getLogger("yiju.optimizer")

INDIVIDUAL = (UnservedReason.UNREACHABLE, UnservedReason.TIME_WINDOW, UnservedReason.CAPACITY)


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def classify(problem: Problem, stop: Stop, town_id: str | None = None) -> Unserved:
    """The reason `stop` cannot be served by `problem`'s fleet."""

    def out(reason: UnservedReason, detail: str) -> Unserved:
        return Unserved(stop.id, stop.kind, reason, detail, stop.community_id, town_id)

    if not problem.vehicles:
        return out(UnservedReason.NO_VEHICLE, "no vehicle on shift")
    reach = [
        v
        for v in problem.vehicles
        if problem.distance_m[v.start.index, stop.location.index] != UNREACHABLE
        and problem.distance_m[stop.location.index, v.depot.location.index] != UNREACHABLE
    ]
    if not reach:
        return out(UnservedReason.UNREACHABLE, "the distance provider has no road to or from it")
    if stop.demand_kg > max(v.capacity_kg for v in problem.vehicles):
        return out(
            UnservedReason.CAPACITY,
            f"{stop.demand_kg} kg is more than the largest truck carries",
        )
    in_window = False
    for v in reach:
        arrive = v.shift.open_s + problem.travel_s(v.start, stop.location)
        for w in stop.windows:
            begin = max(arrive, w.open_s)
            if begin > w.close_s:
                continue
            in_window = True
            back = begin + stop.service_s + problem.travel_s(stop.location, v.depot.location)
            if stop.demand_kg and problem.stations:
                back = (
                    begin
                    + stop.service_s
                    + min(
                        problem.travel_s(stop.location, s.location)
                        + s.unload_s
                        + problem.travel_s(s.location, v.depot.location)
                        for s in problem.stations
                    )
                )
            if back <= v.shift.close_s:
                return out(
                    UnservedReason.SHIFT_LENGTH,
                    "the fleet's shifts are full: no truck or crew has time left for it"
                    + (f" before {_clock(stop.windows[-1].close_s)}" if stop.windows else ""),
                )
    if not in_window:
        last = _clock(stop.windows[-1].close_s) if stop.windows else "now"
        return out(
            UnservedReason.TIME_WINDOW,
            f"no vehicle can be there inside its windows (the last closes at {last})",
        )
    return out(
        UnservedReason.SHIFT_LENGTH,
        "a visit inside its window leaves no time to get back before the shift ends",
    )


def typical_vehicle(vehicles: tuple[Vehicle, ...]) -> Vehicle:
    """The most common (capacity, shift) among the fleet; ties go to the larger truck."""
    counts = Counter((v.capacity_kg, v.shift) for v in vehicles)
    (capacity, shift), _ = max(counts.items(), key=lambda kv: (kv[1], kv[0][0]))
    return next(v for v in vehicles if v.capacity_kg == capacity and v.shift == shift)


def extra_vehicles(
    task: PlanTask, stops: list[Stop], time_limit_s: float = 5.0, attempts: int = 2
) -> int:
    """How many copies of a typical vehicle serve `stops` (solved, not guessed):
    a lower bound from work time, then more until nothing is dropped."""
    problem = task.problem
    if not stops or not problem.vehicles:
        return 0
    model = typical_vehicle(problem.vehicles)
    shift = max(
        1, model.shift.close_s - model.shift.open_s - (model.rest.duration_s if model.rest else 0)
    )
    work = float(sum(s.service_s + 120 for s in stops))
    if model.capacity_kg:
        loads = sum(s.demand_kg for s in stops) / model.capacity_kg
        work += loads * (max((st.unload_s for st in problem.stations), default=0) + 1200)
    k = max(1, math.ceil(work / shift))
    for _ in range(attempts):
        fleet = tuple(
            # Trucks the town does not have yet: no usual round.
            dataclasses.replace(model, id=f"extra-{i + 1}", start=model.depot.location, usual=())
            for i in range(k)
        )
        trial = dataclasses.replace(
            problem, name=f"{problem.name} +{k} vehicles", stops=tuple(stops), vehicles=fleet
        )
        result = solve(
            trial, SolveParams(time_limit_s=time_limit_s), unload_at_end=task.unload_at_end
        )
        if not result.dropped:
            return k
        k += max(1, math.ceil(k * len(result.dropped) / len(stops)))
    # Out of attempts: the last step's proportional estimate stands.
    log.info("%s: %d extra vehicles estimated for %d stops", problem.name, k, len(stops))
    return k


def extra_crew_hours(problem: Problem, stops: list[Stop]) -> float:
    """Crew time to visit each stop from the nearest depot and back."""
    total = 0.0
    for s in stops:
        total += (
            s.service_s
            + min(
                problem.travel_s(d.location, s.location) + problem.travel_s(s.location, d.location)
                for d in problem.depots
            )
            if problem.depots
            else s.service_s
        )
    return round(total / 3600, 2)


def is_required(stop: Stop) -> bool:
    return stop.required and stop.kind in (StopKind.POINT, StopKind.SITE)
