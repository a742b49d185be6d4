"""`yiju demo`: the district day end to end, on local Mosquitto and InfluxDB.

Sets up (services, the Nanhai district at a scale, broker accounts), starts
ingest, plans the day's garbage and pest-control routes, simulates the day in
accelerated time with the usual faults (storms, camera outages, a truck
breakdown followed by a re-plan), prints the summary a district officer reads,
then serves the API until interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.argtypes import local_date, number_within
from core.influx import InfluxClient
from core.localday import MS_PER_HOUR, LocalDay
from core.registry import Registry, save_registry
from core.settings import Settings, get_settings
from optimizer.solver.params import MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from simulators.district import generate_district
from simulators.faults import Breakdown, FaultConfig
from simulators.truth import read_truth_log
from yiju.day_kpis import DayKpis
from yiju.day_report import format_summary
from yiju.district_cli import district_scale, summary_table
from yiju.district_day import DayOptions, DayReport, DistrictDay
from yiju.failure_causes import explain
from yiju.localservices import LocalStack
from yiju.localservices.influxdb import InfluxService

log = logging.getLogger("yiju.demo")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="run the district day end to end")
    parser.add_argument(
        "--scale",
        type=district_scale,
        default=0.05,
        help="district scale (1.0 = all of Nanhai); default 0.05",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--date",
        type=local_date,
        help="the simulated local day (default: the most recent whole day, yesterday)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="simulated seconds per wall second (default 0: as fast as possible)",
    )
    parser.add_argument(
        "--plan-time-limit",
        type=number_within(MIN_TIME_LIMIT_S, MAX_TIME_LIMIT_S, "s"),
        default=20.0,
        help="seconds the optimizer may spend on each plan",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep earlier data in InfluxDB instead of starting afresh",
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="exit after the summary instead of serving the API"
    )
    parser.set_defaults(func=cmd_demo)


def prepare_district(settings: Settings, scale: float, seed: int) -> Registry:
    """The demo's district, generated afresh (about a second at scale 1) so it always
    matches this version of the generator, and saved where every part reads it."""
    path = settings.registry_file()
    registry = generate_district(scale=scale, seed=seed)
    save_registry(registry, path)
    log.info("generated the district (scale %s, seed %s) into %s", scale, seed, path)
    return registry


def fresh_database(settings: Settings) -> None:
    """Drop the database and set it up again as `services up` does, so the demo's
    day starts from nothing."""
    with InfluxClient.from_settings(settings, admin=True) as admin:
        admin.drop_database()
    InfluxService(settings).bootstrap()


def demo_options(registry: Registry, day: date, args: argparse.Namespace) -> DayOptions:
    """The usual faults plus one scheduled breakdown: the first morning truck of the
    biggest town stops at 08:00 and the dispatcher re-plans 20 minutes later."""
    town = max(registry.towns, key=lambda t: t.population)
    trucks = [t for t in registry.trucks if t.town_id == town.id and t.shift.start < "12:00"]
    local = LocalDay(day, registry.district.tz)
    breakdown = Breakdown(trucks[0].id, local.start_ms + 8 * MS_PER_HOUR) if trucks else None
    return DayOptions(
        day=day,
        speed=args.speed,
        seed=args.seed,
        faults=FaultConfig(),
        breakdown=breakdown,
        plan_time_limit_s=args.plan_time_limit,
        truth_path=Path(get_settings().data_dir) / "truth.jsonl",
    )


def print_report(report: DayReport, registry: Registry) -> None:
    sim, ing = report.simulation, report.ingest
    print()
    print("=" * 78)
    print(f"yiju — {registry.district.name}, simulated day {report.options.day.isoformat()}")
    print("=" * 78)
    print(
        f"messages published {sim.published:,} in {sim.wall_s:.0f} s ({sim.rate:,.0f} msg/s); "
        f"ingested {ing.written:,}, dead-lettered {ing.deadlettered:,} "
        f"(injected faults: {sum(sim.faults.values()):,})"
    )
    print(
        f"violations opened {ing.violations_opened:,}, closed {ing.violations_closed:,}; "
        f"alerts published {ing.alerts_published:,}"
    )
    print()
    print(format_summary(report.figures, registry))
    print()
    print(format_kpis(report.kpis))
    faults = read_truth_log(report.options.truth_path)[1] if report.options.truth_path else []
    day = report.kpis
    causes = explain(day.day, day.failing_reasons, faults, registry, day.overflowed_points)
    if causes:
        print("  why the others fail:")
        for community, lines in causes.items():
            name = registry.community_by_id[community].name
            print(f"    {community} {name}:")
            for text in lines:
                print(f"      {text}")
    print()
    print("Routes:")
    for plan in (report.garbage_plan, report.pest_plan, *report.replans, *report.afternoon):
        k = plan.kpis
        scope = plan.town_id or "all towns"
        print(
            f"  {plan.plan_id} ({plan.kind}, {scope}): {len(plan.routes)} routes, "
            f"{int(k.get('stops_served', 0))} stops served, {len(plan.unserved)} unserved, "
            f"{k.get('distance_km', 0):,.0f} km, solved in {k.get('solve_s', 0):.0f} s"
        )
        for u in plan.unserved[:5]:
            print(f"      unserved {u.stop_id}: {u.reason.value} — {u.detail}")
        if plan.extra_vehicles_needed:
            print(f"      {plan.extra_vehicles_needed} more truck(s) would serve the rest")
    print()
    print(
        f"wall time {report.wall_s:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in report.phase_s.items())
        + f"), peak memory {report.peak_rss_mb:,.0f} MB"
    )


def format_kpis(k: DayKpis) -> str:
    """The day's figures of the standard, as the week benchmark prints them."""
    return "\n".join(
        [
            f"The day against the standard ({k.day}):",
            f"  daily clearance {k.points_cleared}/{k.points} ({k.clearance:.1%}); points that "
            f"overflowed {k.points_overflowed}; exposed garbage {k.exposed_minutes:,.0f} "
            "point-minutes",
            f"  pest control: {k.pest_due} sites due, {k.pest_visited_on_time} visited on time, "
            f"{k.pest_overdue} overdue",
            f"  trucks: {k.truck_km:,.0f} km, {k.truck_hours:,.1f} truck-hours; planning "
            f"{k.plan_s:.0f} s; {k.unserved_named} stops named unserved",
            f"  communities meeting the standard {k.meeting_standard}/{k.communities}; failing "
            f"on static criteria {k.failing_static}, on daily ones only {k.failing_daily}",
        ]
    )


def demo_key(settings: Settings) -> tuple[Path, str]:
    """A dispatcher key for trying the API, in the demo's keys file (shown once)."""
    from api.auth import ApiKey, Role, append_key, new_key

    path = settings.data_dir / "demo-api-keys.jsonl"
    path.unlink(missing_ok=True)
    secret = new_key()
    append_key(path, ApiKey.from_secret("demo-dispatcher", Role.DISPATCHER, secret))
    return path, secret


def serve_api(settings: Settings, day: date) -> int:
    keys_file, secret = demo_key(settings)
    base = f"http://{settings.api_host}:{settings.api_port}/api/v1"
    print()
    print(f"API: {base}  (docs: http://{settings.api_host}:{settings.api_port}/docs)")
    print(f"  key (dispatcher role, shown once): {secret}")
    print(f"  try: curl -H 'Authorization: Bearer {secret}' '{base}/compliance?date={day}'")
    print(
        f"Dashboards: {Path('dashboards/built').resolve()} — provision them in Grafana with "
        "`yiju dashboards push --url URL --token TOKEN` or docker-compose.yml "
        "(see docs/dashboards.md)"
    )
    print("Serving the API until Ctrl-C; `yiju services down` stops Mosquitto and InfluxDB.")
    env = dict(os.environ, YIJU_API_KEYS_FILE=str(keys_file))
    proc = subprocess.Popen([sys.executable, "-m", "yiju", "api"], env=env)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C, and SIGTERM from a supervisor, end the API with the demo (SIGINT is set
    # explicitly: a demo started in the background of a script inherits it ignored).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = get_settings()
    registry = prepare_district(settings, args.scale, args.seed)
    print(f"yiju demo — {registry.district.name}, scale {args.scale}")
    print(summary_table(registry))
    stack = LocalStack(settings, registry)
    log.info("starting Mosquitto and InfluxDB under %s", settings.data_dir)
    stack.up()
    stack.set_registry(registry)
    if not args.keep_data:
        fresh_database(settings)
    tz = ZoneInfo(registry.district.tz)
    day = args.date or (datetime.now(tz).date() - timedelta(days=1))
    options = demo_options(registry, day, args)
    log.info("services ready in %.1f s; running %s", time.perf_counter() - started, day)
    report = DistrictDay(settings, registry, options, progress=print).run()
    print_report(report, registry)
    if args.no_serve:
        return 0
    return serve_api(settings, day)
