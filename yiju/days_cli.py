"""`yiju simulate --days N`: the whole loop over consecutive days.

The field simulation (`simulators.cli`) knows nothing of ingest, the optimizer or the
API; the loop that drives all of them is the command line's, so this module adds its
options to the `simulate` command and takes the run over when `--days` is given.
"""

from __future__ import annotations

import argparse

from core.argtypes import positive_int
from core.localday import from_ms
from core.registry import load_registry
from core.settings import get_settings
from simulators.cli import faults_from_args, most_recent_whole_day
from simulators.day import parse_start


def extend(simulate: argparse.ArgumentParser) -> None:
    """Add the consecutive-days options to the `simulate` parser."""
    days = simulate.add_argument_group(
        "consecutive days",
        "with --days the whole loop runs: ingest, a plan every morning from the night's "
        "readings, the field driving it, re-plans after breakdowns, and each day's figures "
        "of the standard (from the running start: pest visit records imported)",
    )
    days.add_argument("--days", type=positive_int, help="run this many whole local days")
    days.add_argument(
        "--policy",
        choices=("yiju", "baseline"),
        default="yiju",
        help="yiju's morning plans, or the fixed schedule of a district without sensors",
    )
    days.add_argument(
        "--breakdowns-per-day",
        type=int,
        default=0,
        help="truck breakdowns a day, drawn from the seed (default 0)",
    )
    days.add_argument(
        "--plan-time-limit", type=float, default=30.0, help="seconds per plan (default 30)"
    )
    field_only = simulate.get_default("func")

    def simulate_or_run_days(args: argparse.Namespace) -> int:
        if args.days is None:
            return int(field_only(args))
        return cmd_run_days(args)

    simulate.set_defaults(func=simulate_or_run_days)


def cmd_run_days(args: argparse.Namespace) -> int:
    # Imported here: `yiju --help` need not load the optimizer and ingest.
    from yiju.day_kpis import frame
    from yiju.district_run import RunOptions, run_days

    settings = get_settings()
    registry = load_registry(args.district or settings.registry_file())
    tz = registry.district.tz
    start = args.start or most_recent_whole_day(tz)
    start_ms = parse_start(start, tz)
    first = from_ms(start_ms, tz)
    if (first.hour, first.minute) != (0, 0):
        raise SystemExit("yiju simulate: --days runs whole local days; give --start as a date")
    options = RunOptions(
        first_day=first.date(),
        days=args.days,
        policy=args.policy,
        speed=args.speed,
        seed=args.seed,
        faults=faults_from_args(args, start_ms, tz),
        breakdowns_per_day=args.breakdowns_per_day,
        plan_time_limit_s=args.plan_time_limit,
        truth_path=args.truth,
        device_share=args.device_share,
    )
    report = run_days(settings, registry, options, progress=lambda text: print(text, flush=True))
    print()
    print(frame(report.kpis).to_string(index=False))
    print(
        f"messages published {report.simulation.published:,}, lost {report.lost:,}; "
        f"whole run {report.wall_s:.0f} s"
    )
    return 0 if report.lost == 0 else 1
