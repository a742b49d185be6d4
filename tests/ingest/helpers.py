"""Test helpers: a windowed QoS 1 publisher and InfluxDB counting."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt

from core import credentials
from core.influx import InfluxClient
from core.settings import Settings

# A publisher whose window of unacknowledged messages stays full this long fails
# instead of hanging the run (the broker is down or refuses the account).
ACK_TIMEOUT_S = 120


class Publisher:
    """QoS 1 publisher as the simulator account with at most `window` unacknowledged
    publishes (paho stalls with hundreds of thousands queued); records which
    publishes the broker acknowledged."""

    def __init__(self, settings: Settings, window: int = 200, user: str = credentials.SIMULATOR):
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        password = (
            credentials.service_password(settings, user)
            if user in credentials.SERVICE_ACCOUNTS
            else credentials.device_password(settings, user)
        )
        self.client.username_pw_set(user, password)
        self.client.max_inflight_messages_set(window)
        self.client.max_queued_messages_set(0)
        self.window = threading.Semaphore(window)
        self.acked: set[int] = set()
        self.sent: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._early: set[int] = set()
        self.client.on_publish = self._on_publish
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect(settings.mqtt_host, settings.mqtt_port)
        self.client.loop_start()

    def _on_publish(self, _c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with self._lock:
            key = self.sent.pop(mid, None)
            if key is None:
                self._early.add(mid)  # acknowledged before publish() returned
            else:
                self.acked.add(key)
        self.window.release()

    def publish(self, topic: str, payload: bytes | str, key: Any = None) -> None:
        if not self.window.acquire(timeout=ACK_TIMEOUT_S):
            raise TimeoutError(
                f"no PUBACK from Mosquitto at {self.client.host}:{self.client.port} for "
                f"{ACK_TIMEOUT_S} s with {len(self.sent)} messages in flight: is the broker up?"
            )
        # Not under self._lock: paho may run on_publish while publish() runs.
        info = self.client.publish(topic, payload, qos=1)
        key = key if key is not None else info.mid
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                self.acked.add(key)
            else:
                self.sent[info.mid] = key

    def publish_all(self, messages: Iterable[tuple[str, bytes | str]]) -> int:
        n = 0
        for topic, payload in messages:
            self.publish(topic, payload, key=n)
            n += 1
        return n

    def wait_acked(self, n: int, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.acked) >= n:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def bin_messages(
    prefix: str, devices: list[str], n: int, start_ms: int, step_ms: int = 1000
) -> Iterable[tuple[str, bytes]]:
    """`n` valid bin readings, each with a distinct (device, ts); fill stays low."""
    for i in range(n):
        device = devices[i % len(devices)]
        ts = start_ms + (i // len(devices)) * step_ms
        body = {"ts": ts, "fill_pct": 10 + (i % 50), "seq": i}
        yield f"{prefix}/telemetry/bin/{device}", json.dumps(body).encode()


def count(client: InfluxClient, measurement: str, field: str) -> int:
    series = client.query(f'SELECT count("{field}") FROM "{measurement}"')
    return int(series[0]["values"][0][1]) if series else 0


def wait_count(
    client: InfluxClient, measurement: str, field: str, expected: int, timeout: float = 60.0
) -> int:
    deadline = time.monotonic() + timeout
    got = 0
    while time.monotonic() < deadline:
        got = count(client, measurement, field)
        if got >= expected:
            return got
        time.sleep(0.3)
    return got


def forget_session(settings: Settings, client_id: str) -> None:
    """End a persistent session left at the broker (connect clean, expiry 0)."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.username_pw_set(
        credentials.INGEST, credentials.service_password(settings, credentials.INGEST)
    )
    client.connect(settings.mqtt_host, settings.mqtt_port, clean_start=True)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
