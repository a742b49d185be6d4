"""The plan's operational figures (`PlanningConfig`), validated on construction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from optimizer.planning.shifts import clock_s
from optimizer.solver.params import SolveParams


@dataclass(frozen=True, slots=True)
class ClockWindow:
    """A local clock interval, e.g. 04:00–07:00."""

    start: str
    end: str

    def __post_init__(self) -> None:
        if clock_s(self.start) >= clock_s(self.end):
            raise ValueError(f"clock window {self.start}–{self.end} ends before it starts")

    @property
    def seconds(self) -> tuple[int, int]:
        return clock_s(self.start), clock_s(self.end)

    @classmethod
    def parse(cls, text: str) -> ClockWindow:
        start, sep, end = text.partition("-")
        if not sep:
            raise ValueError(f"clock window {text!r} is not HH:MM-HH:MM")
        return cls(start.strip(), end.strip())


# CJJ 205-2013 as cited for rural collection: 04:00–07:00, 09:00–16:00, 19:00–22:00.
DEFAULT_COLLECTION_WINDOWS = (
    ClockWindow("04:00", "07:00"),
    ClockWindow("09:00", "16:00"),
    ClockWindow("19:00", "22:00"),
)
# Garbage put out per hour of the local day (00:00–01:00 first), relative to the day's
# mean (EST, household waste in south China: little at night, peaks after breakfast,
# lunch and dinner). Normalised to a mean of 1 by `PlanningConfig.garbage_shape`.
DEFAULT_GARBAGE_HOURLY = (
    0.15, 0.1, 0.08, 0.08, 0.1, 0.3, 0.9, 2.1, 2.3, 1.4, 1.0, 1.2,
    1.9, 1.8, 1.0, 0.8, 0.8, 1.1, 1.9, 2.4, 2.1, 1.3, 0.7, 0.4,
)  # fmt: skip
# Garbage on Saturdays and Sundays relative to weekdays, per point category (EST:
# households cook more at home, markets are busier, schools are closed).
DEFAULT_WEEKEND_FACTORS = (("residential", 1.12), ("market", 1.25), ("school", 0.15))

# Residents' meal times, when spraying in a community is avoided.
DEFAULT_MEAL_WINDOWS = (ClockWindow("11:30", "13:00"), ClockWindow("17:30", "19:00"))


@dataclass(frozen=True, slots=True)
class PlanningConfig:
    """Operational figures of the plan (times in seconds, speeds in km/h)."""

    collection_windows: tuple[ClockWindow, ...] = DEFAULT_COLLECTION_WINDOWS
    meal_windows: tuple[ClockWindow, ...] = DEFAULT_MEAL_WINDOWS
    # Tipping one wheeled bin into a rear loader, plus a fixed stop-and-go per point.
    service_s_per_bin: int = 30
    service_s_per_point: int = 20
    speed_kmh: float = 22.0
    detour: float = 1.3
    # The violation rules the plan keeps (the overflow level, the pest season); built
    # from the settings with `for_rules`, so the plan and the rules agree.
    rules: RuleThresholds = DEFAULT_THRESHOLDS
    # A point already at or past this fill must be reached within `urgent_within_s`.
    overflow_pct: float = DEFAULT_THRESHOLDS.bin_overflow_pct
    urgent_within_s: int = 2 * 3600
    # Serve a point before its predicted fill reaches this. A margin below
    # `overflow_pct` covers late trucks and busy days, but a wide one crowds the first
    # window and calls out more trucks (settings measured over days: docs/optimizer.md).
    deadline_fill_pct: float = 97.0
    # A point's garbage on a given day varies around its forecast (the simulated field
    # draws σ 0.15 per point and day): with a spread the deadline assumes the garbage
    # still to come arrives this much faster, so a point forecast to last until its
    # evening round by a thin margin is served earlier. With the field's garbage
    # matching the forecast on average, 0.1 cuts exposure by two thirds at the same
    # truck-km (measured in docs/optimizer.md, "Preventing exposure").
    forecast_spread: float = 0.1
    # After the day's last visit the point must stay below `overnight_fill_pct` until
    # tomorrow's first realistic service, this clock time (the first window's end).
    # Tomorrow's 03:30 plan sees the real fill and, if need be, serves the point in
    # the first window.
    next_service_clock: str = "07:00"
    overnight_fill_pct: float = 98.0
    # Fill left in a bin right after it is emptied.
    cleared_fill_pct: float = 3.0
    # Two visits of one point on a day start at least this far apart. False: every
    # point once, before its deadline, with no release time (a fixed schedule).
    # A point cleared yesterday is served no earlier than `keep_round_s` before and no
    # later than `keep_round_late_s` after yesterday's clearance time, when its
    # deadline and release allow (a steady round of ~24 h, see garbage.py).
    # A lone visit may start up to `late_allowance_s` after its deadline, at
    # `late_cost_per_s` metres of driving a second late (allowance 0: the deadline is
    # a hard end). Re-plans after a breakdown use it: late beats never. Morning plans
    # keep hard deadlines: a cheap second let the search trade lateness for distance,
    # and a due time on every stop slows the search so much that a town at scale 1
    # is left half served (docs/optimizer.md, "Day after day").
    late_allowance_s: int = 0
    late_cost_per_s: int = 50
    keep_round_s: int = 7200
    keep_round_late_s: int = 7200
    second_visit_gap_s: int = 4 * 3600
    second_visits: bool = True
    # A stop's load is a day's garbage (the bin emptied at the same time yesterday),
    # not the forecast from the plan's start: what a fixed daily round collects, and
    # how a district without readings sizes its trucks' trips (baseline.py).
    daily_round_load: bool = False
    # Hourly shape of garbage put out and the weekend factor per category (see above).
    garbage_hourly: tuple[float, ...] = DEFAULT_GARBAGE_HOURLY
    weekend_factors: tuple[tuple[str, float], ...] = DEFAULT_WEEKEND_FACTORS
    # Weight, in days of history, of the registry's expected rate against the rate a
    # point's own readings show (a point with a week of readings is ~7/8 measured).
    history_prior_days: float = 1.0
    # Today's pace (the rise since the bins were last emptied) counts once that span
    # stands for `pace_min_days` of a day's garbage, with a weight of its days up to
    # `pace_max_weight` (see demand._with_todays_pace).
    pace_min_days: float = 0.25
    pace_max_weight: float = 0.7
    # Garbage piled beside a full bin is collected too, up to this share of its volume.
    max_fill_pct: float = 130.0
    # Fill assumed at the day's start for a point with no reading at all.
    unknown_fill_pct: float = 30.0
    # Break may move this far either side of the shift's break_start.
    break_slack_s: int = 3600
    # Pest control: optional sites due within this many days, and their penalties.
    pest_horizon_days: int = 3
    pest_prize: int = 50_000
    pest_violation_boost: float = 3.0
    # What sending one more truck out costs, in metres of driving: without it the
    # solver spreads a town over every truck on shift (each with its own depot legs
    # and part-loaded unloading trips); with it, it uses fewer trucks when they can.
    truck_fixed_cost_m: int = 30_000
    # Decomposition: about this many trucks per sector solved together.
    trucks_per_sector: int = 3
    workers: int = 2
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.service_s_per_bin < 0 or self.service_s_per_point < 0:
            raise ValueError("service times must be >= 0")
        if not 0 < self.overflow_pct <= self.max_fill_pct:
            raise ValueError("need 0 < overflow_pct <= max_fill_pct")
        if self.late_allowance_s < 0 or self.late_cost_per_s < 0:
            raise ValueError("late_allowance_s and late_cost_per_s must be >= 0")
        if self.late_allowance_s * self.late_cost_per_s >= SolveParams().drop_penalty:
            raise ValueError(
                "a visit late by the whole late_allowance_s must cost less than dropping it: "
                "lower late_cost_per_s or late_allowance_s"
            )
        if self.truck_fixed_cost_m < 0:
            raise ValueError("truck_fixed_cost_m must be >= 0")
        if self.trucks_per_sector < 1 or self.workers < 1:
            raise ValueError("trucks_per_sector and workers must be >= 1")
        if self.pest_horizon_days < 0:
            raise ValueError("pest horizon must be >= 0 days")
        if not self.collection_windows:
            raise ValueError("at least one collection window is needed")
        if not self.cleared_fill_pct < self.deadline_fill_pct <= self.overflow_pct:
            raise ValueError("need cleared_fill_pct < deadline_fill_pct <= overflow_pct")
        if not 0 <= self.forecast_spread < 1:
            raise ValueError(f"forecast_spread {self.forecast_spread} is outside [0, 1)")
        if not self.cleared_fill_pct < self.overnight_fill_pct <= self.max_fill_pct:
            raise ValueError("need cleared_fill_pct < overnight_fill_pct <= max_fill_pct")
        if len(self.garbage_hourly) != 24 or min(self.garbage_hourly) <= 0:
            raise ValueError("garbage_hourly needs 24 positive values, one per hour")
        if any(f < 0 for _, f in self.weekend_factors):
            raise ValueError("weekend factors must be >= 0")
        if self.second_visit_gap_s < 0 or self.history_prior_days <= 0:
            raise ValueError("second_visit_gap_s must be >= 0 and history_prior_days > 0")
        clock_s(self.next_service_clock)

    @classmethod
    def for_rules(cls, rules: RuleThresholds, **figures: Any) -> PlanningConfig:
        """The figures with the plan keeping `rules`: points are served before the
        configured overflow level, and the fill margins below it scale with it."""
        base = cls(**figures)
        scale = rules.bin_overflow_pct / base.overflow_pct
        return replace(
            base,
            rules=rules,
            overflow_pct=rules.bin_overflow_pct,
            deadline_fill_pct=base.deadline_fill_pct * scale,
            overnight_fill_pct=base.overnight_fill_pct * scale,
        )

    @property
    def garbage_shape(self) -> tuple[float, ...]:
        """`garbage_hourly` normalised to a mean of 1."""
        mean = sum(self.garbage_hourly) / 24
        return tuple(v / mean for v in self.garbage_hourly)

    def weekend_factor(self, category: str) -> float:
        """Weekend garbage relative to a weekday for a point category (1 if not listed)."""
        return dict(self.weekend_factors).get(str(category), 1.0)

    @property
    def next_service_s(self) -> int:
        """Tomorrow's first realistic service, in seconds from today's midnight."""
        return 86_400 + clock_s(self.next_service_clock)


def shape_share(shape: tuple[float, ...], a_s: float, b_s: float) -> float:
    """Share of a day's garbage put out between `a_s` and `b_s` seconds of one local
    day (0 <= a_s <= b_s <= 86,400), `shape` being 24 hourly values of mean 1."""

    def upto(t: float) -> float:
        hour = min(24.0, max(0.0, t / 3600))
        whole = int(hour)
        done = sum(shape[:whole])
        if whole < 24:
            done += shape[whole] * (hour - whole)
        return done / 24

    return max(0.0, upto(b_s) - upto(a_s))
