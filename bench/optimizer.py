"""Benchmark: yiju's OR-Tools set-up against PyVRP (the reference) on the same
instances with the same time budget, in one run.

(a) Solomon's 56 VRPTW instances with 100 customers: feasibility and gap to the
    best-known solutions (typed in below from the literature), at 10 s each, one
    instance at a time, each solver on `--workers` cores: yiju's portfolio of starts
    in that many processes (each start's guided local search followed by ruin and
    recreate), PyVRP that many seeds in parallel (the best counts).
    The instances are public benchmark data and are not shipped with yiju: give
    a folder with `--solomon DIR` (Solomon .txt files, or VRP-REP XML files named
    like R101_100.xml). OR-Tools' default set-up (path cheapest arc + GLS, no
    constructed start) is also run on R101, R102 and RC101 to show why yiju does not
    use it.
(b) The generated district (scale 1: ~12,000 points, ~150 trucks, 7 towns):
    `plan_day` (the full model) within the budget; then yiju's solver and PyVRP on
    the very same sector problems with the same per-sector time, both with two
    worker processes. PyVRP has no breaks and one window per client, so for the
    comparison both get the sectors relaxed that way.

    .venv/bin/python bench/optimizer.py --solomon /path/to/solomon [--skip-district]
    .venv/bin/python bench/optimizer.py --solomon DIR --only R101,RC101 --skip-district
    .venv/bin/python bench/optimizer.py --solomon DIR/solomon-1987-r1 --rows r1.json ...
    .venv/bin/python bench/optimizer.py --merge r1.json r2.json ...   # one summary

Figures are wall-clock on whatever machine runs it; on the shared 2-core
development machine other work competes for the cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

# This file is named like the package it measures: keep its folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from core.localday import LocalDay  # noqa: E402
from core.processes import process_pool  # noqa: E402
from optimizer.distance import GreatCircle  # noqa: E402
from optimizer.planning.config import PlanningConfig  # noqa: E402
from optimizer.planning.day import SOLVE_SHARE, allot_time, plan_day, solve_tasks  # noqa: E402
from optimizer.planning.garbage import garbage_tasks  # noqa: E402
from optimizer.planning.state import DistrictState  # noqa: E402
from optimizer.planning.tasks import PlanTask  # noqa: E402
from optimizer.solver.params import SolveParams  # noqa: E402
from optimizer.solver.portfolio import solve  # noqa: E402
from optimizer.solver.problem import (  # noqa: E402
    DistanceMatrixSource,
    Problem,
    ProblemBuilder,
    TimeWindow,
)
from optimizer.solver.solution import Solution  # noqa: E402

# Distances truncated to one decimal, as the exact methods behind the best-known
# values computed them; distances and times ×10 as integers inside both solvers.
SCALE = 10
DROP_M = 10_000_000  # objective penalty of a left-out stop, both solvers

# Best-known distances of Solomon's instances (bench/data/solomon_bks.json): when
# distance alone is minimised (the objective both solvers use here), and the
# hierarchical ones (fewest vehicles first) most tables list.
_BKS_DATA = json.loads((Path(__file__).resolve().parent / "data" / "solomon_bks.json").read_text())
BKS: dict[str, float] = _BKS_DATA["distance_only"]
BKS_HIERARCHICAL: dict[str, float] = _BKS_DATA["hierarchical"]


@dataclass(frozen=True)
class Solomon:
    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray  # row 0 is the depot
    demand: list[int]
    ready: list[int]
    due: list[int]
    service: list[int]


def read_solomon(path: Path) -> Solomon:
    if path.suffix.lower() == ".xml":
        root = ET.parse(path).getroot()
        nodes = {int(n.get("id", "0")): n for n in root.iter("node")}
        xy = np.array(
            [
                [float(nodes[i].findtext("cx", "0")), float(nodes[i].findtext("cy", "0"))]
                for i in sorted(nodes)
            ]
        )
        profile = root.find("fleet/vehicle_profile")
        assert profile is not None
        n = len(nodes)
        demand, ready, due, service = [0] * n, [0] * n, [0] * n, [0] * n
        due[0] = int(float(profile.findtext("max_travel_time", "0")))
        for req in root.iter("request"):
            i = int(req.get("node", "0"))
            demand[i] = int(float(req.findtext("quantity", "0")))
            ready[i] = int(float(req.findtext("tw/start", "0")))
            due[i] = int(float(req.findtext("tw/end", "0")))
            service[i] = int(float(req.findtext("service_time", "0")))
        name = path.stem.split("_")[0].upper()
        return Solomon(
            name,
            int(profile.get("number", "25")),
            int(float(profile.findtext("capacity", "0"))),
            xy,
            demand,
            ready,
            due,
            service,
        )
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    vehicles, capacity = int(lines[2][0]), int(lines[2][1])
    rows = [list(map(float, ln)) for ln in lines if len(ln) == 7 and ln[0].isdigit()]
    xy = np.array([[r[1], r[2]] for r in rows])
    return Solomon(
        lines[0][0].upper(),
        vehicles,
        capacity,
        xy,
        [int(r[3]) for r in rows],
        [int(r[4]) for r in rows],
        [int(r[5]) for r in rows],
        [int(r[6]) for r in rows],
    )


def solomon_matrix(inst: Solomon) -> np.ndarray:
    diff = inst.xy[:, None, :] - inst.xy[None, :, :]
    return np.floor(np.sqrt((diff**2).sum(axis=2)) * SCALE + 1e-9).astype(np.int64)


class Precomputed(DistanceMatrixSource):
    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix

    def matrices(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        return self.matrix, self.matrix.copy()


def solomon_problem(inst: Solomon) -> Problem:
    b = ProblemBuilder(inst.name)
    depot = b.add_depot("depot", 0.0, 0.0)
    for i in range(1, len(inst.demand)):
        b.add_stop(
            f"c{i}",
            0.0,
            0.0,
            demand_kg=inst.demand[i],
            service_s=inst.service[i] * SCALE,
            windows=[TimeWindow(inst.ready[i] * SCALE, inst.due[i] * SCALE)],
        )
    for k in range(inst.vehicles):
        b.add_vehicle(
            f"v{k}", depot, capacity_kg=inst.capacity, shift=TimeWindow(0, inst.due[0] * SCALE)
        )
    return b.build(Precomputed(solomon_matrix(inst)))


def run_ortools(
    inst: Solomon, limit: float, setup: str, cores: int = 1
) -> tuple[bool, float, float]:
    params = (
        SolveParams(time_limit_s=limit, workers=cores)
        if setup == "yiju"
        else SolveParams(
            time_limit_s=limit, first_solution="PATH_CHEAPEST_ARC", initial="ortools", lns_share=0
        )
    )
    logging.getLogger("yiju.optimizer").setLevel(logging.WARNING)
    sol = solve(solomon_problem(inst), params)
    feasible = sol.status == "ok" and not sol.dropped
    return feasible, sol.distance_m / SCALE, sol.wall_s


def run_pyvrp(inst: Solomon, limit: float, seed: int = 1) -> tuple[bool, float, float]:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    m = Model()
    locs = [m.add_location(float(x), float(y)) for x, y in inst.xy]
    depot = m.add_depot(locs[0], tw_early=0, tw_late=inst.due[0] * SCALE)
    m.add_vehicle_type(
        inst.vehicles,
        capacity=inst.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=0,
        tw_late=inst.due[0] * SCALE,
    )
    for i in range(1, len(locs)):
        m.add_client(
            locs[i],
            delivery=inst.demand[i],
            service_duration=inst.service[i] * SCALE,
            tw_early=inst.ready[i] * SCALE,
            tw_late=inst.due[i] * SCALE,
        )
    matrix = solomon_matrix(inst)
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, distance=int(matrix[i, j]), duration=int(matrix[i, j]))
    started = time.monotonic()
    res = m.solve(stop=MaxRuntime(limit), display=False, seed=seed)
    return res.is_feasible(), res.best.distance() / SCALE, time.monotonic() - started


def _pyvrp_seed(args: tuple[Path, float, int]) -> tuple[bool, float, float]:
    path, limit, seed = args
    return run_pyvrp(read_solomon(path), limit, seed)


def _solomon_job(path: Path, limit: float, cores: int, pool: Executor) -> dict[str, object]:
    """One instance, each solver on `cores` cores for `limit` s: yiju's portfolio in
    `cores` processes, PyVRP with `cores` seeds in parallel (the best one counts)."""
    inst = read_solomon(path)
    y = run_ortools(inst, limit, "yiju", cores)
    runs = list(pool.map(_pyvrp_seed, [(path, limit, seed) for seed in range(1, cores + 1)]))
    ok = [r for r in runs if r[0]] or runs
    p = min(ok, key=lambda r: r[1])
    row: dict[str, object] = {"name": inst.name, "yiju": y, "pyvrp": p}
    if inst.name in ("R101", "R102", "RC101"):
        row["default"] = run_ortools(inst, limit, "default")
    return row


def solomon_files(folder: Path) -> list[Path]:
    files = [p for p in folder.rglob("*") if p.suffix.lower() in (".txt", ".xml")]
    picked = {}
    for p in files:
        stem = p.stem.upper()
        if p.suffix.lower() == ".xml" and not stem.endswith("_100"):
            continue
        name = stem.split("_")[0]
        if name in BKS:
            picked[name] = p
    return [picked[n] for n in sorted(picked)]


def mean_of(rows: list[dict[str, object]], solver: str) -> float:
    return statistics.mean(float(r[solver][1]) for r in rows)  # type: ignore[index]


def bench_solomon(
    folder: Path, limit: float, workers: int, rows_out: Path | None = None
) -> dict[str, float]:
    files = solomon_files(folder)
    if not files:
        print(f"no Solomon instances under {folder}; skipping (a)")
        return {}
    print(
        f"(a) Solomon VRPTW, {len(files)} instances one at a time, {limit:.0f} s each; "
        f"each solver gets {workers} cores (yiju: its portfolio of starts in {workers} "
        f"processes, each GLS then ruin and recreate; PyVRP: {workers} seeds in "
        f"parallel, best kept)"
    )
    print(
        f"{'inst':6} {'BKS':>8} | {'yiju':>8} {'gap%':>6} {'feas':>4} | "
        f"{'PyVRP':>8} {'gap%':>6} {'feas':>4}"
    )
    rows = []
    with process_pool(workers) as pool:
        for f in files:
            row = _solomon_job(f, limit, workers, pool)
            rows.append(row)
            _print_row(row)
    if rows_out is not None:
        rows_out.write_text(json.dumps(rows))
    return summarise_solomon(rows)


def _print_row(row: dict[str, object]) -> None:
    name = str(row["name"])
    bks = BKS[name]
    (fy, dy, _), (fp, dp, _) = row["yiju"], row["pyvrp"]  # type: ignore[misc]
    gy, gp = 100 * (dy - bks) / bks, 100 * (dp - bks) / bks
    print(
        f"{name:6} {bks:8.2f} | {dy:8.2f} {gy:6.2f} {'yes' if fy else 'NO':>4} | "
        f"{dp:8.2f} {gp:6.2f} {'yes' if fp else 'NO':>4}",
        flush=True,
    )


def _gap(row: dict[str, object], solver: str, bks: dict[str, float]) -> float:
    best = bks[str(row["name"])]
    return 100 * (float(row[solver][1]) - best) / best  # type: ignore[index]


def summarise_solomon(rows: list[dict[str, object]]) -> dict[str, float]:
    """Feasible counts and mean gaps, per family and overall, against both kinds of
    best-known values (gaps averaged over the feasible solutions)."""
    out: dict[str, float] = {}
    for solver in ("yiju", "pyvrp"):
        ok = [r for r in rows if r[solver][0]]  # type: ignore[index]
        out[f"{solver}_feasible"] = len(ok)
        # C1/C2, R1/R2, RC1/RC2: the family is the name without its last two digits.
        families: dict[str, list[dict[str, object]]] = {}
        for r in ok:
            name = str(r["name"])
            families.setdefault(name[: len(name) - 2], []).append(r)
        for fam, members in sorted(families.items()):
            out[f"{solver}_{fam}_gap"] = statistics.mean(_gap(r, solver, BKS) for r in members)
        out[f"{solver}_gap"] = statistics.mean([_gap(r, solver, BKS) for r in ok] or [math.nan])
        out[f"{solver}_gap_hier"] = statistics.mean(
            [_gap(r, solver, BKS_HIERARCHICAL) for r in ok] or [math.nan]
        )
    fams = sorted({k.split("_")[1] for k in out if k.count("_") == 2 and k.endswith("_gap")})
    print(f"{'family':8} {'yiju gap%':>10} {'PyVRP gap%':>11}   (distance-optimal BKS)")
    for fam in fams:
        print(
            f"{fam:8} {out.get(f'yiju_{fam}_gap', math.nan):10.2f} "
            f"{out.get(f'pyvrp_{fam}_gap', math.nan):11.2f}"
        )
    print(
        f"feasible: yiju {out['yiju_feasible']:.0f}/{len(rows)}, "
        f"PyVRP {out['pyvrp_feasible']:.0f}/{len(rows)}\n"
        f"mean gap to distance-optimal BKS: yiju {out['yiju_gap']:.2f} %, "
        f"PyVRP {out['pyvrp_gap']:.2f} %\n"
        f"mean gap to hierarchical BKS:     yiju {out['yiju_gap_hier']:.2f} %, "
        f"PyVRP {out['pyvrp_gap_hier']:.2f} %\n"
        f"ratio yiju/PyVRP mean distance {mean_of(rows, 'yiju') / mean_of(rows, 'pyvrp'):.3f}"
    )
    defaults = [
        f"{r['name']}: "
        + (f"feasible, {r['default'][1]:.1f}" if r["default"][0] else "NOT feasible")  # type: ignore[index]
        for r in rows
        if "default" in r
    ]
    if defaults:
        print(
            "OR-Tools default set-up (path cheapest arc + GLS, one process) at the same "
            "limit: " + "; ".join(defaults)
        )
    return out


# --- (b) the district --------------------------------------------------------


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


def pyvrp_task(task: PlanTask) -> tuple[int, int, float]:
    """PyVRP on a (relaxed) sector problem; returns (distance m, dropped, wall s)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

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
    started = time.monotonic()
    res = m.solve(stop=MaxRuntime(task.params.time_limit_s), display=False, seed=1)
    best = res.best
    return int(best.distance()), int(best.num_missing_clients()), time.monotonic() - started


def print_towns(
    ours: list[tuple[PlanTask, Solution]], theirs: list[tuple[int, int, float]]
) -> None:
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


def bench_district(budget: float, workers: int) -> dict[str, float]:
    from simulators.district import generate_district

    registry = generate_district(scale=1.0, seed=1)
    day = dt.date(2026, 11, 20)
    state = DistrictState.empty(LocalDay(day).start_ms)
    print(
        f"(b) district scale 1: {len(registry.collection_points)} points, "
        f"{len(registry.trucks)} trucks, "
        f"{len(registry.towns)} towns; budget {budget:.0f} s, {workers} processes"
    )
    started = time.monotonic()
    record = plan_day(
        registry, state, day, "garbage", time_limit_s=budget, config=PlanningConfig(workers=workers)
    )
    wall = time.monotonic() - started
    k = record.kpis
    print(
        f"yiju plan_day: {wall:.1f} s wall, "
        f"{k['points_served']:.0f}/{k['points_total']:.0f} points "
        f"({k['coverage_pct']:.1f} %), {k['distance_km']:.0f} km, {len(record.routes)} routes, "
        f"extra trucks {record.extra_vehicles_needed}"
    )
    # The same sector problems, solved by both with the same per-sector limits.
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
            from_ms=LocalDay(day).start_ms,
            time_limit_s=budget * SOLVE_SHARE,
        )
        tasks += t
    tasks = [relax(t) for t in allot_time(tasks, budget * SOLVE_SHARE, workers)]
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
    parser.add_argument("--solomon", type=Path, help="folder with Solomon instances")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per Solomon instance")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds for the district")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-district", action="store_true")
    parser.add_argument("--only", help="comma-separated Solomon names to run")
    parser.add_argument("--rows", type=Path, help="write the Solomon rows to this JSON file")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="summarise Solomon rows written by earlier runs (--rows) instead of solving",
    )
    args = parser.parse_args(argv)
    if args.merge:
        rows = [row for path in args.merge for row in json.loads(path.read_text())]
        for row in sorted(rows, key=lambda r: str(r["name"])):
            _print_row(row)
        summarise_solomon(rows)
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    print("machine: shared 2-core development box; other work may compete for the cores")
    if args.solomon:
        folder = args.solomon
        if args.only:
            import shutil
            import tempfile

            tmp = Path(tempfile.mkdtemp())
            keep = {n.strip().upper() for n in args.only.split(",")}
            for f in solomon_files(folder):
                if f.stem.upper().split("_")[0] in keep:
                    shutil.copy(f, tmp / f.name)
            folder = tmp
        bench_solomon(folder, args.limit, args.workers, args.rows)
    if not args.skip_district:
        bench_district(args.budget, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
