"""When a search must stop: a length of time that started, with its deadline."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Budget:
    """`seconds` of search ending at `deadline` (`time.monotonic()` seconds).

    `seconds` is the budget's size: it decides how a solve searches (a portfolio of
    starts, ruin and recreate) and it is the time limit handed to an OR-Tools search,
    whose clock starts with that search. `deadline` is what a loop of searches checks
    (`remaining_s`, `expired`), so the loop ends on time however long its steps take.
    A budget starts in the process that spends it: a deadline set by a parent would
    lose a queued or newly spawned worker's wait.
    """

    seconds: float
    deadline: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds) and self.seconds >= 0):
            raise ValueError(f"a budget of {self.seconds} s is not a length of time")

    @classmethod
    def from_now(cls, seconds: float) -> Budget:
        """`seconds` starting now."""
        return cls(seconds, time.monotonic() + seconds)

    def remaining_s(self) -> float:
        """Seconds left before the deadline (0 once it has passed)."""
        return max(0.0, self.deadline - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def share(self, fraction: float) -> Budget:
        """`fraction` of this budget's size, starting now and ending no later than it."""
        if not 0 < fraction <= 1:
            raise ValueError(f"a share of {fraction} is outside (0, 1]")
        seconds = self.seconds * fraction
        return Budget(seconds, min(self.deadline, time.monotonic() + seconds))
