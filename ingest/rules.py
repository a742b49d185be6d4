"""The violation rules as pure functions of a subject's state and the message time.

No I/O and no wall clock: every decision is taken from message timestamps
(simulated time works the same as real time). `engine.RuleEngine` keeps the
state per subject and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.localday import at_local, local_date
from core.schema import ViolationKind, ViolationState
from core.thresholds import RuleThresholds


@dataclass(frozen=True, slots=True)
class ViolationEvent:
    """A violation opening or closing; one `violation` point and one alert."""

    kind: ViolationKind
    subject: str
    community: str
    town: str
    state: ViolationState
    ts_ms: int
    value: float
    violation_id: str


def violation_id(kind: ViolationKind, subject: str, opened_ms: int) -> str:
    """Stable id: the same opening (redelivered or recomputed) gets the same id."""
    return f"{kind.value}:{subject}:{opened_ms}"


def bin_overflow_change(is_open: bool, fill_pct: float, th: RuleThresholds) -> bool | None:
    """True: an overflow opens; False: the open one closes (hysteresis); None: no change."""
    if not is_open and fill_pct >= th.bin_overflow_pct:
        return True
    if is_open and fill_pct < th.bin_overflow_clear_pct:
        return False
    return None


def sewer_overflow_change(
    is_open: bool, level_cm: float, overflow_level_cm: float, th: RuleThresholds
) -> bool | None:
    """True: the level reached the outlet's overflow level; False: it fell back by the margin."""
    if not is_open and level_cm >= overflow_level_cm:
        return True
    if is_open and level_cm < overflow_level_cm - th.sewer_clear_margin_cm:
        return False
    return None


def is_manual_clearance(
    previous_fill: float, fill_pct: float, truck_cleared_since: bool, th: RuleThresholds
) -> bool:
    """A large fill drop between two readings with no truck event in between."""
    return not truck_cleared_since and previous_fill - fill_pct >= th.manual_clearance_drop_pct


def silent_deadline(last_seen_ms: int, interval_s: int, th: RuleThresholds) -> int:
    """When a sensor that last reported at `last_seen_ms` counts as silent."""
    return last_seen_ms + th.silent_intervals * interval_s * 1000


def camera_deadline(not_online_since_ms: int, heartbeat_s: int, th: RuleThresholds) -> int:
    """When a camera not proven online since the given time is a violation: the grace
    period is `camera_missed_heartbeats` heartbeats, for an explicit offline as for
    missing heartbeats (GB/T 28181 practice: offline after 3 missed heartbeats)."""
    return not_online_since_ms + th.camera_missed_heartbeats * heartbeat_s * 1000


def pest_due_ms(
    last_visit_ms: int, cycle_peak_days: int, cycle_normal_days: int, th: RuleThresholds, tz: str
) -> int:
    """When a site visited at `last_visit_ms` becomes overdue: after the whole local day
    its cycle ends on (the cycle of the season the visit fell in, peak May–October)."""
    return th.pest_overdue_ms(last_visit_ms, cycle_peak_days, cycle_normal_days, tz)


def cutoff_after(ms: int, th: RuleThresholds, tz: str) -> int:
    """The first clearance cut-off strictly after `ms` (today's, or tomorrow's)."""
    day = local_date(ms, tz)
    cutoff = at_local(day, th.cutoff_time, tz)
    if cutoff <= ms:
        cutoff = at_local(day + timedelta(days=1), th.cutoff_time, tz)
    return cutoff


def clearance_day(ts_ms: int, th: RuleThresholds, tz: str) -> date | None:
    """The local day a clearance counts for, or None when it came after that day's
    cut-off (it still closes an open `bin_not_cleared`)."""
    day = local_date(ts_ms, tz)
    return day if ts_ms <= at_local(day, th.cutoff_time, tz) else None
