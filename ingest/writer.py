"""The batching writer: lines in, InfluxDB `/write` out, by size and by time.

A batch counts as written only when InfluxDB accepted it; then `on_written`
runs (the consumer acknowledges the batch's messages there). While InfluxDB is
unreachable the writer keeps the batch and tries again under `WRITE_RETRY`
(until it succeeds, the wait doubling up to 5 s, each failure logged with its
attempt count and error); it never drops a batch. Waiting without a bound is
safe here: nothing in the batch is acknowledged, so the broker keeps the
messages, and memory stays bounded because the broker sends no more than the
consumer's MQTT receive maximum of unacknowledged messages. The writer calls
the InfluxDB client with `ONCE`, so its policy is the only one on this path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.errors import InfluxError, InfluxQueryError
from core.influx import InfluxClient
from core.retry import ONCE, Failure, RetryError, RetryPolicy, retry_call

log = logging.getLogger("yiju.ingest")

WRITE_RETRY = RetryPolicy.until_success(initial_s=0.2, max_s=5.0)


@dataclass
class Batch:
    """Points with millisecond timestamps, dead letters with nanosecond ones, and
    whatever the owner needs once they are stored (message ids, rule facts)."""

    lines: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    tokens: list[Any] = field(default_factory=list)
    facts: list[Any] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.lines) + len(self.dead) + len(self.tokens)


@dataclass
class WriterStats:
    batches: int = 0
    lines: int = 0
    retries: int = 0
    rejected_lines: int = 0
    last_latency_s: float = 0.0
    outage_since: float | None = None


class BatchWriter:
    """One writer thread with its own InfluxDB client (clients are per thread)."""

    def __init__(
        self,
        client: InfluxClient,
        on_written: Callable[[Batch], None],
        *,
        max_lines: int = 5000,
        max_delay_s: float = 0.2,
        retry: RetryPolicy = WRITE_RETRY,
        name: str = "ingest-writer",
    ) -> None:
        if max_lines < 1 or max_delay_s <= 0:
            raise ValueError("max_lines must be ≥ 1 and max_delay_s > 0")
        if retry.bounded:
            raise ValueError(
                "the writer keeps a batch until InfluxDB takes it (its messages stay "
                f"unacknowledged meanwhile); a bounded policy would drop it: {retry}"
            )
        self.client = client
        self.on_written = on_written
        self.max_lines = max_lines
        self.max_delay_s = max_delay_s
        self.retry = retry
        self.stats = WriterStats()
        self._current = Batch()
        self._sealed: deque[Batch] = deque()
        self._busy = False
        self._cond = threading.Condition()
        self._stopping = False
        self._abort = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(
        self,
        lines: list[str],
        dead: list[str] | None = None,
        token: Any = None,
        fact: Any = None,
        facts: list[Any] | None = None,
    ) -> None:
        with self._cond:
            batch = self._current
            if not batch.lines and not batch.dead and not batch.tokens:
                batch.started = time.monotonic()
            batch.lines.extend(lines)
            if dead:
                batch.dead.extend(dead)
            if token is not None:
                batch.tokens.append(token)
            if fact is not None:
                batch.facts.append(fact)
            if facts:
                batch.facts.extend(facts)
            if len(batch.lines) + len(batch.dead) >= self.max_lines:
                self._seal()

    def pending(self) -> int:
        """Lines and tokens not yet written."""
        with self._cond:
            return len(self._current) + sum(len(b) for b in self._sealed) + (1 if self._busy else 0)

    def flush(self, timeout: float | None = None) -> bool:
        """Seal what is buffered and wait until everything is written."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._seal()
            while self._sealed or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 0.5)
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """Flush (up to `timeout`) and end the thread. What could not be written is
        left unacknowledged, so the broker delivers it again after a restart."""
        flushed = self.flush(timeout) if self._thread.is_alive() else False
        with self._cond:
            self._stopping = True
            self._abort = not flushed
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=self.retry.max_s + 2)
        self.client.close()
        return flushed

    # --- the thread ------------------------------------------------------------------

    def _seal(self) -> None:
        if len(self._current):
            self._sealed.append(self._current)
            self._current = Batch()
            self._cond.notify_all()

    def _next_batch(self) -> Batch | None:
        with self._cond:
            while not self._sealed:
                if self._stopping:
                    return None
                age = time.monotonic() - self._current.started
                if len(self._current) and age >= self.max_delay_s:
                    self._seal()
                    break
                wait = self.max_delay_s - age if len(self._current) else self.max_delay_s
                self._cond.wait(max(0.005, wait))
            self._busy = True
            return self._sealed.popleft()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                if self._write(batch):
                    self.on_written(batch)
            except Exception:  # the thread must survive anything a callback does
                log.exception("writer callback failed; batch of %d lines", len(batch.lines))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write(self, batch: Batch) -> bool:
        """Write `batch` under the writer's policy; False only when `stop` gave up on it."""
        one_by_one = False

        def attempt() -> None:
            nonlocal one_by_one
            if not one_by_one:
                try:
                    if batch.lines:
                        self._send(batch.lines, "ms")
                    if batch.dead:
                        self._send(batch.dead, "ns")
                    return
                except InfluxQueryError as exc:
                    log.error("InfluxDB refused a batch (%s); writing its lines one by one", exc)
                    one_by_one = True
            self._write_each(batch)

        try:
            retry_call(
                attempt,
                self.retry,
                what=f"writing {len(batch.lines)} lines to InfluxDB at {self.client.url}",
                retry_on=(InfluxError,),
                on_failure=lambda failure: self._failed(failure, batch),
                cancelled=lambda: self._abort,
            )
        except RetryError:
            return False
        if self.stats.outage_since is not None:
            log.info(
                "InfluxDB writes resumed after %.1f s",
                time.monotonic() - self.stats.outage_since,
            )
            self.stats.outage_since = None
        self.stats.batches += 1
        self.stats.lines += len(batch.lines) + len(batch.dead)
        self.stats.last_latency_s = time.monotonic() - batch.started
        return True

    def _failed(self, failure: Failure, batch: Batch) -> None:
        self.stats.retries += 1
        if self.stats.outage_since is None:
            self.stats.outage_since = time.monotonic()
        log.warning(
            "InfluxDB write failed (attempt %d, %.1f s into this batch), holding %d lines "
            "back and trying again in %.1f s: %s",
            failure.attempt,
            failure.elapsed_s,
            len(batch.lines) + len(batch.dead),
            failure.next_wait_s,
            failure.error,
        )

    def _send(self, lines: list[str], precision: str) -> None:
        self.client.write_lines(
            lines, batch_size=max(len(lines), 1), precision=precision, retry=ONCE
        )

    def _write_each(self, batch: Batch) -> None:
        """InfluxDB refused a batch (a line it cannot parse): write line by line so the
        good ones are kept, and log every refused line — none is dropped unseen."""
        for lines, precision in ((batch.lines, "ms"), (batch.dead, "ns")):
            for text in lines:
                try:
                    self._send([text], precision)
                except InfluxQueryError as exc:
                    self.stats.rejected_lines += 1
                    log.error("InfluxDB refused line %r: %s", text[:300], exc)
