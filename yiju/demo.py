"""`yiju demo`: the district day end to end, on local Mosquitto and InfluxDB.

Today it sets up: starts the local services, generates the Nanhai reference
district, gives every device a broker account and prints the district summary.
"""

from __future__ import annotations

import argparse
import logging
import time

from core.registry import Registry, load_registry, save_registry
from core.settings import Settings, get_settings
from simulators.district import generate_district
from yiju.district_cli import summary_table
from yiju.localservices import LocalStack
from yiju.paths import default_registry_path

log = logging.getLogger("yiju.demo")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="run the district demo end to end")
    parser.add_argument(
        "--scale", type=float, default=0.1, help="district scale (1.0 = all of Nanhai); default 0.1"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.set_defaults(func=cmd_demo)


def prepare_district(settings: Settings, scale: float, seed: int) -> Registry:
    """The demo's district file, regenerated when scale or seed changed."""
    path = default_registry_path(settings)
    if path.exists():
        existing = load_registry(path)
        gen = existing.district.generator
        if gen.get("scale") == scale and gen.get("seed") == seed:
            log.info("using the district in %s (scale %s, seed %s)", path, scale, seed)
            return existing
    registry = generate_district(scale=scale, seed=seed)
    save_registry(registry, path)
    log.info("generated the district (scale %s, seed %s) into %s", scale, seed, path)
    return registry


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = get_settings()
    registry = prepare_district(settings, args.scale, args.seed)
    stack = LocalStack(settings, registry)
    log.info("starting Mosquitto and InfluxDB under %s", settings.data_dir)
    stack.up()
    counts = registry.counts()
    print()
    print(f"yiju demo — {registry.district.name}, scale {args.scale}")
    print(summary_table(registry))
    print()
    print(
        f"devices with broker accounts: {len(registry.devices)} "
        f"({counts['fill_sensors']} fill sensors, {counts['level_sensors']} sewer sensors, "
        f"{counts['cameras']} cameras, {counts['trucks']} trucks, "
        f"{counts['pest_crews']} pest-control crews)"
    )
    for state in stack.status():
        print(f"{state.name:10} {'up' if state.answers else 'DOWN':5} {state.address}")
    print(
        f"ready in {time.perf_counter() - started:.1f} s; stop the services with "
        "`.venv/bin/yiju services down`"
    )
    return 0
