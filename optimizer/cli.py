"""`yiju plan garbage|pest ...` and `yiju plan run-job PLAN_ID`."""

from __future__ import annotations

import argparse
import json
import sys

from core.argtypes import local_date, number_within, positive_int
from core.influx import InfluxClient
from core.localday import LocalDay, at_local, now_ms, parse_clock
from core.plans import PlanRecord, PlanState, PlanStore
from core.registry import load_registry
from core.settings import get_settings
from optimizer.distance import provider_from_config
from optimizer.errors import PlanningError
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import plan_day
from optimizer.planning.jobs import deliver, run_plan_job
from optimizer.planning.state import DistrictState, read_state
from optimizer.solver.params import MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S

# Seconds of search for `yiju plan` when neither --time-limit nor the settings say.
DEFAULT_TIME_LIMIT_S = 60.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("plan", help="plan the day's garbage-clearance or pest-control routes")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, text in (("garbage", "garbage-clearance routes"), ("pest", "pest-control routes")):
        p = kinds.add_parser(kind, help=f"plan {text} and store the plan")
        p.add_argument("--date", type=local_date, help="local date (default: today)")
        p.add_argument("--town", help="one town id (default: every town)")
        p.add_argument(
            "--time-limit",
            type=number_within(MIN_TIME_LIMIT_S, MAX_TIME_LIMIT_S, "s"),
            help="seconds of search (default: YIJU_PLAN_TIME_LIMIT_S, else 60)",
        )
        p.add_argument("--from", dest="from_clock", help="re-plan the rest of the day from HH:MM")
        p.add_argument(
            "--exclude", action="append", default=[], help="a vehicle to leave out (repeatable)"
        )
        p.add_argument(
            "--workers", type=positive_int, default=2, help="solver processes (default 2)"
        )
        p.add_argument(
            "--distance",
            choices=("greatcircle", "osrm", "valhalla"),
            help="distance provider (default: YIJU_DISTANCE_PROVIDER, else great-circle ×"
            " detour at --speed)",
        )
        p.add_argument("--distance-url", help="OSRM or Valhalla base URL (YIJU_DISTANCE_URL)")
        p.add_argument("--speed", type=float, default=22.0, help="urban km/h (default 22)")
        p.add_argument("--detour", type=float, default=1.3, help="detour factor (default 1.3)")
        p.add_argument("--no-state", action="store_true", help="plan without reading InfluxDB")
        p.add_argument(
            "--dispatch", action="store_true", help="publish each route to its dispatch topic"
        )
        p.add_argument("--json", action="store_true", help="print the whole plan as JSON")
        p.set_defaults(func=cmd_plan, plan_kind=kind)
    job = kinds.add_parser("run-job", help="run a plan queued in the plan store (used by the API)")
    job.add_argument("plan_id")
    job.add_argument("--no-dispatch", action="store_true")
    job.set_defaults(func=cmd_run_job)


def _summary(record: PlanRecord) -> str:
    k = record.kpis
    lines = [
        f"plan {record.plan_id} ({record.kind}, {record.date}, {record.town_id or 'all towns'}): "
        f"{record.state.value}",
        f"  routes {len(record.routes)}, served "
        f"{k.get('stops_served', 0):.0f}/{k.get('stops_total', 0):.0f}"
        f" ({k.get('coverage_pct', 0):.1f} %), distance {k.get('distance_km', 0):.1f} km,"
        f" solve {k.get('solve_s', 0):.1f} s",
    ]
    if record.kind == "garbage":
        lines.append(
            f"  load factor {k.get('load_factor', 0):.2f}, unloads {k.get('unloads', 0):.0f}"
        )
    if record.unserved:
        lines.append(f"  unserved {len(record.unserved)}:")
        lines += [
            f"    {u.stop_id:24} {u.reason.value:13} {u.detail}" for u in record.unserved[:50]
        ]
        if len(record.unserved) > 50:
            lines.append(f"    … and {len(record.unserved) - 50} more (see the plan JSON)")
        lines.append(
            f"  extra trucks needed: {record.extra_vehicles_needed}"
            if record.kind == "garbage"
            else f"  extra crew-hours needed: {record.extra_crew_hours_needed:.1f}"
        )
    if record.error:
        lines.append(f"  problems: {record.error}")
    return "\n".join(lines)


def cmd_plan(args: argparse.Namespace) -> int:
    settings = get_settings()
    path = settings.registry_file()
    if not path.exists():
        raise PlanningError(f"no district registry at {path}; run `yiju district generate`")
    registry = load_registry(path)
    # Checked before any state is read: a typo should not wait on InfluxDB first.
    if args.town is not None and args.town not in registry.town_by_id:
        raise PlanningError(
            f"argument --town: unknown town {args.town!r}; known: "
            + ", ".join(sorted(registry.town_by_id))
        )
    day = args.date or LocalDay.of(now_ms(), settings.tz).day
    local = LocalDay(day, settings.tz)
    from_ms = at_local(day, parse_clock(args.from_clock), settings.tz) if args.from_clock else None
    at = from_ms if from_ms is not None else min(now_ms(), local.end_ms - 1)
    config = PlanningConfig.for_rules(
        settings.rule_thresholds(),
        workers=args.workers,
        speed_kmh=args.speed,
        detour=args.detour,
    )
    try:
        provider = provider_from_config(
            args.distance or settings.distance_provider or "greatcircle",
            url=args.distance_url or settings.distance_url,
            detour=args.detour,
            speed_kmh=args.speed,
        )
    except ValueError as exc:
        raise PlanningError(str(exc)) from exc
    store = PlanStore(settings.data_dir)

    def plan_and_save(state: DistrictState) -> PlanRecord:
        record = plan_day(
            registry,
            state,
            day,
            args.plan_kind,
            args.town,
            time_limit_s=args.time_limit or settings.plan_time_limit_s or DEFAULT_TIME_LIMIT_S,
            from_ms=from_ms,
            excluded_vehicles=args.exclude,
            config=config,
            provider=provider,
        )
        store.save(record)
        return record

    if args.no_state:
        record = plan_and_save(DistrictState.empty(at))
        from optimizer.planning.publish import export_files

        export_files(settings, record)
    else:
        with InfluxClient.from_settings(settings) as influx:
            record = plan_and_save(read_state(influx, at, local.start_ms))
            problems = deliver(settings, record, influx, dispatch=args.dispatch)
        if problems:
            record.error = "; ".join(problems)
            store.save(record)
    if args.json:
        print(record.model_dump_json(indent=2))
    else:
        print(_summary(record))
        exports = settings.data_dir / "plans" / "exports"
        print(
            f"  files: {store.folder / (record.plan_id + '.json')}, "
            f"{exports / (record.plan_id + '.geojson')}, {exports / (record.plan_id + '.csv')}"
        )
    return 0 if not record.error else 1


def cmd_run_job(args: argparse.Namespace) -> int:
    settings = get_settings()
    record = run_plan_job(settings, args.plan_id, dispatch=not args.no_dispatch)
    print(_summary(record))
    if record.state is PlanState.FAILED:
        print(json.dumps({"plan_id": record.plan_id, "error": record.error}), file=sys.stderr)
        return 1
    return 0
