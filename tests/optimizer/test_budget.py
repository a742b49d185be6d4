"""The solver's time budget: a size in seconds and a deadline that loops check."""

from __future__ import annotations

import time

import pytest

from optimizer.solver.budget import Budget


def test_a_new_budget_has_its_seconds_left() -> None:
    """A budget started now has about its size left and has not expired."""
    budget = Budget.from_now(60)
    assert budget.seconds == 60
    assert 59 < budget.remaining_s() <= 60
    assert not budget.expired()


def test_a_passed_deadline_leaves_nothing() -> None:
    """Once its deadline has passed, a budget has 0 s left and has expired."""
    budget = Budget(10, time.monotonic() - 1)
    assert budget.remaining_s() == 0
    assert budget.expired()
    assert Budget.from_now(0).expired()


def test_a_share_is_a_fraction_of_the_size_within_the_deadline() -> None:
    """A share has that fraction of the size from now, but never ends after its budget."""
    budget = Budget.from_now(60)
    half = budget.share(0.5)
    assert half.seconds == 30
    assert 29 < half.remaining_s() <= 30
    nearly_over = Budget(60, time.monotonic() + 5)
    assert nearly_over.share(0.5).seconds == 30
    assert nearly_over.share(0.5).deadline == nearly_over.deadline


@pytest.mark.parametrize(
    "make",
    [
        lambda: Budget.from_now(-1),
        lambda: Budget.from_now(float("inf")),
        lambda: Budget.from_now(float("nan")),
        lambda: Budget.from_now(10).share(0),
        lambda: Budget.from_now(10).share(1.5),
    ],
)
def test_nonsense_is_refused(make: object) -> None:
    """A negative or endless budget, or a share outside (0, 1], raises ValueError."""
    with pytest.raises(ValueError, match=r"budget of|share of"):
        make()  # type: ignore[operator]
