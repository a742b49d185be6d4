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


def test_paced_run_takes_simulated_time_over_speed() -> None:
    """One simulated hour at speed 7200 takes about half a second of wall time."""
    clock = SimClock(0, 1, 7200)
    began = time.monotonic()
    for _ in clock.steps():
        pass
    assert 0.4 < time.monotonic() - began < 1.5


@pytest.mark.parametrize(("hours", "speed"), [(0, 600), (1, -1)])
def test_bad_clock_settings_are_refused(hours: float, speed: float) -> None:
    """Non-positive hours or a negative speed raise ValueError."""
    with pytest.raises(ValueError, match="must be"):
        SimClock(0, hours, speed)
