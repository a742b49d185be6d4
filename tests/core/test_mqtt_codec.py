"""The MQTT 5 codec on its own: round trips, the spec's boundary values, data cut
short at every byte, and malformed input."""

from __future__ import annotations

import pytest

from core.mqtt_codec import (
    CONNACK,
    CONNECT,
    DISCONNECT_PACKET,
    NO_PROPERTIES,
    PINGREQ_PACKET,
    PUBACK,
    PUBLISH,
    RECEIVE_MAXIMUM,
    VARINT_MAX,
    IncompleteError,
    MalformedError,
    PropertyValue,
    Will,
    decode_connack,
    decode_disconnect,
    decode_properties,
    decode_puback,
    decode_publish,
    decode_varint,
    encode_binary,
    encode_connect,
    encode_packet,
    encode_properties,
    encode_puback,
    encode_pubacks,
    encode_publish,
    encode_string,
    encode_varint,
    next_packet,
)

# The spec's table of variable byte integers (MQTT 5, 1.5.5): each size's bounds.
BOUNDARIES = [
    (0, b"\x00"),
    (127, b"\x7f"),
    (128, b"\x80\x01"),
    (16_383, b"\xff\x7f"),
    (16_384, b"\x80\x80\x01"),
    (2_097_151, b"\xff\xff\x7f"),
    (2_097_152, b"\x80\x80\x80\x01"),
    (268_435_455, b"\xff\xff\xff\x7f"),
]

# One property of every encoding the spec has.
EVERY_KIND: list[tuple[int, PropertyValue]] = [
    (0x01, 1),  # payload format indicator: a byte
    (0x21, 500),  # receive maximum: two bytes
    (0x11, 604_800),  # session expiry interval: four bytes
    (0x0B, 268_435_455),  # subscription identifier: a variable byte integer
    (0x03, "application/json"),  # content type: a UTF-8 string
    (0x09, b"\x00\xffcorrelation"),  # correlation data: binary
    (0x26, ("seq", "7")),  # user property: a string pair
    (0x26, ("seq", "8")),  # user properties may repeat
]


def _every_cut(data: bytes) -> list[bytes]:
    return [data[:cut] for cut in range(len(data))]


# --- variable byte integers ----------------------------------------------------------


@pytest.mark.parametrize(("value", "encoded"), BOUNDARIES)
def test_varint_boundaries_encode_and_decode(value: int, encoded: bytes) -> None:
    """Each size's smallest and largest value has the spec's bytes and decodes back."""
    assert encode_varint(value) == encoded
    assert decode_varint(encoded) == (value, len(encoded))
    assert decode_varint(b"ab" + encoded + b"tail", 2) == (value, 2 + len(encoded))


@pytest.mark.parametrize("value", [VARINT_MAX + 1, 1 << 40, -1])
def test_varint_beyond_the_range_is_an_error(value: int) -> None:
    """Values a variable byte integer cannot hold are refused, not truncated."""
    with pytest.raises(ValueError, match="does not fit"):
        encode_varint(value)


@pytest.mark.parametrize(("value", "encoded"), BOUNDARIES)
def test_varint_cut_short_is_incomplete_at_every_byte(value: int, encoded: bytes) -> None:
    """Any prefix of an integer (the empty one too) is incomplete, never a wrong value."""
    for prefix in _every_cut(encoded):
        with pytest.raises(IncompleteError):
            decode_varint(prefix)
        with pytest.raises(IncompleteError):
            decode_varint(b"xx" + prefix, 2)


def test_varint_of_five_bytes_is_malformed_not_incomplete() -> None:
    """Four bytes that still announce a fifth are broken whatever follows."""
    for data in (b"\xff\xff\xff\xff", b"\xff\xff\xff\xff\x01", b"\x80\x80\x80\x80\x00"):
        with pytest.raises(MalformedError) as caught:
            decode_varint(data)
        assert not isinstance(caught.value, IncompleteError)


def test_varint_round_trips_across_the_range() -> None:
    """A spread of values over the whole range decodes to itself."""
    for value in [*range(0, 70_000, 7), *range(0, VARINT_MAX, 9_999_991), VARINT_MAX]:
        assert decode_varint(encode_varint(value)) == (value, len(encode_varint(value)))


# --- fields and properties -------------------------------------------------------------


def test_string_and_binary_fields_carry_a_two_byte_length() -> None:
    assert encode_string("社区") == b"\x00\x06" + "社区".encode()
    assert encode_binary(b"") == b"\x00\x00"
    with pytest.raises(ValueError, match="65535"):
        encode_binary(b"x" * 65_536)


def test_properties_of_every_kind_round_trip() -> None:
    """Every property encoding decodes to the value put in, in order, repeats kept."""
    block = encode_properties(EVERY_KIND)
    assert decode_properties(block) == (EVERY_KIND, len(block))
    assert decode_properties(b"\x01" + block + b"rest", 1) == (EVERY_KIND, 1 + len(block))
    assert encode_properties([]) == NO_PROPERTIES
    assert decode_properties(NO_PROPERTIES) == ([], 1)


def test_properties_cut_short_are_incomplete_at_every_byte() -> None:
    for prefix in _every_cut(encode_properties(EVERY_KIND)):
        with pytest.raises(IncompleteError):
            decode_properties(prefix)


@pytest.mark.parametrize(
    ("block", "why"),
    [
        (b"\x02\x7f\x00", "unknown MQTT 5 property 0x7f"),
        (b"\x02\x21\x01", "past its block"),  # a two-byte integer with one byte
        (b"\x03\x03\x00\x05abc", "past its block"),  # a string longer than its block
        (b"\x02\x0b\x80", "past its block"),  # a variable integer cut by the block's end
        (b"\x05\x03\x00\x02\xff\xfe", "not UTF-8"),
        (b"\x04\x21\x01\xf4\x21", "past its block"),  # a second property cut off
    ],
)
def test_malformed_properties_say_why(block: bytes, why: str) -> None:
    """A block that has arrived whole but does not parse is malformed (not incomplete)."""
    data = block + b"\x00\x00\x00\x00"  # bytes after the block must not rescue it
    with pytest.raises(MalformedError, match=why) as caught:
        decode_properties(data)
    assert not isinstance(caught.value, IncompleteError)


def test_properties_that_do_not_fit_their_encoding_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown MQTT 5 property"):
        encode_properties([(0x7F, 1)])
    with pytest.raises(ValueError, match="takes a string"):
        encode_properties([(0x03, 5)])


# --- framing ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 2, 127, 128, 16_383, 16_384, 70_000])
def test_packets_frame_and_split_at_every_length_size(size: int) -> None:
    """A stream of packets splits into them; cut anywhere, the last one is incomplete."""
    body = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    packet = encode_packet(0x32, body)
    stream = PINGREQ_PACKET + packet + DISCONNECT_PACKET
    first, start, end = next_packet(stream)
    assert (first, start, end) == (0xC0, 2, 2)
    first, start, end = next_packet(stream, end)
    assert first == 0x32
    assert stream[start:end] == body
    assert next_packet(stream, end) == (0xE0, end + 2, end + 2)
    cuts = range(len(packet)) if size < 300 else [0, 1, 2, 3, 4, len(packet) - 1]
    for cut in cuts:
        with pytest.raises(IncompleteError):
            next_packet(PINGREQ_PACKET + packet[:cut], 2)


def test_a_packet_length_of_five_bytes_is_malformed() -> None:
    with pytest.raises(MalformedError, match="longer than four bytes") as caught:
        next_packet(b"\x30\xff\xff\xff\xff\x01")
    assert not isinstance(caught.value, IncompleteError)


# --- CONNECT, CONNACK, DISCONNECT ----------------------------------------------------------


def test_connect_carries_the_account_will_and_keepalive() -> None:
    """CONNECT as the spec lays it out: protocol, flags, keep-alive, payload fields."""
    will = Will("yiju/status/camera/c1", b'{"online":false}', qos=1, retain=True)
    packet = encode_connect("sim-1", "gw-guicheng", "secret", keepalive_s=60, will=will)
    first, start, end = next_packet(packet)
    assert (first >> 4, end) == (CONNECT, len(packet))
    body = packet[start:]
    assert body[:7] == b"\x00\x04MQTT\x05"
    assert body[7] == 0xC0 | 0x20 | 0x08 | 0x04 | 0x02  # user, password, will r/q1, clean
    assert body[8:10] == (60).to_bytes(2, "big")
    assert body[10:11] == NO_PROPERTIES
    expected = (
        encode_string("sim-1")
        + NO_PROPERTIES
        + encode_string(will.topic)
        + encode_binary(will.payload)
        + encode_string("gw-guicheng")
        + encode_string("secret")
    )
    assert body[11:] == expected
    plain = encode_connect("sim-1", "u", "p", keepalive_s=30)
    assert plain[next_packet(plain)[1] + 7] == 0xC2


def test_connack_reason_and_receive_maximum() -> None:
    accepted = b"\x01\x00" + encode_properties([(0x22, 10), (RECEIVE_MAXIMUM, 100)])
    connack = decode_connack(accepted)
    assert (connack.session_present, connack.reason) == (True, 0)
    assert connack.property_value(RECEIVE_MAXIMUM) == 100
    assert connack.property_value(0x11) is None
    refused = decode_connack(b"\x00\x87")
    assert (refused.reason, refused.properties) == (0x87, [])
    with pytest.raises(MalformedError, match="CONNACK"):
        decode_connack(b"\x00")
    with pytest.raises(MalformedError):
        decode_connack(b"\x00\x00\x05\x21")
    assert next_packet(encode_packet(CONNACK << 4, accepted))[0] >> 4 == CONNACK


def test_disconnect_reason() -> None:
    assert decode_disconnect(b"") == 0
    assert decode_disconnect(b"\x8e\x00") == 0x8E


# --- PUBLISH and PUBACK ------------------------------------------------------------------


@pytest.mark.parametrize("qos", [0, 1])
@pytest.mark.parametrize("retain", [False, True])
@pytest.mark.parametrize("payload_size", [0, 10, 200, 20_000])
def test_publish_round_trips(qos: int, retain: bool, payload_size: int) -> None:
    """PUBLISH encodes topic, packet id, properties and payload; decoding gives them back."""
    topic = "yiju/telemetry/bin/村-01"
    payload = bytes(i % 251 for i in range(payload_size))
    props = encode_properties([(0x03, "application/json"), (0x26, ("seq", "1"))])
    for properties in (NO_PROPERTIES, props):
        packet = encode_publish(encode_string(topic), payload, qos, retain, 513, properties)
        first, start, end = next_packet(packet)
        assert end == len(packet)
        assert first == (PUBLISH << 4) | (qos << 1) | retain
        got_topic, packet_id, got_props, got_payload = decode_publish(packet[start:], qos)
        assert got_topic.decode() == topic
        assert packet_id == (513 if qos else 0)
        assert bytes(got_props) == properties
        assert bytes(got_payload) == payload
        assert decode_publish(bytearray(packet[start:]), qos)[3] == payload


def test_publish_cut_short_is_malformed_at_every_byte() -> None:
    """A PUBLISH body that lost its end (topic, packet id or properties) is malformed;
    losing only payload bytes cannot be seen, so those cuts decode to a shorter one."""
    body = encode_string("t/1") + b"\x00\x07" + encode_properties([(0x01, 1)]) + b"pay"
    payload_starts = len(body) - 3
    for cut in range(payload_starts):
        with pytest.raises(MalformedError):
            decode_publish(body[:cut], 1)
    assert bytes(decode_publish(body[: payload_starts + 1], 1)[3]) == b"p"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\x00", "shorter than its topic length"),
        (b"\x00\x09abc", "topic longer than the packet"),
        (b"\x00\x01t\x00", "without its packet id"),
        (b"\x00\x01t\x00\x01\x05\x01", "properties longer than the packet"),
        (b"\x00\x01t\x00\x01\xff\xff\xff\xff\x01", "longer than four bytes"),
    ],
)
def test_malformed_publish_says_why(body: bytes, why: str) -> None:
    with pytest.raises(MalformedError, match=why):
        decode_publish(body, 1)


def test_puback_round_trips_with_and_without_a_reason() -> None:
    packet = encode_puback(65_535)
    assert packet == b"\x40\x02\xff\xff"
    first, start, end = next_packet(packet)
    assert first >> 4 == PUBACK
    assert decode_puback(packet[start:end]) == (65_535, 0)
    assert decode_puback(b"\x00\x07\x87") == (7, 0x87)
    assert encode_pubacks([1, 2]) == encode_puback(1) + encode_puback(2)
    assert encode_pubacks([]) == b""
    with pytest.raises(MalformedError, match="PUBACK"):
        decode_puback(b"\x00")
