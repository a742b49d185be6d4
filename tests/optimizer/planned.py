"""What a plan was made from, for checking it: the problems the solver was given,
rebuilt with `optimizer.planning.day.prepare_plan` from the plan's own inputs, and the
start every search of them begins from.

`PlanRecorder` stands in for `plan_day` where a module imported it (the plan job,
the closed loop) and checks every plan made through it as it is made;
`solve_counted` stands in for the solve of each task with a search budget that does
not depend on the machine's load.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.dispatch import PlanKind
from core.localday import LocalDay
from core.plans import PlanRecord
from core.registry import Registry
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import plan_day, prepare_plan
from optimizer.planning.state import DistrictState
from optimizer.planning.tasks import PlanTask, PreparedPlan
from optimizer.solver.portfolio import solve
from optimizer.solver.solution import Solution
from tests.optimizer.validator import Given, validate_plan

# plan_day's options that prepare_plan takes too (the rest only steer the solve).
_INPUTS = (
    "already_cleared",
    "from_ms",
    "excluded_vehicles",
    "borrowed_vehicles",
    "config",
    "provider",
)


@dataclass(frozen=True)
class Inputs:
    """The arguments of one `plan_day` call that decide its problems."""

    registry: Registry
    state: DistrictState
    day: date
    kind: PlanKind
    town_id: str | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def config(self) -> PlanningConfig:
        config = self.options.get("config")
        return config if isinstance(config, PlanningConfig) else PlanningConfig()

    @property
    def from_s(self) -> int:
        from_ms = self.options.get("from_ms")
        return 0 if from_ms is None else (from_ms - LocalDay(self.day).start_ms) // 1000

    def prepare(self) -> PreparedPlan:
        options = {k: v for k, v in self.options.items() if k in _INPUTS}
        return prepare_plan(self.registry, self.state, self.day, self.kind, self.town_id, **options)

    def given(self, prepared: PreparedPlan) -> Given:
        """What the solver was given; a re-plan of garbage starts the trucks already on
        shift where the state last saw them (the registry's depot otherwise: a truck
        whose shift has not begun is parked there)."""
        starts = {}
        if self.kind == "garbage" and self.options.get("from_ms") is not None:
            trucks = self.registry.truck_by_id
            starts = {
                v: (p.lat, p.lon)
                for v, p in self.state.vehicle_positions.items()
                if v in trucks and self.from_s > _clock_s(trucks[v].shift.start)
            }
        return Given.of(prepared.tasks, starts)


@dataclass(frozen=True)
class CheckedPlan:
    """A plan, the problems it was made from and what the validator found."""

    inputs: Inputs
    record: PlanRecord
    prepared: PreparedPlan
    given: Given
    problems: list[str]


def check(record: PlanRecord, inputs: Inputs) -> CheckedPlan:
    """`record` checked against the problems its inputs give."""
    prepared = inputs.prepare()
    given = inputs.given(prepared)
    problems = validate_plan(
        record.routes, inputs.registry, inputs.day, inputs.config, given, from_s=inputs.from_s
    )
    return CheckedPlan(inputs, record, prepared, given, problems)


def plan(
    registry: Registry,
    state: DistrictState,
    day: date,
    kind: PlanKind,
    town_id: str | None = None,
    **options: Any,
) -> CheckedPlan:
    """`plan_day` with these arguments, checked."""
    options = _materialised(options)
    record = plan_day(registry, state, day, kind, town_id, **options)
    return check(record, Inputs(registry, state, day, kind, town_id, options))


def _materialised(options: dict[str, Any]) -> dict[str, Any]:
    """Iterable options as tuples: plan_day and the check each read them once."""
    return {
        k: tuple(v) if isinstance(v, Iterable) and not isinstance(v, str | bytes) else v
        for k, v in options.items()
    }


class PlanRecorder:
    """A stand-in for `plan_day` that makes the plan and checks it at once (the state
    it was given may not be read again later)."""

    def __init__(self) -> None:
        self.plans: list[CheckedPlan] = []

    def __call__(
        self,
        registry: Registry,
        state: DistrictState,
        day: date,
        kind: PlanKind,
        town_id: str | None = None,
        **options: Any,
    ) -> PlanRecord:
        checked = plan(registry, state, day, kind, town_id, **options)
        self.plans.append(checked)
        return checked.record

    def problems(self) -> dict[str, list[str]]:
        """The validator's findings per plan id, plans without any left out."""
        return {p.record.plan_id: p.problems for p in self.plans if p.problems}

    def of(self, record: PlanRecord) -> CheckedPlan:
        (found,) = [p for p in self.plans if p.record.plan_id == record.plan_id]
        return found


# The search budget of `solve_counted`, per start: solutions of guided local search,
# enough for the simulated days' plans (tests/test_days.py) to serve every point (the
# 17-stop re-plan after a breakdown, the slowest, takes ~6 s), and branches as a
# guard, which ends a search with no move left (a lone stop on a lone truck) in ~1 s.
COUNTED_SOLUTIONS = 100
COUNTED_BRANCHES = 1_000_000


def solve_counted(task: PlanTask) -> Solution:
    """A stand-in for `optimizer.planning.day.solve_task` whose search budget is a
    count, not seconds, so a plan comes out the same on a busy machine as on an idle
    one (a module-level function: spawned sector processes find it by name). The time
    limit, far off, only decides the portfolio's starts, always the same two."""
    params = dataclasses.replace(
        task.params,
        time_limit_s=600.0,
        solution_limit=COUNTED_SOLUTIONS,
        branch_limit=COUNTED_BRANCHES,
    )
    return solve(task.problem, params, unload_at_end=task.unload_at_end)


def left_out_at_start(prepared: PreparedPlan) -> list[str]:
    """The required stops that the start every search of these problems begins from
    leaves out: the constructed routes as the model accepts them (a solve from
    "construct" stopped at its first solution).

    Any amount of search ends no worse than this start: it costs a drop penalty per
    stop left out (half for a second visit), more than any route's length, and a solve
    from "auto" (the plans' default) or "construct" includes this start among the
    ones it keeps the best of (optimizer/solver/portfolio.py). So when this is empty, such a
    plan serves every required stop, however busy the machine."""
    left = []
    for task in prepared.tasks:
        params = dataclasses.replace(
            task.params, initial="construct", solution_limit=1, time_limit_s=600.0
        )
        start = solve(task.problem, params, unload_at_end=task.unload_at_end)
        assert start.status == "ok", f"{task.problem.name}: no start ({start.status})"
        left += [s.id for s in start.dropped if s.required]
    return left


def _clock_s(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60
