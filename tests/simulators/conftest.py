"""Fixtures of the simulator tests: a tap that records what the broker delivers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from core import credentials
from core.registry import Registry
from core.settings import Settings
from core.topics import DEFAULT_PREFIX
from tests.conftest import clear_retained_status
from yiju.localservices import LocalStack


class BrokerTap:
    """Everything published live under the prefix while subscribed (retained
    replays of older messages are left out), in arrival order."""

    def __init__(self, client: mqtt.Client) -> None:
        self.client = client
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client.on_message = self._on_message
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.subscribe(f"{DEFAULT_PREFIX}/#", qos=1)
        if not self._subscribed.wait(5):
            raise AssertionError("the test tap could not subscribe")

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            return
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    @classmethod
    def open(cls, settings: Settings) -> BrokerTap:
        """A tap on its own connection (the ingest account may read everything)."""
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"tap-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        account = credentials.INGEST
        client.username_pw_set(account, credentials.service_password(settings, account))
        client.connect(settings.mqtt_host, settings.mqtt_port)
        client.loop_start()
        return cls(client)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, count: int, timeout_s: float = 60.0) -> list[tuple[str, bytes]]:
        """The messages once at least `count` arrived (or what arrived by the timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.05)
        time.sleep(0.2)  # anything beyond `count` would be a bug: let it show
        with self._lock:
            return list(self.messages)


@pytest.fixture
def broker_tap(local_stack: LocalStack) -> Iterator[BrokerTap]:
    tap = BrokerTap.open(local_stack.settings)
    yield tap
    tap.close()


@pytest.fixture(scope="package", autouse=True)
def _clear_retained_status(local_stack: LocalStack, small_district: Registry) -> Iterator[None]:
    """After the simulator tests, remove the cameras' retained statuses they left on the
    shared broker, so other parts' tests start from a clean retained state."""
    yield
    clear_retained_status(local_stack.settings, small_district)
