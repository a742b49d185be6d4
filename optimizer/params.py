"""Validated parameter objects of the optimizer (no loose keyword soup)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from core.localday import parse_clock

# First-solution strategies the solver accepts (OR-Tools names). Parallel cheapest
# insertion was measured to make every Solomon instance feasible at once, where the
# default path-cheapest-arc leaves R101/RC101 without a solution in 10 s.
FIRST_SOLUTIONS = (
    "SEQUENTIAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_COST_INSERTION",
    "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "PATH_CHEAPEST_ARC",
    "SAVINGS",
    "CHRISTOFIDES",
    "AUTOMATIC",
)
METAHEURISTICS = ("GUIDED_LOCAL_SEARCH", "TABU_SEARCH", "SIMULATED_ANNEALING", "AUTOMATIC")


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how the routing solver searches."""

    time_limit_s: float = 10.0
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    # Penalty (in objective units, i.e. metres) for leaving a required stop out.
    drop_penalty: int = 10_000_000
    # Vehicle fixed cost: makes the solver prefer fewer vehicles at equal distance.
    vehicle_cost: int = 0
    log_search: bool = False
    # Start the search from the optimizer's own constructed routes ("construct"),
    # from OR-Tools' first-solution strategy alone ("ortools"), or both ("auto", see
    # routing.PORTFOLIO_MIN_S).
    initial: str = "auto"
    # Required stops may be dropped at `drop_penalty` (so an overloaded fleet still
    # gets a plan); False makes them hard, which only suits instances known feasible.
    droppable: bool = True
    # Measured on Solomon at 10 s: 0.3 beats OR-Tools' default 0.1 on R and RC.
    gls_lambda: float = 0.3
    compact_times: bool = True
    # Processes one solve may use for its portfolio of starts (routing.solve). Keep 1
    # where the caller already runs solves in parallel (plan_day's sectors).
    workers: int = 1
    # Share of `time_limit_s` given to ruin and recreate (optimizer/lns.py) after
    # guided local search, in solves of at least routing.LNS_MIN_S; 0 turns it off.
    lns_share: float = 0.5
    # Seed of the ruin's random choices (the portfolio gives each start its own).
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0.1 <= self.time_limit_s <= 3600:
            raise ValueError(f"time limit {self.time_limit_s} s is outside 0.1–3600")
        if self.first_solution not in FIRST_SOLUTIONS:
            raise ValueError(
                f"first solution {self.first_solution!r} is not one of {FIRST_SOLUTIONS}"
            )
        if self.metaheuristic not in METAHEURISTICS:
            raise ValueError(f"metaheuristic {self.metaheuristic!r} is not one of {METAHEURISTICS}")
        if self.initial not in ("auto", "construct", "ortools"):
            raise ValueError(f"initial {self.initial!r} is not auto, construct or ortools")
        if not 1 <= self.workers <= 64:
            raise ValueError(f"workers {self.workers} is outside 1–64")
        if not 0 <= self.lns_share < 1:
            raise ValueError(f"lns share {self.lns_share} is outside [0, 1)")
        if self.drop_penalty <= 0 or self.vehicle_cost < 0:
            raise ValueError("drop penalty must be > 0 and vehicle cost >= 0")


def _clock_s(text: str) -> int:
    t: time = parse_clock(text)
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True, slots=True)
class ClockWindow:
    """A local clock interval, e.g. 04:00–07:00."""

    start: str
    end: str

    def __post_init__(self) -> None:
        if _clock_s(self.start) >= _clock_s(self.end):
            raise ValueError(f"clock window {self.start}–{self.end} ends before it starts")

    @property
    def seconds(self) -> tuple[int, int]:
        return _clock_s(self.start), _clock_s(self.end)

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
    # A point already at or past this fill must be reached within `urgent_within_s`.
    overflow_pct: float = 100.0
    urgent_within_s: int = 2 * 3600
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
        if self.trucks_per_sector < 1 or self.workers < 1:
            raise ValueError("trucks_per_sector and workers must be >= 1")
        if self.pest_horizon_days < 0:
            raise ValueError("pest horizon must be >= 0 days")
        if not self.collection_windows:
            raise ValueError("at least one collection window is needed")
