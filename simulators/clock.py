"""Simulated time: a run from `start_ms` for `hours`, `speed` times faster than wall time.

The simulation advances in steps of simulated time and sleeps at most once per
step, never per message: at `speed` 600 a step of 60 simulated seconds takes
0.1 s of wall time, and every message of that step is published in a burst.
`speed` 0 runs as fast as the machine can (tests, benchmarks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from core.localday import MS_PER_HOUR

log = logging.getLogger("yiju.simulators")

MAX_STEP_MS = 60_000
MIN_STEP_MS = 1_000
# Wall time a paced step should take at most, so slow runs stay smooth.
STEP_WALL_S = 0.5


class StopSignal(Protocol):
    """A threading or multiprocessing Event: set it to end a run at the next step."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class SimClock:
    start_ms: int
    hours: float
    speed: float = 600.0
    max_step_ms: int = MAX_STEP_MS
    stop_event: StopSignal | None = None
    _wall_start: float = field(default=0.0, init=False)
    _behind_logged: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if self.hours <= 0:
            raise ValueError(f"hours must be positive, got {self.hours}")
        if self.speed < 0:
            raise ValueError(f"speed must be 0 (as fast as possible) or positive, got {self.speed}")

    @property
    def end_ms(self) -> int:
        return self.start_ms + round(self.hours * MS_PER_HOUR)

    @property
    def step_ms(self) -> int:
        paced = MAX_STEP_MS if self.speed == 0 else round(self.speed * STEP_WALL_S * 1000)
        return max(MIN_STEP_MS, min(self.max_step_ms, MAX_STEP_MS, paced))

    def steps(self) -> Iterator[tuple[int, int]]:
        """(t0, t1) of each step; stops early when the stop event is set."""
        self._wall_start = time.monotonic()
        t0 = self.start_ms
        step = self.step_ms
        while t0 < self.end_ms:
            if self.stop_event is not None and self.stop_event.is_set():
                return
            t1 = min(t0 + step, self.end_ms)
            yield t0, t1
            self.pace(t1)
            t0 = t1

    def wall_due(self, sim_ms: int) -> float:
        """Monotonic wall time at which simulated `sim_ms` is due."""
        return self._wall_start + (sim_ms - self.start_ms) / 1000 / self.speed

    def pace(self, sim_ms: int) -> None:
        """Sleep until simulated `sim_ms` is due (no-op when unpaced or behind)."""
        if self.speed == 0:
            return
        delay = self.wall_due(sim_ms) - time.monotonic()
        if delay > 0:
            if self.stop_event is not None:
                self.stop_event.wait(delay)
            else:
                time.sleep(delay)
        elif delay < -5 and time.monotonic() - self._behind_logged > 30:
            self._behind_logged = time.monotonic()
            log.warning(
                "simulation is %.0f s behind wall time at speed %g; lower --speed",
                -delay,
                self.speed,
            )
