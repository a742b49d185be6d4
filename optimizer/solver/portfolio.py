"""The solver's entry point: `solve` a problem from one start or from a portfolio of
starts (in one process or several), keeping the best solution."""

from __future__ import annotations

import math
import time
from dataclasses import replace

from core.processes import process_pool
from optimizer.solver.budget import Budget
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import Problem, rounds_within
from optimizer.solver.search import solve_start, uses_lns
from optimizer.solver.solution import Solution

# With at least this much time, `initial="auto"` searches from several starts and
# keeps the best; below it, from the constructed routes alone. Each start wins on
# different instances (the constructor on R/RC, insertion on clustered C), and guided
# local search mostly stalls where its start led it, so more starts beat more time
# per start (figures: docs/optimizer.md, "The portfolio").
PORTFOLIO_MIN_S = 2.5
# One process: the constructed routes and parallel cheapest insertion, half the time
# each. With two or more processes and no ruin and recreate (below LNS_MIN_S or
# lns_share=0), each start gets `time_limit_s * workers / 4`: four shorter starts beat
# two longer ones on hard instances (docs/optimizer.md, "The portfolio").
# Share of a fewest-trucks start's budget for yesterday's trucks alone; the rest is
# for adding trucks when they leave required stops out.
FEWEST_FIRST_SHARE = 0.6
# Below this budget a start ignores the rounds and builds greedy routes for the whole
# fleet: each step of `fewest_trucks` builds its model again (~0.4 s for a 250-stop
# sector), and at scale 1, where a sector's start gets ~1.5 s, following the rounds
# left 2,592 of 12,228 points out of day 2's morning plan against 289 (30 Nov 2026).
ROUNDS_MIN_S = 2.0
MIN_STEP_S = 0.5
STARTS_ONE_PROCESS = (("construct", None), ("ortools", "PARALLEL_CHEAPEST_INSERTION"))
STARTS_PARALLEL = (
    ("construct", None),
    ("ortools", "PARALLEL_CHEAPEST_INSERTION"),
    ("ortools", "SAVINGS"),
    ("ortools", "LOCAL_CHEAPEST_INSERTION"),
)


def solve(problem: Problem, params: SolveParams, *, unload_at_end: bool = True) -> Solution:
    """Solve `problem` within `params.time_limit_s`; stops that cannot be served come
    back in `Solution.dropped`.

    `unload_at_end`: a truck returns to its depot empty (its last trip ends at a station).
    """
    budget = Budget.from_now(params.time_limit_s)
    if params.initial != "auto":
        return _start(problem, params, budget, unload_at_end)
    if budget.seconds < PORTFOLIO_MIN_S:
        return _start(problem, replace(params, initial="construct"), budget, unload_at_end)
    started = time.monotonic()
    workers = min(params.workers, len(STARTS_PARALLEL))
    starts: tuple[tuple[str, str | None], ...]
    if workers <= 1:
        starts = STARTS_ONE_PROCESS
    elif uses_lns(params, budget):
        # One start per process, each ending in its own ruin and recreate (own seed):
        # the LNS needs seconds to leave its start's region, more than a quarter of
        # the time gives it (12 hard Solomon instances, 10 s, 2 cores: two starts
        # at 10 s 2.15 %, four at 5 s 2.77 %; 27 Nov 2026).
        starts = STARTS_PARALLEL[: max(2, workers)]
    else:
        starts = STARTS_PARALLEL
    # Each process runs its share of the starts one after the other.
    rounds = math.ceil(len(starts) / max(1, workers))
    variants = [
        replace(
            params,
            initial=initial,
            first_solution=first or params.first_solution,
            workers=1,
            seed=params.seed + k,
        )
        for k, (initial, first) in enumerate(starts)
    ]
    if workers <= 1:
        runs = [_start(problem, v, budget.share(1 / rounds), unload_at_end) for v in variants]
    else:
        runs = _solve_parallel(problem, variants, budget.seconds / rounds, unload_at_end, workers)
    ok = [r for r in runs if r.status == "ok"] or runs
    best = min(ok, key=lambda r: (len([s for s in r.dropped if s.required]), r.objective))
    return replace(best, wall_s=time.monotonic() - started)


def _solve_parallel(
    problem: Problem,
    variants: list[SolveParams],
    seconds: float,
    unload_at_end: bool,
    workers: int,
) -> list[Solution]:
    """The variants in `workers` processes (the model is rebuilt in each: OR-Tools
    objects do not cross processes, the problem and the solutions do)."""
    with process_pool(workers) as pool:
        futures = [
            pool.submit(_solve_in_process, problem, v, seconds, unload_at_end) for v in variants
        ]
        return [f.result() for f in futures]


def _solve_in_process(
    problem: Problem, params: SolveParams, seconds: float, unload_at_end: bool
) -> Solution:
    """One start in a worker process, its budget starting when the worker takes it up."""
    return _start(problem, params, Budget.from_now(seconds), unload_at_end)


def _start(problem: Problem, params: SolveParams, budget: Budget, unload_at_end: bool) -> Solution:
    """One start; the constructed one, when some vehicles have usual rounds and the
    budget allows, from yesterday's trucks (`fewest_trucks`)."""
    if params.initial == "construct" and any(_followers(problem)):
        if budget.seconds >= ROUNDS_MIN_S:
            return fewest_trucks(problem, params, budget, unload_at_end)
        problem = replace(problem, vehicles=tuple(replace(v, usual=()) for v in problem.vehicles))
    return solve_start(problem, params, budget, unload_at_end)


def _followers(problem: Problem) -> list[bool]:
    """Per vehicle, whether its usual round holds a stop of the problem."""
    return [bool(r) for r in rounds_within(problem.vehicles, problem.stops)]


def _leaves_out(solution: Solution) -> bool:
    return any(s.required for s in solution.dropped)


def fewest_trucks(
    problem: Problem, params: SolveParams, budget: Budget, unload_at_end: bool
) -> Solution:
    """A search from the vehicles' usual rounds with only the vehicles that have one:
    when they serve every required stop, one fewer is tried too (the truck with the
    fewest visits stays home); while they leave stops out, one more vehicle is added
    at a time (the longest shift, then the largest, first).

    Local search seldom sends a truck home: a stop it cannot place on the routes at
    hand goes to an idle truck at its fixed cost, and emptying that truck again takes
    moves the search does not make. On day 2 of the week at scale 0.05 a town whose
    one truck can serve all 130 points (49.6 km) came back with two trucks out
    (51.5 km and a second crew) from the whole fleet; yesterday's trucks are the fleet
    to try first.
    """
    follows = _followers(problem)
    fleet = [v for v, f in zip(problem.vehicles, follows, strict=True) if f]
    spare = sorted(
        (v for v, f in zip(problem.vehicles, follows, strict=True) if not f),
        key=lambda v: (v.shift.open_s - v.shift.close_s, -v.capacity_kg, v.id),
    )
    first = FEWEST_FIRST_SHARE if spare or len(fleet) > 1 else 1.0
    solution = solve_start(
        replace(problem, vehicles=tuple(fleet)), params, budget.share(first), unload_at_end
    )
    if not _leaves_out(solution) and len(solution.routes) > 1 and first < 1:
        # Yesterday's trucks sufficed: try one fewer (a busy day's extra truck would
        # otherwise be in tomorrow's rounds, and the day after's).
        lightest = min(solution.routes, key=lambda r: len(r.visits)).vehicle
        fewer = tuple(v for v in fleet if v.id != lightest.id)
        trial = solve_start(
            replace(problem, vehicles=fewer), params, budget.share(1 - first), unload_at_end
        )
        if not _leaves_out(trial) and trial.objective < solution.objective:
            solution = trial
    while spare and _leaves_out(solution):
        fleet.append(spare.pop(0))
        # The last step gets what is left, earlier ones half of it; every step gets a
        # search, however late (a busy machine must not end the ladder with stops
        # left out that an idle truck would serve).
        left = budget.remaining_s()
        step = Budget.from_now(max(MIN_STEP_S, left if not spare else left / 2))
        solution = solve_start(replace(problem, vehicles=tuple(fleet)), params, step, unload_at_end)
    return solution
