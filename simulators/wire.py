"""A small MQTT 5 publishing connection, written for throughput.

paho-mqtt spends ~200 µs of Python per QoS 1 publish on this machine (about
5,000 msg/s with its network thread), far below what a district day at
`--speed 600` needs (~30,000 msg/s). This connection encodes its packets
itself (with `core.mqtt_codec`), writes them in batches and reads the PUBACKs in
the same thread, with at most `window` publishes unacknowledged (paho and
Mosquitto both stall when hundreds of thousands are queued).

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
import time

from core.mqtt_codec import (
    CONNACK,
    DISCONNECT,
    DISCONNECT_PACKET,
    PINGREQ_PACKET,
    PUBACK,
    RECEIVE_MAXIMUM,
    IncompleteError,
    MalformedError,
    Will,
    decode_connack,
    decode_disconnect,
    decode_puback,
    encode_connect,
    encode_publish,
    encode_string,
    next_packet,
)

__all__ = ["Connection", "LinkError", "Will"]

log = logging.getLogger("yiju.simulators")

_FLUSH_BYTES = 256 * 1024


class LinkError(ConnectionError):
    """The broker refused or dropped a connection; the message says which and why."""


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
        sock.sendall(
            encode_connect(
                self.client_id,
                self.username,
                self._password,
                keepalive_s=self.keepalive_s,
                will=self.will,
            )
        )
        self._last_send = time.monotonic()
        header, packet = self._read_packet(self.timeout_s)
        if header >> 4 != CONNACK:
            raise LinkError(f"{self.username}: expected CONNACK, got packet type {header >> 4}")
        try:
            connack = decode_connack(packet)
        except MalformedError as exc:
            raise LinkError(f"{self.username}: the broker sent a broken CONNACK: {exc}") from exc
        if connack.reason != 0:
            raise LinkError(
                f"{self.username}: the broker refused the connection "
                f"(reason 0x{connack.reason:02x}; "
                "0x86/0x87 mean a wrong password or an account the broker does not know — "
                "run `yiju services up --registry FILE` for this district)"
            )
        limit = connack.property_value(RECEIVE_MAXIMUM)
        if isinstance(limit, int) and limit < self.window:
            self.window = limit

    def close(self) -> None:
        """Wait for outstanding acknowledgements, then disconnect cleanly (no Last Will)."""
        if self.sock is None:
            return
        try:
            self.drain()
            self.sock.sendall(DISCONNECT_PACKET)
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
            encoded = encode_string(topic)
            if len(self._topics) < 100_000:
                self._topics[topic] = encoded
        pid = 0
        if qos:
            pid = self._next_pid
            self._next_pid = pid % 65_535 + 1
            if pid in self._inflight:
                self.wait_acks(0)
            self._inflight[pid] = topic
        packet = encode_publish(encoded, payload, qos, retain, pid)
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
            self._out.append(PINGREQ_PACKET)
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

    def _parse_inbox(self) -> None:
        inbox = self._inbox
        pos = 0
        try:
            while True:
                header, start, end = next_packet(inbox, pos)
                self._handle(header, inbox[start:end])
                pos = end
        except IncompleteError:
            pass  # the rest of a packet is still on its way
        except MalformedError as exc:
            raise LinkError(f"{self.username}: the broker sent a broken packet: {exc}") from exc
        finally:
            del inbox[:pos]

    def _handle(self, header: int, body: bytearray) -> None:
        kind = header >> 4
        if kind == PUBACK:
            pid, reason = decode_puback(body)
            topic = self._inflight.pop(pid, None)
            self.acked += 1
            if reason >= 0x80:
                self.rejected += 1
                if self.rejected <= 5:
                    log.warning(
                        "broker refused a publish by %s on %s (reason 0x%02x)",
                        self.username,
                        topic,
                        reason,
                    )
        elif kind == DISCONNECT:  # from the server
            reason = decode_disconnect(body)
            raise LinkError(f"{self.username}: the broker disconnected us (reason 0x{reason:02x})")

    def _read_packet(self, timeout: float) -> tuple[int, bytearray]:
        sock = self._socket()
        deadline = time.monotonic() + timeout
        while True:
            try:
                header, start, end = next_packet(self._inbox)
            except IncompleteError:
                pass  # wait for the rest below
            except MalformedError as exc:
                raise LinkError(f"{self.username}: the broker sent a broken packet: {exc}") from exc
            else:
                packet = self._inbox[start:end]
                del self._inbox[:end]
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
