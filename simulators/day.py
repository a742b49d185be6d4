"""Run a simulated day against the broker: the programmatic entry point.

    summary = run_day(settings, registry, start="2026-07-15T00:00", hours=24, speed=600,
                      seed=1, faults=FaultConfig(), truth_path=Path("var/truth.jsonl"))

connects the links (town gateways and the sampled devices), subscribes to the
trucks' and crews' dispatch topics, runs the clock, publishes every message at
QoS 1, waits for every acknowledgement, writes the truth log and returns a
`DaySummary`. With `workers` > 1 the towns are split over that many processes
(see `simulators.parallel`), for district-scale runs at high speed.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.registry import Registry
from core.settings import Settings
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from core.topics import Topics
from simulators.clock import SimClock, StopSignal
from simulators.dispatch import DispatchListener
from simulators.engine import DistrictSim
from simulators.faults import FaultConfig
from simulators.links import LinkPool, sample_devices
from simulators.truth import FaultRecord, ViolationRecord, write_truth_log

log = logging.getLogger("yiju.simulators")

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
class DaySummary:
    start_ms: int
    end_ms: int  # where the run ended (earlier than planned when stopped)
    seed: int
    speed: float
    messages: dict[str, int]  # published per topic family: bin, sewer, camera, status, ...
    published: int
    acknowledged: int
    rejected: int  # refused by the broker (ACL); should be 0
    faults: dict[str, int]
    violations: dict[str, int]
    truth_path: Path | None
    truth_lines: int
    wall_s: float  # the whole call: connecting, starting processes, the run, the truth log
    run_s: float  # from the clock's start to the last acknowledgement
    gateway_links: int
    device_links: int
    routes_taken: int
    workers: int = 1
    stopped_early: bool = False
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Messages per second while the clock ran."""
        return self.published / self.run_s if self.run_s > 0 else 0.0


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
    thresholds: RuleThresholds = DEFAULT_THRESHOLDS
    follow_dispatch: bool = True
    window: int = 500
    position_interval_s: int = 60


def parse_start(start: datetime | int | str, tz: str) -> int:
    """Epoch ms of a start given as ms, an aware datetime, or a local ISO date-time."""
    if isinstance(start, int):
        return start
    moment = datetime.fromisoformat(start) if isinstance(start, str) else start
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return int(moment.timestamp() * 1000)


def run_day(
    settings: Settings,
    registry: Registry,
    start: datetime | int | str,
    hours: float = 24.0,
    speed: float = 600.0,
    seed: int = 1,
    faults: FaultConfig | None = None,
    truth_path: Path | None = None,
    stop_event: threading.Event | None = None,
    progress: Callable[[Progress], None] | None = None,
    *,
    thresholds: RuleThresholds = DEFAULT_THRESHOLDS,
    device_share: float = 0.02,
    max_device_links: int = 200,
    follow_dispatch: bool = True,
    window: int = 500,
    position_interval_s: int = 60,
    workers: int = 1,
) -> DaySummary:
    """Simulate `hours` from `start` at `speed` (0: as fast as possible) on the broker."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    faults = faults if faults is not None else FaultConfig()
    start_ms = parse_start(start, registry.district.tz)
    direct = sample_devices(registry, device_share, max_device_links, seed)
    options = PartOptions(
        start_ms,
        hours,
        speed,
        seed,
        faults,
        direct,
        thresholds,
        follow_dispatch,
        window,
        position_interval_s,
    )
    log.info(
        "simulating %s h from %d at speed %s (seed %d): %d devices, %d on their own "
        "connection, %d process(es)",
        hours,
        start_ms,
        speed or "max",
        seed,
        len(registry.devices),
        len(direct),
        workers,
    )
    began = time.monotonic()
    if workers == 1:
        parts = [run_part(settings, registry, options, stop_event, progress)]
    else:
        from simulators.parallel import run_parallel

        parts = run_parallel(settings, registry, options, workers, stop_event, progress)
    wall = time.monotonic() - began
    return _summarise(registry, options, parts, truth_path, wall, workers)


def run_part(
    settings: Settings,
    registry: Registry,
    options: PartOptions,
    stop_event: StopSignal | None = None,
    progress: Callable[[Progress], None] | None = None,
    ready: Callable[[], object] | None = None,
) -> PartResult:
    """Simulate `registry` in this process; `ready` is called once connected, right
    before the clock starts (worker processes wait for each other there)."""
    o = options
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
        thresholds=o.thresholds,
        position_interval_s=o.position_interval_s,
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
        opening = sim.opening()
        pool.publish(opening)
        sim.delivered(opening)
        for t0, t1 in clock.steps():
            if listener is not None:
                for topic, payload in listener.drain():
                    sim.dispatch(topic, payload, t0)
            batch = sim.step(t0, t1)
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


def _summarise(
    registry: Registry,
    options: PartOptions,
    parts: list[PartResult],
    truth_path: Path | None,
    wall: float,
    workers: int,
) -> DaySummary:
    messages: Counter[str] = Counter()
    for part in parts:
        messages.update(part.messages)
    violations = [v for part in parts for v in part.violations]
    # Every worker reports the district-wide storms it simulates: count them once.
    faults = sorted({f for part in parts for f in part.faults})
    reached = min(part.reached_ms for part in parts)
    lines = write_truth_log(truth_path, violations, faults) if truth_path else 0
    rejected = sum(p.rejected for p in parts)
    if rejected:
        log.error(
            "the broker refused %d publishes (ACL); the truth log assumes they arrived", rejected
        )
    end_ms = options.start_ms + round(options.hours * 3_600_000)
    summary = DaySummary(
        start_ms=options.start_ms,
        end_ms=reached,
        seed=options.seed,
        speed=options.speed,
        messages=dict(sorted(messages.items())),
        published=sum(messages.values()),
        acknowledged=sum(p.acknowledged for p in parts),
        rejected=rejected,
        faults=dict(sorted(Counter(f.fault.value for f in faults).items())),
        violations=dict(sorted(Counter(v.kind.value for v in violations).items())),
        truth_path=truth_path,
        truth_lines=lines,
        wall_s=wall,
        run_s=max(p.run_s for p in parts),
        gateway_links=len(registry.towns),
        device_links=len(options.direct_devices),
        routes_taken=sum(p.routes_taken for p in parts),
        workers=workers,
        stopped_early=reached < end_ms,
        extra={"dispatch_rejected": sum(p.dispatch_rejected for p in parts)},
    )
    log.info(
        "simulated %.1f h: %d messages in %.1f s (%.0f msg/s), %d faults, %d violations",
        (reached - options.start_ms) / 3_600_000,
        summary.published,
        wall,
        summary.rate,
        len(faults),
        len(violations),
    )
    return summary
