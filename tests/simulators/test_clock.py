"""Simulated time: step sizes and pacing by step, not by message."""

from __future__ import annotations

import itertools
import time

import pytest

from simulators.clock import SimClock


@pytest.mark.parametrize(
    ("speed", "step_ms"), [(0, 60_000), (600, 60_000), (60, 30_000), (1, 1_000)]
)
def test_step_follows_speed(speed: float, step_ms: int) -> None:
    """Fast runs step a minute of simulated time; slow runs step finer."""
    assert SimClock(0, 1, speed).step_ms == step_ms


def test_steps_cover_the_run_exactly() -> None:
    """Steps are contiguous and end at start + hours."""
    clock = SimClock(1_000, 0.5, 0)
    steps = list(clock.steps())
    assert steps[0][0] == 1_000
    assert steps[-1][1] == clock.end_ms == 1_000 + 1_800_000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(steps))


def test_paced_run_never_runs_ahead_of_simulated_time() -> None:
    """At speed 7200 a simulated hour lasts at least half a second: no step starts
    before its simulated time is due. A busy machine can only make the run later,
    so only that bound is checked (how late is measured in bench/)."""
    clock = SimClock(0, 1, 7200)
    began = time.monotonic()
    for t0, _ in clock.steps():
        assert time.monotonic() >= clock.wall_due(t0), f"step at {t0} ms started early"
    assert time.monotonic() - began >= 3600 / 7200


@pytest.mark.parametrize(("hours", "speed"), [(0, 600), (1, -1)])
def test_bad_clock_settings_are_refused(hours: float, speed: float) -> None:
    """Non-positive hours or a negative speed raise ValueError."""
    with pytest.raises(ValueError, match="must be"):
        SimClock(0, hours, speed)
