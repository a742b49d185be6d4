"""What the solver returns: routes of visits in driving order, and the stops left out."""

from __future__ import annotations

from dataclasses import dataclass

from core.dispatch import StopKind
from optimizer.solver.problem import Location, Stop, Vehicle


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit of a planned route, in driving order (times in problem seconds)."""

    kind: StopKind
    ref_id: str
    location: Location
    arrival_s: int
    departure_s: int
    load_kg: int  # on board after the visit
    community_id: str | None = None


@dataclass(frozen=True, slots=True)
class RoutePlan:
    vehicle: Vehicle
    visits: tuple[Visit, ...]
    distance_m: int

    @property
    def served(self) -> list[str]:
        return [v.ref_id for v in self.visits if v.kind in (StopKind.POINT, StopKind.SITE)]

    @property
    def start_s(self) -> int:
        return self.visits[0].departure_s if self.visits else 0

    @property
    def end_s(self) -> int:
        return self.visits[-1].arrival_s if self.visits else 0

    @property
    def unloads(self) -> int:
        return sum(1 for v in self.visits if v.kind is StopKind.STATION)


@dataclass(frozen=True, slots=True)
class Solution:
    problem_name: str
    routes: tuple[RoutePlan, ...]
    dropped: tuple[Stop, ...]
    objective: int
    wall_s: float
    status: str

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)
