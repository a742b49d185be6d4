"""Option types: the bounds are inclusive, anything else is refused with a message."""

from __future__ import annotations

import argparse
from datetime import date

import pytest

from core.argtypes import local_date, number_within, positive_int


def test_number_within_takes_its_bounds_and_refuses_the_rest() -> None:
    seconds = number_within(0.1, 3600, "s")
    assert (seconds("0.1"), seconds("3600"), seconds("1e2")) == (0.1, 3600.0, 100.0)
    for text, message in (
        ("0.09", "0.09 s is outside 0.1–3600 s"),
        ("3600.5", "3600.5 s is outside 0.1–3600 s"),
        ("inf", "inf s is outside 0.1–3600 s"),
        ("-inf", "-inf s is outside 0.1–3600 s"),
        ("nan", "nan s is outside 0.1–3600 s"),
        ("", "'' is not a number"),
    ):
        with pytest.raises(argparse.ArgumentTypeError) as refused:
            seconds(text)
        assert str(refused.value) == message


def test_local_date_and_positive_int() -> None:
    assert local_date("2026-02-28") == date(2026, 2, 28)
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        local_date("2026-02-29")
    assert str(refused.value) == "'2026-02-29' is not a calendar date written YYYY-MM-DD"
    assert positive_int("1") == 1
    for text in ("0", "-3", "1.5", "two"):
        with pytest.raises(argparse.ArgumentTypeError) as refused:
            positive_int(text)
        assert str(refused.value) == f"{text!r} is not a positive whole number"
