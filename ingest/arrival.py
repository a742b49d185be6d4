"""When a message arrived, and whether its own `ts` can be believed.

A message's `ts` is its device's clock, and cheap clocks fail: a battery swap or
an RTC reset makes a sensor report from 1970, 2001 or 2100. Stored as data, such a
reading would close or reopen violations at times that never happened. So each
message is judged against the time it arrived: more than `max_ahead_ms` ahead of
it is `clock_skew`, more than `late_window_ms` behind it is `too_old`, and either
is a dead letter.

The arrival time comes from ingest, never from a device: the wall clock, or, for
a simulated run (whose messages carry simulated time, hours of it per wall
minute), the `SimulationClock` the run advances as it publishes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from core.contract import Rejection
from core.processes import spawn_context
from core.schema import DeadLetterReason
from core.settings import Settings


class ArrivalClock(Protocol):
    def now_ms(self) -> int: ...


class WallClock:
    """Real time: ingest's own clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def __repr__(self) -> str:
        return "WallClock()"


class SimulationClock:
    """A simulated run's current time, moved forward by the run before it publishes
    the messages up to that time. The value lives in shared memory, so ingest's
    worker processes (started with spawn, which hands it over) read it too."""

    def __init__(self, start_ms: int) -> None:
        self._value: Any = spawn_context().RawValue("q", start_ms)

    def advance(self, ms: int) -> None:
        """Move the clock to `ms`; it never goes back. One writer (the run)."""
        if ms > self._value.value:
            self._value.value = ms

    def now_ms(self) -> int:
        return int(self._value.value)

    def __repr__(self) -> str:
        return f"SimulationClock(now_ms={self.now_ms()})"


@dataclass(frozen=True, slots=True)
class ClockLimits:
    max_ahead_ms: int
    late_window_ms: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ClockLimits:
        return cls(settings.ingest_max_ahead_s * 1000, settings.ingest_late_window_s * 1000)


def clock_fault(
    ts_ms: int, arrived_ms: int, limits: ClockLimits, *, retained: bool = False
) -> Rejection | None:
    """The dead-letter reason for a `ts` its arrival time rules out, or None.

    A retained message (a device's last status, which the broker hands to every new
    subscription) may be old by nature; only a `ts` in the future is a fault there."""
    ahead = ts_ms - arrived_ms
    if ahead > limits.max_ahead_ms:
        return Rejection(
            DeadLetterReason.CLOCK_SKEW,
            f"ts {_iso(ts_ms)} is {_span(ahead)} ahead of its arrival at {_iso(arrived_ms)}; "
            f"at most {_span(limits.max_ahead_ms)} is allowed",
        )
    if not retained and -ahead > limits.late_window_ms:
        return Rejection(
            DeadLetterReason.TOO_OLD,
            f"ts {_iso(ts_ms)} is {_span(-ahead)} older than its arrival at {_iso(arrived_ms)}; "
            f"the late window is {_span(limits.late_window_ms)}",
        )
    return None


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _span(ms: int) -> str:
    seconds = ms // 1000
    if seconds < 3 * 3600:
        return f"{seconds} s"
    if seconds < 3 * 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"
