"""The transport stage: one MQTT consumer (a "worker") on the shared subscription.

paho-mqtt 2.x, MQTT v5, QoS 1, a fixed client id per worker and a persistent
session (`clean_start=False` with a session expiry), so what arrives while a
worker is down waits for it at the broker. Messages are acknowledged by hand,
only after their points (or dead letters) are in InfluxDB. The MQTT v5
receive maximum caps how many unacknowledged messages the broker sends, which
bounds memory while InfluxDB is away: the broker holds the rest. A message whose
`ts` its arrival time rules out (`ingest.arrival`) is a dead letter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core import credentials
from core.contract import BinReading, Message, Rejection, VehiclePosition, parse
from core.influx import InfluxClient
from core.retry import set_paho_reconnect
from core.settings import Settings
from core.topics import Topics
from ingest.arrival import ArrivalClock, ClockLimits, WallClock, clock_fault
from ingest.deadletter import DeadLetterStamper, deadletter_line
from ingest.mqtt_client import ConsumerClient, consumer_client_class
from ingest.points import Enricher
from ingest.stats import Counter, WorkerCounters
from ingest.writer import Batch, BatchWriter

log = logging.getLogger("yiju.ingest")

FactSink = Callable[[list[Message]], None]


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """Knobs of one worker; validated here, at the boundary."""

    group: str = "yiju-ingest"
    batch_size: int = 5000
    batch_delay_s: float = 0.2
    # Unacknowledged messages the broker may send (MQTT v5 receive maximum, ≤ 65535).
    receive_maximum: int = 20_000
    # How long the broker keeps the session (and queues for it) while a worker is away.
    session_expiry_s: int = 7 * 24 * 3600
    keepalive_s: int = 30
    # Shared subscription (`$share/{group}/…`) so several workers split the load.
    # None: shared when there is more than one worker. A single worker subscribes
    # plainly, because Mosquitto 2.0.11 does not restore shared subscriptions from
    # its persistence file: after a broker restart, messages published before the
    # worker subscribes again would reach no one.
    shared: bool | None = None
    # Client ids are `{group}-{index}`; several `yiju ingest` processes on one
    # group need disjoint ranges.
    index_offset: int = 0
    # What a message's arrival time is read from: the wall clock, or a simulated
    # run's `SimulationClock` (its messages carry simulated time).
    clock: ArrivalClock = field(default_factory=WallClock)

    def __post_init__(self) -> None:
        if not 1 <= self.receive_maximum <= 65_535:
            raise ValueError("receive_maximum must be 1–65535 (MQTT v5)")
        if self.batch_size < 1 or self.batch_delay_s <= 0:
            raise ValueError("batch_size must be ≥ 1 and batch_delay_s > 0")
        if not self.group or "/" in self.group or "+" in self.group or "#" in self.group:
            raise ValueError(f"share group {self.group!r} must be a plain name")


class Consumer:
    """Receive → parse → enrich → batch → write → acknowledge, for one worker."""

    def __init__(
        self,
        settings: Settings,
        enricher: Enricher,
        counters: WorkerCounters,
        *,
        index: int = 0,
        options: ConsumerOptions | None = None,
        fact_sink: FactSink | None = None,
        influx: InfluxClient | None = None,
    ) -> None:
        self.settings = settings
        self.enricher = enricher
        self.counters = counters
        self.index = index
        self.options = options or ConsumerOptions()
        self.fact_sink = fact_sink
        self.topics = Topics(settings.topic_prefix)
        self.client_id = f"{self.options.group}-{index + self.options.index_offset}"
        self.shared = self.options.shared if self.options.shared is not None else False
        self._stamper = DeadLetterStamper((index + self.options.index_offset) % 100)
        self._clock = self.options.clock
        self._limits = ClockLimits.from_settings(settings)
        self._last_fill: dict[str, float] = {}
        # Acknowledgements belong to one connection: after a reconnect the broker
        # sends the unacknowledged messages again, and those copies are acknowledged.
        self._generation = 0
        self._connected = threading.Event()
        self.writer = BatchWriter(
            influx or InfluxClient.from_settings(settings),
            self._written,
            max_lines=self.options.batch_size,
            max_delay_s=self.options.batch_delay_s,
            name=f"ingest-writer-{index}",
        )
        self.client = self._make_client()

    def _make_client(self) -> ConsumerClient:
        client = consumer_client_class(self.settings.ingest_fast_client)(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.username_pw_set(
            credentials.INGEST, credentials.service_password(self.settings, credentials.INGEST)
        )
        set_paho_reconnect(client)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    # --- lifecycle ------------------------------------------------------------------

    def start(self, wait_s: float = 10.0) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.options.session_expiry_s
        props.ReceiveMaximum = self.options.receive_maximum
        self.writer.start()
        self.client.connect_async(
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            keepalive=self.options.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()
        if wait_s and not self._connected.wait(wait_s):
            log.warning(
                "worker %d not connected to %s:%d after %.0f s; retrying in the background",
                self.index,
                self.settings.mqtt_host,
                self.settings.mqtt_port,
                wait_s,
            )

    def stop(self, timeout: float = 30.0, *, forget_session: bool = False) -> bool:
        """Write and acknowledge what was received (up to `timeout`), then disconnect.
        `forget_session` ends the broker session too (tests, decommissioning)."""
        flushed = self.writer.flush(timeout)
        if forget_session:
            props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 0
            self.client.disconnect(properties=props)
        else:
            self.client.disconnect()
        self.client.loop_stop()
        self.writer.stop(timeout=1.0)
        return flushed

    # --- paho callbacks (network thread) ----------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("worker %d: broker refused the connection: %s", self.index, reason)
            return
        self._generation += 1
        # Subscribing in on_connect: every reconnect subscribes again. The other
        # mode's filters are dropped, so a session that switched gets no copies.
        share = f"$share/{self.options.group}/"
        filters = self.topics.all_inbound()
        shared = [share + t for t in filters]
        wanted, other = (shared, filters) if self.shared else (filters, shared)
        client.unsubscribe(other)
        client.subscribe([(t, 1) for t in wanted])
        log.info(
            "worker %d connected as %s (session present: %s)",
            self.index,
            self.client_id,
            flags.session_present,
        )

    def _on_subscribe(
        self, _c: mqtt.Client, _u: Any, _mid: int, reasons: list[Any], _p: Any
    ) -> None:
        """Ready only once the broker confirmed the subscription: a message
        published before that reaches no one on a group's first start."""
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error(
                "worker %d: the broker refused the subscription (%s); check the ACL of %s",
                self.index,
                ", ".join(refused),
                credentials.INGEST,
            )
            return
        self._connected.set()
        self.counters.set(Counter.CONNECTED, 1)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._generation += 1
        self._connected.clear()
        self.counters.set(Counter.CONNECTED, 0)
        if reason.value != 0:
            log.warning("worker %d disconnected (%s); reconnecting", self.index, reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.counters.add(Counter.RECEIVED)
        if msg.dup:
            self.counters.add(Counter.REDELIVERED)
        received_ms = self._clock.now_ms()
        token = (self._generation, msg.mid if msg.qos else 0)
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = msg._topic.decode("utf-8", "replace")
        payload = bytes(msg.payload)  # the same object when it is bytes already
        result = parse(
            topic, payload, received_ms, self.enricher.devices, self.settings.topic_prefix
        )
        if not isinstance(result, Rejection):
            fault = clock_fault(result.ts_ms, received_ms, self._limits, retained=msg.retain)
            result = result if fault is None else fault
        if not isinstance(result, Rejection):
            if isinstance(result, BinReading):
                point = self.enricher.devices[result.device_id].subject_id
                self._last_fill[point] = result.fill_pct
            lines = self.enricher.lines(result, self._last_fill)
            if not isinstance(lines, Rejection):
                fact = None if isinstance(result, VehiclePosition) else result
                self.writer.add(lines, None, token, fact)
                return
            result = lines
        self.counters.add(Counter.DEADLETTERED)
        dead = deadletter_line(topic, payload, result, self._stamper.next_ns())
        self.writer.add([], [dead], token, None)

    # --- after the write (writer thread) ------------------------------------------------

    def _written(self, batch: Batch) -> None:
        generation = self._generation
        acked = self.client.ack_many(
            mid for token_generation, mid in batch.tokens if mid and token_generation == generation
        )
        if batch.facts and self.fact_sink is not None:
            # Before HANDLED: whoever waits for idle must see the facts in the rules.
            self.fact_sink(batch.facts)
            self.counters.add(Counter.FACT_BATCHES)
        self.counters.add(Counter.STALE_ACKS, len(batch.tokens) - acked)
        self.counters.set(Counter.BATCH_LATENCY_MS, int(self.writer.stats.last_latency_s * 1000))
        self.counters.add(Counter.HANDLED, len(batch.tokens))
