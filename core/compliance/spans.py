"""Violation open/close events turned into time spans per community and local day.

Ingest writes a point when a violation opens and another when it closes,
sharing a `violation_id`. A span runs from the open to the close, or to now
while it is open; one whose open lies before the look-back window counts from
the window's start.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from core.compliance.scope import Scope
from core.localday import MS_PER_DAY, MS_PER_MINUTE, day_start_ms, local_date
from core.schema import ViolationState

DayKey = tuple[str, date]


def spans(events: pd.DataFrame) -> dict[str, tuple[int | None, int | None, str, str]]:
    """violation id → (opened ms, closed ms, subject, community tag)."""
    out: dict[str, tuple[int | None, int | None, str, str]] = {}
    if events.empty:
        return out
    events = events.sort_values("time")
    epoch = pd.Timestamp(0, tz="UTC")
    times = (events["time"] - epoch) // pd.Timedelta(milliseconds=1)
    for violation_id, ms, state, subject, community in zip(
        events["violation_id"].astype(str),
        times.astype(int),
        events["state"],
        events["subject"].astype(str),
        events["community"].astype(str),
        strict=True,
    ):
        opened, closed, _, _ = out.get(violation_id, (None, None, "", ""))
        if state == ViolationState.OPEN and opened is None:
            opened = int(ms)
        elif state == ViolationState.CLOSED and closed is None:
            closed = int(ms)
        out[violation_id] = (opened, closed, subject, community)
    return out


def daily_totals(
    events: pd.DataFrame,
    subject_community: Mapping[str, str],
    scope: Scope,
    ids: set[str],
    at_ms: int,
    window_start_ms: int,
) -> tuple[dict[DayKey, int], dict[DayKey, float]]:
    """Per (community, day): how many violations overlap the day, and for how many minutes.

    The community comes from the registry through the violation's subject (a point or an
    outlet), falling back to the event's community tag."""
    counts: dict[DayKey, int] = {}
    minutes: dict[DayKey, float] = {}
    starts = {day: day_start_ms(day, scope.tz) for day in scope.days}
    for opened, closed, subject, tag in spans(events).values():
        community = subject_community.get(subject, tag)
        if community not in ids:
            continue
        begin = window_start_ms if opened is None else opened
        end = min(at_ms if closed is None else closed, at_ms)
        for day, start in starts.items():
            overlap = min(end, start + MS_PER_DAY) - max(begin, start)
            if overlap > 0:
                key = (community, day)
                counts[key] = counts.get(key, 0) + 1
                minutes[key] = minutes.get(key, 0.0) + overlap / MS_PER_MINUTE
    return counts, minutes


def opened_per_day(
    events: pd.DataFrame,
    subject_community: Mapping[str, str],
    scope: Scope,
    ids: set[str],
) -> dict[DayKey, int]:
    """Per (community, day): distinct subjects with a violation opened in the day."""
    seen: set[tuple[str, date]] = set()
    out: dict[DayKey, int] = {}
    days = set(scope.days)
    for opened, _, subject, tag in spans(events).values():
        if opened is None:
            continue
        community = subject_community.get(subject, tag)
        day = local_date(opened, scope.tz)
        if community not in ids or day not in days or (subject, day) in seen:
            continue
        seen.add((subject, day))
        out[(community, day)] = out.get((community, day), 0) + 1
    return out
