"""How the routing solver searches (`SolveParams`), validated on construction."""

from __future__ import annotations

from dataclasses import dataclass

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
# Seconds of search a solve may be given (the command line checks --time-limit by them).
MIN_TIME_LIMIT_S = 0.1
MAX_TIME_LIMIT_S = 3600.0


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how the routing solver searches."""

    # Seconds one solve may take; the solve turns them into a `budget.Budget` when it
    # starts, in the process that runs it.
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
    # portfolio.PORTFOLIO_MIN_S).
    initial: str = "auto"
    # Required stops may be dropped at `drop_penalty` (so an overloaded fleet still
    # gets a plan); False makes them hard, which only suits instances known feasible.
    droppable: bool = True
    # Measured on Solomon at 10 s: 0.3 beats OR-Tools' default 0.1 on R and RC.
    gls_lambda: float = 0.3
    compact_times: bool = True
    # Processes one solve may use for its portfolio of starts (portfolio.solve). Keep 1
    # where the caller already runs solves in parallel (plan_day's sectors).
    workers: int = 1
    # Share of `time_limit_s` given to ruin and recreate (optimizer/solver/lns.py) after
    # guided local search, in solves of at least search.LNS_MIN_S; 0 turns it off.
    lns_share: float = 0.5
    # Cost of starting a stop after its due time, in objective units (metres) per
    # second late: 50 makes ten minutes late cost as much as 30 km of driving.
    late_cost_per_s: int = 50
    # Seed of the ruin's random choices (the portfolio gives each start its own).
    seed: int = 1
    # Stop each guided local search after this many solutions, or this many branches of
    # the solver's search (None: at the time limit alone), the time limit still capping
    # it. A count, unlike seconds, buys the same search on a busy machine as on an idle
    # one, which is what a test of search quality needs; ruin and recreate, which stops
    # on the clock, stays out of such solves. Branches always advance, solutions may
    # not: a lone stop on a lone truck has no move to make, and guided local search
    # waits for one until its time limit.
    solution_limit: int | None = None
    branch_limit: int | None = None

    def __post_init__(self) -> None:
        if not MIN_TIME_LIMIT_S <= self.time_limit_s <= MAX_TIME_LIMIT_S:
            raise ValueError(
                f"time limit {self.time_limit_s} s is outside "
                f"{MIN_TIME_LIMIT_S:g}–{MAX_TIME_LIMIT_S:g}"
            )
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
        for name, limit in (("solution", self.solution_limit), ("branch", self.branch_limit)):
            if limit is not None and limit < 1:
                raise ValueError(f"{name} limit {limit} is below 1")

    @property
    def counted(self) -> bool:
        """Whether the search stops on a count (solutions or branches) as well as the clock."""
        return self.solution_limit is not None or self.branch_limit is not None
