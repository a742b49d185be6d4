"""`IngestService`: the programmatic entry point (CLI, demo, closed-loop tests).

    service = IngestService(settings, registry, workers=2)
    service.start()
    ...
    service.wait_idle()            # everything received is written and acknowledged
    service.advance_to(ms)         # run the rules' time checks up to a message time
    service.counters()             # received, written, dead-lettered, violations, ...
    service.stop()                 # flush and acknowledge, then disconnect

With `workers=1` the consumer runs in this process; with more, each worker is a
process on the shared subscription and hands its stored messages to the rule
engine, which runs here (rules need every message of a subject in one place).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core.contract import Message
from core.processes import spawn_context
from core.registry import Registry
from core.settings import Settings
from core.thresholds import RuleThresholds
from ingest import MAX_WORKERS
from ingest.consumer import Consumer, ConsumerOptions
from ingest.errors import IngestError
from ingest.facts import decode, encode
from ingest.points import Enricher
from ingest.stats import Counter, IngestCounters, StatsLogger, WorkerCounters, total
from ingest.violations import ViolationPipeline

log = logging.getLogger("yiju.ingest")

# Seconds the rules wait for the other workers' messages of the same moment.
REORDER_S = 1.0


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    workers: int = 1
    consumer: ConsumerOptions = field(default_factory=ConsumerOptions)
    # None: the configured rules (`Settings.rule_thresholds`).
    thresholds: RuleThresholds | None = None
    # Message time allowed to arrive late before time-based checks run past it.
    lateness_ms: int = 300_000
    restore: bool = True
    stats_interval_s: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"workers must be 1–{MAX_WORKERS}, not {self.workers}")
        if self.lateness_ms < 0:
            raise ValueError("lateness_ms must be ≥ 0")


class IngestService:
    """Keyword overrides name a field of `ServiceOptions` or `ConsumerOptions`
    (e.g. `group=`, `batch_size=`, `lateness_ms=`, `restore=`)."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        workers: int = 1,
        *,
        options: ServiceOptions | None = None,
        **option_overrides: Any,
    ) -> None:
        base = replace(options or ServiceOptions(), workers=workers)
        consumer_names = {f.name for f in fields(ConsumerOptions)}
        known = consumer_names | {f.name for f in fields(ServiceOptions)}
        unknown = sorted(set(option_overrides) - known)
        if unknown:
            raise ValueError(f"unknown ingest options {unknown}; known: {sorted(known)}")
        consumer = {k: v for k, v in option_overrides.items() if k in consumer_names}
        service = {k: v for k, v in option_overrides.items() if k not in consumer_names}
        base = replace(base, consumer=replace(base.consumer, **consumer), **service)
        if base.consumer.shared is None:
            base = replace(base, consumer=replace(base.consumer, shared=base.workers > 1))
        self.options = base
        self.settings = settings
        self.registry = registry
        self.violations = ViolationPipeline(
            settings,
            registry,
            thresholds=base.thresholds or settings.rule_thresholds(),
            lateness_ms=base.lateness_ms,
            group=base.consumer.group,
        )
        self._counters = [WorkerCounters() for _ in range(base.workers)]
        self._consumer: Consumer | None = None
        self._processes: list[Any] = []
        self._facts: Any = None
        self._stop_event: Any = None
        self._fed_batches = 0
        self._drain_thread: threading.Thread | None = None
        self._draining = threading.Event()
        self._stats = StatsLogger(self.counters, base.stats_interval_s)
        self._started = False
        self._stopped = False

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            raise IngestError("this IngestService was started already; make a new one")
        self._started = True
        if self.options.restore:
            self.violations.restore()
        self.violations.start()
        if self.options.workers == 1:
            self._consumer = Consumer(
                self.settings,
                Enricher.from_registry(self.registry),
                self._counters[0],
                options=self.options.consumer,
                fact_sink=self.violations.feed,
            )
            self._consumer.start()
        else:
            self._start_processes()
            self._wait_connected(timeout=30.0)
        self._stats.start()
        log.info(
            "ingest started: %d worker(s), share group %s, broker %s:%d",
            self.options.workers,
            self.options.consumer.group,
            self.settings.mqtt_host,
            self.settings.mqtt_port,
        )

    def stop(self, timeout: float = 30.0, *, forget_session: bool = False) -> bool:
        """Write and acknowledge everything received, then disconnect; False when
        something could not be written within `timeout` (it stays unacknowledged
        and comes again on the next start)."""
        if not self._started or self._stopped:
            return True
        self._stopped = True
        flushed = True
        if self._consumer is not None:
            flushed = self._consumer.stop(timeout, forget_session=forget_session)
        if self._processes:
            self._stop_event.set()
            for p in self._processes:
                p.join(timeout + 5)
                if p.is_alive():
                    log.error("worker pid %d did not stop; terminating it", p.pid)
                    p.terminate()
                    flushed = False
            # The feed thread hands over what is left, then ends.
            self._draining.set()
            if self._drain_thread is not None:
                self._drain_thread.join(timeout)
        flushed = self.violations.stop(timeout) and flushed
        self._stats.stop()
        c = self.counters()
        log.info(
            "ingest stopped: %d received (%d redelivered), %d written, %d dead letters, "
            "violations %d/%d",
            c.received,
            c.redelivered,
            c.written,
            c.deadlettered,
            c.violations_opened,
            c.violations_closed,
        )
        return flushed

    # --- what callers ask -------------------------------------------------------------------

    def counters(self) -> IngestCounters:
        received = total(self._counters, Counter.RECEIVED)
        handled = total(self._counters, Counter.HANDLED)
        dead = total(self._counters, Counter.DEADLETTERED)
        return IngestCounters(
            received=received,
            written=handled - min(dead, handled),
            deadlettered=dead,
            pending=received - handled,
            violations_opened=self.violations.opened,
            violations_closed=self.violations.closed,
            alerts_published=self.violations.alerts.published,
            batch_latency_ms=max(w.get(Counter.BATCH_LATENCY_MS) for w in self._counters),
            redelivered=total(self._counters, Counter.REDELIVERED),
        )

    def advance_to(self, ms: int) -> None:
        """Run the rules' time checks (cut-off, silence, camera grace, pest cycles) up
        to message time `ms`; call `wait_idle` first so every message is in."""
        self.violations.advance_to(ms)

    def wait_idle(self, timeout: float = 60.0, quiet_s: float = 0.5) -> bool:
        """True once every message received is written and acknowledged, the rules
        have seen them and their events are written, and nothing new came for `quiet_s`."""
        deadline = time.monotonic() + timeout
        last_received, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            received = total(self._counters, Counter.RECEIVED)
            handled = total(self._counters, Counter.HANDLED)
            fact_batches = total(self._counters, Counter.FACT_BATCHES)
            if received != last_received:
                last_received, quiet_since = received, time.monotonic()
            rules_caught_up = not self._processes or fact_batches == self._fed_batches
            if (
                received == handled
                and rules_caught_up
                and self.violations.idle()
                and time.monotonic() - quiet_since >= quiet_s
            ):
                return True
            time.sleep(0.05)
        return False

    # --- worker processes ---------------------------------------------------------------------

    def _wait_connected(self, timeout: float) -> None:
        """Until every worker has subscribed: before a group's first subscription
        the broker has no one to keep messages for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(w.get(Counter.CONNECTED) for w in self._counters):
                return
            if not all(p.is_alive() for p in self._processes):
                raise IngestError(
                    "an ingest worker process died at start; its log lines above say why"
                )
            time.sleep(0.05)
        log.warning("not every worker connected within %.0f s; they keep trying", timeout)

    def _start_processes(self) -> None:
        ctx = spawn_context()
        # Bounded: a slow rule engine holds the workers' acknowledgements back.
        self._facts = ctx.Queue(maxsize=64)
        self._stop_event = ctx.Event()
        for index in range(self.options.workers):
            shared = ctx.Array("q", len(Counter), lock=False)
            self._counters[index] = WorkerCounters(shared)
            process = ctx.Process(
                target=_worker_main,
                args=(
                    self.settings,
                    self.registry,
                    index,
                    self.options.consumer,
                    shared,
                    self._facts,
                    self._stop_event,
                    os.getpid(),
                    logging.getLogger().level,
                ),
                name=f"ingest-worker-{index}",
                daemon=False,
            )
            process.start()
            self._processes.append(process)
        self._drain_thread = threading.Thread(
            target=self._drain_facts, name="ingest-rules-feed", daemon=True
        )
        self._drain_thread.start()

    def _drain_facts(self, block: bool = True) -> None:
        """Feed the workers' stored messages to the rules. Workers deliver a
        subject's messages in any order between them, so batches wait
        `REORDER_S` and are fed merged in message-time order; the rules then see
        a subject's readings in order unless one worker lags by more than that."""
        waiting: list[tuple[float, list[Message]]] = []
        while True:
            empty = False
            try:
                rows: list[tuple[Any, ...]] = self._facts.get(timeout=0.1 if block else 0.01)
                waiting.append((time.monotonic(), decode(rows)))
            except queue.Empty:
                empty = True
            finishing = not block or self._draining.is_set()
            cutoff = time.monotonic() - (0 if finishing else REORDER_S)
            ready = [facts for arrived, facts in waiting if arrived <= cutoff]
            if ready:
                waiting = waiting[len(ready) :]
                merged = sorted((m for facts in ready for m in facts), key=lambda m: m.ts_ms)
                self.violations.feed(merged)
                self._fed_batches += len(ready)
            if finishing and empty and not waiting:
                return


def _worker_main(
    settings: Settings,
    registry: Registry,
    index: int,
    options: ConsumerOptions,
    shared: Any,
    facts: Any,
    stop_event: Any,
    parent_pid: int,
    log_level: int,
) -> None:
    """A worker process: consume until told to stop or until the parent is gone."""
    # Ctrl-C reaches the whole process group; the parent decides when workers stop
    # (after flushing), so the workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=log_level or logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s[w%(process)d]: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    counters = WorkerCounters(shared)
    consumer = Consumer(
        settings,
        Enricher.from_registry(registry),
        counters,
        index=index,
        options=options,
        fact_sink=lambda batch: facts.put(encode(batch)),
    )
    consumer.start()
    while not stop_event.wait(0.5):
        if os.getppid() != parent_pid:
            # The service died (kill -9): stop at once, unacknowledged messages come again.
            # The counts tell whoever restarts it how much the broker will send again.
            log.warning(
                "worker %d: the service is gone; exiting after receiving %d messages, "
                "%d of them handled (written and acknowledged); the broker sends the "
                "unacknowledged ones again",
                index,
                counters.get(Counter.RECEIVED),
                counters.get(Counter.HANDLED),
            )
            os._exit(1)
    consumer.stop()
