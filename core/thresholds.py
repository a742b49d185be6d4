"""The thresholds of the violation rules, shared by the rules in `ingest`, the
simulators' truth log and the API's compliance figures, so all three agree on
what counts as a violation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from core.localday import day_start_ms, local_date, parse_clock


@dataclass(frozen=True, slots=True)
class RuleThresholds:
    """Defaults follow the district plan and GB/T 28181 practice."""

    # Fill at or above this is exposed garbage (garbage beside a full bin).
    bin_overflow_pct: float = 100.0
    # An overflow closes when fill falls below this (hysteresis against flapping).
    bin_overflow_clear_pct: float = 95.0
    # A fill drop of at least this many points without a truck event is a manual clearance.
    manual_clearance_drop_pct: float = 40.0
    # Every collection point must be cleared by this local time (日产日清).
    clearance_cutoff: str = "22:00"
    # A camera is offline after this many missed heartbeats (GB/T 28181: 3).
    camera_missed_heartbeats: int = 3
    # A sensor is silent after three reporting intervals without a message.
    silent_intervals: int = 3
    # A sewer overflow closes when the level falls this far below the overflow level.
    sewer_clear_margin_cm: float = 5.0
    # Peak pest season (May–October): the shorter cycle applies.
    pest_peak_months: tuple[int, ...] = (5, 6, 7, 8, 9, 10)

    def __post_init__(self) -> None:
        if not 0 < self.bin_overflow_clear_pct <= self.bin_overflow_pct:
            raise ValueError("need 0 < bin_overflow_clear_pct <= bin_overflow_pct")
        if self.camera_missed_heartbeats < 1 or self.silent_intervals < 1:
            raise ValueError("missed heartbeats and silent intervals must be at least 1")
        parse_clock(self.clearance_cutoff)

    @property
    def cutoff_time(self) -> time:
        return parse_clock(self.clearance_cutoff)

    def pest_cycle_days(self, month: int, peak_days: int, normal_days: int) -> int:
        return peak_days if month in self.pest_peak_months else normal_days

    def pest_due_date(self, last_visit_ms: int, peak_days: int, normal_days: int, tz: str) -> date:
        """The last local day a site visited at `last_visit_ms` may be visited on: the
        cycle of the season the visit fell in, counted in whole local days."""
        last = local_date(last_visit_ms, tz)
        return last + timedelta(days=self.pest_cycle_days(last.month, peak_days, normal_days))

    def pest_overdue_ms(self, last_visit_ms: int, peak_days: int, normal_days: int, tz: str) -> int:
        """When such a site becomes overdue: the start of the day after its due date (the
        optimizer plans by whole days, and the compliance counts the due day itself)."""
        due = self.pest_due_date(last_visit_ms, peak_days, normal_days, tz)
        return day_start_ms(due + timedelta(days=1), tz)


DEFAULT_THRESHOLDS = RuleThresholds()
