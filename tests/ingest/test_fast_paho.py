"""The ingest's paho client: buffered reads, one-pass PUBLISH decoding and batched
acknowledgements behave like paho's own paths, on the real broker; stock paho's
client, the fallback, acknowledges through the same `ack_many`."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core import credentials
from ingest.fast_paho import BufferedSocket, IngestClient, _varint, supported
from ingest.mqtt_client import ConsumerClient
from tests.conftest import MqttFactory, wait_until
from yiju.localservices import LocalStack


def test_installed_paho_has_every_hook() -> None:
    """The private paho methods the client overrides exist in the installed paho."""
    assert supported()


def test_buffered_socket_hands_out_what_was_sent_in_any_split() -> None:
    """Reads of any size return the stream in order; pending() counts what is buffered."""
    a, b = socket.socketpair()
    b.setblocking(False)
    reader = BufferedSocket(b)
    data = bytes(range(256)) * 40
    a.sendall(data)
    time.sleep(0.05)
    got = bytearray()
    sizes = [1, 1, 3, 700, 2, 5000, 1]
    i = 0
    while len(got) < len(data):
        chunk = reader.recv(sizes[i % len(sizes)])
        assert chunk, f"the reader ran dry after {len(got)} of {len(data)} bytes"
        got += chunk
        i += 1
    assert bytes(got) == data
    assert reader.pending() == 0
    with pytest.raises(BlockingIOError):
        reader.recv(1)  # nothing buffered and nothing on the wire
    a.sendall(b"xyz")
    time.sleep(0.05)
    assert reader.recv(1) == b"x"
    assert reader.pending() == 2
    a.close()
    assert reader.recv(10) == b"yz"
    assert reader.recv(10) == b""  # the peer closed
    b.close()


def test_varint_decodes_and_rejects_overlong() -> None:
    """MQTT variable byte integers decode; five continuation bytes are malformed."""
    assert _varint(b"\x00", 0) == (0, 1)
    assert _varint(b"\xff\x7f", 0) == (16_383, 2)
    assert _varint(b"..\x80\x80\x01", 2) == (16_384, 5)
    with pytest.raises(mqtt.MalformedPacket):
        _varint(b"\xff\xff\xff\xff\xff", 0)


def _client(
    stack: LocalStack,
    client_id: str,
    received: list[mqtt.MQTTMessage],
    client_class: type[ConsumerClient] = IngestClient,
) -> ConsumerClient:
    s = stack.settings
    client = client_class(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=True,
    )
    client.username_pw_set(credentials.INGEST, credentials.service_password(s, credentials.INGEST))
    subscribed = threading.Event()
    topic = f"{s.topic_prefix}/telemetry/bin/#"

    def on_connect(c: mqtt.Client, _u: object, _f: object, _r: object, _p: object) -> None:
        c.subscribe(topic, qos=1)

    client.on_connect = on_connect
    client.on_subscribe = lambda *_a: subscribed.set()
    client.on_message = lambda _c, _u, m: received.append(m)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 600
    client.connect(s.mqtt_host, s.mqtt_port, clean_start=False, properties=props)
    client.loop_start()
    assert subscribed.wait(10), "the broker did not confirm the subscription"
    return client


@pytest.mark.parametrize("client_class", [IngestClient, ConsumerClient], ids=["fast", "stock"])
def test_messages_arrive_whole_and_acked_ones_are_not_sent_again(
    local_stack: LocalStack, mqtt_connect: MqttFactory, client_class: type[ConsumerClient]
) -> None:
    """5,000 QoS 1 messages (some with properties, some spanning reads) arrive
    with topic, payload and properties intact; after `ack_many` and a reconnect
    of the same session the broker sends none of them again, while the
    unacknowledged ones come back."""
    prefix = local_stack.settings.topic_prefix
    client_id = f"fast-{uuid.uuid4().hex[:6]}"
    received: list[mqtt.MQTTMessage] = []
    client = _client(local_stack, client_id, received, client_class)
    publisher = mqtt_connect(credentials.SIMULATOR)
    sent: dict[str, bytes] = {}
    for i in range(5000):
        topic = f"{prefix}/telemetry/bin/fast-{i % 37}"
        body = json.dumps({"seq": i, "pad": "x" * (i % 3) * 700}).encode()
        props = None
        if i % 5 == 0:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.UserProperty = ("seq", str(i))
            props.ContentType = "application/json"
        publisher.publish(topic, body, qos=1, properties=props)
        sent[str(i)] = body
    assert wait_until(lambda: len(received) >= 5000, 20), f"only {len(received)} of 5000 arrived"
    bodies = sorted(bytes(m.payload) for m in received)
    assert bodies == sorted(sent.values())
    for m in received:
        seq = json.loads(m.payload)["seq"]
        assert m.topic == f"{prefix}/telemetry/bin/fast-{seq % 37}"
        assert m.qos == 1
        assert m.mid > 0
        if seq % 5 == 0:
            assert m.properties is not None
            assert ("seq", str(seq)) in m.properties.UserProperty
            assert m.properties.ContentType == "application/json"
    acked = received[:4000]
    assert client.ack_many(m.mid for m in acked) == 4000
    time.sleep(0.5)  # the acknowledgements reach the broker
    client.disconnect()
    client.loop_stop()

    again: list[mqtt.MQTTMessage] = []
    second = _client(local_stack, client_id, again, client_class)
    try:
        assert wait_until(lambda: len(again) >= 1000, 20), f"{len(again)} of 1000 unacked came back"
        time.sleep(0.5)
        assert sorted(bytes(m.payload) for m in again) == sorted(
            bytes(m.payload) for m in received[4000:]
        )
        second.ack_many(m.mid for m in again)
    finally:
        props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0
        second.disconnect(properties=props)
        second.loop_stop()
