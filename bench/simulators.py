"""Benchmark: how fast the simulators publish a district to a local Mosquitto.

Starts its own Mosquitto (accounts for every device of the generated district),
then publishes

1. a reference: paho-mqtt publishing pre-built readings at QoS 1 with a window
   of 500 unacknowledged messages (the naive way);
2. the simulator: `run_day` for the district, unpaced, default faults, QoS 1,
   through the town gateways and the sampled device connections, in one process
   and split over two (`workers=2`, what `yiju simulate` does for the district);

and prints the rates as `N msg/s` and their ratio to the reference. The acceptance asks for at
least 20,000 msg/s from the simulator on a 2-core machine.

    .venv/bin/python bench/simulators.py [--scale 1.0] [--hours 2]
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder is first on sys.path and its name would hide
# the `simulators` package; drop that entry before importing the package.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

import argparse
import logging
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

from core import credentials
from core.settings import Settings
from simulators.day import run_day
from simulators.district import generate_district
from yiju.localservices import free_port
from yiju.localservices.mosquitto import MosquittoService

REFERENCE_MESSAGES = 40_000


def paho_reference(settings: Settings, count: int) -> float:
    """msg/s of paho publishing `count` readings at QoS 1, at most 500 unacknowledged."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="bench-paho", protocol=mqtt.MQTTv5
    )
    account = credentials.SIMULATOR
    client.username_pw_set(account, credentials.service_password(settings, account))
    window = threading.BoundedSemaphore(500)
    client.on_publish = lambda *_: window.release()
    client.connect(settings.mqtt_host, settings.mqtt_port)
    client.loop_start()
    payloads = [
        f'{{"ts":{1_784_044_800_000 + i},"fill_pct":{i % 100}.5,"temp_c":29.1,'
        f'"battery_pct":88.2,"seq":{i}}}'.encode()
        for i in range(count)
    ]
    started = time.perf_counter()
    for i, payload in enumerate(payloads):
        window.acquire()
        client.publish(f"{settings.topic_prefix}/telemetry/bin/bench-{i % 1000}", payload, qos=1)
    for _ in range(500):
        window.acquire()
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    registry = generate_district(scale=args.scale, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="yiju-bench-") as tmp:
        # District-scoped gateways: the town-scoped ACL (one line per device)
        # costs the broker a scan per publish, far too slow at these rates.
        settings = Settings(
            env="test",
            data_dir=Path(tmp) / "var",
            mqtt_port=free_port(),
            mqtt_gateway_scope="district",
        ).with_dev_secrets()
        broker = MosquittoService(settings, registry)
        broker.start()
        try:
            reference = paho_reference(settings, REFERENCE_MESSAGES)
            print(f"reference (paho-mqtt, QoS 1, window 500): {reference:.0f} msg/s")
            results = {}
            for workers in (1, 2):
                results[workers] = run_day(
                    settings,
                    registry,
                    "2026-07-15T06:00",
                    hours=args.hours,
                    speed=0,
                    seed=args.seed,
                    truth_path=Path(tmp) / f"truth-{workers}.jsonl",
                    follow_dispatch=False,
                    workers=workers,
                )
        finally:
            broker.stop()
    for workers, summary in results.items():
        print(
            f"simulator, {workers} process(es) (scale {args.scale}, {args.hours:g} simulated h, "
            f"{summary.published} messages, {summary.gateway_links} gateways + "
            f"{summary.device_links} device links, QoS 1): {summary.rate:.0f} msg/s"
        )
        print(f"  ratio to the paho reference: {summary.rate / reference:.1f}x")
        setup = summary.wall_s - summary.run_s
        print(f"  (start-up, connecting and the truth log took another {setup:.1f} s)")
        day_s = summary.run_s * 24 / args.hours
        print(f"  a whole day at this scale: {day_s:.0f} s unpaced (speed 600 allows 144 s)")


if __name__ == "__main__":
    main()
