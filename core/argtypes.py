"""Types for command-line options: each turns the text into a value or refuses it with
a message saying what was wrong, which argparse prints after the option's name
(`yiju plan garbage: error: argument --date: ...`) before exiting with code 2.

Checking at parse time means a bad option stops a command before it starts a
service or reads a database.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import date


def local_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a calendar date written YYYY-MM-DD"
        ) from None


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def number_within(low: float, high: float, unit: str = "") -> Callable[[str], float]:
    """A finite number from `low` to `high` inclusive; `unit` ("s") goes into messages."""
    suffix = f" {unit}" if unit else ""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        # NaN fails every comparison, so it is refused explicitly along with infinities.
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text}{suffix} is outside {low:g}–{high:g}{suffix}")
        return value

    parse.__name__ = f"number from {low:g} to {high:g}"
    return parse
