"""Benchmark of the API's two heavy questions on a month of district data.

Starts its own InfluxDB (and Mosquitto, for /health) on free ports, writes
`--days` days of bin, sewer, camera, clearance and pest-control data for a
district of `--scale`, serves the app with uvicorn on a free port and times,
over real HTTP:

- `GET /compliance?date=` for the whole district (a different day each time);
- `GET /communities/{id}/scorecard?from=&to=` over the whole range.

Reference runs in the same process: `GET /towns` (the HTTP, auth and JSON floor)
and one bare InfluxQL query (`count(fill_pct)` of a day), printed as ratios.

    .venv/bin/python bench/api.py [--scale 0.1] [--days 30] [--requests 40]
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder is first on sys.path and its name would hide
# the `api` package; drop that entry before importing the package.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p != _HERE]

import argparse
import logging
import random
import statistics
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import uvicorn
from fastapi import FastAPI

from api.auth import ApiKey, KeyRing, Role
from api.main import create_app
from api.services.compliance_cache import ComplianceCache
from core.influx import InfluxClient
from core.localday import MS_PER_DAY, day_start_ms, local_date, now_ms
from core.registry import Registry
from core.settings import Settings
from simulators.district import generate_district
from yiju.localservices import LocalStack, free_port

log = logging.getLogger("yiju.bench")
KEY = "bench-office-key"
TARGET_P95_MS = 300.0


def tags(**values: str) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(values.items()))


def day_lines(registry: Registry, day: date, rng: random.Random) -> Iterator[str]:
    """One local day of what ingest would write for the district."""
    tz = registry.district.tz
    start = day_start_ms(day, tz)
    town = registry.town_of
    for p in registry.collection_points:
        c = p.community_id
        cleared_at = start + rng.randint(5 * 60, 11 * 60) * 60_000
        if rng.random() > 0.01:  # 1 % of points are missed on a day
            head = f"clearance,{tags(point_id=p.id, community=c, town=town(c), vehicle_id='trk')}"
            yield f"{head} fill_before_pct=70.0 {cleared_at}"
        if p.sensor is None:
            continue
        head = f"bin,{tags(device_id=p.sensor.device_id, point_id=p.id, community=c, town=town(c))}"
        step = p.sensor.interval_s * 1000
        overflow = rng.random() < 0.02
        for t in range(start, start + MS_PER_DAY, step):
            hours = (t - cleared_at) / 3_600_000 % 24
            fill = 10.0 + hours * 3.5
            if overflow and 18 <= hours < 20:
                fill = 104.0
            yield f"{head} fill_pct={fill:.1f},battery_pct=88.0 {t}"
        if overflow:  # what ingest's rule writes for it
            opened = cleared_at + 18 * 3_600_000
            vid = f"bin_overflow:{p.id}:{opened}"
            head = f"violation,{tags(kind='bin_overflow', subject=p.id, community=c, town=town(c))}"
            yield f'{head} state="open",value=104.0,violation_id="{vid}" {opened}'
            yield f'{head} state="closed",value=90.0,violation_id="{vid}" {opened + 7_200_000}'
    for o in registry.sewage_outlets:
        if o.sensor is None:
            continue
        c = o.community_id
        head = (
            f"sewer,{tags(device_id=o.sensor.device_id, outlet_id=o.id, community=c, town=town(c))}"
        )
        burst = start + rng.randint(0, 287) * 300_000 if rng.random() < 0.05 else -1
        for t in range(start, start + MS_PER_DAY, o.sensor.interval_s * 1000):
            level = o.overflow_level_cm + 2 if 0 <= t - burst < 1_800_000 else o.normal_level_cm
            yield f"{head} level_cm={level:.1f},overflow_level_cm={o.overflow_level_cm} {t}"
        if burst >= 0:
            vid = f"sewer_overflow:{o.id}:{burst}"
            head = (
                f"violation,{tags(kind='sewer_overflow', subject=o.id, community=c, town=town(c))}"
            )
            yield f'{head} state="open",value=2.0,violation_id="{vid}" {burst}'
            yield f'{head} state="closed",value=-5.0,violation_id="{vid}" {burst + 1_800_000}'
    for cam in registry.cameras:
        c = cam.community_id
        head = f"camera,{tags(device_id=cam.id, community=c, town=town(c))}"
        down_from = start + rng.randint(0, 23) * 3_600_000 if rng.random() < 0.01 else -1
        for t in range(start, start + MS_PER_DAY, cam.heartbeat_s * 1000):
            online = 0 if 0 <= down_from <= t < down_from + 4 * 3_600_000 else 1
            yield f"{head} online={online}i,recording={online}i {t}"
    for s in registry.pest_sites:
        if (day.toordinal() + zlib.crc32(s.id.encode())) % 7 == 0:
            c = s.community_id
            head = f"pest_visit,{tags(site_id=s.id, community=c, town=town(c), crew_id='crew')}"
            yield f"{head} duration_min=90i {start + 10 * 3_600_000}"


def load(
    influx: InfluxClient, credentials: tuple[str, str], registry: Registry, days: list[date]
) -> int:
    """Write the days with two writers in parallel to generation; returns the points."""
    rng = random.Random(42)
    local = threading.local()

    def client() -> InfluxClient:
        if not hasattr(local, "client"):
            local.client = InfluxClient(
                influx.url,
                influx.database,
                user=credentials[0],
                password=credentials[1],
                timeout_s=120,
            )
        return local.client

    def write(batch: list[str]) -> int:
        return client().write_lines(batch, batch_size=10_000)

    total = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n, day in enumerate(days, start=1):
            batch: list[str] = []
            futures = []
            for text in day_lines(registry, day, rng):
                batch.append(text)
                if len(batch) >= 50_000:
                    futures.append(pool.submit(write, batch))
                    batch = []
            if batch:
                futures.append(pool.submit(write, batch))
            total += sum(f.result() for f in futures)
            rate = total / (time.perf_counter() - started)
            log.info(
                "day %d/%d (%s) written: %d points so far, %.0f points/s",
                n,
                len(days),
                day,
                total,
                rate,
            )
    return total


def timed(call: Callable[[], httpx.Response], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = call()
        out.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{resp.request.url} answered {resp.status_code}: {resp.text[:300]}")
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def serve(app: object, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per question")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    registry = generate_district(scale=args.scale, seed=1)
    counts = registry.counts()
    tz = registry.district.tz
    last = local_date(now_ms(), tz) - timedelta(days=1)
    days = [last - timedelta(days=i) for i in range(args.days - 1, -1, -1)]
    with tempfile.TemporaryDirectory(prefix="yiju-bench-api-") as tmp:
        settings = Settings(
            env="test",
            data_dir=Path(tmp) / "var",
            mqtt_port=free_port(),
            influx_url=f"http://127.0.0.1:{free_port()}",
        ).with_dev_secrets()
        stack = LocalStack(settings, registry, influx_rpc_port=free_port())
        stack.up()
        try:
            credentials = (
                settings.influx_admin_user,
                settings.secret("influx_admin_password"),
            )
            influx = InfluxClient(
                settings.influx_url,
                "yiju_bench",
                user=credentials[0],
                password=credentials[1],
                timeout_s=60,
            )
            influx.create_database()
            log.info(
                "scale %.2f: %d communities, %d collection points, %d outlets, %d cameras; %d days",
                args.scale,
                counts["communities"],
                counts["collection_points"],
                counts["sewage_outlets"],
                counts["cameras"],
                len(days),
            )
            t0 = time.perf_counter()
            points = load(influx, credentials, registry, days)
            load_s = time.perf_counter() - t0
            app = create_app(
                settings,
                registry,
                influx=influx,
                keys=KeyRing([ApiKey.from_secret("bench", Role.OFFICE, KEY)]),
                cache_s=0,  # cold figures first; report() turns the cache on after
            )
            port = free_port()
            server = serve(app, port)
            try:
                report(app, registry, influx, port, days, args.requests, points, load_s)
            finally:
                server.should_exit = True
        finally:
            stack.down()
    return 0


def report(
    app: FastAPI,
    registry: Registry,
    influx: InfluxClient,
    port: int,
    days: list[date],
    runs: int,
    points: int,
    load_s: float,
) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    base = f"http://127.0.0.1:{port}/api/v1"
    communities = [c.id for c in registry.communities]
    tz = registry.district.tz
    span = {"from": days[0].isoformat(), "to": days[-1].isoformat()}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:

        def questions() -> tuple[list[float], list[float]]:
            day_cycle = iter(days * (runs // len(days) + 1))
            compliance = timed(
                lambda: http.get("/compliance", params={"date": next(day_cycle).isoformat()}),
                runs,
            )
            community_cycle = iter(communities * (runs // len(communities) + 1))
            scorecard = timed(
                lambda: http.get(f"/communities/{next(community_cycle)}/scorecard", params=span),
                runs,
            )
            return compliance, scorecard

        # Warm-up without the cache: the first queries read the shards from disk.
        for day in days:
            http.get("/compliance", params={"date": day.isoformat()})
        compliance, scorecard = questions()
        month = days[-1].strftime("%Y-%m")
        monthly = timed(lambda: http.get("/compliance/monthly", params={"month": month}), 3)
        # The same again with answers for past days cached (as served by default).
        app.state.compliance_cache = ComplianceCache(ttl_s=300)
        questions()
        cached_compliance, cached_scorecard = questions()
        towns = timed(lambda: http.get("/towns"), runs)
        one = http.get("/compliance", params={"date": days[-1].isoformat()}).json()
    start = day_start_ms(days[-1], tz)
    query = (
        f"SELECT count(fill_pct) FROM bin WHERE time >= {start}ms AND time < {start + MS_PER_DAY}ms"
    )
    bare: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        influx.query(query)
        bare.append((time.perf_counter() - t0) * 1000)

    def row(name: str, values: list[float]) -> str:
        return f"{name:48} median {statistics.median(values):7.1f} ms   p95 {p95(values):7.1f} ms"

    rate = points / load_s
    print(
        f"\ndata: {points:,} points over {len(days)} days written in {load_s:.0f} s ({rate:,.0f}/s)"
    )
    print(
        f"district: {len(communities)} communities; meeting the standard on {days[-1]}: "
        f"{sum(c['meets_standard'] for c in one['communities'])}"
    )
    print(f"timed requests per question: {runs} (shared 2-core machine)")
    print(row("GET /compliance?date= (whole district)", compliance))
    print(row(f"GET /communities/{{id}}/scorecard ({len(days)} days)", scorecard))
    print(row(f"GET /compliance/monthly?month={month} (3 runs)", monthly))
    print(row("  the same, cached: /compliance", cached_compliance))
    print(row("  the same, cached: scorecard", cached_scorecard))
    print(row("reference: GET /towns", towns))
    print(row("reference: one bare InfluxQL count of a day", bare))
    for name, values in (("compliance", compliance), ("scorecard", scorecard)):
        ok = "meets" if p95(values) <= TARGET_P95_MS else "MISSES"
        median = statistics.median(values)
        print(
            f"{name}: p95 {p95(values):.1f} ms {ok} the {TARGET_P95_MS:.0f} ms target; "
            f"median ratio to GET /towns {median / statistics.median(towns):.1f}x, "
            f"to the bare query {median / statistics.median(bare):.1f}x"
        )


if __name__ == "__main__":
    raise SystemExit(main())
