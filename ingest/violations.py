"""The rules' side of ingest: feeds the engine, writes its violation events and
derived points, and publishes each event as an alert once it is stored."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core import credentials
from core.contract import Message
from core.influx import TRANSIENT, InfluxClient, exhausted
from core.registry import Registry
from core.retry import ONCE, RetryPolicy, retry_call, set_paho_reconnect
from core.schema import ViolationState
from core.settings import Settings
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from core.topics import Topics
from ingest.alerts import alert_payload, violation_line
from ingest.engine import RestoredState, RuleEngine
from ingest.restore import load_state
from ingest.rules import ViolationEvent
from ingest.writer import Batch, BatchWriter

log = logging.getLogger("yiju.ingest")

# Ingest often starts together with InfluxDB: the restore waits for it, up to a
# deadline (`restore(wait_s=)`), then fails with the last error.
RESTORE_RETRY = RetryPolicy(attempts=None, initial_s=0.5, max_s=2.0, deadline_s=60.0)


class AlertPublisher:
    """Publishes alerts at QoS 1 as the ingest service account; paho keeps
    publishes made while disconnected and sends them after reconnecting."""

    def __init__(self, settings: Settings, client_id: str) -> None:
        self.topics = Topics(settings.topic_prefix)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(
            credentials.INGEST, credentials.service_password(settings, credentials.INGEST)
        )
        set_paho_reconnect(self.client)
        self._host, self._port = settings.mqtt_host, settings.mqtt_port
        self.published = 0
        self._pending: list[mqtt.MQTTMessageInfo] = []

    def start(self) -> None:
        self.client.connect_async(self._host, self._port, keepalive=30)
        self.client.loop_start()

    def publish(self, event: ViolationEvent) -> None:
        info = self.client.publish(self.topics.alerts(event.community), alert_payload(event), qos=1)
        self._pending = [i for i in self._pending if not i.is_published()]
        self._pending.append(info)
        self.published += 1

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect once the alerts sent are acknowledged (or after `timeout`)."""
        deadline = time.monotonic() + timeout
        for info in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self.client.is_connected():
                break
            info.wait_for_publish(left)
        self.client.disconnect()
        self.client.loop_stop()


class ViolationPipeline:
    """Thread-safe front of the rule engine (workers feed it from their writers)."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        *,
        thresholds: RuleThresholds = DEFAULT_THRESHOLDS,
        lateness_ms: int = 300_000,
        group: str = "yiju-ingest",
        influx: InfluxClient | None = None,
    ) -> None:
        self.settings = settings
        self.engine = RuleEngine(registry, thresholds, tz=settings.tz, lateness_ms=lateness_ms)
        self.writer = BatchWriter(
            influx or InfluxClient.from_settings(settings),
            self._written,
            max_lines=5000,
            max_delay_s=0.2,
            name="ingest-violations",
        )
        self.alerts = AlertPublisher(settings, f"{group}-alerts-{uuid.uuid4().hex[:6]}")
        self.opened = 0
        self.closed = 0
        self._lock = threading.Lock()

    def restore(self, wait_s: float = 60.0) -> None:
        """Read the rules' state back; waits up to `wait_s` for InfluxDB to answer
        (ingest often starts together with it), then fails with its error."""

        def load() -> RestoredState:
            with InfluxClient.from_settings(self.settings, retry=ONCE) as client:
                return load_state(client)

        state = retry_call(
            load,
            replace(RESTORE_RETRY, deadline_s=wait_s),
            what=f"restoring the rules' state from InfluxDB at {self.settings.influx_url}",
            retry_on=TRANSIENT,
            on_failure=lambda failure: log.warning(
                "restore: %s; trying again in %.1f s", failure.error, failure.next_wait_s
            ),
            give_up=exhausted,
        )
        with self._lock:
            self.engine.restore(state)

    def start(self) -> None:
        self.alerts.start()
        self.writer.start()

    def stop(self, timeout: float = 30.0) -> bool:
        flushed = self.writer.stop(timeout)
        self.alerts.stop()
        return flushed

    def feed(self, facts: list[Message]) -> None:
        with self._lock:
            self.engine.feed(facts)
            self._emit()

    def advance_to(self, ms: int) -> None:
        with self._lock:
            self.engine.advance_to(ms)
            self._emit()

    def idle(self) -> bool:
        return self.writer.pending() == 0

    def _emit(self) -> None:
        events, lines = self.engine.take()
        if events or lines:
            self.writer.add(lines + [violation_line(e) for e in events], facts=list(events))

    def _written(self, batch: Batch) -> None:
        events: list[Any] = batch.facts
        for event in events:
            if event.state is ViolationState.OPEN:
                self.opened += 1
            else:
                self.closed += 1
            self.alerts.publish(event)
        if events:
            log.debug("wrote and published %d violation events", len(events))
