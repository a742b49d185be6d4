"""Counters shared between worker processes and the service, and the periodic log line."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from core.processes import spawn_context

log = logging.getLogger("yiju.ingest")


class Counter(IntEnum):
    RECEIVED = 0
    HANDLED = 1  # written (or dead-lettered) and acknowledged
    DEADLETTERED = 2
    STALE_ACKS = 3  # copies from a lost connection; the broker sent them again
    BATCH_LATENCY_MS = 4
    FACT_BATCHES = 5  # batches of messages handed to the rules
    CONNECTED = 6  # 1 while subscribed
    # Received with the MQTT DUP flag: the broker sent the message to this session
    # before and got no acknowledgement (ingest crashed or the connection dropped),
    # so it may have been received, and even stored, already.
    REDELIVERED = 7


class WorkerCounters:
    """Per-worker counters in shared memory (a worker may be another process);
    each slot has a single writer, so no lock is needed."""

    def __init__(self, values: Any = None) -> None:
        if values is None:
            values = spawn_context().Array("q", len(Counter), lock=False)
        self.values = values

    def add(self, counter: Counter, n: int = 1) -> None:
        self.values[counter] += n

    def set(self, counter: Counter, value: int) -> None:
        self.values[counter] = value

    def get(self, counter: Counter) -> int:
        return int(self.values[counter])


@dataclass(frozen=True, slots=True)
class IngestCounters:
    """A snapshot of the service's counters."""

    received: int
    written: int
    deadlettered: int
    pending: int
    violations_opened: int
    violations_closed: int
    alerts_published: int
    batch_latency_ms: int
    redelivered: int = 0


def total(workers: Sequence[WorkerCounters], counter: Counter) -> int:
    return sum(w.get(counter) for w in workers)


class StatsLogger:
    """Logs rates, backlog, batch latency and dead letters every `interval_s`."""

    def __init__(self, snapshot: Callable[[], IngestCounters], interval_s: float = 10.0) -> None:
        self.snapshot = snapshot
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-stats", daemon=True)

    def start(self) -> None:
        if self.interval_s > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        last = self.snapshot()
        last_t = time.monotonic()
        while not self._stop.wait(self.interval_s):
            now, now_t = self.snapshot(), time.monotonic()
            dt = max(now_t - last_t, 1e-9)
            log.info(
                "ingest: %.0f msg/s in, %.0f msg/s written, backlog %d, batch latency %d ms, "
                "dead letters %d (+%d), redelivered %d, violations opened %d closed %d",
                (now.received - last.received) / dt,
                (now.written - last.written) / dt,
                now.pending,
                now.batch_latency_ms,
                now.deadlettered,
                now.deadlettered - last.deadlettered,
                now.redelivered,
                now.violations_opened,
                now.violations_closed,
            )
            last, last_t = now, now_t
