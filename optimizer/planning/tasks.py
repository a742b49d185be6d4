"""What a plan is solved as: tasks (a town, or a sector of a town, as a routing
problem with its solve parameters) and the stops known unservable before solving."""

from __future__ import annotations

from dataclasses import dataclass

from core.dispatch import StopKind
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import Problem


@dataclass(frozen=True, slots=True)
class Unserved:
    """A stop the plan does not serve, with the reason (`core.plans.UnservedReason`)."""

    stop_id: str
    kind: StopKind
    reason: str
    detail: str
    community_id: str | None = None
    town_id: str | None = None


@dataclass(frozen=True)
class PlanTask:
    """One independently solved part of a plan (a town, or a sector of a town)."""

    town_id: str
    problem: Problem
    params: SolveParams
    unload_at_end: bool = True


@dataclass
class PreparedPlan:
    """Everything to solve for one plan, plus what is known unservable before solving."""

    tasks: list[PlanTask]
    unserved: list[Unserved]
    stops_total: int
    origin_ms: int
    vehicles_available: int = 0
