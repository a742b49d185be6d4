"""A crew's route for the day as published on `{prefix}/dispatch/{vehicle_or_crew_id}`.

The optimizer builds these, the API serves them, trucks and crews (and their
simulators) drive them. Times are epoch milliseconds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PlanKind = Literal["garbage", "pest"]


class StopKind(StrEnum):
    DEPOT = "depot"  # start and end of the shift
    POINT = "point"  # a collection point to clear
    STATION = "station"  # unload at a transfer station
    SITE = "site"  # a pest-control site to visit
    BREAK = "break"


class RouteStopOut(BaseModel):
    """One stop of a dispatched route, in driving order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=0)
    stop_id: str
    kind: StopKind
    lat: float
    lon: float
    eta_ms: int  # planned arrival
    depart_ms: int  # planned departure after service
    load_kg: float = 0.0  # on board after this stop
    community_id: str | None = None


class RouteDispatch(BaseModel):
    """The message on a crew's dispatch topic (retained: the crew gets it on connect)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route_id: str
    plan_id: str
    plan_kind: PlanKind
    vehicle_id: str  # a truck id or a pest-control crew id
    town_id: str
    date: str  # local date, ISO
    start_ms: int
    end_ms: int
    distance_m: int = Field(ge=0)
    stops: list[RouteStopOut]
