"""Keeping the standard day after day: yiju's plans against a fixed-schedule district.

    .venv/bin/python bench/district_week.py [--scale 0.05] [--days 7] [--no-baseline] [--plans]

Runs the same simulated days (same seed, the default faults, one truck breakdown a
day at a random time, the same demand) twice, each on its own Mosquitto and
InfluxDB (free ports, a temporary folder): once with yiju planning every morning
from the night's readings and re-planning after each breakdown, once with the
fixed schedule a district without sensors runs (routes planned once from expected
fills, driven every day, nothing re-planned). Both start from the same running
start (bins as yesterday's clearances left them, pest visit records imported).
Prints one row per day for each, the ratios over days 2..N (day 1 is the running
start), and the figures the acceptance reads:

    exposed minutes yiju/baseline: R
    km yiju/baseline: R
    clearance min days 2-N: X %

Not part of the test suite.
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path and its `simulators.py` would hide
# the `simulators` package; drop that entry before importing the packages.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p != _HERE]

import argparse
import dataclasses
import logging
import tempfile
import time
from datetime import date

import pandas as pd

from core.dispatch import StopKind
from core.settings import Settings
from simulators.district import generate_district
from simulators.faults import FaultConfig
from yiju.day_kpis import frame
from yiju.district_run import POLICIES, Policy, RunOptions, RunReport, run_days
from yiju.localservices import LocalStack, free_port

FIRST_DAY = date(2026, 7, 13)  # a Monday in the wet, peak pest season: a weekend inside
COLUMNS = {
    "day": "day",
    "clearance": "clear %",
    "points_overflowed": "overflowed",
    "exposed_minutes": "exposed min",
    "pest_due": "pest due",
    "pest_visited_on_time": "on time",
    "pest_overdue": "overdue",
    "truck_km": "truck-km",
    "truck_hours": "truck-h",
    "plan_s": "plan s",
    "meeting_standard": "meet std",
    "failing_static": "fail static",
    "failing_daily": "fail daily",
    "unserved_named": "unserved",
}


def run_policy(policy: Policy, scale: float, args: argparse.Namespace, folder: Path) -> RunReport:
    registry = generate_district(scale=scale, seed=args.seed)
    settings = Settings(
        env="test",
        data_dir=folder / policy,
        mqtt_port=free_port(),
        influx_url=f"http://127.0.0.1:{free_port()}",
        # A compressed day publishes thousands of msg/s through the town gateways;
        # Mosquitto's per-device ACL lines cost too much at that rate (bench/district_day.py).
        mqtt_gateway_scope="district",
    ).with_dev_secrets()
    stack = LocalStack(settings, registry, influx_rpc_port=free_port())
    stack.up()
    try:
        options = RunOptions(
            first_day=args.first_day,
            days=args.days,
            policy=policy,
            seed=args.seed,
            faults=FaultConfig(),
            breakdowns_per_day=args.breakdowns_per_day,
            plan_time_limit_s=args.plan_time_limit,
            ingest_workers=args.ingest_workers,
            afternoon_replan_at=None if args.afternoon_look == "none" else args.afternoon_look,
            catch_up_at=None if args.catch_up == "none" else args.catch_up,
        )
        return run_days(settings, registry, options, progress=lambda text: print(text, flush=True))
    finally:
        stack.down()


def table(report: RunReport) -> pd.DataFrame:
    out = frame(report.kpis)[list(COLUMNS)].rename(columns=COLUMNS)
    out["clear %"] = (out["clear %"] * 100).round(2)
    return out.round({"exposed min": 0, "truck-km": 1, "truck-h": 1, "plan s": 1})


def describe(report: RunReport, show_plans: bool = False) -> None:
    o = report.options
    print(f"\n== {o.policy}: {o.days} day(s) from {o.first_day} ==")
    print(table(report).to_string(index=False))
    sim, ing = report.simulation, report.ingest
    print(
        f"messages published {sim.published:,}, received by ingest {ing.received:,}, "
        f"written {ing.written:,}, dead letters {ing.deadlettered:,}; lost {report.lost:,}"
    )
    print(
        "wall "
        + ", ".join(f"{k} {v:.0f} s" for k, v in report.phase_s.items())
        + f"; whole run {report.wall_s:.0f} s, peak memory {report.peak_rss_mb:,.0f} MB"
    )
    mornings = [p for p in report.plans if p.kind == "garbage" and p.town_id is None]
    if mornings:
        slowest = max(p.kpis.get("solve_s", 0.0) for p in mornings)
        print(f"garbage morning plans: {len(mornings)}, slowest {slowest:.1f} s")
    if show_plans:
        print("garbage plans (planned routes; a re-plan replaces what is left of earlier ones):")
        for p in report.plans:
            if p.kind != "garbage":
                continue
            stops = [s for r in p.routes for s in r.stops if s.kind is StopKind.POINT]
            # Dispatched routes carry the point's own id on both of its visits.
            second = len(stops) - len({s.stop_id for s in stops})
            km = sum(r.distance_m for r in p.routes) / 1000
            print(
                f"  {p.date} {p.town_id or 'all towns'}: {len(p.routes)} routes, "
                f"{len(stops)} point visits ({second} second), {km:,.0f} km, "
                f"{len(p.unserved)} unserved"
            )
    for b in report.breakdowns:
        print(f"breakdown: {b.truck_id} at {pd.Timestamp(b.at_ms, unit='ms', tz='UTC')}")
    for k in report.kpis:
        for community, why in sorted(k.failing_reasons.items()):
            print(f"  {k.day} {community}: fails {why}")


def compare(yiju: RunReport, baseline: RunReport) -> None:
    later_y = [k for k in yiju.kpis if k.day > yiju.options.first_day]
    later_b = [k for k in baseline.kpis if k.day > baseline.options.first_day]
    exposed_y = sum(k.exposed_minutes for k in later_y)
    exposed_b = sum(k.exposed_minutes for k in later_b)
    km_y, km_b = sum(k.truck_km for k in later_y), sum(k.truck_km for k in later_b)
    print("\n== yiju against the fixed schedule, days 2.. ==")
    for y, b in zip(later_y, later_b, strict=True):
        print(
            f"{y.day}: exposed {y.exposed_minutes:,.0f} vs {b.exposed_minutes:,.0f} min, "
            f"overflowed {y.points_overflowed} vs {b.points_overflowed}, clearance "
            f"{y.clearance:.2%} vs {b.clearance:.2%}, km {y.truck_km:,.0f} vs {b.truck_km:,.0f}, "
            f"meeting the standard {y.meeting_standard} vs {b.meeting_standard}/{y.communities}"
        )
    print(f"exposed minutes yiju/baseline: {exposed_y / max(exposed_b, 1e-9):.3f}")
    print(f"km yiju/baseline: {km_y / max(km_b, 1e-9):.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first-day", type=date.fromisoformat, default=FIRST_DAY)
    parser.add_argument("--plan-time-limit", type=float, default=None)
    parser.add_argument("--breakdowns-per-day", type=int, default=1)
    parser.add_argument("--ingest-workers", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="run yiju only")
    parser.add_argument(
        "--afternoon-look",
        default=next(
            f.default for f in dataclasses.fields(RunOptions) if f.name == "afternoon_replan_at"
        ),
        help="local time of yiju's afternoon re-plan, or 'none'",
    )
    parser.add_argument(
        "--catch-up",
        default=RunOptions.__dataclass_fields__["catch_up_at"].default,
        help="local time of yiju's look after a morning plan that left points, or 'none'",
    )
    parser.add_argument(
        "--plans", action="store_true", help="print each garbage plan's routes, visits and km"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep each policy's plans and data under this folder"
    )
    args = parser.parse_args()
    if args.days < 1:
        parser.error("--days must be at least 1")
    if args.plan_time_limit is None:
        args.plan_time_limit = 60.0 if args.scale >= 0.5 else 30.0
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    began = time.monotonic()
    policies = ("yiju",) if args.no_baseline else POLICIES
    reports: dict[str, RunReport] = {}
    with tempfile.TemporaryDirectory(prefix="yiju-week-") as tmp:
        folder = args.keep or Path(tmp)
        for policy in policies:
            reports[policy] = run_policy(policy, args.scale, args, folder)
            describe(reports[policy], args.plans)
    yiju = reports["yiju"]
    if "baseline" in reports:
        compare(yiju, reports["baseline"])
    later = [k for k in yiju.kpis if k.day > args.first_day] or yiju.kpis
    worst = min(later, key=lambda k: k.clearance)
    span = f"2-{args.days}" if args.days > 1 else "1"
    print(f"clearance min days {span}: {worst.clearance * 100:.2f} %")
    print(
        f"overflowed max share days {span}: "
        f"{max(k.points_overflowed / max(1, k.points) for k in later) * 100:.2f} %"
    )
    print(f"pest overdue max days {span}: {max(k.pest_overdue for k in later)}")
    print(f"whole bench {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
