"""Benchmark: a full refresh of each board on a month of whole-district data.

Starts its own InfluxDB on free ports, writes `--days` days of violation events and
clearances plus today's bin, sewer and camera readings and routes for a district of
`--scale` (1.0 = Nanhai: ~290 communities, ~12,000 collection points, ~10,000
cameras), seeds the community facts, then times what a wall display costs InfluxDB:
every variable and panel query of a board as Grafana sends them
(`dashboards.probe`), and the three alert rules.

Reference, in the same process: one `SHOW MEASUREMENTS` round trip (the HTTP and
InfluxQL floor); the figures are printed as ratios to it.

    .venv/bin/python bench/dashboards.py [--scale 1.0] [--days 30] [--runs 5]
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder is first on sys.path and its name would hide
# the `dashboards` package; drop that entry before importing the package.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p != _HERE]

import argparse
import json
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import day_start_ms, local_date, now_ms
from core.registry import Registry
from core.settings import Settings
from dashboards import build
from dashboards.interpolate import TimeRange
from dashboards.probe import evaluate_rules, probe_board
from dashboards.seed import seed
from simulators.district import generate_district
from yiju.localservices import LocalStack, free_port

log = logging.getLogger("yiju.bench")
DAY = 86_400_000
HOUR = 3_600_000


def violations(registry: Registry, start: int, days: int, rng: random.Random) -> Iterator[str]:
    """Overflows, sewer overflows and camera outages that open and close, some left open."""
    subjects = (
        [
            (schema.ViolationKind.BIN_OVERFLOW, p.id, p.community_id, 0.03)
            for p in registry.collection_points
        ]
        + [
            (schema.ViolationKind.SEWER_OVERFLOW, o.id, o.community_id, 0.01)
            for o in registry.sewage_outlets
        ]
        + [
            (schema.ViolationKind.CAMERA_OFFLINE, c.id, c.community_id, 0.05)
            for c in registry.cameras
        ]
    )
    for d in range(days):
        for kind, subject, community, share in subjects:
            if rng.random() >= share:
                continue
            tags = {
                "kind": kind.value,
                "community": community,
                "town": registry.town_of(community),
                "subject": subject,
            }
            opened = start + d * DAY + rng.randrange(DAY - 2 * HOUR)
            vid = f"{subject}-{d}"
            yield line(
                schema.VIOLATION.name,
                tags,
                {"state": "open", "value": 1.0, "violation_id": vid},
                opened,
            )
            if d < days - 1 or rng.random() < 0.7:
                yield line(
                    schema.VIOLATION.name,
                    tags,
                    {"state": "closed", "value": 0.0, "violation_id": vid},
                    opened + HOUR,
                )


def clearances(
    registry: Registry, start: int, days: int, now: int, rng: random.Random
) -> Iterator[str]:
    for d in range(days):
        for p in registry.collection_points:
            at = start + d * DAY + rng.randrange(5 * HOUR, 20 * HOUR)
            if at > now:
                continue
            tags = {
                "point_id": p.id,
                "community": p.community_id,
                "town": registry.town_of(p.community_id),
                "vehicle_id": f"trk-{p.community_id[:2]}-01",
            }
            yield line(schema.CLEARANCE.name, tags, {"fill_before_pct": 70.0}, at)


def readings_today(
    registry: Registry, day_start: int, now: int, rng: random.Random
) -> Iterator[str]:
    for p in registry.collection_points:
        tags = {
            "device_id": f"bin-{p.id}",
            "point_id": p.id,
            "community": p.community_id,
            "town": registry.town_of(p.community_id),
        }
        for at in range(day_start, now, HOUR):
            yield line(schema.BIN.name, tags, {"fill_pct": rng.uniform(0, 110)}, at)
    for o in registry.sewage_outlets:
        tags = {
            "device_id": f"lvl-{o.id}",
            "outlet_id": o.id,
            "community": o.community_id,
            "town": registry.town_of(o.community_id),
        }
        for at in range(day_start, now, 15 * 60_000):
            fields = {"level_cm": rng.uniform(10, 90), "overflow_level_cm": o.overflow_level_cm}
            yield line(schema.SEWER.name, tags, fields, at)
    for c in registry.cameras:
        tags = {
            "device_id": c.id,
            "community": c.community_id,
            "town": registry.town_of(c.community_id),
        }
        for at in range(day_start, now, HOUR):
            yield line(schema.CAMERA.name, tags, {"online": int(rng.random() > 0.02)}, at)


def routes_today(registry: Registry, day_start: int) -> Iterator[str]:
    points = registry.collection_points
    per_truck = max(1, len(points) // max(1, len(registry.trucks)))
    for i, truck in enumerate(registry.trucks):
        for seq, p in enumerate(points[i * per_truck : (i + 1) * per_truck], start=1):
            eta = day_start + 5 * HOUR + seq * 6 * 60_000
            tags = {
                "plan_id": "garbage-today",
                "route_id": f"{truck.id}-r1",
                "vehicle_id": truck.id,
                "plan_kind": "garbage",
                "town": truck.town_id,
            }
            fields = {
                "seq": seq,
                "stop_id": p.id,
                "eta_ms": eta,
                "lat": p.lat,
                "lon": p.lon,
                "load_kg": 50.0 * seq,
                "stop_kind": "point",
            }
            yield line(schema.ROUTE_STOP.name, tags, fields, eta)


def timed(call: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("yiju.dashboards").setLevel(logging.WARNING)

    rng = random.Random(1)
    registry = generate_district(scale=args.scale, seed=1)
    now = now_ms()
    today = day_start_ms(local_date(now, registry.district.tz), registry.district.tz)
    start = today - (args.days - 1) * DAY
    with tempfile.TemporaryDirectory(prefix="yiju-bench-dashboards-") as tmp:
        settings = Settings(
            env="test",
            data_dir=Path(tmp) / "var",
            mqtt_port=free_port(),
            influx_url=f"http://127.0.0.1:{free_port()}",
        ).with_dev_secrets()
        stack = LocalStack(settings, registry, influx_rpc_port=free_port())
        stack.up()
        try:
            influx = InfluxClient(
                settings.influx_url,
                "yiju_bench",
                user=settings.influx_admin_user,
                password=settings.secret("influx_admin_password"),
                timeout_s=120,
            )
            influx.create_database()
            t0 = time.perf_counter()
            written = influx.write_lines(violations(registry, start, args.days, rng))
            written += influx.write_lines(clearances(registry, start, args.days, now, rng))
            written += influx.write_lines(readings_today(registry, today, now, rng))
            written += influx.write_lines(routes_today(registry, today))
            seed(influx, registry, now - HOUR)
            log.info("wrote %d points in %.1f s", written, time.perf_counter() - t0)
            report(influx, registry, now, args.runs, written)
        finally:
            stack.down()
    return 0


def report(influx: InfluxClient, registry: Registry, now: int, runs: int, written: int) -> None:
    boards = {
        name: json.loads((build.ROOT / build.BUILT / f"{name}.json").read_text())
        for name in build.BOARDS
    }
    alerting = yaml.safe_load(
        (build.ROOT / build.PROVISIONING / "alerting" / "yiju.yaml").read_text()
    )
    today = TimeRange.parse("now/d", "now", now)
    whole_day = TimeRange.parse("now/d", "now/d", now)
    community = registry.communities[0]
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("district wall, all towns", lambda: probe_board(influx, boards["district-wall"], today)),
        (
            "district wall, one town",
            lambda: probe_board(
                influx, boards["district-wall"], today, {"town": [community.town_id]}
            ),
        ),
        (
            "community board, one community",
            lambda: probe_board(
                influx,
                boards["community"],
                today,
                {"town": [community.town_id], "community": [community.id]},
            ),
        ),
        ("dispatch board, all towns", lambda: probe_board(influx, boards["dispatch"], whole_day)),
        ("alert rules (3)", lambda: evaluate_rules(influx, alerting)),
    ]
    reference = statistics.median(timed(lambda: influx.query("SHOW MEASUREMENTS"), 20))
    counts = registry.counts()
    print(
        f"district: {counts['communities']} communities, {counts['collection_points']} "
        f"collection points, {counts['cameras']} cameras; {written} points written"
    )
    print(f"reference SHOW MEASUREMENTS round trip: {reference:.1f} ms")
    for name, call in cases:
        call()  # warm the caches once, as a wall display that refreshes would
        times = timed(call, runs)
        median = statistics.median(times)
        print(
            f"{name:34} median {median:8.1f} ms  max {max(times):8.1f} ms  "
            f"ratio {median / reference:7.1f}x reference"
        )
    for name, board, tr in (
        ("district-wall", boards["district-wall"], today),
        ("dispatch", boards["dispatch"], whole_day),
    ):
        slowest = sorted(
            probe_board(influx, board, tr).panels.values(), key=lambda p: -p.elapsed_ms
        )[:3]
        print(
            f"slowest panels of {name}: "
            + "; ".join(f"{p.title} {p.elapsed_ms:.0f} ms" for p in slowest)
        )
    wall = probe_board(influx, boards["district-wall"], today)
    open_now = {r["kind"]: r["open"] for r in wall.panels["Open violations by kind"].rows()}
    print(f"open now by kind: {open_now}")
    print("(taken on a shared 2-core machine: indicative figures)")


if __name__ == "__main__":
    raise SystemExit(main())
