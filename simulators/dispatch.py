"""Listens to the dispatch topics for the simulated trucks and crews.

One paho connection (the `svc-simulator` account) subscribes, at QoS 1, to the
dispatch topic `{prefix}/dispatch/{id}` of every truck and crew it simulates.
Routes are retained, so every route already published arrives right after
subscribing; later ones (re-plans) arrive while the day runs. Messages are
queued and applied by the simulation at its next step, in arrival order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core import credentials
from core.retry import set_paho_reconnect
from core.settings import Settings
from core.topics import Topics
from simulators.wire import LinkError

log = logging.getLogger("yiju.simulators")

SETTLE_S = 0.3  # quiet time after subscribing that ends the retained burst


class DispatchListener:
    def __init__(self, settings: Settings, agent_ids: Iterable[str]) -> None:
        self.settings = settings
        topics = Topics(settings.topic_prefix)
        self.filters = [(topics.dispatch(a), 1) for a in sorted(agent_ids)]
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._subscribed = threading.Event()
        self._last_message = 0.0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"yiju-sim-dispatch-{uuid.uuid4().hex[:6]}",
            protocol=mqtt.MQTTv5,
        )
        account = credentials.SIMULATOR
        self.client.username_pw_set(account, credentials.service_password(settings, account))
        set_paho_reconnect(self.client)  # paho reconnects a dropped listener by itself
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("dispatch listener refused by the broker: %s", reason)
            return
        if self.filters:
            client.subscribe(self.filters)  # on every (re)connect
        else:
            self._subscribed.set()

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: Any, _codes: Any, _p: Any) -> None:
        self._subscribed.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._last_message = time.monotonic()
        self.inbox.put((message.topic, bytes(message.payload)))

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and wait for the retained routes to arrive."""
        try:
            self.client.connect(self.settings.mqtt_host, self.settings.mqtt_port)
        except OSError as exc:
            raise LinkError(f"dispatch listener cannot reach the broker: {exc}") from exc
        self.client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise LinkError(f"dispatch listener: no subscription in {timeout_s} s")
        self._last_message = time.monotonic()
        while time.monotonic() - self._last_message < SETTLE_S:
            time.sleep(0.05)

    def settle(self, timeout_s: float = 5.0) -> None:
        """Wait until routes just dispatched have arrived: quiet for SETTLE_S after the
        last message (or SETTLE_S when none comes), at most `timeout_s`."""
        began = time.monotonic()
        while time.monotonic() - began < timeout_s:
            quiet_since = max(self._last_message, began)
            if time.monotonic() - quiet_since >= SETTLE_S:
                return
            time.sleep(0.05)

    def drain(self) -> list[tuple[str, bytes]]:
        out = []
        while True:
            try:
                out.append(self.inbox.get_nowait())
            except queue.Empty:
                return out

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
