"""Ingest throughput: a bare `mosquitto_sub` against ingest, on the same stream.

Starts its own Mosquitto and InfluxDB on free ports (a scale-0.1 district),
then, for the same number of QoS 1 messages from fast publishers (several
`mosquitto_pub -l` processes, one device topic each):

1. reference: the rate at which `mosquitto_sub -q 1` receives the stream;
2. ingest: the rate at which the stream is in InfluxDB (publish start → last
   point stored), and how many messages are missing (`lost`);
3. ingest's own capacity: the rate at which it drains the stream queued in its
   session while it was stopped.

    .venv/bin/python bench/ingest.py [--messages 100000] [--workers 2] [--publishers 2]
                                     [--repeat 3]

The bare subscriber's rate swings widely from run to run here (19,000–50,000
msg/s in one process), so the reference and ingest are each run `--repeat`
times and compared by their medians; every run is printed, and `lost` is the
sum over ingest's runs.
"""

# ruff: noqa: E402  (sys.path is fixed before the imports, see below)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would
# hide the `ingest` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import logging
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid

from core import credentials
from core.influx import InfluxClient, series_values
from core.registry import Registry
from core.settings import Settings
from ingest.service import IngestService
from simulators.district import generate_district
from yiju.localservices import LocalStack, free_port

T0 = 1_767_225_600_000


def publish(settings: Settings, devices: list[str], n: int, publishers: int, base_ts: int) -> float:
    """Publish `n` readings at QoS 1 with `mosquitto_pub -l` (C, far faster than
    paho), each process on its own device's topic with at most 60,000 lines (it
    stops after 65,535 on one connection); returns the start time."""
    chunks = max(publishers, -(-n // 60_000))
    folder = Path(tempfile.mkdtemp(prefix="yiju-bench-pub-"))
    files = []
    for k in range(chunks):
        path = folder / f"chunk{k}.txt"
        path.write_text(
            "".join(
                f'{{"ts":{base_ts + i},"fill_pct":{i % 90}.0,"seq":{i}}}\n'
                for i in range(k, n, chunks)
            )
        )
        files.append(path)
    password = credentials.service_password(settings, credentials.SIMULATOR)
    started = time.perf_counter()
    procs = []
    for k, path in enumerate(files):
        with path.open("rb") as lines:
            procs.append(
                subprocess.Popen(
                    [
                        "mosquitto_pub",
                        *("-h", settings.mqtt_host, "-p", str(settings.mqtt_port)),
                        *("-u", credentials.SIMULATOR, "-P", password, "-q", "1"),
                        *("-t", f"{settings.topic_prefix}/telemetry/bin/{devices[k]}", "-l"),
                    ],
                    stdin=lines,
                )
            )
    for p in procs:
        p.wait()
    shutil.rmtree(folder, ignore_errors=True)
    return started


def reference_rate(settings: Settings, devices: list[str], n: int, publishers: int) -> float:
    sub = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            settings.mqtt_host,
            "-p",
            str(settings.mqtt_port),
            "-u",
            credentials.INGEST,
            "-P",
            credentials.service_password(settings, credentials.INGEST),
            "-q",
            "1",
            "-C",
            str(n),
            "-t",
            f"{settings.topic_prefix}/telemetry/#",
            "-i",
            f"bench-ref-{uuid.uuid4().hex[:6]}",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # subscribed before the first publish
    started = publish(settings, devices, n, publishers, T0)
    sub.wait(timeout=600)
    return n / (time.perf_counter() - started)


def count(client: InfluxClient) -> int:
    rows = series_values(client.query('SELECT count("fill_pct") FROM "bin"'))
    return int(rows[0]["count"]) if rows else 0


def ingest_rate(
    settings: Settings,
    registry: Registry,
    devices: list[str],
    n: int,
    publishers: int,
    workers: int,
) -> tuple[float, int]:
    settings, admin = fresh_database(settings, "e2e")
    service = IngestService(settings, registry, workers, group="bench", stats_interval_s=5)
    service.start()
    time.sleep(1.0 if workers > 1 else 0.2)
    result: dict[str, float] = {}

    def run_publishers() -> None:
        result["started"] = publish(settings, devices, n, publishers, T0 + 10**9)

    pub = threading.Thread(target=run_publishers)
    t_start = time.perf_counter()
    pub.start()
    got, last_change, done_at = 0, time.perf_counter(), time.perf_counter()
    while True:
        time.sleep(0.2)
        now = count(admin)
        if now != got:
            got, last_change, done_at = now, time.perf_counter(), time.perf_counter()
        if got >= n or (not pub.is_alive() and time.perf_counter() - last_change > 15):
            break
    pub.join()
    service.stop(forget_session=True)
    admin.drop_database()
    admin.close()
    return n / (done_at - result.get("started", t_start)), n - got


def fresh_database(settings: Settings, name: str) -> tuple[Settings, InfluxClient]:
    """Settings pointing at a new, empty database, and an admin client on it."""
    settings = settings.model_copy(update={"influx_db": f"{name}{uuid.uuid4().hex[:6]}"})
    admin = InfluxClient(
        settings.influx_url,
        settings.influx_db,
        user=settings.influx_admin_user,
        password=settings.secret("influx_admin_password"),
    )
    admin.create_database()
    admin.ensure_user(
        settings.influx_user,
        settings.secret("influx_password"),
        grant="ALL",
        database=settings.influx_db,
    )
    return settings, admin


def drain_rate(
    settings: Settings,
    registry: Registry,
    devices: list[str],
    n: int,
    publishers: int,
    workers: int,
) -> tuple[float, int]:
    """Ingest's own capacity: the stream is queued in its session first, then drained."""
    settings, admin = fresh_database(settings, "drain")
    opener = IngestService(settings, registry, workers, group="drain", stats_interval_s=0)
    opener.start()
    time.sleep(1.0 if workers > 1 else 0.3)
    opener.stop()  # the session stays, and the broker queues for it
    publish(settings, devices, n, publishers, T0 + 2 * 10**9)
    service = IngestService(settings, registry, workers, group="drain", stats_interval_s=0)
    service.start()
    # Timed from the first stored batch: worker processes take seconds to start.
    got = 0
    while got == 0:
        time.sleep(0.05)
        got = count(admin)
    started, first = time.perf_counter(), got
    done_at, last_change = started, started
    while got < n and time.perf_counter() - last_change < 15:
        time.sleep(0.2)
        now = count(admin)
        if now != got:
            got, done_at, last_change = now, time.perf_counter(), time.perf_counter()
    rate = (got - first) / max(done_at - started, 1e-9)
    service.stop(forget_session=True)
    admin.drop_database()
    admin.close()
    return rate, n - got


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the reference and of ingest (medians)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    folder = Path(tempfile.mkdtemp(prefix="yiju-bench-ingest-"))
    settings = Settings(
        env="test",
        data_dir=folder / "var",
        mqtt_port=free_port(),
        influx_url=f"http://127.0.0.1:{free_port()}",
        # The stream replays fixed January 2026 timestamps: no late window for it.
        ingest_late_window_s=100 * 365 * 86_400,
    ).with_dev_secrets()
    registry = generate_district(scale=args.scale, seed=1)
    stack = LocalStack(settings, registry, influx_rpc_port=free_port())
    stack.up()
    try:
        devices = [p.sensor.device_id for p in registry.collection_points if p.sensor]
        n = args.messages
        print(
            f"{n} QoS 1 messages, {args.publishers} publishers, {len(devices)} devices, "
            f"{args.workers} ingest worker(s); shared machine, figures vary"
        )
        refs = [reference_rate(settings, devices, n, args.publishers) for _ in range(args.repeat)]
        for r in refs:
            print(f"  mosquitto_sub run: {r:,.0f} msg/s")
        ref = statistics.median(refs)
        print(f"mosquitto_sub: {ref:,.0f} msg/s (median of {len(refs)})")
        runs = [
            ingest_rate(settings, registry, devices, n, args.publishers, args.workers)
            for _ in range(args.repeat)
        ]
        for r, lost_in_run in runs:
            print(f"  ingest end-to-end run: {r:,.0f} msg/s (lost: {lost_in_run})")
        rate = statistics.median(r for r, _ in runs)
        lost = sum(lost_in_run for _, lost_in_run in runs)
        slowest = min(r for r, _ in runs)
        print(
            f"ingest end-to-end: {rate:,.0f} msg/s (median of {len(runs)}, slowest {slowest:,.0f})"
        )
        print(f"lost: {lost}")
        print(f"ratio ingest/mosquitto_sub: {rate / ref:.2f}")
        drained, drain_lost = drain_rate(
            settings, registry, devices, n, args.publishers, args.workers
        )
        print(f"ingest draining a queued backlog: {drained:,.0f} msg/s (lost: {drain_lost})")
    finally:
        stack.down()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
