"""A small MQTT 5 publishing connection, written for throughput.

paho-mqtt spends ~200 µs of Python per QoS 1 publish on this machine (about
5,000 msg/s with its network thread), far below what a district day at
`--speed 600` needs (~30,000 msg/s). This connection encodes PUBLISH packets
directly, writes them in batches and reads the PUBACKs in the same thread, with
at most `window` publishes unacknowledged (paho and Mosquitto both stall when
hundreds of thousands are queued).

It does what a device or gateway does and nothing more: CONNECT (user name,
password, Last Will, keep-alive), PUBLISH at QoS 0/1, PINGREQ, DISCONNECT.
Subscriptions (the dispatch topics) go through paho in `simulators.dispatch`.
A PUBACK with a reason code of 0x80 or more (e.g. 0x87, not authorised by the
ACL) is counted in `rejected` and logged, so a refused message is never lost
silently.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import time
from dataclasses import dataclass

log = logging.getLogger("yiju.simulators")

_PINGREQ = b"\xc0\x00"
_DISCONNECT = b"\xe0\x00"
_FLUSH_BYTES = 256 * 1024


class LinkError(ConnectionError):
    """The broker refused or dropped a connection; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _utf8(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def _binary(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _receive_maximum(props: bytes) -> int | None:
    """The Receive Maximum (0x21) among CONNACK properties, if the broker sent one."""
    i = 0
    fixed = {0x01: 1, 0x02: 4, 0x11: 4, 0x13: 2, 0x17: 1, 0x19: 1, 0x21: 2, 0x22: 2, 0x23: 2}
    fixed |= {0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1}
    while i < len(props):
        pid = props[i]
        i += 1
        if pid == 0x21:
            return int(struct.unpack_from("!H", props, i)[0])
        if pid in fixed:
            i += fixed[pid]
        elif pid == 0x0B:  # subscription identifier: a varint
            while props[i] & 0x80:
                i += 1
            i += 1
        else:  # strings, binary data (2-byte length) and user properties (two strings)
            n = struct.unpack_from("!H", props, i)[0]
            i += 2 + n
            if pid == 0x26:
                n = struct.unpack_from("!H", props, i)[0]
                i += 2 + n
    return None


class Connection:
    """One MQTT 5 client connection that publishes; not thread-safe (one owner thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str,
        username: str,
        password: str,
        keepalive_s: int = 60,
        will: Will | None = None,
        window: int = 500,
        timeout_s: float = 15.0,
    ) -> None:
        if not 1 <= window <= 65_000:
            raise ValueError(f"window {window} must be within 1–65000")
        self.host, self.port = host, port
        self.client_id, self.username, self._password = client_id, username, password
        self.keepalive_s, self.will, self.window, self.timeout_s = (
            keepalive_s,
            will,
            window,
            timeout_s,
        )
        self.sock: socket.socket | None = None
        self.sent = 0
        self.acked = 0
        self.rejected = 0
        self._out: list[bytes] = []
        self._out_bytes = 0
        self._inflight: dict[int, str] = {}
        self._next_pid = 1
        self._inbox = bytearray()
        self._last_send = 0.0
        self._topics: dict[str, bytes] = {}

    # --- connection ---------------------------------------------------------

    def connect(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            raise LinkError(f"cannot reach the broker at {self.host}:{self.port}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        flags = 0xC0 | 0x02  # user name, password, clean start
        payload = _utf8(self.client_id)
        if self.will is not None:
            flags |= 0x04 | (self.will.qos << 3) | (0x20 if self.will.retain else 0)
            payload += b"\x00" + _utf8(self.will.topic) + _binary(self.will.payload)
        payload += _utf8(self.username) + _utf8(self._password)
        body = b"\x00\x04MQTT\x05" + bytes([flags]) + struct.pack("!H", self.keepalive_s)
        body += b"\x00" + payload
        sock.sendall(b"\x10" + _varint(len(body)) + body)
        self._last_send = time.monotonic()
        header, packet = self._read_packet(self.timeout_s)
        if header >> 4 != 2 or len(packet) < 2:
            raise LinkError(f"{self.username}: expected CONNACK, got packet type {header >> 4}")
        if packet[1] != 0:
            raise LinkError(
                f"{self.username}: the broker refused the connection (reason 0x{packet[1]:02x}; "
                "0x86/0x87 mean a wrong password or an account the broker does not know — "
                "run `yiju services up --registry FILE` for this district)"
            )
        props_len, offset = self._decode_varint(packet, 2)
        limit = _receive_maximum(bytes(packet[offset : offset + props_len]))
        if limit is not None and limit < self.window:
            self.window = limit

    def close(self) -> None:
        """Wait for outstanding acknowledgements, then disconnect cleanly (no Last Will)."""
        if self.sock is None:
            return
        try:
            self.drain()
            self.sock.sendall(_DISCONNECT)
        finally:
            self.sock.close()
            self.sock = None

    def abort(self) -> None:
        """Drop the connection without DISCONNECT, as a crashed device would (Last Will fires)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # --- publishing ---------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        encoded = self._topics.get(topic)
        if encoded is None:
            encoded = _utf8(topic)
            if len(self._topics) < 100_000:
                self._topics[topic] = encoded
        first = 0x30 | (qos << 1) | (1 if retain else 0)
        if qos:
            pid = self._next_pid
            self._next_pid = pid % 65_535 + 1
            if pid in self._inflight:
                self.wait_acks(0)
            self._inflight[pid] = topic
            rest = encoded + pid.to_bytes(2, "big") + b"\x00" + payload
        else:
            rest = encoded + b"\x00" + payload
        packet = bytes([first]) + _varint(len(rest)) + rest
        self._out.append(packet)
        self._out_bytes += len(packet)
        self.sent += 1
        if len(self._inflight) >= self.window:
            self.flush()
            self.wait_acks(self.window // 2)
        elif self._out_bytes >= _FLUSH_BYTES:
            self.flush()
            self.poll()

    def flush(self) -> None:
        if not self._out:
            return
        sock = self._socket()
        data = b"".join(self._out)
        self._out.clear()
        self._out_bytes = 0
        try:
            sock.sendall(data)
        except OSError as exc:
            raise LinkError(f"{self.username}: the broker closed the connection: {exc}") from exc
        self._last_send = time.monotonic()

    def poll(self) -> None:
        """Read whatever acknowledgements have arrived, without waiting."""
        self._receive(0.0)

    def wait_acks(self, at_most: int) -> None:
        """Block until no more than `at_most` publishes are unacknowledged."""
        self.flush()
        deadline = time.monotonic() + self.timeout_s
        while len(self._inflight) > at_most:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkError(
                    f"{self.username}: {len(self._inflight)} publishes unacknowledged after "
                    f"{self.timeout_s:.0f} s; is the broker overloaded or gone?"
                )
            self._receive(min(remaining, 1.0))

    def drain(self) -> None:
        self.wait_acks(0)

    def keepalive(self) -> None:
        """Send PINGREQ when nothing was sent for half the keep-alive (paced, slow runs)."""
        if self.sock is not None and time.monotonic() - self._last_send > self.keepalive_s / 2:
            self._out.append(_PINGREQ)
            self.flush()

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    # --- reading ------------------------------------------------------------

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise LinkError(f"{self.username}: not connected")
        return self.sock

    def _receive(self, timeout: float) -> None:
        sock = self._socket()
        readable, _, _ = select.select([sock], [], [], timeout)
        if not readable:
            return
        try:
            chunk = sock.recv(65_536)
        except OSError as exc:
            raise LinkError(f"{self.username}: connection lost: {exc}") from exc
        if not chunk:
            raise LinkError(f"{self.username}: the broker closed the connection")
        self._inbox += chunk
        self._parse_inbox()

    @staticmethod
    def _decode_varint(data: bytes | bytearray, offset: int) -> tuple[int, int]:
        value, shift = 0, 0
        while True:
            byte = data[offset]
            offset += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value, offset
            shift += 7

    def _parse_inbox(self) -> None:
        inbox = self._inbox
        pos = 0
        while len(inbox) - pos >= 2:
            header = inbox[pos]
            if inbox[pos + 1] < 0x80:  # the common case: a short packet
                length, start = inbox[pos + 1], pos + 2
            else:
                try:
                    length, start = self._decode_varint(inbox, pos + 1)
                except IndexError:
                    break
            if len(inbox) < start + length:
                break
            self._handle(header, inbox[start : start + length])
            pos = start + length
        del inbox[:pos]

    def _handle(self, header: int, body: bytearray) -> None:
        kind = header >> 4
        if kind == 4:  # PUBACK
            pid = (body[0] << 8) | body[1]
            topic = self._inflight.pop(pid, None)
            self.acked += 1
            if len(body) >= 3 and body[2] >= 0x80:
                self.rejected += 1
                if self.rejected <= 5:
                    log.warning(
                        "broker refused a publish by %s on %s (reason 0x%02x)",
                        self.username,
                        topic,
                        body[2],
                    )
        elif kind == 14:  # DISCONNECT from the server
            reason = body[0] if body else 0
            raise LinkError(f"{self.username}: the broker disconnected us (reason 0x{reason:02x})")

    def _read_packet(self, timeout: float) -> tuple[int, bytearray]:
        sock = self._socket()
        deadline = time.monotonic() + timeout
        while True:
            if len(self._inbox) >= 2:
                try:
                    length, start = self._decode_varint(self._inbox, 1)
                except IndexError:
                    length, start = 1 << 30, 0
                if len(self._inbox) >= start + length:
                    header = self._inbox[0]
                    packet = self._inbox[start : start + length]
                    del self._inbox[: start + length]
                    return header, packet
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkError(f"{self.username}: no answer from the broker in {timeout:.0f} s")
            readable, _, _ = select.select([sock], [], [], remaining)
            if readable:
                chunk = sock.recv(65_536)
                if not chunk:
                    raise LinkError(f"{self.username}: the broker closed the connection")
                self._inbox += chunk
