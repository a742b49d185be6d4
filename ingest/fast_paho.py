"""paho's client with the receive and acknowledge paths made fit for a firehose.

paho-mqtt 2.x reads one packet per `select()` (its `loop_read` ignores
`max_packets`), and each packet with three `recv` system calls (command byte,
length, body); each manual acknowledgement is its own `send` plus a wake-up
byte to the network thread. At tens of thousands of messages a second those
system calls cost more than validating the messages. `IngestClient` keeps
paho's protocol handling and changes only that plumbing:

- the socket is read through `BufferedSocket`, 256 KiB at a time; its
  `pending()` is the hook paho already uses for TLS sockets, so `select()`
  does not wait while whole packets sit in the buffer;
- `loop_read` handles up to `READ_PACKETS` packets per wake-up;
- `ack_many` queues a whole batch's PUBACKs as one write with one wake-up;
- QoS 0/1 PUBLISH packets of MQTT v5 are decoded in one pass (by
  `core.mqtt_codec`, which the simulators' publisher shares), without the
  per-message condition variable paho makes for outgoing-message tracking
  (an inbound message never uses it), and go straight to `on_message` (the
  ingest client registers no per-topic callbacks, so paho's topic matching
  for them is skipped). QoS 2 and older protocols take paho's own path.

It relies on paho's private methods (`_create_socket`, `_packet_read`,
`_loop_rc_handle`, `_packet_queue`, `_handle_on_message`), so it runs only on
the paho release it is tested with: `unsupported_reason()` checks the version and
that the methods exist, and `ingest.mqtt_client` falls back to stock paho
otherwise. The ingest tests exercise the client against the real broker (kill -9,
broker restarts, InfluxDB outages).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MessageState, MQTTErrorCode
from paho.mqtt.exception import MalformedPacket
from paho.mqtt.packettypes import PacketTypes

from core.mqtt_codec import MalformedError, decode_publish, encode_pubacks
from ingest.mqtt_client import ConsumerClient
from ingest.paho_speedups import FastProperties

# Packets handled per wake-up of the network loop before it looks at writes.
READ_PACKETS = 512
RECV_CHUNK = 256 * 1024
_PUBACK = 0x40  # paho's packet queue takes the command byte
# The paho release (major.minor) whose private methods this client is tested against.
TESTED_PAHO = "2.2"
_PRIVATE_HOOKS = (
    "_create_socket",
    "_packet_read",
    "_loop_rc_handle",
    "_packet_queue",
    "_handle_on_message",
    "_handle_publish",
    "_in_packet",
    "_manual_ack",
    "_in_callback_mutex",
)


def unsupported_reason(version: str | None = None) -> str | None:
    """Why `IngestClient` cannot run on paho `version` (default: the installed one),
    or None when it can."""
    version = version or str(getattr(paho.mqtt, "__version__", "unknown"))
    if version.split(".")[:2] != TESTED_PAHO.split("."):
        return f"paho-mqtt {version} is installed; the fast client is tested with {TESTED_PAHO}.x"
    probe = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    missing = [name for name in _PRIVATE_HOOKS if not hasattr(probe, name)]
    if missing:
        return f"paho-mqtt {version} lacks {', '.join(missing)}"
    return None


def supported() -> bool:
    """True when the installed paho has every private hook `IngestClient` uses."""
    return unsupported_reason() is None


class BufferedSocket:
    """A non-blocking socket read in large chunks; everything else is the socket's."""

    __slots__ = ("_buf", "_pos", "_raw")

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._buf = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        buf, pos = self._buf, self._pos
        if pos >= len(buf):
            buf = self._raw.recv(RECV_CHUNK)  # BlockingIOError when nothing came
            if not buf:
                return b""  # the peer closed the connection
            self._buf, pos = buf, 0
        end = pos + size
        if pos == 0 and end >= len(buf):
            self._buf, self._pos = b"", 0
            return buf  # all of it, without a copy
        self._pos = min(end, len(buf))
        return buf[pos:end]

    def pending(self) -> int:
        """Bytes buffered here (and, for TLS, in the TLS layer) not yet handed out."""
        raw_pending = getattr(self._raw, "pending", None)
        extra = raw_pending() if raw_pending is not None else 0
        return len(self._buf) - self._pos + int(extra)

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _InboundMessage(mqtt.MQTTMessage):
    __slots__ = ()

    def __init__(self, mid: int, topic: bytes) -> None:
        self.timestamp = 0.0
        self.state = MessageState.MQTT_MS_INVALID
        self.dup = False
        self.mid = mid
        self._topic = topic
        self.payload = b""
        self.qos = 0
        self.retain = False
        self.info = _NO_INFO
        self.properties = None


# Delivery tracking belongs to outgoing messages; inbound ones share one inert record.
_NO_INFO = mqtt.MQTTMessageInfo(0)


class IngestClient(ConsumerClient):
    """paho's `Client` with buffered reads, batched acknowledgements and direct dispatch."""

    def _create_socket(self) -> Any:
        return BufferedSocket(super()._create_socket())

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        for _ in range(max(max_packets, READ_PACKETS)):
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                break
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Iterable[int]) -> int:
        """Acknowledge QoS 1 messages by packet id with one write; returns how many."""
        ids = list(mids)
        if ids:
            self._packet_queue(_PUBACK, encode_pubacks(ids), 0, 1)
        return len(ids)

    def _handle_publish(self) -> MQTTErrorCode:
        header: int = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if qos == 2 or self._protocol != mqtt.MQTTv5:
            return super()._handle_publish()
        try:
            topic, mid, props, payload = decode_publish(self._in_packet["packet"], qos)
        except MalformedError as exc:
            # paho's read loop turns its own MalformedPacket into a protocol error.
            raise MalformedPacket(str(exc)) from exc
        properties = FastProperties(PacketTypes.PUBLISH)
        if len(props) > 1:  # one byte is an empty block's zero length
            properties.unpack(props)  # type: ignore[no-untyped-call]
        message = _InboundMessage(mid, topic)
        message.qos = qos
        message.dup = bool(header & 0x08)
        message.retain = bool(header & 0x01)
        message.properties = properties
        message.payload = payload
        message.timestamp = time.monotonic()
        self._handle_on_message(message)
        if qos == 1 and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        on_message: Callable[..., None] | None = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:
                on_message(self, self._userdata, message)

    def message_callback_add(self, sub: str, callback: Any) -> None:
        raise NotImplementedError("IngestClient hands every message to on_message")
