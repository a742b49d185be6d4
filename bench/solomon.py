"""Benchmark: yiju's solver against PyVRP (the reference) on Solomon's 56 VRPTW
instances with 100 customers: feasibility and gap to the best-known distances.

Each instance runs alone, each solver on `--workers` cores for `--limit` s: yiju's
portfolio of starts in that many processes (each start's guided local search
followed by ruin and recreate), PyVRP that many seeds in parallel (the best
counts). OR-Tools' default set-up (path cheapest arc + GLS, no constructed start)
also runs on R101, R102 and RC101 to show why yiju does not use it.

The instances are not shipped with yiju: give a folder of Solomon `.txt` files.

    .venv/bin/python bench/solomon.py --solomon DIR [--limit 10] [--workers 2]
        [--only R101,RC101] [--rows rows.json]
    .venv/bin/python bench/solomon.py --merge r1.json r2.json ...   # one summary

bench/optimizer.py runs this and bench/district_solve.py in one go.
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
import json
import logging
import math
import statistics
from concurrent.futures import Executor
from typing import Literal, NotRequired, TypedDict

import numpy as np

from bench.solomon_instances import (
    BEST_KNOWN,
    BEST_KNOWN_HIERARCHICAL,
    SCALE,
    Solomon,
    read_solomon,
    solomon_files,
)
from bench.solver_common import solve_pyvrp, start_run
from core.processes import process_pool
from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import (
    DistanceMatrixSource,
    Problem,
    ProblemBuilder,
    TimeWindow,
)

# (feasible, distance in Solomon's units, wall seconds)
Run = tuple[bool, float, float]
Solver = Literal["yiju", "pyvrp"]


class Row(TypedDict):
    """One instance's results, as `--rows` writes them (JSON: runs become lists)."""

    name: str
    yiju: Run
    pyvrp: Run
    default: NotRequired[Run]  # OR-Tools' default set-up, on DEFAULT_SETUP_ON only


DEFAULT_SETUP_ON = ("R101", "R102", "RC101")


class Precomputed(DistanceMatrixSource):
    """The instance's matrix as both distance and travel time: in Solomon's
    instances a unit of distance takes a unit of time."""

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
            f"v{k}", depot, capacity_kg=inst.capacity, shift=TimeWindow(0, inst.horizon * SCALE)
        )
    return b.build(Precomputed(inst.distance))


def run_ortools(inst: Solomon, limit: float, setup: str, cores: int = 1) -> Run:
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


def run_pyvrp(inst: Solomon, limit: float, seed: int = 1) -> Run:
    from pyvrp import Model

    m = Model()
    locs = [m.add_location(float(x), float(y)) for x, y in inst.xy]
    depot = m.add_depot(locs[0], tw_early=0, tw_late=inst.horizon * SCALE)
    m.add_vehicle_type(
        inst.vehicles,
        capacity=inst.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=0,
        tw_late=inst.horizon * SCALE,
    )
    for i in range(1, len(locs)):
        m.add_client(
            locs[i],
            delivery=inst.demand[i],
            service_duration=inst.service[i] * SCALE,
            tw_early=inst.ready[i] * SCALE,
            tw_late=inst.due[i] * SCALE,
        )
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            d = int(inst.distance[i, j])
            m.add_edge(a, b, distance=d, duration=d)
    res, wall = solve_pyvrp(m, limit, seed)
    return res.is_feasible(), res.best.distance() / SCALE, wall


def pyvrp_seed(args: tuple[Path, float, int]) -> Run:
    """One PyVRP seed in a worker process, which reads the instance itself."""
    path, limit, seed = args
    return run_pyvrp(read_solomon(path), limit, seed)


def solomon_job(path: Path, limit: float, cores: int, pool: Executor) -> Row:
    """One instance, each solver on `cores` cores for `limit` s: yiju's portfolio in
    `cores` processes, PyVRP with `cores` seeds in parallel (the best one counts)."""
    inst = read_solomon(path)
    y = run_ortools(inst, limit, "yiju", cores)
    runs = list(pool.map(pyvrp_seed, [(path, limit, seed) for seed in range(1, cores + 1)]))
    ok = [r for r in runs if r[0]] or runs
    p = min(ok, key=lambda r: r[1])
    row: Row = {"name": inst.name, "yiju": y, "pyvrp": p}
    if inst.name in DEFAULT_SETUP_ON:
        row["default"] = run_ortools(inst, limit, "default")
    return row


def bench_solomon(
    folder: Path,
    limit: float,
    workers: int,
    rows_out: Path | None = None,
    only: set[str] | None = None,
) -> dict[str, float]:
    files = solomon_files(folder, only)
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
    rows: list[Row] = []
    with process_pool(workers) as pool:
        for f in files:
            row = solomon_job(f, limit, workers, pool)
            rows.append(row)
            print_row(row)
    if rows_out is not None:
        rows_out.write_text(json.dumps(rows))
    return summarise_solomon(rows)


def merge_rows(paths: list[Path]) -> dict[str, float]:
    """Print and summarise the rows of earlier runs (`--rows`) as one run."""
    rows: list[Row] = [row for path in paths for row in json.loads(path.read_text())]
    for row in sorted(rows, key=lambda r: r["name"]):
        print_row(row)
    return summarise_solomon(rows)


def print_row(row: Row) -> None:
    name = row["name"]
    bks = BEST_KNOWN[name]
    (fy, dy, _), (fp, dp, _) = row["yiju"], row["pyvrp"]
    gy, gp = 100 * (dy - bks) / bks, 100 * (dp - bks) / bks
    print(
        f"{name:6} {bks:8.2f} | {dy:8.2f} {gy:6.2f} {'yes' if fy else 'NO':>4} | "
        f"{dp:8.2f} {gp:6.2f} {'yes' if fp else 'NO':>4}",
        flush=True,
    )


def gap(row: Row, solver: Solver, best_known: dict[str, float]) -> float:
    best = best_known[row["name"]]
    return 100 * (row[solver][1] - best) / best


def mean_distance(rows: list[Row], solver: Solver) -> float:
    return statistics.mean(r[solver][1] for r in rows)


def summarise_solomon(rows: list[Row]) -> dict[str, float]:
    """Feasible counts and mean gaps, per family and overall, against both kinds of
    best-known values (gaps averaged over the feasible solutions)."""
    out: dict[str, float] = {}
    solvers: tuple[Solver, ...] = ("yiju", "pyvrp")
    for solver in solvers:
        ok = [r for r in rows if r[solver][0]]
        out[f"{solver}_feasible"] = len(ok)
        # C1/C2, R1/R2, RC1/RC2: the family is the name without its last two digits.
        families: dict[str, list[Row]] = {}
        for r in ok:
            name = r["name"]
            families.setdefault(name[: len(name) - 2], []).append(r)
        for fam, members in sorted(families.items()):
            out[f"{solver}_{fam}_gap"] = statistics.mean(
                gap(r, solver, BEST_KNOWN) for r in members
            )
        out[f"{solver}_gap"] = statistics.mean(
            [gap(r, solver, BEST_KNOWN) for r in ok] or [math.nan]
        )
        out[f"{solver}_gap_hier"] = statistics.mean(
            [gap(r, solver, BEST_KNOWN_HIERARCHICAL) for r in ok] or [math.nan]
        )
    fams = sorted({k.split("_")[1] for k in out if k.count("_") == 2 and k.endswith("_gap")})
    print(f"{'family':8} {'yiju gap%':>10} {'PyVRP gap%':>11}   (distance-optimal BKS)")
    for fam in fams:
        print(
            f"{fam:8} {out.get(f'yiju_{fam}_gap', math.nan):10.2f} "
            f"{out.get(f'pyvrp_{fam}_gap', math.nan):11.2f}"
        )
    ratio = mean_distance(rows, "yiju") / mean_distance(rows, "pyvrp")
    print(
        f"feasible: yiju {out['yiju_feasible']:.0f}/{len(rows)}, "
        f"PyVRP {out['pyvrp_feasible']:.0f}/{len(rows)}\n"
        f"mean gap to distance-optimal BKS: yiju {out['yiju_gap']:.2f} %, "
        f"PyVRP {out['pyvrp_gap']:.2f} %\n"
        f"mean gap to hierarchical BKS:     yiju {out['yiju_gap_hier']:.2f} %, "
        f"PyVRP {out['pyvrp_gap_hier']:.2f} %\n"
        f"ratio yiju/PyVRP mean distance {ratio:.3f}"
    )
    defaults = [
        f"{r['name']}: " + (f"feasible, {run[1]:.1f}" if run[0] else "NOT feasible")
        for r in rows
        if (run := r.get("default")) is not None
    ]
    if defaults:
        print(
            "OR-Tools default set-up (path cheapest arc + GLS, one process) at the same "
            "limit: " + "; ".join(defaults)
        )
    return out


def names(text: str | None) -> set[str] | None:
    """`--only`'s comma-separated instance names, upper case."""
    return {n.strip().upper() for n in text.split(",")} if text else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The Solomon options, shared with the driver bench/optimizer.py."""
    parser.add_argument("--solomon", type=Path, help="folder with Solomon .txt instances")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per Solomon instance")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="comma-separated Solomon names to run")
    parser.add_argument("--rows", type=Path, help="write the Solomon rows to this JSON file")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="summarise Solomon rows written by earlier runs (--rows) instead of solving",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.merge:
        merge_rows(args.merge)
        return 0
    if not args.solomon:
        parser.error("give --solomon DIR or --merge FILE ...")
    start_run()
    bench_solomon(args.solomon, args.limit, args.workers, args.rows, names(args.only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
