"""Plan a day: build the tasks of every town, solve them in parallel, name what is
left out, and turn the result into a `PlanRecord`."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Iterable
from concurrent.futures import as_completed
from datetime import date

from core.dispatch import PlanKind, RouteDispatch, StopKind
from core.localday import LocalDay, now_ms
from core.plans import PlanRecord, PlanState, UnservedReason, new_plan_id
from core.processes import process_pool
from core.registry import Registry
from optimizer.distance import GreatCircle
from optimizer.errors import PlanningError
from optimizer.planning.config import PlanningConfig
from optimizer.planning.garbage import garbage_tasks
from optimizer.planning.output import kpis, route_dispatch, unserved_stop
from optimizer.planning.pest import pest_tasks
from optimizer.planning.state import DistrictState
from optimizer.planning.tasks import PlanTask, PreparedPlan, Unserved
from optimizer.planning.unserved import INDIVIDUAL, classify, extra_crew_hours, extra_vehicles
from optimizer.solver.budget import Budget
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import DistanceMatrixSource, Stop, is_second_visit, point_id_of
from optimizer.solver.solution import Solution

log = logging.getLogger("yiju.optimizer")

# Share of the time budget given to the main solve; the rest is for naming the
# unserved stops and sizing the extra fleet (by solving when MIN_SIZING_S are left,
# else estimated). A plan of the whole district needs the search time more than a
# solved-for extra-truck figure.
SOLVE_SHARE = 0.85
SMALL_BASE_S = 2.0
SMALL_PER_STOP_S = 0.25
# What a solve costs beyond its search limit (building the model and its matrix, the
# first solution, reading the routes), taken off the budget per task and worker, so
# that a plan of many sectors keeps to its time limit.
TASK_OVERHEAD_S = 0.5
MIN_TASK_LIMIT_S = 0.5
# Below this much time left, the extra fleet is estimated from the plan's own points
# per truck instead of by solving.
MIN_SIZING_S = 3.0


def solve_task(task: PlanTask) -> Solution:
    """One task solved (in the process that runs it: `solve_tasks` hands tasks to a pool)."""
    return solve(task.problem, task.params, unload_at_end=task.unload_at_end)


def allot_time(tasks: list[PlanTask], budget_s: float, workers: int) -> list[PlanTask]:
    """Split `budget_s` seconds of solving over tasks by size, as if `workers` ran them
    in parallel. A task's share is its `time_limit_s`, in seconds rather than a
    `Budget`: its clock starts when a worker takes it up, not while it waits in line."""
    sizes = [len(t.problem.stops) + 1 for t in tasks]
    total = sum(sizes)
    out = []
    for task, size in zip(tasks, sizes, strict=True):
        share = budget_s if len(tasks) <= workers else budget_s * workers * size / total
        # Small problems converge in seconds; GLS would otherwise search to the limit.
        limit = max(MIN_TASK_LIMIT_S, min(budget_s, share, SMALL_BASE_S + SMALL_PER_STOP_S * size))
        params = dataclasses.replace(task.params, time_limit_s=limit)
        out.append(dataclasses.replace(task, params=params))
    return out


def solve_tasks(tasks: list[PlanTask], workers: int) -> list[tuple[PlanTask, Solution]]:
    """Solve tasks, largest first, in `workers` processes (inline when one suffices)."""
    order = sorted(tasks, key=lambda t: -len(t.problem.stops))
    if workers <= 1 or len(order) <= 1:
        return [(t, solve_task(t)) for t in order]
    results: list[tuple[PlanTask, Solution]] = []
    with process_pool(min(workers, len(order))) as pool:
        futures = {pool.submit(solve_task, t): t for t in order}
        for done, future in enumerate(as_completed(futures), start=1):
            task = futures[future]
            results.append((task, future.result()))
            log.info("solved %d/%d: %s", done, len(order), task.problem.name)
    return results


def _size(job: tuple[PlanTask, list[Stop], float]) -> int:
    task, stops, limit = job
    return extra_vehicles(task, stops, time_limit_s=limit)


def size_extra_fleet(
    sizing: list[tuple[PlanTask, list[Stop]]], budget: Budget, workers: int
) -> int:
    """Extra trucks for the stops each task's fleet had no time for, solved in parallel
    within what is left of `budget` (each sizing solves at most twice)."""
    if not sizing:
        return 0
    left_s = budget.remaining_s()
    per_solve = max(0.3, min(5.0, left_s * workers / (2 * len(sizing)) * 0.7))
    jobs = [(task, stops, per_solve) for task, stops in sizing]
    log.info("sizing the extra fleet for %d tasks, %.1f s per solve", len(jobs), per_solve)
    if workers <= 1 or len(jobs) == 1:
        return sum(_size(j) for j in jobs)
    with process_pool(min(workers, len(jobs))) as pool:
        return sum(pool.map(_size, jobs))


SECOND_VISIT_NOTE = "second visit:"


def _as_point(u: Unserved) -> Unserved:
    """A left-out second visit named by its point, the note saying which visit it was."""
    if not is_second_visit(u.stop_id):
        return u
    detail = f"{SECOND_VISIT_NOTE} {u.detail}"
    return dataclasses.replace(u, stop_id=point_id_of(u.stop_id), detail=detail)


def _extra_by_points_per_truck(
    routes: list[RouteDispatch], sizing: list[tuple[PlanTask, list[Stop]]]
) -> int:
    """Extra trucks for the stops the fleet had no time for, at the plan's own points
    per truck (when no time is left to size them by solving)."""
    left = sum(len(stops) for _, stops in sizing)
    if not left:
        return 0
    points = sum(1 for r in routes for s in r.stops if s.kind is StopKind.POINT)
    per_truck = points / len(routes) if routes and points else 1.0
    extra = math.ceil(left / per_truck)
    log.info(
        "extra fleet estimated at %d trucks (%d stops left, %.0f per truck)", extra, left, per_truck
    )
    return extra


def prepare_plan(
    registry: Registry,
    state: DistrictState,
    day: date,
    kind: PlanKind,
    town_id: str | None = None,
    *,
    time_limit_s: float = 60.0,
    already_cleared: Iterable[str] = (),
    from_ms: int | None = None,
    excluded_vehicles: Iterable[str] = (),
    borrowed_vehicles: Iterable[str] = (),
    config: PlanningConfig | None = None,
    provider: DistanceMatrixSource | None = None,
) -> PreparedPlan:
    """The problems `plan_day` gives the solver for these inputs (the same arguments),
    and the stops known unservable before solving. Public so that a check of a plan
    can take each stop's demand and windows from what the solver was given rather
    than from its answer; deterministic for given inputs."""
    config = config or PlanningConfig()
    provider = provider or GreatCircle(detour=config.detour, speed_kmh=config.speed_kmh)
    if town_id is not None and town_id not in registry.town_by_id:
        raise PlanningError(f"unknown town {town_id!r}; known: {sorted(registry.town_by_id)}")
    origin_ms = LocalDay(day).start_ms
    start_ms = from_ms if from_ms is not None else origin_ms
    from_s = max(0, (start_ms - origin_ms) // 1000)
    if from_s >= 86_400:
        raise PlanningError(f"from_ms {from_ms} is after the planned day {day}")
    budget = _solve_budget(time_limit_s)
    tasks: list[PlanTask] = []
    unserved: list[Unserved] = []
    stops_total = vehicles = 0
    if kind == "garbage":
        towns = [town_id] if town_id else [t.id for t in registry.towns]
        excluded = frozenset(excluded_vehicles)
        borrowed = frozenset(borrowed_vehicles) if town_id else frozenset()
        cleared = frozenset(already_cleared)
        for t in towns:
            t_tasks, t_unserved, n, v = garbage_tasks(
                registry,
                state,
                t,
                config,
                provider,
                from_s=from_s,
                from_ms=start_ms,
                time_limit_s=budget,
                excluded=excluded,
                borrowed=borrowed,
                cleared=cleared,
                use_positions=from_ms is not None,
                day=day,
            )
            tasks += t_tasks
            unserved += t_unserved
            stops_total += n
            vehicles += v
    elif kind == "pest":
        tasks, unserved, stops_total, vehicles = pest_tasks(
            registry, state, day, town_id, config, provider, from_s=from_s, time_limit_s=budget
        )
    else:
        raise PlanningError(f"unknown plan kind {kind!r}: use garbage or pest")
    return PreparedPlan(tasks, unserved, stops_total, origin_ms, vehicles)


def _solve_budget(time_limit_s: float) -> float:
    return max(1.0, time_limit_s * SOLVE_SHARE)


def plan_day(
    registry: Registry,
    state: DistrictState,
    day: date,
    kind: PlanKind,
    town_id: str | None = None,
    *,
    time_limit_s: float = 60.0,
    already_cleared: Iterable[str] = (),
    from_ms: int | None = None,
    excluded_vehicles: Iterable[str] = (),
    borrowed_vehicles: Iterable[str] = (),
    config: PlanningConfig | None = None,
    provider: DistanceMatrixSource | None = None,
    plan_id: str | None = None,
) -> PlanRecord:
    """The day's routes for `kind` ("garbage" or "pest"), every town or one.

    `from_ms` re-plans the rest of the day: vehicles start then (at their last
    known position when the state has one), points in `already_cleared` or
    cleared per the state are left out, and `excluded_vehicles` (a broken-down
    truck) get no route. `borrowed_vehicles`: trucks of other towns lent to the
    planned town (`town_id`) for the rest of the day, as a dispatcher does when a
    breakdown leaves more than the town's own spare can take.
    """
    started = time.monotonic()
    budget = Budget.from_now(time_limit_s)
    # The search's share; what is left after it names the unserved stops and sizes
    # the extra fleet.
    solving = budget.share(SOLVE_SHARE)
    config = config or PlanningConfig()
    plan_id = plan_id or new_plan_id(day.isoformat(), kind)
    prepared = prepare_plan(
        registry,
        state,
        day,
        kind,
        town_id,
        time_limit_s=time_limit_s,
        already_cleared=already_cleared,
        from_ms=from_ms,
        excluded_vehicles=excluded_vehicles,
        borrowed_vehicles=borrowed_vehicles,
        config=config,
        provider=provider,
    )
    tasks, unserved = prepared.tasks, prepared.unserved
    stops_total, vehicles = prepared.stops_total, prepared.vehicles_available
    origin_ms = prepared.origin_ms
    rounds = math.ceil(len(tasks) / max(1, config.workers))
    solve_s = max(MIN_TASK_LIMIT_S, solving.remaining_s() - TASK_OVERHEAD_S * rounds)
    tasks = allot_time(tasks, solve_s, config.workers)
    log.info(
        "plan %s: %d tasks, %d stops, %d vehicles, %.0f s budget",
        plan_id,
        len(tasks),
        stops_total,
        vehicles,
        time_limit_s,
    )
    built = time.monotonic() - started
    solved = solve_tasks(tasks, config.workers)
    log.info(
        "plan %s: built in %.1f s, solved by %.1f s", plan_id, built, time.monotonic() - started
    )
    routes = []
    crew_hours = 0.0
    second_visits = 0
    sizing: list[tuple[PlanTask, list[Stop]]] = []
    for task, solution in sorted(solved, key=lambda ts: ts[0].problem.name):
        second_visits += sum(1 for r in solution.routes for s in r.served if is_second_visit(s))
        for r in solution.routes:
            routes.append(
                route_dispatch(
                    r,
                    plan_id=plan_id,
                    kind=kind,
                    town_id=task.town_id,
                    date=day.isoformat(),
                    origin_ms=origin_ms,
                )
            )
        left = [s for s in solution.dropped if s.required]
        named = [_as_point(classify(task.problem, s, task.town_id)) for s in left]
        unserved += named
        fleet_full = [s for s, u in zip(left, named, strict=True) if u.reason not in INDIVIDUAL]
        if fleet_full and kind == "garbage":
            sizing.append((task, fleet_full))
        elif fleet_full:
            crew_hours += extra_crew_hours(task.problem, fleet_full)
    if budget.remaining_s() >= MIN_SIZING_S:
        extra = size_extra_fleet(sizing, budget, config.workers)
    else:
        extra = _extra_by_points_per_truck(routes, sizing)
    capacities = {t.id: t.capacity_kg for t in registry.trucks}
    record = PlanRecord(
        plan_id=plan_id,
        date=day.isoformat(),
        kind=kind,
        town_id=town_id,
        state=PlanState.DONE,
        created_ms=now_ms(),
        kpis=kpis(
            routes,
            kind,
            stops_total=stops_total,
            unserved=sum(1 for u in unserved if not u.detail.startswith(SECOND_VISIT_NOTE)),
            second_visits=second_visits,
            vehicles_available=vehicles,
            capacities=capacities,
            solve_s=time.monotonic() - started,
        ),
        routes=routes,
        unserved=[unserved_stop(u) for u in unserved],
        extra_vehicles_needed=extra,
        extra_crew_hours_needed=crew_hours,
    )
    reasons: dict[str, int] = {}
    for u in unserved:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    log.info(
        "plan %s: %d routes, %d/%d stops served, %d second visits, unserved %s, "
        "%d extra vehicles, %.1f s",
        plan_id,
        len(routes),
        int(record.kpis["stops_served"]),
        stops_total,
        second_visits,
        reasons or "none",
        extra,
        time.monotonic() - started,
    )
    return record


__all__ = ["UnservedReason", "plan_day", "prepare_plan", "solve_tasks"]
