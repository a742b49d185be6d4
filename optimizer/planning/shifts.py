"""Shifts of trucks and crews as the solver's time windows and breaks, in seconds
from the planned day's local midnight."""

from __future__ import annotations

from core.localday import parse_clock
from core.registry import Shift
from optimizer.solver.problem import Break, TimeWindow

DAY_S = 86_400


def clock_s(text: str) -> int:
    t = parse_clock(text)
    return t.hour * 3600 + t.minute * 60 + t.second


def shift_window(shift: Shift, from_s: int) -> TimeWindow | None:
    """The shift as a window from `from_s` on; None when it is already over."""
    start, end = clock_s(shift.start), clock_s(shift.end)
    start = max(start, from_s)
    return TimeWindow(start, end) if start < end else None


def shift_break(shift: Shift, window: TimeWindow, slack_s: int) -> Break | None:
    """The shift's break, movable by `slack_s` either way inside the window; None
    when it has no length or (re-planning) its latest start has passed."""
    if shift.break_min <= 0:
        return None
    duration = shift.break_min * 60
    nominal = clock_s(shift.break_start)
    earliest = max(window.open_s, nominal - slack_s)
    latest = min(window.close_s - duration, nominal + slack_s)
    return Break(earliest, latest, duration) if earliest <= latest else None
