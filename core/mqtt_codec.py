"""MQTT 5 packets as bytes: the part of the protocol yiju's own clients speak.

The simulators' publisher (`simulators.wire`) and ingest's reader
(`ingest.fast_paho`) both handle packets themselves for throughput, so the
encoding lives here once: variable byte integers, property blocks, framing, and
the CONNECT/CONNACK, PUBLISH, PUBACK and DISCONNECT packets those clients use.

Decoding reports two kinds of bad input. `IncompleteError` means the data ends
before the field or packet does: a reader of a stream keeps the bytes and waits
for more. It is a `MalformedError`, because inside a packet that has fully
arrived, missing bytes are a broken packet, so a caller decoding a whole packet
needs to catch only `MalformedError`.

Functions take `bytes` or `bytearray` (a socket reader's growing buffer) and
positions into them, so a stream is parsed without copying it first.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Buffer = bytes | bytearray

# The largest value a variable byte integer holds (four bytes of seven bits).
VARINT_MAX = 268_435_455

CONNECT = 1
CONNACK = 2
PUBLISH = 3
PUBACK = 4
PINGRESP = 13
DISCONNECT = 14

PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"
# A property block with no properties: its length, zero.
NO_PROPERTIES = b"\x00"

# Property identifiers yiju reads by name.
RECEIVE_MAXIMUM = 0x21


class MalformedError(ValueError):
    """The bytes are not a valid MQTT 5 packet (or field); the message says where."""


class IncompleteError(MalformedError):
    """The data ends before the field or packet does: more bytes are needed."""


# --- variable byte integers -------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """`value` as an MQTT variable byte integer (1–4 bytes)."""
    if 0 <= value < 0x80:
        return bytes((value,))  # remaining lengths of small packets: the common case
    if not 0 <= value <= VARINT_MAX:
        raise ValueError(f"{value} does not fit a variable byte integer (0–{VARINT_MAX})")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: Buffer, pos: int = 0) -> tuple[int, int]:
    """The variable byte integer at `pos`: (value, position after it).

    Raises `IncompleteError` when `data` ends inside it and `MalformedError` when a
    fourth byte still announces another (no valid integer has five).
    """
    value = 0
    for shift in (0, 7, 14, 21):
        if pos >= len(data):
            raise IncompleteError(f"data ends inside a variable byte integer at byte {pos}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise MalformedError(f"variable byte integer longer than four bytes, ending at byte {pos}")


# --- strings and binary data ------------------------------------------------------------


def encode_string(text: str) -> bytes:
    """A UTF-8 string field: two bytes of length, then the text."""
    return encode_binary(text.encode())


def encode_binary(data: bytes) -> bytes:
    """A binary data field: two bytes of length, then the data."""
    if len(data) > 0xFFFF:
        raise ValueError(f"a string or binary field holds at most 65535 bytes, not {len(data)}")
    return len(data).to_bytes(2, "big") + data


def _read_binary(data: Buffer, pos: int) -> tuple[bytes, int]:
    if len(data) - pos < 2:
        raise IncompleteError(f"data ends inside a length at byte {pos}")
    stop = pos + 2 + ((data[pos] << 8) | data[pos + 1])
    if stop > len(data):
        raise IncompleteError(f"a field at byte {pos} runs {stop - len(data)} bytes past the data")
    return bytes(data[pos + 2 : stop]), stop


def _read_string(data: Buffer, pos: int) -> tuple[str, int]:
    raw, pos = _read_binary(data, pos)
    try:
        return raw.decode(), pos
    except UnicodeDecodeError as exc:
        raise MalformedError(f"a string ending at byte {pos} is not UTF-8: {exc}") from exc


# --- properties ---------------------------------------------------------------------------

PropertyValue = int | str | bytes | tuple[str, str]

# How each MQTT 5 property is encoded (spec 2.2.2.2): byte, two-byte or four-byte
# integer, variable byte integer, UTF-8 string, binary data or a string pair.
_PROPERTY_TYPES: dict[int, str] = {
    **dict.fromkeys((0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A), "byte"),
    **dict.fromkeys((0x13, 0x21, 0x22, 0x23), "u16"),
    **dict.fromkeys((0x02, 0x11, 0x18, 0x27), "u32"),
    0x0B: "varint",
    **dict.fromkeys((0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F), "string"),
    **dict.fromkeys((0x09, 0x16), "binary"),
    0x26: "pair",
}
_INT_SIZES = {"byte": 1, "u16": 2, "u32": 4}


def encode_properties(properties: Sequence[tuple[int, PropertyValue]]) -> bytes:
    """A property block: its length, then each (identifier, value) in order."""
    body = bytearray()
    for identifier, value in properties:
        kind = _PROPERTY_TYPES.get(identifier)
        if kind is None:
            raise ValueError(f"unknown MQTT 5 property 0x{identifier:02x}")
        body += encode_varint(identifier)
        if kind in _INT_SIZES and isinstance(value, int):
            body += value.to_bytes(_INT_SIZES[kind], "big")
        elif kind == "varint" and isinstance(value, int):
            body += encode_varint(value)
        elif kind == "string" and isinstance(value, str):
            body += encode_string(value)
        elif kind == "binary" and isinstance(value, bytes):
            body += encode_binary(value)
        elif kind == "pair" and isinstance(value, tuple):
            body += encode_string(value[0]) + encode_string(value[1])
        else:
            raise ValueError(f"property 0x{identifier:02x} takes a {kind}, not {value!r}")
    return encode_varint(len(body)) + body


def decode_properties(data: Buffer, pos: int = 0) -> tuple[list[tuple[int, PropertyValue]], int]:
    """The property block at `pos`: its (identifier, value) pairs in order and the
    position after it. Unknown identifiers are malformed (their size is unknown)."""
    length, pos = decode_varint(data, pos)
    end = pos + length
    if end > len(data):
        raise IncompleteError(f"a property block of {length} bytes runs past the data")
    # Cut at the block's end, so a property that overruns it reads past the data.
    block = bytes(data[:end])
    found: list[tuple[int, PropertyValue]] = []
    try:
        while pos < end:
            identifier, pos = decode_varint(block, pos)
            kind = _PROPERTY_TYPES.get(identifier)
            value: PropertyValue
            if kind is None:
                raise MalformedError(f"unknown MQTT 5 property 0x{identifier:02x}")
            if kind in _INT_SIZES:
                size = _INT_SIZES[kind]
                if pos + size > end:
                    raise IncompleteError(f"property 0x{identifier:02x} needs {size} bytes")
                value = int.from_bytes(block[pos : pos + size], "big")
                pos += size
            elif kind == "varint":
                value, pos = decode_varint(block, pos)
            elif kind == "string":
                value, pos = _read_string(block, pos)
            elif kind == "binary":
                value, pos = _read_binary(block, pos)
            else:
                name, pos = _read_string(block, pos)
                text, pos = _read_string(block, pos)
                value = (name, text)
            found.append((identifier, value))
    except IncompleteError as exc:
        # The block has fully arrived, so a property cut short is a broken block.
        raise MalformedError(f"a property runs past its block ({exc})") from exc
    return found, end


# --- framing ---------------------------------------------------------------------------


def encode_packet(first_byte: int, body: bytes) -> bytes:
    """A whole packet: the fixed header's first byte, the remaining length, the body."""
    return bytes((first_byte,)) + encode_varint(len(body)) + body


def next_packet(data: Buffer, pos: int = 0) -> tuple[int, int, int]:
    """The packet starting at `pos`: (first byte, start of its body, end of its body).

    Raises `IncompleteError` when `data` holds less than the whole packet, and
    `MalformedError` when its remaining length is not a valid integer.
    """
    size = len(data)
    if size - pos >= 2 and data[pos + 1] < 0x80:  # a short packet: one byte of length
        end = pos + 2 + data[pos + 1]
        if end <= size:
            return data[pos], pos + 2, end
        raise IncompleteError(f"a packet at byte {pos} needs {end - size} more bytes")
    if pos >= size:
        raise IncompleteError(f"no packet starts at byte {pos}")
    length, start = decode_varint(data, pos + 1)
    if start + length > size:
        raise IncompleteError(f"a packet at byte {pos} needs {start + length - size} more bytes")
    return data[pos], start, start + length


# --- CONNECT and CONNACK -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Will:
    """The message the broker publishes for a client that drops without DISCONNECT."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


def encode_connect(
    client_id: str,
    username: str,
    password: str,
    *,
    keepalive_s: int,
    will: Will | None = None,
) -> bytes:
    """CONNECT with clean start, a user name and password, and no properties."""
    flags = 0xC0 | 0x02  # user name, password, clean start
    payload = encode_string(client_id)
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
        payload += NO_PROPERTIES + encode_string(will.topic) + encode_binary(will.payload)
    payload += encode_string(username) + encode_string(password)
    variable = b"\x00\x04MQTT\x05" + bytes((flags,)) + keepalive_s.to_bytes(2, "big")
    return encode_packet(CONNECT << 4, variable + NO_PROPERTIES + payload)


@dataclass(frozen=True, slots=True)
class Connack:
    session_present: bool
    reason: int
    properties: list[tuple[int, PropertyValue]]

    def property_value(self, identifier: int) -> PropertyValue | None:
        """The first value of a property the broker sent, or None."""
        return next((v for i, v in self.properties if i == identifier), None)


def decode_connack(body: Buffer) -> Connack:
    """A CONNACK's body (after the fixed header). A refusal may carry no properties."""
    if len(body) < 2:
        raise MalformedError(f"CONNACK of {len(body)} bytes; it has at least 2")
    properties = decode_properties(body, 2)[0] if len(body) > 2 else []
    return Connack(bool(body[0] & 0x01), body[1], properties)


# --- PUBLISH and PUBACK ------------------------------------------------------------------

_PUBACK = struct.Struct("!BBH")


def encode_publish(
    topic: bytes,
    payload: bytes,
    qos: int,
    retain: bool,
    packet_id: int = 0,
    properties: bytes = NO_PROPERTIES,
) -> bytes:
    """PUBLISH at QoS 0 or 1. `topic` is already a string field (`encode_string`),
    so a publisher can encode each topic once and reuse it."""
    if qos:
        rest = topic + packet_id.to_bytes(2, "big") + properties + payload
    else:
        rest = topic + properties + payload
    return bytes((0x30 | (qos << 1) | retain,)) + encode_varint(len(rest)) + rest


def decode_publish(body: Buffer, qos: int) -> tuple[bytes, int, Buffer, Buffer]:
    """A QoS 0/1 PUBLISH body: (topic, packet id or 0, property block, payload).

    The property block is returned as on the wire, its length first (the form
    paho's `Properties.unpack` reads); it is one zero byte when there are none.
    A plain tuple, as this runs once per message received.
    """
    size = len(body)
    if size < 2:
        raise MalformedError("PUBLISH shorter than its topic length")
    pos = 2 + ((body[0] << 8) | body[1])
    if pos > size:
        raise MalformedError("PUBLISH topic longer than the packet")
    topic = bytes(body[2:pos])
    packet_id = 0
    if qos:
        if size < pos + 2:
            raise MalformedError("PUBLISH without its packet id")
        packet_id = (body[pos] << 8) | body[pos + 1]
        pos += 2
    if pos < size and body[pos] < 0x80:  # no properties, or a few: one byte of length
        end = pos + 1 + body[pos]
    else:
        length, start = decode_varint(body, pos)
        end = start + length
    if end > size:
        raise MalformedError("PUBLISH properties longer than the packet")
    return topic, packet_id, body[pos:end], body[end:]


def encode_puback(packet_id: int) -> bytes:
    """PUBACK with success (MQTT 5 leaves the reason code out when it is 0)."""
    return _PUBACK.pack(PUBACK << 4, 2, packet_id)


def encode_pubacks(packet_ids: Iterable[int]) -> bytes:
    """Several PUBACKs back to back, to be sent in one write."""
    return b"".join(map(encode_puback, packet_ids))


def decode_puback(body: Buffer) -> tuple[int, int]:
    """A PUBACK body: (packet id, reason code); a code of 0x80 or more is a refusal."""
    if len(body) < 2:
        raise MalformedError(f"PUBACK of {len(body)} bytes; it has at least 2")
    return (body[0] << 8) | body[1], body[2] if len(body) > 2 else 0


def decode_disconnect(body: Buffer) -> int:
    """A DISCONNECT body's reason code (none sent means 0, normal disconnection)."""
    return body[0] if body else 0
