"""Benchmark: yiju's OR-Tools set-up against PyVRP (the reference) on the same
instances with the same time budget, in one run.

(a) Solomon's 56 VRPTW instances with 100 customers: feasibility and gap to the
    best-known solutions, at 10 s each, one instance at a time, each solver on
    `--workers` cores (bench/solomon.py). The instances are public benchmark data
    and are not shipped with yiju: give a folder of Solomon .txt files with
    `--solomon DIR`.
(b) The generated district (scale 1: ~12,000 points, ~150 trucks, 7 towns):
    `plan_day` within the budget, then yiju's solver and PyVRP on the same
    sector problems, relaxed to what PyVRP models (bench/district_solve.py).

    .venv/bin/python bench/optimizer.py --solomon /path/to/solomon [--skip-district]
    .venv/bin/python bench/optimizer.py --solomon DIR --only R101,RC101 --skip-district
    .venv/bin/python bench/optimizer.py --solomon DIR/solomon-1987-r1 --rows r1.json ...
    .venv/bin/python bench/optimizer.py --merge r1.json r2.json ...   # one summary

Figures are wall-clock on whatever machine runs it; on the shared 2-core
development machine other work competes for the cores.
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where this file and
# bench/simulators.py would hide the packages they are named after: the repository
# root takes its place, which also makes the bench's own modules importable.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(_BENCH.parent)] + [
    p for p in sys.path if Path(p or ".").resolve() not in (_BENCH, _BENCH.parent)
]

import argparse

from bench.district_solve import bench_district
from bench.solomon import add_arguments as add_solomon_arguments
from bench.solomon import bench_solomon, merge_rows, names
from bench.solver_common import start_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_solomon_arguments(parser)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds for the district")
    parser.add_argument("--skip-district", action="store_true")
    args = parser.parse_args(argv)
    if args.merge:
        merge_rows(args.merge)
        return 0
    start_run()
    if args.solomon:
        bench_solomon(args.solomon, args.limit, args.workers, args.rows, names(args.only))
    if not args.skip_district:
        bench_district(args.budget, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
