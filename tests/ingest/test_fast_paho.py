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
from core.mqtt_codec import encode_properties, encode_publish, encode_string, next_packet
from ingest.fast_paho import BufferedSocket, IngestClient, supported
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


def _handle(packet: bytes) -> list[mqtt.MQTTMessage]:
    """What an `IngestClient` hands to `on_message` for one whole received packet."""
    client = IngestClient(
        mqtt.CallbackAPIVersion.VERSION2, client_id="decode", protocol=mqtt.MQTTv5, manual_ack=True
    )
    got: list[mqtt.MQTTMessage] = []
    client.on_message = lambda _c, _u, m: got.append(m)
    first, start, end = next_packet(packet)
    client._in_packet["command"] = first
    client._in_packet["packet"] = bytearray(packet[start:end])
    client._handle_publish()
    return got


def test_publish_is_decoded_into_paho_s_message() -> None:
    """Topic, packet id, flags, properties and payload come out as paho's would."""
    props = encode_properties([(0x03, "application/json"), (0x26, ("seq", "9"))])
    packet = encode_publish(encode_string("yiju/telemetry/bin/d1"), b"{}", 1, True, 42, props)
    (message,) = _handle(packet)
    assert (message.topic, message.mid, message.qos, message.retain) == (
        "yiju/telemetry/bin/d1",
        42,
        1,
        True,
    )
    assert bytes(message.payload) == b"{}"
    assert message.properties is not None
    assert message.properties.ContentType == "application/json"
    assert message.properties.UserProperty == [("seq", "9")]


def test_malformed_publish_is_paho_s_malformed_packet() -> None:
    """A PUBLISH whose properties run past its end raises paho's MalformedPacket, which
    paho's read loop turns into a protocol error (the connection is dropped)."""
    body = encode_string("t") + b"\x00\x01" + b"\x05\x01"
    with pytest.raises(mqtt.MalformedPacket, match="properties longer than the packet"):
        _handle(b"\x32" + bytes([len(body)]) + body)


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
