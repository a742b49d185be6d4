"""Faults with the real services on a stack of this module's own (so stopping
InfluxDB or Mosquitto disturbs no other test): nothing is lost, and nothing that
was received twice counts twice."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from core import credentials
from core.influx import InfluxClient, series_values
from core.registry import Registry, save_registry
from core.schema import ViolationKind, ViolationState
from core.settings import Settings
from ingest.alerts import parse_alert
from ingest.rules import ViolationEvent
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
    assert not feeder.is_alive(), "the publisher did not finish within 120 s"
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
    assert not feeder.is_alive(), "the publisher did not finish within 120 s"
    # Not asserted: a publish in flight while the broker was down may never be
    # acknowledged; the check below holds the accepted ones to account.
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


# The kill -9 stream: each bin goes through overflow episodes of its own phase, so
# that at any moment some points have an overflow open and more readings at or
# above the threshold to come (a restart that forgot it would open it again).
CYCLE = 40  # readings of a device per episode and pause
HIGH = 16  # readings at or above the overflow level (100-104), then below 95 (70-89)
OVERFLOW_PCT = 100.0
CLEAR_PCT = 95.0


def _overflow_fill(device_index: int, k: int) -> int:
    """The k-th fill of a device: from 104 to 70 is a drop under the manual clearance
    threshold, so only overflows come out of the rules."""
    in_episode = (k + 3 * device_index) % CYCLE < HIGH
    return 100 + k % 5 if in_episode else 70 + k % 20


def overflow_messages(
    prefix: str, devices: list[str], n: int, start_ms: int
) -> Iterator[tuple[str, bytes]]:
    """`n` bin readings, each with a distinct (device, ts), one a second per device."""
    for i in range(n):
        j, k = i % len(devices), i // len(devices)
        body = {"ts": start_ms + k * 1000, "fill_pct": _overflow_fill(j, k), "seq": i}
        yield f"{prefix}/telemetry/bin/{devices[j]}", json.dumps(body).encode()


class AlertWatcher:
    """Every alert the broker delivers, as the API's service account (which may read
    `{prefix}/alerts/#`); `barrier()` returns once all alerts the broker accepted
    before it was called have arrived."""

    def __init__(self, settings: Settings) -> None:
        self.prefix = settings.topic_prefix
        self.settings = settings
        self.payloads: list[bytes] = []
        self._marks: set[bytes] = set()
        self._lock = threading.Lock()
        subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"alerts-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(
            credentials.API, credentials.service_password(settings, credentials.API)
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.connect(settings.mqtt_host, settings.mqtt_port)
        self.client.loop_start()
        self.client.subscribe(f"{self.prefix}/alerts/#", qos=1)
        if not subscribed.wait(10):
            raise AssertionError("the alert watcher's subscription was not acknowledged in 10 s")

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            if msg.topic == f"{self.prefix}/alerts/test-barrier":
                self._marks.add(bytes(msg.payload))
            else:
                self.payloads.append(bytes(msg.payload))

    def barrier(self, timeout: float = 30.0) -> None:
        """Mosquitto delivers one subscription's messages in the order it accepted
        them, so a marker published now arrives after every earlier alert."""
        mark = uuid.uuid4().hex.encode()
        pub = Publisher(self.settings)
        pub.publish(f"{self.prefix}/alerts/test-barrier", mark)
        assert pub.wait_acked(1, timeout=timeout), "the broker did not accept the barrier marker"
        pub.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if mark in self._marks:
                    return
            time.sleep(0.05)
        raise AssertionError(f"the alert barrier did not come back within {timeout} s")

    def events(self) -> list[ViolationEvent]:
        with self._lock:
            return [parse_alert(p) for p in self.payloads]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


_WORKER_GONE = re.compile(
    r"\[w(\d+)\]: worker (\d+): the service is gone; exiting after receiving (\d+) messages"
)
_STOPPED = re.compile(
    r"ingest stopped: (?P<received>\d+) received \((?P<redelivered>\d+) redelivered\), "
    r"\d+ written, \d+ dead letters, violations (?P<opened>\d+) opened / "
    r"(?P<closed>\d+) closed, (?P<alerts>\d+) alerts published"
)


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (an exited one may linger as a zombie until
    whoever adopted it reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _stored_fills(admin: InfluxClient) -> dict[tuple[str, int], float]:
    rows = admin.query('SELECT "fill_pct" FROM "bin" GROUP BY "point_id"')
    return {(s["tags"]["point_id"], v[0]): v[1] for s in rows for v in s["values"]}


def _violation_events(admin: InfluxClient) -> set[ViolationEvent]:
    rows = series_values(
        admin.query('SELECT * FROM "violation" GROUP BY "kind", "subject", "community", "town"')
    )
    return {
        ViolationEvent(
            ViolationKind(r["kind"]),
            r["subject"],
            r["community"],
            r["town"],
            ViolationState(r["state"]),
            int(r["time"]),
            float(r["value"]),
            r["violation_id"],
        )
        for r in rows
    }


def _opened_twice(events: set[ViolationEvent]) -> list[str]:
    """Subjects whose stored overflow opens again while open: a second violation for
    one episode. Each subject's events must alternate open, closed, open, … from an
    opening, and each id be opened once, at the time it names."""
    problems = []
    by_subject: dict[str, list[ViolationEvent]] = {}
    for e in events:
        by_subject.setdefault(e.subject, []).append(e)
    for subject, evs in sorted(by_subject.items()):
        evs.sort(key=lambda e: e.ts_ms)
        states = [e.state for e in evs]
        expected = [
            ViolationState.OPEN if i % 2 == 0 else ViolationState.CLOSED for i in range(len(evs))
        ]
        if states != expected:
            problems.append(f"{subject}: {[(e.state.value, e.ts_ms) for e in evs]}")
            continue
        for opened, closed in zip(evs[::2], evs[1::2], strict=False):
            if opened.violation_id != f"bin_overflow:{subject}:{opened.ts_ms}":
                problems.append(f"{subject}: opened at {opened.ts_ms} as {opened.violation_id}")
            if closed.violation_id != opened.violation_id:
                problems.append(f"{subject}: {closed.violation_id} closes {opened.violation_id}")
    return problems


@pytest.mark.parametrize("fast_client", [True, False], ids=["fast", "stock"])
def test_kill_9_mid_stream_then_restart_stores_each_message_once(
    fault_stack: LocalStack,
    fault_db: tuple[Settings, InfluxClient],
    small_district: Registry,
    tmp_path: Path,
    fast_client: bool,
) -> None:
    """`yiju ingest --workers 2` killed with SIGKILL mid 100,000 messages that open
    and close overflows, and started again, on the fast client and on stock paho:

    - every message is in InfluxDB;
    - the broker delivered again what the killed ingest had received and not
      acknowledged: the killed workers' received count plus the restarted ingest's
      exceeds the messages sent, and the restarted ingest got messages with the
      MQTT DUP flag;
    - no violation is opened twice for one overflow, in InfluxDB or in the alerts;
      each alert comes once, and the restarted ingest emitted exactly the events
      that were not stored before the kill."""
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

    def wait_log(pattern: re.Pattern[str], count: int, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(pattern.findall(logs[-1].read_text())) >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"{what} within {timeout:.0f} s:\n{tails()}")

    n = 100_000
    devices = _devices(small_district)
    watcher = AlertWatcher(settings)
    proc = launch()
    try:
        # "ingest running" is printed once every worker has subscribed: messages
        # published before a group's first subscription reach no one.
        wait_log(re.compile("ingest running"), 1, "ingest did not subscribe")
        stock = logs[-1].read_text().count("consuming with stock paho")
        assert stock == (0 if fast_client else 2), f"each worker's client:\n{tails()}"
        pub = Publisher(settings)
        messages = overflow_messages(settings.topic_prefix, devices, n, T0)
        feeder = threading.Thread(target=pub.publish_all, args=(messages,), daemon=True)
        feeder.start()
        stored = wait_count(admin, "bin", "fill_pct", 15_000, timeout=120)
        assert stored >= 15_000, f"only {stored} readings stored in 120 s:\n{tails()}"
        opened = wait_count(admin, "violation", "state", 1, timeout=60)
        assert opened >= 1, f"no violation event stored before the kill:\n{tails()}"

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # The workers notice their parent is gone and exit with their counts; the
        # restarted ingest's workers must not share the broker sessions with them.
        wait_log(_WORKER_GONE, 2, "the killed ingest's workers did not exit")
        gone = _WORKER_GONE.findall(logs[-1].read_text())
        deadline = time.monotonic() + 30
        while any(_running(int(pid)) for pid, _, _ in gone) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(int(pid)) for pid, _, _ in gone), "old workers still running"
        received_before = sum(int(received) for _, _, received in gone)
        events_before = _violation_events(admin)

        proc = launch()
        feeder.join(timeout=300)
        assert not feeder.is_alive(), "the publisher did not finish within 300 s"
        assert pub.wait_acked(n, timeout=60), "the broker did not acknowledge every reading"
        pub.close()
        assert wait_count(admin, "bin", "fill_pct", n, timeout=180) == n, tails()
        # A clean stop writes what the restarted ingest still holds, publishes its
        # alerts and prints its counts.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0, f"the restarted ingest did not flush:\n{tails()}"
        stopped = _STOPPED.search(logs[-1].read_text())
        assert stopped is not None, f"no stop line:\n{tails()}"
        watcher.barrier()

        assert count(admin, "bin", "fill_pct") == n

        # (a) Redelivery happened. Only n distinct messages exist, so received counts
        # summing to more than n mean messages came to ingest twice; DUP marks the
        # copies the broker sent again after the kill.
        received_after = int(stopped["received"])
        assert received_before + received_after > n, (received_before, received_after)
        assert int(stopped["redelivered"]) > 0, stopped.group(0)

        # (b) No violation emitted twice for one reading, in InfluxDB ...
        events = _violation_events(admin)
        assert {e.kind for e in events} == {ViolationKind.BIN_OVERFLOW}
        assert {e.subject for e in events} == {p.id for p in small_district.collection_points}
        problems = _opened_twice(events)
        assert not problems, f"{len(problems)} subjects:\n" + "\n".join(problems[:10])
        # Every event is one of the subject's stored readings crossing the threshold.
        fills = _stored_fills(admin)
        unfounded = [
            (e, fills.get((e.subject, e.ts_ms)))
            for e in events
            if not (
                fills.get((e.subject, e.ts_ms), math.nan) >= OVERFLOW_PCT
                if e.state is ViolationState.OPEN
                else fills.get((e.subject, e.ts_ms), math.nan) < CLEAR_PCT
            )
        ]
        assert not unfounded, f"events without their reading: {unfounded[:5]}"
        # ... and in the alerts: each (violation, state) once, each a stored event.
        alerts = watcher.events()
        twice = [k for k, c in Counter((a.violation_id, a.state) for a in alerts).items() if c > 1]
        assert not twice, f"{len(twice)} alerts came more than once: {twice[:10]}"
        assert set(alerts) <= events, set(alerts) - events
        # The restarted ingest emitted, and alerted, exactly what was not stored before.
        emitted_after = int(stopped["opened"]) + int(stopped["closed"])
        assert emitted_after == int(stopped["alerts"]) == len(events - events_before)
        assert events - events_before <= set(alerts)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        watcher.close()
        for index in range(2):
            forget_session(settings, f"{group}-{index}")
