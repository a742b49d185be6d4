"""`yiju simulate`: run the district's devices, trucks and crews against the broker."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.localday import from_ms
from core.registry import load_registry
from core.settings import get_settings
from simulators.day import DaySummary, Progress, parse_start, run_day
from simulators.faults import Breakdown, FaultConfig

# One process publishes 25,000–40,000 msg/s; the whole district at --speed 600 needs
# ~30,000 on average, so large districts get two processes where there are cores for
# them. On two cores, one process and Mosquitto already use both: a second process
# only competes with the broker (measured slower there).
AUTO_WORKERS_DEVICES = 5_000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "simulate",
        help="simulate the district's sensors, cameras, trucks and crews in accelerated time",
    )
    parser.add_argument("--district", type=Path, help="registry file (default: the configured one)")
    parser.add_argument(
        "--start",
        default=None,
        help="local start date-time, e.g. 2026-07-15T00:00 (default: yesterday's local "
        "midnight, the most recent whole day)",
    )
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours (default 24)")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=600.0,
        help="times faster than wall time; 600 = a day in 2.4 min, 'max' = unpaced (default 600)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the same seed gives the same messages and truth log"
    )
    parser.add_argument(
        "--truth", type=Path, help="truth log path (default: <data_dir>/truth/<start>-<seed>.jsonl)"
    )
    parser.add_argument("--no-faults", action="store_true", help="a fault-free day")
    parser.add_argument(
        "--malformed-share", type=float, help="share of readings followed by a malformed message"
    )
    parser.add_argument("--silent-share", type=float, help="share of sensors that go silent once")
    parser.add_argument(
        "--breakdown",
        action="append",
        default=[],
        metavar="TRUCK@HH:MM",
        help="break a truck down at a local time of the start day (repeatable)",
    )
    parser.add_argument(
        "--device-share",
        type=float,
        default=0.02,
        help="share of devices on their own broker connection (default 0.02)",
    )
    parser.add_argument("--max-device-links", type=int, default=200)
    parser.add_argument(
        "--workers",
        default="auto",
        help="processes to split the towns over; 'auto' = 2 for districts of more than "
        f"{AUTO_WORKERS_DEVICES:,} devices on a machine with 4 or more cores, else 1",
    )
    parser.add_argument(
        "--no-dispatch", action="store_true", help="do not follow the dispatch topics"
    )
    parser.set_defaults(func=cmd_simulate)


def most_recent_whole_day(tz: str) -> str:
    """Yesterday's local midnight: a simulated day that ends before now, so that every
    message it publishes is in ingest's past (a device's clock may not run ahead)."""
    yesterday = datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)
    return f"{yesterday.isoformat()}T00:00"


def _workers(text: str, devices: int) -> int:
    if text == "auto":
        return 2 if devices > AUTO_WORKERS_DEVICES and (os.cpu_count() or 1) >= 4 else 1
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(f"yiju simulate: --workers {text!r} is not a positive number or 'auto'")
    return value


def _speed(text: str) -> float:
    if text in ("max", "0"):
        return 0.0
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("speed must be positive or 'max'")
    return value


def faults_from_args(args: argparse.Namespace, start_ms: int, tz: str) -> FaultConfig:
    base = FaultConfig.none() if args.no_faults else FaultConfig()
    changes: dict[str, object] = {}
    if args.malformed_share is not None:
        changes["malformed_share"] = args.malformed_share
    if args.silent_share is not None:
        changes["silent_share"] = args.silent_share
    day = from_ms(start_ms, tz).date().isoformat()
    breakdowns = []
    for spec in args.breakdown:
        truck, sep, clock = spec.partition("@")
        if not sep:
            raise SystemExit(f"yiju simulate: --breakdown {spec!r} is not TRUCK@HH:MM")
        breakdowns.append(Breakdown(truck, parse_start(f"{day}T{clock}", tz)))
    if breakdowns:
        changes["breakdowns"] = tuple(breakdowns)
    if not changes:
        return base
    return replace(base, **changes)  # type: ignore[arg-type]


def _show(progress: Progress) -> None:
    clock = from_ms(progress.sim_ms).strftime("%Y-%m-%d %H:%M")
    kinds = " ".join(f"{k} {v:,}" for k, v in sorted(progress.messages.items()))
    print(
        f"[{clock}] {progress.done:6.1%}  {kinds}  | {progress.published:,} sent, "
        f"{progress.rate:,.0f} msg/s",
        flush=True,
    )


def _report(summary: DaySummary) -> None:
    print()
    print(
        f"simulated {(summary.end_ms - summary.start_ms) / 3_600_000:.1f} h in "
        f"{summary.run_s:.1f} s: {summary.published:,} messages ({summary.rate:,.0f} msg/s), "
        f"{summary.acknowledged:,} acknowledged, {summary.rejected} refused by the broker"
    )
    print(
        f"links: {summary.gateway_links} town gateways, {summary.device_links} devices on their "
        f"own connection; {summary.workers} process(es); routes taken: {summary.routes_taken}"
    )
    print("messages: " + ", ".join(f"{k} {v:,}" for k, v in summary.messages.items()))
    print("faults:   " + (", ".join(f"{k} {v}" for k, v in summary.faults.items()) or "none"))
    print("truth:    " + (", ".join(f"{k} {v}" for k, v in summary.violations.items()) or "none"))
    if summary.truth_path:
        print(f"truth log: {summary.truth_path} ({summary.truth_lines} lines)")


def cmd_simulate(args: argparse.Namespace) -> int:
    settings = get_settings()
    path = args.district or settings.registry_file()
    registry = load_registry(path)
    tz = registry.district.tz
    start = args.start or most_recent_whole_day(tz)
    start_ms = parse_start(start, tz)
    truth = args.truth or (
        settings.data_dir / "truth" / f"{from_ms(start_ms, tz):%Y%m%dT%H%M}-seed{args.seed}.jsonl"
    )
    stop = threading.Event()
    # Ctrl-C ends the run at the next step: what was sent is acknowledged and the
    # truth log is written for the part that ran.
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        summary = run_day(
            settings,
            registry,
            start_ms,
            hours=args.hours,
            speed=args.speed,
            seed=args.seed,
            faults=faults_from_args(args, start_ms, tz),
            truth_path=truth,
            stop_event=stop,
            progress=_show,
            device_share=args.device_share,
            max_device_links=args.max_device_links,
            follow_dispatch=not args.no_dispatch,
            workers=_workers(args.workers, len(registry.devices)),
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    _report(summary)
    return 0 if summary.rejected == 0 else 1
