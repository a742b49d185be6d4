"""One start of a solve: build the model, find a first solution (the constructed
routes or OR-Tools' strategy), improve it with guided local search and, with a
budget of at least LNS_MIN_S, give `SolveParams.lns_share` of it to ruin and
recreate (`lns`) on the same closed model, so every constraint of the model holds
for what it returns."""

from __future__ import annotations

import logging
import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from optimizer.solver.budget import Budget
from optimizer.solver.build import build_model
from optimizer.solver.initial import accepted_routes, initial_routes
from optimizer.solver.lns import LnsParams, ruin_and_recreate
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import Problem
from optimizer.solver.reading import read_solution
from optimizer.solver.solution import Solution

log = logging.getLogger("yiju.optimizer")

# Ruin and recreate runs only in solves (or portfolio starts) of at least this
# long: below it, it has too few iterations to pay for the time it takes from
# guided local search. Four district sectors at their ~3 s: 968 km without, 992 km
# with half the time for it (27 Nov 2026).
LNS_MIN_S = 4.0
# Operators left out when the LNS runs (see search_parameters).
LNS_OFF_OPERATORS = (
    "global_cheapest_insertion_path_lns",
    "local_cheapest_insertion_path_lns",
    "global_cheapest_insertion_visit_types_lns",
    "local_cheapest_insertion_visit_types_lns",
)


def uses_lns(params: SolveParams, budget: Budget) -> bool:
    """Whether a search with this budget ends in ruin and recreate (see LNS_MIN_S and
    SolveParams)."""
    return params.lns_share > 0 and budget.seconds >= LNS_MIN_S and not params.counted


def search_parameters(params: SolveParams, limit_s: float, *, lean: bool = False) -> object:
    """OR-Tools' search parameters for a search of `limit_s` seconds (its own clock)."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, params.first_solution
    )
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    search.guided_local_search_lambda_coefficient = params.gls_lambda
    search.time_limit.FromMilliseconds(max(1, int(limit_s * 1000)))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    if lean:
        # OR-Tools builds its operators when the model closes, so the first search
        # and every recreate of the LNS share one set. The path-LNS operators cost
        # half of a recreate's time (docs/optimizer.md, "Ruin and recreate").
        operators = search.local_search_operators
        for name in LNS_OFF_OPERATORS:
            setattr(operators, f"use_{name}", optional_boolean_pb2.BOOL_FALSE)
    return search


def solve_start(
    problem: Problem, params: SolveParams, budget: Budget, unload_at_end: bool
) -> Solution:
    """One start of `params.initial` ("construct" or "ortools") within `budget`."""
    started = time.monotonic()
    if not problem.vehicles:
        return Solution(problem.name, (), tuple(problem.stops), 0, 0.0, "no_vehicle")
    model = build_model(problem, params, unload_at_end)
    routing, manager, nodes = model.routing, model.manager, model.nodes
    if params.branch_limit is not None:
        routing.AddSearchMonitor(routing.solver().BranchesLimit(params.branch_limit))
    lns = uses_lns(params, budget)
    # Guided local search gets its share of the budget's size; ruin and recreate, the
    # rest up to the budget's deadline.
    lns_s = budget.seconds * params.lns_share if lns else 0.0
    search = search_parameters(params, budget.seconds - lns_s, lean=lns)
    progress = _Progress(problem.name, routing)
    routing.AddAtSolutionCallback(progress)
    assignment = None
    if params.initial == "construct":
        start = initial_routes(problem, nodes, unload_at_end)
        routing.CloseModelWithParameters(search)
        initial = accepted_routes(routing, manager, start, nodes, problem.name)
        if initial is None:
            log.warning(
                "%s: constructed routes rejected by the model; using %s",
                problem.name,
                params.first_solution,
            )
        else:
            assignment = routing.SolveFromAssignmentWithParameters(initial, search)
    if assignment is None:
        assignment = routing.SolveWithParameters(search)
    if assignment is not None and lns:
        stops, node_of = model.lns_inputs()
        assignment = ruin_and_recreate(
            routing,
            assignment,
            stops,
            model.dist,
            node_of,
            budget,
            LnsParams(seed=params.seed, log_search=params.log_search),
            name=problem.name,
        )
        left = budget.remaining_s()
        if left > 0.1:  # the LNS stopped early: guided local search from its best
            more = routing.SolveFromAssignmentWithParameters(
                assignment, search_parameters(params, left, lean=True)
            )
            if more is not None and more.ObjectiveValue() <= assignment.ObjectiveValue():
                assignment = more
    wall = time.monotonic() - started
    if assignment is None:
        log.warning("%s: no solution in %.1f s (status %s)", problem.name, wall, routing.status())
        return Solution(problem.name, (), tuple(problem.stops), 0, wall, "no_solution")
    solution = read_solution(model, assignment, wall)
    log.info(
        "%s: %d stops, %d vehicles: %d routes, %d dropped, objective %d, %.1f s, %d improvements",
        problem.name,
        len(problem.stops),
        len(problem.vehicles),
        len(solution.routes),
        len(solution.dropped),
        solution.objective,
        wall,
        progress.count,
    )
    return solution


class _Progress:
    """Logs each improving solution, at most every few seconds (long solves show life)."""

    def __init__(self, name: str, routing: pywrapcp.RoutingModel) -> None:
        self.name = name
        self.routing = routing
        self.count = 0
        self.started = time.monotonic()
        self.last_log = 0.0

    def __call__(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last_log >= 5.0:
            self.last_log = now
            log.info(
                "%s: solution %d, objective %d after %.1f s",
                self.name,
                self.count,
                self.routing.CostVar().Value(),
                now - self.started,
            )
