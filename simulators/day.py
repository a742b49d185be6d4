"""Run a simulated day against the broker: the programmatic entry point.

    summary = run_day(settings, registry, start="2026-07-15T00:00", hours=24, speed=600,
                      seed=1, faults=FaultConfig(), truth_path=Path("var/truth.jsonl"))

connects the links (town gateways and the sampled devices), listens to the
dispatch topics, runs the clock, publishes every message at QoS 1, waits for
every acknowledgement, writes the truth log and returns a `DaySummary`.
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

from core.registry import Registry
from core.settings import Settings
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from core.topics import Topics
from simulators.clock import SimClock
from simulators.dispatch import DispatchListener
from simulators.engine import DistrictSim
from simulators.faults import FaultConfig
from simulators.links import LinkPool, sample_devices
from simulators.truth import write_truth_log

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
    wall_s: float
    gateway_links: int
    device_links: int
    routes_taken: int
    stopped_early: bool = False
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.published / self.wall_s if self.wall_s > 0 else 0.0


def parse_start(start: datetime | int | str, tz: str) -> int:
    """Epoch ms of a start given as ms, an aware datetime, or a local ISO date-time."""
    if isinstance(start, int):
        return start
    moment = datetime.fromisoformat(start) if isinstance(start, str) else start
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

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
) -> DaySummary:
    """Simulate `hours` from `start` at `speed` (0: as fast as possible) on the broker."""
    faults = faults if faults is not None else FaultConfig()
    start_ms = parse_start(start, registry.district.tz)
    clock = SimClock(start_ms, hours, speed, stop_event=stop_event)
    direct = sample_devices(registry, device_share, max_device_links, seed)
    sim = DistrictSim(
        registry,
        start_ms=start_ms,
        end_ms=clock.end_ms,
        seed=seed,
        faults=faults,
        topics=Topics(settings.topic_prefix),
        direct_devices=direct,
        thresholds=thresholds,
        position_interval_s=position_interval_s,
    )
    clock.max_step_ms = sim.min_interval_ms
    # The registry and the models are long-lived; keeping them out of the cyclic
    # collector's generations stops full collections from eating a third of the
    # time of a district-scale run.
    gc.freeze()
    pool = LinkPool(settings, registry, direct, window=window)
    listener = DispatchListener(settings) if follow_dispatch else None
    log.info(
        "simulating %s h from %d at speed %s (seed %d): %d devices, %d on their own connection",
        hours,
        start_ms,
        speed or "max",
        seed,
        len(registry.devices),
        len(direct),
    )
    began = time.monotonic()
    reported = began
    reached = start_ms
    try:
        pool.open()
        if listener is not None:
            listener.start()
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
                progress(_progress(sim, reached, start_ms, clock.end_ms, now - began))
        leftovers = sim.leftovers()
        pool.publish(leftovers)
        sim.delivered(leftovers)
        pool.close()
    except BaseException:
        pool.abort()
        raise
    finally:
        if listener is not None:
            listener.stop()
    wall = time.monotonic() - began
    violations = sim.finish(reached)
    lines = write_truth_log(truth_path, violations, sim.referee.faults) if truth_path else 0
    if pool.rejected:
        log.error(
            "the broker refused %d publishes (ACL); the truth log assumes they arrived",
            pool.rejected,
        )
    summary = DaySummary(
        start_ms=start_ms,
        end_ms=reached,
        seed=seed,
        speed=speed,
        messages=dict(sorted(sim.published.items())),
        published=sum(sim.published.values()),
        acknowledged=pool.acknowledged,
        rejected=pool.rejected,
        faults=dict(sorted(Counter(f.fault.value for f in sim.referee.faults).items())),
        violations=dict(sorted(Counter(v.kind.value for v in violations).items())),
        truth_path=truth_path,
        truth_lines=lines,
        wall_s=wall,
        gateway_links=len(registry.towns),
        device_links=len(direct),
        routes_taken=sim.fleet.routes_taken,
        stopped_early=reached < clock.end_ms,
        extra={"dispatch_rejected": sim.dispatch_rejected},
    )
    log.info(
        "simulated %.1f h: %d messages in %.1f s (%.0f msg/s), %d faults, %d violations",
        (reached - start_ms) / 3_600_000,
        summary.published,
        wall,
        summary.rate,
        sum(summary.faults.values()),
        sum(summary.violations.values()),
    )
    return summary


def _progress(sim: DistrictSim, sim_ms: int, start_ms: int, end_ms: int, wall: float) -> Progress:
    messages = dict(sim.published)
    return Progress(sim_ms, start_ms, end_ms, messages, sum(messages.values()), wall)
