"""The retry helper on a fake clock: its waits, its bounds, its give-up message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.retry import (
    BROKER_RECONNECT,
    ONCE,
    Failure,
    RetryError,
    RetryPolicy,
    retry_call,
    set_paho_reconnect,
)


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def failing(times: int, error: Exception, result: str = "done") -> Callable[[], str]:
    """A call that raises `error` `times` times, then returns `result`."""
    calls = 0

    def call() -> str:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise error
        return result

    return call


def run(call: Callable[[], str], policy: RetryPolicy, fake: FakeTime, **kw: Any) -> str:
    return retry_call(
        call, policy, what="asking the thing", sleep=fake.sleep, clock=fake.clock, **kw
    )


def test_waits_double_from_initial_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=None, initial_s=0.2, max_s=5.0)
    assert [policy.wait_s(n) for n in range(1, 9)] == pytest.approx(
        [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    )


def test_success_after_failures_returns_the_result_and_reports_each_failure() -> None:
    fake = FakeTime()
    heard: list[Failure] = []
    result = run(
        failing(2, OSError("refused")),
        RetryPolicy(attempts=3, initial_s=0.5, max_s=5.0),
        fake,
        retry_on=(OSError,),
        on_failure=heard.append,
    )
    assert result == "done"
    assert fake.waits == [0.5, 1.0]
    assert [(f.attempt, f.next_wait_s, str(f.error)) for f in heard] == [
        (1, 0.5, "refused"),
        (2, 1.0, "refused"),
    ]
    assert [f.elapsed_s for f in heard] == [0.0, 0.5]


def test_giving_up_names_what_how_often_how_long_and_the_last_error() -> None:
    fake = FakeTime()
    with pytest.raises(RetryError) as caught:
        run(failing(9, OSError("connection refused")), RetryPolicy(attempts=3), fake)
    assert str(caught.value) == (
        "asking the thing: gave up after 3 attempts in 1.5 s; last error: connection refused"
    )
    assert caught.value.failure.attempt == 3
    assert isinstance(caught.value.__cause__, OSError)
    assert fake.waits == [0.5, 1.0]  # no wait after the last attempt


def test_give_up_makes_the_error_the_caller_expects() -> None:
    class ServiceDownError(Exception):
        pass

    fake = FakeTime()
    with pytest.raises(ServiceDownError, match=r"gave up after 2 attempts.*down") as caught:
        run(
            failing(9, ServiceDownError("down")),
            RetryPolicy(attempts=2, initial_s=1.0),
            fake,
            give_up=lambda failure: ServiceDownError(failure.summary()),
        )
    assert isinstance(caught.value.__cause__, ServiceDownError)


def test_one_attempt_passes_the_error_through_unchanged() -> None:
    fake = FakeTime()
    error = OSError("refused")
    with pytest.raises(OSError, match="refused") as caught:
        run(failing(1, error), ONCE, fake)
    assert caught.value is error
    assert fake.waits == []


def test_errors_not_retried_pass_through_at_once() -> None:
    fake = FakeTime()
    with pytest.raises(KeyError):
        run(failing(5, KeyError("bad")), RetryPolicy(attempts=5), fake, retry_on=(OSError,))
    assert fake.waits == []


def test_a_deadline_ends_the_tries_with_one_last_attempt_at_it() -> None:
    """The wait before the deadline is shortened so that the last try falls on it."""
    fake = FakeTime()
    policy = RetryPolicy(attempts=None, initial_s=1.0, max_s=2.0, deadline_s=6.0)
    with pytest.raises(RetryError, match=r"gave up after 5 attempts in 6\.0 s"):
        run(failing(99, OSError("down")), policy, fake)
    assert fake.waits == [1.0, 2.0, 2.0, 1.0]


def test_attempts_and_deadline_together_stop_at_the_first_reached() -> None:
    fake = FakeTime()
    policy = RetryPolicy(attempts=2, initial_s=1.0, deadline_s=60.0)
    with pytest.raises(RetryError, match="2 attempts"):
        run(failing(99, OSError("down")), policy, fake)


def test_until_success_keeps_trying_and_can_be_cancelled() -> None:
    """An unbounded policy tries on (here 50 times) and stops only when cancelled."""
    fake = FakeTime()
    policy = RetryPolicy.until_success(initial_s=0.2, max_s=5.0)
    assert not policy.bounded
    assert run(failing(50, OSError("down")), policy, fake) == "done"
    assert len(fake.waits) == 50
    assert max(fake.waits) == 5.0

    failures: list[int] = []
    with pytest.raises(RetryError, match="gave up after 4 attempts"):
        run(
            failing(99, OSError("down")),
            policy,
            fake,
            on_failure=lambda f: failures.append(f.attempt),
            cancelled=lambda: len(failures) >= 3,
        )
    assert failures == [1, 2, 3]


def test_jitter_moves_each_wait_within_its_fraction() -> None:
    policy = RetryPolicy(attempts=None, initial_s=1.0, max_s=8.0, jitter=0.25)
    assert policy.wait_s(3, draw=lambda: 0.0) == pytest.approx(3.0)
    assert policy.wait_s(3, draw=lambda: 0.5) == pytest.approx(4.0)
    assert policy.wait_s(3, draw=lambda: 0.999999) == pytest.approx(5.0, abs=1e-5)
    fake = FakeTime()
    run(failing(2, OSError("x")), policy, fake, draw=lambda: 1.0)
    assert fake.waits == pytest.approx([1.25, 2.5])


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"attempts": 0}, "attempts"),
        ({"initial_s": 2.0, "max_s": 1.0}, "initial_s"),
        ({"initial_s": -1.0}, "initial_s"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"deadline_s": 0.0}, "deadline_s"),
        ({"jitter": 1.0}, "jitter"),
    ],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


class _Paho:
    def __init__(self) -> None:
        self.delays: tuple[int, int] | None = None

    def reconnect_delay_set(self, min_delay: int = 1, max_delay: int = 120) -> None:
        self.delays = (min_delay, max_delay)


def test_paho_gets_the_broker_policy_and_refuses_what_it_cannot_run() -> None:
    """paho's own reconnect loop doubles its wait without end; the policy says how far."""
    client = _Paho()
    set_paho_reconnect(client)
    assert client.delays == (int(BROKER_RECONNECT.initial_s), int(BROKER_RECONNECT.max_s))
    with pytest.raises(ValueError, match="without end"):
        set_paho_reconnect(client, RetryPolicy(attempts=3, initial_s=1.0))
    with pytest.raises(ValueError, match="whole seconds"):
        set_paho_reconnect(client, RetryPolicy.until_success(initial_s=0.5, max_s=4.0))
