"""Dead letters: every rejected message becomes a `deadletter` point with its reason.

Dead letters have no timestamp of their own that is trustworthy (the payload
may be garbage), so they are stamped with the arrival time in nanoseconds,
made unique per worker, and written with precision=ns.
"""

from __future__ import annotations

import time

from core import schema
from core.contract import Rejection
from core.line_protocol import line

# Enough of the payload to see what went wrong without storing megabytes.
MAX_PAYLOAD_CHARS = 512
MAX_DETAIL_CHARS = 300
# Line protocol cannot carry raw control characters in a string field.
_CONTROL = {i: f"\\x{i:02x}" for i in range(32)} | {0x7F: "\\x7f"}


def printable(data: bytes | str, limit: int) -> str:
    """Text safe for a line-protocol string field: invalid UTF-8 and control
    characters are written as escapes, then cut to `limit` characters."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    return text[: limit * 2].translate(_CONTROL)[:limit].encode("utf-8", "replace").decode()


class DeadLetterStamper:
    """Strictly increasing nanosecond stamps; the last two digits name the worker,
    so the dead letters of several workers never overwrite one another."""

    def __init__(self, worker: int = 0) -> None:
        if not 0 <= worker < 100:
            raise ValueError(f"worker index {worker} must be 0–99")
        self.worker = worker
        self._last = 0

    def next_ns(self) -> int:
        now = time.time_ns() // 100 * 100 + self.worker
        if now <= self._last:
            now = self._last + 100
        self._last = now
        return now


def deadletter_line(topic: str, payload: bytes, rejection: Rejection, ts_ns: int) -> str:
    return line(
        schema.DEADLETTER.name,
        {"reason": rejection.reason.value},
        {
            "topic": printable(topic, 256),
            "payload": printable(payload, MAX_PAYLOAD_CHARS),
            "detail": printable(rejection.detail, MAX_DETAIL_CHARS),
        },
        ts_ns,
    )
