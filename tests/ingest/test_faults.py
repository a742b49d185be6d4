"""Faults with the real services on a stack of this module's own (so stopping
InfluxDB or Mosquitto disturbs no other test): nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.influx import InfluxClient
from core.registry import Registry, save_registry
from core.settings import Settings
from tests.conftest import running_stack, settings_on_free_ports
from tests.ingest.conftest import ServiceFactory, fresh_database, replaying
from tests.ingest.helpers import Publisher, bin_messages, count, forget_session, wait_count
from yiju.localservices import LocalStack

T0 = 1_767_225_600_000


@pytest.fixture(scope="module")
def fault_stack(
    tmp_path_factory: pytest.TempPathFactory, small_district: Registry
) -> Iterator[LocalStack]:
    settings = settings_on_free_ports(tmp_path_factory.mktemp("ingest-faults") / "var")
    with running_stack(settings, small_district) as stack:
        yield stack


@pytest.fixture
def fault_db(fault_stack: LocalStack) -> Iterator[tuple[Settings, InfluxClient]]:
    settings, admin = fresh_database(fault_stack)
    yield replaying(settings), admin
    if fault_stack.influxdb.ready():
        admin.drop_database()
    admin.close()


def _devices(registry: Registry) -> list[str]:
    return [p.sensor.device_id for p in registry.collection_points if p.sensor]


def _paced(pub: Publisher, messages: list[tuple[str, bytes]], per_s: float) -> threading.Thread:
    def run() -> None:
        began = time.monotonic()
        for i, (topic, payload) in enumerate(messages):
            pub.publish(topic, payload, key=i)
            if i % 100 == 99:
                ahead = began + (i + 1) / per_s - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _stored(admin: InfluxClient) -> set[tuple[str, int]]:
    rows = admin.query('SELECT "fill_pct" FROM "bin" GROUP BY "device_id"')
    return {(s["tags"]["device_id"], v[0]) for s in rows for v in s["values"]}


def test_influxdb_outage_of_30_s_loses_nothing(
    fault_stack: LocalStack,
    fault_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
) -> None:
    """InfluxDB stopped for 30 s mid-stream: ingest holds back (bounded), then writes it all."""
    settings, admin = fault_db
    service = start_ingest(settings, receive_maximum=4000)
    messages = list(bin_messages(settings.topic_prefix, _devices(small_district), 24_000, T0))
    pub = Publisher(settings)
    feeder = _paced(pub, messages, per_s=600)
    time.sleep(4)
    fault_stack.influxdb.stop()
    down_until = time.monotonic() + 30
    most_pending = 0
    while time.monotonic() < down_until:
        most_pending = max(most_pending, service.counters().pending)
        time.sleep(0.2)
    fault_stack.influxdb.start()
    feeder.join(timeout=120)
    assert pub.wait_acked(len(messages), timeout=60)
    pub.close()
    assert service.wait_idle(timeout=120)
    assert count(admin, "bin", "fill_pct") == len(messages)
    # Memory stays bounded: the broker holds what exceeds the receive maximum.
    assert 0 < most_pending <= 4000


def test_mosquitto_restart_keeps_every_accepted_message(
    fault_stack: LocalStack,
    fault_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
) -> None:
    """Mosquitto restarted mid-stream (persistence on): every accepted QoS 1 message is stored."""
    settings, admin = fault_db
    service = start_ingest(settings)
    messages = list(bin_messages(settings.topic_prefix, _devices(small_district), 15_000, T0))
    pub = Publisher(settings)
    feeder = _paced(pub, messages, per_s=1500)
    time.sleep(4)
    fault_stack.mosquitto.stop()
    time.sleep(1)
    fault_stack.mosquitto.start()
    feeder.join(timeout=120)
    pub.wait_acked(len(messages), timeout=60)
    pub.close()
    accepted = set(pub.acked)
    assert len(accepted) > len(messages) // 2
    assert service.wait_idle(timeout=120, quiet_s=2)
    stored = _stored(admin)
    nd = len(_devices(small_district))
    devices = _devices(small_district)
    missing = [k for k in accepted if (devices[k % nd], T0 + (k // nd) * 1000) not in stored]
    assert not missing, f"{len(missing)} accepted messages are not in InfluxDB"


@pytest.mark.parametrize("fast_client", [True, False], ids=["fast", "stock"])
def test_kill_9_mid_stream_then_restart_stores_each_message_once(
    fault_stack: LocalStack,
    fault_db: tuple[Settings, InfluxClient],
    small_district: Registry,
    tmp_path: Path,
    fast_client: bool,
) -> None:
    """`yiju ingest --workers 2` killed with SIGKILL mid 100,000 messages and started
    again: every message is in InfluxDB, none twice; on the fast client and on
    stock paho (the fallback where the installed paho does not support it)."""
    settings, admin = fault_db
    registry_path = tmp_path / "district.json"
    save_registry(small_district, registry_path)
    group = f"kill{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "YIJU_ENV": "test",
        "YIJU_DATA_DIR": str(settings.data_dir),
        "YIJU_MQTT_PORT": str(settings.mqtt_port),
        "YIJU_INFLUX_URL": settings.influx_url,
        "YIJU_INFLUX_DB": settings.influx_db,
        "YIJU_INGEST_LATE_WINDOW_S": str(settings.ingest_late_window_s),
        "YIJU_INGEST_FAST_CLIENT": str(fast_client).lower(),
    }
    argv = [sys.executable, "-m", "yiju", "ingest", "--workers", "2", "--group", group]
    argv += ["--registry", str(registry_path), "--stats-interval", "2"]

    logs: list[Path] = []

    def launch() -> subprocess.Popen[bytes]:
        logs.append(tmp_path / f"ingest-{len(logs)}.log")
        with logs[-1].open("wb") as out:
            return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def tails() -> str:
        return "\n".join(p.read_text()[-3000:] for p in logs)

    def wait_subscribed(timeout: float = 60.0) -> None:
        """Messages published before a group's first subscription reach no one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = logs[-1].read_text()
            if "ingest running" in text:  # printed once every worker has subscribed
                return
            time.sleep(0.2)
        raise AssertionError(f"ingest did not subscribe:\n{tails()}")

    n = 100_000
    proc = launch()
    try:
        wait_subscribed()
        stock = logs[-1].read_text().count("consuming with stock paho")
        assert stock == (0 if fast_client else 2), f"each worker's client:\n{tails()}"
        pub = Publisher(settings)
        messages = bin_messages(settings.topic_prefix, _devices(small_district), n, T0)
        feeder = threading.Thread(target=pub.publish_all, args=(messages,), daemon=True)
        feeder.start()
        assert wait_count(admin, "bin", "fill_pct", 15_000, timeout=120) >= 15_000
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_at = count(admin, "bin", "fill_pct")
        time.sleep(1.5)  # the workers notice their parent is gone and exit
        proc = launch()
        feeder.join(timeout=180)
        assert pub.wait_acked(n, timeout=60)
        pub.close()
        assert wait_count(admin, "bin", "fill_pct", n, timeout=180) == n, tails()
        time.sleep(2)  # redelivered copies, if any, would land now
        assert count(admin, "bin", "fill_pct") == n
        assert killed_at < n
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        for index in range(2):
            forget_session(settings, f"{group}-{index}")
