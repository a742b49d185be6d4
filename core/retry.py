"""Trying a call again: one policy type and one loop for every retried call.

A `RetryPolicy` says how many attempts a call gets (or for how long), and how
long to wait between them (exponential backoff with a cap, optionally
jittered). `retry_call` runs a call under a policy. Each call path owns exactly
one policy, so retries never stack: a caller that retries on its own terms
(ingest's writer, the rules' restore) calls the InfluxDB client with `ONCE`.

Giving up raises an error that names what was tried, how many times, for how
long, and the last error (`Failure.summary`). A policy without a bound
(`until_success`) is for callers that keep their data while they wait and must
not drop it; they can still be cancelled.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from core.errors import YijuError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a call is tried.

    `attempts` counts every try, the first included (None: no limit), and
    `deadline_s` limits the time from the first try (None: no limit); when both
    are set, whichever comes first ends the tries. The wait after the n-th
    failure is `initial_s * multiplier**(n-1)`, capped at `max_s`, then moved by
    up to ±`jitter` of itself so that many clients do not retry in step.
    """

    attempts: int | None = 3
    initial_s: float = 0.5
    max_s: float = 5.0
    multiplier: float = 2.0
    deadline_s: float | None = None
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.attempts is not None and self.attempts < 1:
            raise ValueError(f"attempts must be at least 1 (or None), not {self.attempts}")
        if not 0 <= self.initial_s <= self.max_s:
            raise ValueError(
                f"waits must satisfy 0 ≤ initial_s ≤ max_s, not {self.initial_s} and {self.max_s}"
            )
        if self.multiplier < 1:
            raise ValueError(f"multiplier must be at least 1, not {self.multiplier}")
        if self.deadline_s is not None and self.deadline_s <= 0:
            raise ValueError(f"deadline_s must be positive (or None), not {self.deadline_s}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter is a fraction in [0, 1), not {self.jitter}")

    @classmethod
    def until_success(cls, initial_s: float, max_s: float) -> RetryPolicy:
        """Try until the call succeeds (or the caller cancels), waiting at most `max_s`."""
        return cls(attempts=None, initial_s=initial_s, max_s=max_s)

    @property
    def bounded(self) -> bool:
        return self.attempts is not None or self.deadline_s is not None

    def wait_s(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        """The wait after the `failures`-th failed attempt (1 for the first)."""
        wait = min(self.max_s, self.initial_s * self.multiplier ** (failures - 1))
        if self.jitter:
            wait *= 1 + self.jitter * (2 * draw() - 1)
        return wait


# No retries: for calls whose caller retries itself, and for probes that must
# answer at once (a health check, a ping).
ONCE = RetryPolicy(attempts=1)

# The MQTT clients' reconnects (ingest's workers and alert publisher, the
# simulators' dispatch listener): they hold their session and queued publishes
# while away, so they try until the broker is back.
BROKER_RECONNECT = RetryPolicy.until_success(initial_s=1.0, max_s=15.0)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt of a call under a policy."""

    what: str
    attempt: int
    elapsed_s: float
    error: Exception
    # The wait before the next attempt; None when this failure ends the tries.
    next_wait_s: float | None

    def summary(self) -> str:
        tries = "1 attempt" if self.attempt == 1 else f"{self.attempt} attempts"
        took = f"{self.elapsed_s:.1f} s"
        return f"{self.what}: gave up after {tries} in {took}; last error: {self.error}"


class RetryError(YijuError):
    """A retried call gave up; `failure` is its last attempt."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(failure.summary())


def retry_call(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    on_failure: Callable[[Failure], None] | None = None,
    give_up: Callable[[Failure], Exception] = RetryError,
    cancelled: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    draw: Callable[[], float] = random.random,
) -> T:
    """`call()`'s result, trying again on the errors in `retry_on` as `policy` allows.

    `what` names the call in the give-up message ("POST /write to InfluxDB at
    …"). `on_failure` hears of every failure that will be retried (to log or
    count it). When the tries end, or `cancelled()` turns true, the error made
    by `give_up` from the last failure is raised, chained to it. Other errors
    pass through at once, and so does the error of a policy's only attempt:
    with nothing retried, there is nothing to add to it. `sleep`, `clock` and
    `draw` are for tests that run the loop without waiting.
    """
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except retry_on as exc:
            if policy.attempts == 1:
                raise
            elapsed = clock() - started
            wait = policy.wait_s(attempt, draw)
            done = policy.attempts is not None and attempt >= policy.attempts
            if policy.deadline_s is not None:
                left = policy.deadline_s - elapsed
                # One last attempt at the deadline rather than giving up a wait early.
                done = done or left <= 0
                wait = min(wait, left)
            if done or (cancelled is not None and cancelled()):
                raise give_up(Failure(what, attempt, elapsed, exc, None)) from exc
            if on_failure is not None:
                on_failure(Failure(what, attempt, elapsed, exc, wait))
            sleep(wait)


class _Reconnecting(Protocol):
    def reconnect_delay_set(self, min_delay: int = 1, max_delay: int = 120) -> None: ...


def set_paho_reconnect(client: _Reconnecting, policy: RetryPolicy = BROKER_RECONNECT) -> None:
    """Give a paho client the policy for its reconnects. paho runs that loop itself
    (waiting `min_delay`, doubling up to `max_delay`, without end), so only
    unbounded doubling policies with whole-second waits can be expressed."""
    if policy.bounded or policy.multiplier != 2 or policy.jitter:
        raise ValueError(
            "paho reconnects without end, doubling its wait, unjittered; "
            f"{policy} cannot be given to it"
        )
    if not (policy.initial_s.is_integer() and policy.max_s.is_integer()):
        raise ValueError(f"paho waits whole seconds; {policy} has fractions")
    client.reconnect_delay_set(min_delay=int(policy.initial_s), max_delay=int(policy.max_s))
