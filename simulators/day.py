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

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.registry import Registry
from core.settings import Settings
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from simulators.faults import FaultConfig
from simulators.links import sample_devices
from simulators.runner import PartOptions, PartResult, Progress, run_part
from simulators.truth import write_truth_log

__all__ = ["DaySummary", "Progress", "parse_start", "run_day"]

log = logging.getLogger("yiju.simulators")


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
    actions: Sequence[tuple[int, Callable[[int], object]]] = (),
    pest_history: Mapping[str, int] | None = None,
    advance_clock: Callable[[int], object] | None = None,
) -> DaySummary:
    """Simulate `hours` from `start` at `speed` (0: as fast as possible) on the broker.

    `actions`: (simulated ms, callable) pairs run when the clock reaches them, the
    world waiting meanwhile (see `run_part`); single-process runs only. `pest_history`:
    each pest site's last visit before the start, as imported into InfluxDB.
    `advance_clock`: told the simulated time before the messages up to it are
    published (ingest's `SimulationClock.advance`); single-process runs only."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if (actions or advance_clock) and workers > 1:
        raise ValueError("actions and advance_clock need a single-process run (workers=1)")
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
        tuple(sorted((pest_history or {}).items())),
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
        parts = [
            run_part(
                settings,
                registry,
                options,
                stop_event,
                progress,
                actions=actions,
                advance_clock=advance_clock,
            )
        ]
    else:
        from simulators.parallel import run_parallel

        parts = run_parallel(settings, registry, options, workers, stop_event, progress)
    wall = time.monotonic() - began
    return _summarise(registry, options, parts, truth_path, wall, workers)


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
