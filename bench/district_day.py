"""The scale run: one simulated day of the whole reference district, end to end.

    .venv/bin/python bench/district_day.py [--scale 1.0] [--workers 2] [--plan-time-limit 60]

Starts its own Mosquitto and InfluxDB (free ports, a temporary data folder),
generates the district, runs the day (morning plans, the simulated field with
the usual faults and one breakdown re-planned, ingest) and prints wall time,
message count and rate, loss, plan figures and peak memory. As the reference
run in the same process it first runs the same day at scale 0.02, so the ratio
between the two shows how the pipeline scales. Not part of the test suite.
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
import logging
import resource
import tempfile
import time
from datetime import date

from core.influx import InfluxClient, series_values
from core.localday import MS_PER_HOUR, LocalDay
from core.settings import Settings
from simulators.district import generate_district
from simulators.faults import Breakdown, FaultConfig
from yiju.district_day import DayOptions, DayReport, DistrictDay
from yiju.localservices import LocalStack, free_port

DAY = date(2026, 7, 15)


def run(scale: float, workers: int, plan_limit: float, folder: Path) -> tuple[DayReport, int]:
    registry = generate_district(scale=scale, seed=1)
    settings = Settings(
        env="test",
        data_dir=folder / f"scale-{scale}",
        mqtt_port=free_port(),
        influx_url=f"http://127.0.0.1:{free_port()}",
        # A day compressed into minutes publishes ~12,000 msg/s through the town
        # gateways; Mosquitto scans a gateway's per-device ACL lines for every
        # publish (~250 µs at 5,000 lines), fine for real traffic, not for this.
        mqtt_gateway_scope="district",
    ).with_dev_secrets()
    stack = LocalStack(settings, registry, influx_rpc_port=free_port())
    stack.up()
    try:
        town = max(registry.towns, key=lambda t: t.population)
        truck = next(t for t in registry.trucks if t.town_id == town.id)
        options = DayOptions(
            day=DAY,
            speed=0,
            seed=1,
            faults=FaultConfig(),
            plan_time_limit_s=plan_limit,
            breakdown=Breakdown(truck.id, LocalDay(DAY).start_ms + 8 * MS_PER_HOUR),
            ingest_workers=workers,
        )
        report = DistrictDay(settings, registry, options, progress=print).run()
        with InfluxClient.from_settings(settings) as influx:
            stored = sum(
                int(row["count"])
                for m, field in (("bin", "fill_pct"), ("sewer", "level_cm"), ("camera", "online"))
                for row in series_values(influx.query(f'SELECT count("{field}") FROM "{m}"'))
            )
        return report, stored
    finally:
        stack.down()


def describe(label: str, report: DayReport, stored: int) -> float:
    sim, ing = report.simulation, report.ingest
    lost = sim.acknowledged - (ing.written + ing.deadlettered)
    # End to end: from the first message published to the last one in InfluxDB.
    rate = sim.published / (report.phase_s["simulated days"] + report.phase_s["ingest catch-up"])
    print(
        f"{label}: wall {report.wall_s:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in report.phase_s.items())
        + ")"
    )
    print(
        f"{label}: messages published {sim.published:,}, acknowledged by the broker "
        f"{sim.acknowledged:,}, ingested {ing.written:,}, dead letters {ing.deadlettered:,}, "
        f"lost: {max(0, lost)}"
    )
    print(f"{label}: telemetry points stored {stored:,}")
    print(f"{label}: end-to-end rate {rate:,.0f} msg/s; peak memory {report.peak_rss_mb:,.0f} MB")
    for plan in (report.garbage_plan, report.pest_plan, *report.replans, *report.afternoon):
        k = plan.kpis
        print(
            f"{label}: plan {plan.kind} {plan.town_id or 'all'}: {len(plan.routes)} routes, "
            f"{int(k.get('stops_served', 0))} served, {len(plan.unserved)} unserved, "
            f"solved in {k.get('solve_s', 0):.0f} s"
        )
    print(
        f"{label}: daily clearance {report.figures.clearance['cleared'].sum()}/"
        f"{report.figures.clearance['points'].sum()}"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2, help="ingest worker processes")
    parser.add_argument("--plan-time-limit", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="yiju-bench-") as tmp:
        folder = Path(tmp)
        ref, ref_stored = run(0.02, args.workers, 10.0, folder)
        ref_rate = describe("reference (scale 0.02)", ref, ref_stored)
        began = time.monotonic()
        big, big_stored = run(args.scale, args.workers, args.plan_time_limit, folder)
        rate = describe(f"scale {args.scale}", big, big_stored)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"scale {args.scale}: whole run {time.monotonic() - began:.0f} s (target < 900 s); "
            f"rate ratio to reference {rate / max(1.0, ref_rate):.2f}"
        )
        print(
            f"peak memory: this process {own:,.0f} MB, largest child process "
            f"(ingest workers, planners, Mosquitto, InfluxDB) {children:,.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
