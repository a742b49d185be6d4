"""The raw MQTT 5 publisher against the real broker: acks, ACL refusals, Last Will."""

from __future__ import annotations

import threading

import pytest

from core import credentials
from core.registry import Registry
from core.topics import Topics
from simulators.wire import Connection, LinkError, Will
from tests.conftest import MqttFactory
from yiju.localservices import LocalStack


def _connect(stack: LocalStack, user: str, password: str, **kw: object) -> Connection:
    s = stack.settings
    conn = Connection(
        s.mqtt_host, s.mqtt_port, client_id=f"t-{user}", username=user, password=password, **kw
    )  # type: ignore[arg-type]
    conn.connect()
    return conn


def test_publishes_are_all_acknowledged(local_stack: LocalStack) -> None:
    """Thousands of QoS 1 publishes with a small window are all acknowledged."""
    s = local_stack.settings
    conn = _connect(
        local_stack,
        credentials.SIMULATOR,
        credentials.service_password(s, credentials.SIMULATOR),
        window=50,
    )
    for i in range(5_000):
        conn.publish(f"{s.topic_prefix}/telemetry/bin/wire-test", b'{"fill_pct":%d}' % i)
    conn.close()
    assert (conn.sent, conn.acked, conn.rejected) == (5_000, 5_000, 0)


def test_acl_refusal_is_counted(local_stack: LocalStack, small_district: Registry) -> None:
    """A device publishing on another device's topic is refused and counted."""
    s = local_stack.settings
    device = small_district.collection_points[0].sensor.device_id  # type: ignore[union-attr]
    conn = _connect(local_stack, device, credentials.device_password(s, device))
    conn.publish(Topics(s.topic_prefix).telemetry("bin", device), b'{"fill_pct":1}')
    conn.publish(Topics(s.topic_prefix).telemetry("bin", "someone-else"), b'{"fill_pct":1}')
    conn.close()
    assert (conn.acked, conn.rejected) == (2, 1)


def test_wrong_password_is_a_clear_error(local_stack: LocalStack) -> None:
    """A refused CONNECT raises LinkError naming the account."""
    with pytest.raises(LinkError, match="gw-nowhere"):
        _connect(local_stack, "gw-nowhere", "wrong")


def test_last_will_marks_a_crashed_camera_offline(
    local_stack: LocalStack, small_district: Registry, mqtt_connect: MqttFactory
) -> None:
    """A camera connection dropped without DISCONNECT gets its retained offline status."""
    s = local_stack.settings
    camera = small_district.cameras[-1].id
    topic = Topics(s.topic_prefix).status("camera", camera)
    conn = _connect(
        local_stack,
        camera,
        credentials.device_password(s, camera),
        will=Will(topic, b'{"online":false}'),
    )
    conn.publish(topic, b'{"online":true}', retain=True)
    conn.drain()
    got: list[bytes] = []
    offline = threading.Event()

    def on_message(_c: object, _u: object, message: object) -> None:
        got.append(message.payload)  # type: ignore[attr-defined]
        if b"false" in message.payload:  # type: ignore[attr-defined]
            offline.set()

    watcher = mqtt_connect(credentials.SIMULATOR)
    watcher.on_message = on_message
    watcher.subscribe(topic, qos=1)
    conn.abort()
    assert offline.wait(10), got
    watcher.publish(topic, b"", qos=1, retain=True)  # leave no retained status behind
