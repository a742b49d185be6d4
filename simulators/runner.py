"""One simulating process: the district (or some of its towns) against the broker.

`run_part` builds the models, connects the links and the dispatch listener,
runs the clock step by step, publishes each step's messages, waits for every
acknowledgement and returns what it did. `run_day` calls it once, or once per
worker process (`simulators.parallel`).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.registry import Registry
from core.settings import Settings
from core.thresholds import RuleThresholds
from core.topics import Topics
from simulators.clock import SimClock, StopSignal
from simulators.dispatch import DispatchListener
from simulators.engine import DistrictSim
from simulators.faults import FaultConfig
from simulators.links import LinkPool
from simulators.truth import FaultRecord, ViolationRecord

PROGRESS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class Progress:
    sim_ms: int
    start_ms: int
    end_ms: int
    messages: dict[str, int]
    published: int
    wall_s: float

    @property
    def rate(self) -> float:
        return self.published / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def done(self) -> float:
        return (self.sim_ms - self.start_ms) / max(1, self.end_ms - self.start_ms)


@dataclass
class PartResult:
    """What one simulating process did (the whole district, or some towns of it)."""

    messages: dict[str, int]
    acknowledged: int
    rejected: int
    violations: list[ViolationRecord]
    faults: list[FaultRecord]
    routes_taken: int
    reached_ms: int
    dispatch_rejected: int
    run_s: float


@dataclass(frozen=True, slots=True)
class PartOptions:
    """Everything a simulating process needs besides settings and its registry."""

    start_ms: int
    hours: float
    speed: float
    seed: int
    faults: FaultConfig
    direct_devices: frozenset[str]
    # None: the configured rules (`Settings.rule_thresholds`).
    thresholds: RuleThresholds | None = None
    follow_dispatch: bool = True
    window: int = 500
    position_interval_s: int = 60
    # Pest sites' last visits before the run (site id, epoch ms): the running start.
    pest_history: tuple[tuple[str, int], ...] = ()


def run_part(
    settings: Settings,
    registry: Registry,
    options: PartOptions,
    stop_event: StopSignal | None = None,
    progress: Callable[[Progress], None] | None = None,
    ready: Callable[[], object] | None = None,
    actions: Sequence[tuple[int, Callable[[int], object]]] = (),
    advance_clock: Callable[[int], object] | None = None,
) -> PartResult:
    """Simulate `registry` in this process; `ready` is called once connected, right
    before the clock starts (worker processes wait for each other there).

    `actions` are (simulated ms, callable) pairs: each is called with the simulated
    time once the clock reaches it, while the world waits (a dispatcher planning);
    the routes it dispatches are read before the next step.

    `advance_clock` is told the simulated time before the messages up to it are
    published: a consumer judging their timestamps (ingest's `SimulationClock`)
    then has the run's time to judge them by."""
    o = options
    pending = sorted(actions, key=lambda a: a[0])
    clock = SimClock(o.start_ms, o.hours, o.speed, stop_event=stop_event)
    direct = o.direct_devices & registry.devices.keys()
    sim = DistrictSim(
        registry,
        start_ms=o.start_ms,
        end_ms=clock.end_ms,
        seed=o.seed,
        faults=o.faults,
        topics=Topics(settings.topic_prefix),
        direct_devices=frozenset(direct),
        thresholds=o.thresholds or settings.rule_thresholds(),
        position_interval_s=o.position_interval_s,
        pest_history=dict(o.pest_history),
    )
    clock.max_step_ms = sim.min_interval_ms
    # The registry and the models are long-lived; keeping them out of the cyclic
    # collector's generations stops full collections from eating a third of the
    # time of a district-scale run.
    gc.freeze()
    pool = LinkPool(settings, registry, direct, window=o.window)
    listener = DispatchListener(settings, sim.fleet.agents) if o.follow_dispatch else None
    reached = o.start_ms
    try:
        pool.open()
        if listener is not None:
            listener.start()
        if ready is not None:
            ready()
        began = reported = time.monotonic()
        if advance_clock is not None:
            advance_clock(o.start_ms)
        opening = sim.opening()
        pool.publish(opening)
        sim.delivered(opening)
        for t0, t1 in clock.steps():
            if pending and pending[0][0] <= t0:
                while pending and pending[0][0] <= t0:
                    _run_keeping_links_alive(pending.pop(0)[1], t0, pool)
                if listener is not None:
                    listener.settle()
            if listener is not None:
                for topic, payload in listener.drain():
                    sim.dispatch(topic, payload, t0)
            batch = sim.step(t0, t1)
            if advance_clock is not None:
                advance_clock(t1)
            pool.publish(batch)
            pool.flush()
            sim.delivered(batch)
            reached = t1
            now = time.monotonic()
            if progress is not None and (now - reported >= PROGRESS_EVERY_S or t1 >= clock.end_ms):
                reported = now
                messages = dict(sim.published)
                progress(
                    Progress(
                        t1, o.start_ms, clock.end_ms, messages, sum(messages.values()), now - began
                    )
                )
        leftovers = sim.leftovers()
        pool.publish(leftovers)
        sim.delivered(leftovers)
        pool.close()
        run_s = time.monotonic() - began
    except BaseException:
        pool.abort()
        raise
    finally:
        if listener is not None:
            listener.stop()
    return PartResult(
        messages=dict(sim.published),
        acknowledged=pool.acknowledged,
        rejected=pool.rejected,
        violations=sim.finish(reached),
        faults=sim.referee.faults,
        routes_taken=sim.fleet.routes_taken,
        reached_ms=reached,
        dispatch_rejected=sim.dispatch_rejected,
        run_s=run_s,
    )


def _run_keeping_links_alive(action: Callable[[int], object], now_ms: int, pool: LinkPool) -> None:
    """Run a dispatcher action (it may take minutes: planning a district) in a thread,
    while this one keeps the broker links alive; the action's error is raised here."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            action(now_ms)
        except BaseException as exc:  # handed to the simulating thread below
            failure.append(exc)

    worker = threading.Thread(target=target, name="sim-action", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(timeout=1.0)
        pool.flush()  # answers PINGRESPs, sends PINGREQs past half the keep-alive
    if failure:
        raise failure[0]
