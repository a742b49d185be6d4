"""Benchmark: the generated district (scale 1: ~12,000 points, ~150 trucks, 7 towns)
planned by `plan_day` within the budget; then yiju's solver and PyVRP (the
reference) on the same sector problems with the same per-sector time, both with
`--workers` processes. PyVRP has no breaks and one window per client, so for the
comparison both get the sectors relaxed that way. The sectors are built without
the planned date (no weekend or calendar factors on the forecasts), unlike
`plan_day`'s.

    .venv/bin/python bench/district_solve.py [--budget 120] [--workers 2]

bench/optimizer.py runs this and bench/solomon.py in one go.
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench/optimizer.py and
# bench/simulators.py would hide the packages they are named after: the repository
# root takes its place, which also makes the bench's own modules importable.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(_BENCH.parent)] + [
    p for p in sys.path if Path(p or ".").resolve() not in (_BENCH, _BENCH.parent)
]

import argparse
import datetime as dt
import math
import time
from dataclasses import replace

from bench.solver_common import solve_pyvrp, start_run
from core.localday import LocalDay
from core.processes import process_pool
from core.registry import Registry
from optimizer.distance import GreatCircle
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import SOLVE_SHARE, allot_time, plan_day, solve_tasks
from optimizer.planning.garbage import garbage_tasks
from optimizer.planning.state import DistrictState
from optimizer.planning.tasks import PlanTask
from optimizer.solver.problem import TimeWindow
from optimizer.solver.solution import Solution

DROP_M = 10_000_000  # objective penalty of a left-out stop, both solvers
DAY = dt.date(2026, 11, 20)

# (distance m, stops left out, wall s)
PyvrpRun = tuple[int, int, float]


def relax(task: PlanTask) -> PlanTask:
    """The sector without what PyVRP cannot model: one window per stop (the hull of
    its windows), no break, trucks may return loaded. Both solvers get this."""
    p = task.problem
    stops = tuple(
        replace(s, windows=(TimeWindow(s.windows[0].open_s, s.windows[-1].close_s),))
        for s in p.stops
    )
    vehicles = tuple(replace(v, rest=None) for v in p.vehicles)
    return replace(task, problem=replace(p, stops=stops, vehicles=vehicles), unload_at_end=False)


def pyvrp_task(task: PlanTask) -> PyvrpRun:
    """PyVRP on a (relaxed) sector problem."""
    from pyvrp import Model

    p = task.problem
    m = Model()
    locs = [m.add_location(i, 0) for i in range(len(p.locations))]
    depots = {d.id: m.add_depot(locs[d.location.index]) for d in p.depots}
    starts = {}
    for v in p.vehicles:
        if v.start.index != v.depot.location.index and v.start.index not in starts:
            starts[v.start.index] = m.add_depot(locs[v.start.index])
    reloads = [m.add_depot(locs[s.location.index], service_duration=s.unload_s) for s in p.stations]
    for v in p.vehicles:
        start = starts.get(v.start.index, depots[v.depot.id])
        m.add_vehicle_type(
            1,
            capacity=v.capacity_kg,
            start_depot=start,
            end_depot=depots[v.depot.id],
            tw_early=v.shift.open_s,
            tw_late=v.shift.close_s,
            reload_depots=reloads,
            name=v.id,
        )
    for s in p.stops:
        m.add_client(
            locs[s.location.index],
            delivery=s.demand_kg,
            service_duration=s.service_s,
            tw_early=s.windows[0].open_s,
            tw_late=s.windows[-1].close_s,
            prize=DROP_M if s.required else s.prize,
            required=False,
        )
    d, t = p.distance_m, p.duration_s
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, distance=int(max(0, d[i, j])), duration=int(max(0, t[i, j])))
    res, wall = solve_pyvrp(m, task.params.time_limit_s, seed=1)
    return int(res.best.distance()), int(res.best.num_missing_clients()), wall


def print_towns(ours: list[tuple[PlanTask, Solution]], theirs: list[PyvrpRun]) -> None:
    """Per town: both solvers' distance, stops left out, objective ratio and the solver
    seconds summed over its sectors (they ran two at a time)."""
    towns: dict[str, list[float]] = {}
    for (task, sol), (pd, pdrop, pwall) in zip(ours, theirs, strict=True):
        row = towns.setdefault(task.town_id, [0.0] * 7)
        odrop = len([x for x in sol.dropped if x.required])
        row[0] += len(task.problem.stops)
        row[1] += sol.distance_m + DROP_M * odrop
        row[2] += odrop
        row[3] += sol.wall_s
        row[4] += pd + DROP_M * pdrop
        row[5] += pwall
        row[6] += pdrop
    print(
        f"{'town':10} {'stops':>6} | {'yiju km':>8} {'out':>4} {'s':>5} | "
        f"{'PyVRP km':>8} {'out':>4} {'s':>5} | {'ratio':>6}"
    )
    for town, (n, o_obj, o_out, o_s, p_obj, p_s, p_out) in sorted(towns.items()):
        # km columns are the objective (distance plus the penalty of stops left out).
        print(
            f"{town:10} {n:6.0f} | {o_obj / 1000:8.0f} {o_out:4.0f} {o_s:5.0f} | "
            f"{p_obj / 1000:8.0f} {p_out:4.0f} {p_s:5.0f} | {o_obj / p_obj:6.3f}"
        )


def sector_tasks(
    registry: Registry, state: DistrictState, budget: float, workers: int
) -> list[PlanTask]:
    """The day's garbage sectors of every town, relaxed, with per-sector limits
    allotted from the plan's solve share of `budget` as if `workers` ran them."""
    config = PlanningConfig(workers=workers)
    tasks: list[PlanTask] = []
    for town in registry.towns:
        t, _, _, _ = garbage_tasks(
            registry,
            state,
            town.id,
            config,
            GreatCircle(),
            from_s=0,
            from_ms=LocalDay(DAY).start_ms,
            time_limit_s=budget * SOLVE_SHARE,
        )
        tasks += t
    return [relax(t) for t in allot_time(tasks, budget * SOLVE_SHARE, workers)]


def bench_district(budget: float, workers: int) -> dict[str, float]:
    from simulators.district import generate_district

    registry = generate_district(scale=1.0, seed=1)
    state = DistrictState.empty(LocalDay(DAY).start_ms)
    print(
        f"(b) district scale 1: {len(registry.collection_points)} points, "
        f"{len(registry.trucks)} trucks, "
        f"{len(registry.towns)} towns; budget {budget:.0f} s, {workers} processes"
    )
    started = time.monotonic()
    record = plan_day(
        registry, state, DAY, "garbage", time_limit_s=budget, config=PlanningConfig(workers=workers)
    )
    wall = time.monotonic() - started
    k = record.kpis
    print(
        f"yiju plan_day: {wall:.1f} s wall, "
        f"{k['points_served']:.0f}/{k['points_total']:.0f} points "
        f"({k['coverage_pct']:.1f} %), {k['distance_km']:.0f} km, {len(record.routes)} routes, "
        f"extra trucks {record.extra_vehicles_needed}"
    )
    tasks = sector_tasks(registry, state, budget, workers)
    t0 = time.monotonic()
    ours = solve_tasks(tasks, workers)
    ours_wall = time.monotonic() - t0
    t0 = time.monotonic()
    with process_pool(workers) as pool:
        theirs = list(pool.map(pyvrp_task, [task for task, _ in ours]))
    theirs_wall = time.monotonic() - t0
    print_towns(ours, theirs)
    od = sum(s.distance_m for _, s in ours)
    odrop = sum(len([x for x in s.dropped if x.required]) for _, s in ours)
    pd = sum(x[0] for x in theirs)
    pdrop = sum(x[1] for x in theirs)
    obj_o, obj_p = od + DROP_M * odrop, pd + DROP_M * pdrop
    print(
        f"sectors: {len(tasks)}; yiju {od / 1000:.0f} km, {odrop} left out, {ours_wall:.0f} s | "
        f"PyVRP (relaxed) {pd / 1000:.0f} km, {pdrop} left out, {theirs_wall:.0f} s"
    )
    ratio = obj_o / obj_p if obj_p else math.nan
    print(
        f"objective (distance + {DROP_M / 1000:.0f} km per stop left out) "
        f"yiju/PyVRP = {ratio:.3f}; "
        f"distance ratio {od / pd if pd else math.nan:.3f}"
    )
    return {"district_wall_s": wall, "district_ratio": ratio}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=float, default=120.0, help="seconds for the plan")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    start_run()
    bench_district(args.budget, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
