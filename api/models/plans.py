"""Planning jobs and dispatched routes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from core.dispatch import RouteDispatch
from core.plans import PlanRecord


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    kind: Literal["garbage", "pest"]
    town: str | None = None


class PlanAccepted(BaseModel):
    plan_id: str
    state: str
    location: str


class PlansPublic(BaseModel):
    data: list[PlanRecord]
    count: int


class RoutesPublic(BaseModel):
    data: list[RouteDispatch]
    count: int


class GeoJsonGeometry(BaseModel):
    type: Literal["Point", "LineString"]
    coordinates: list[Any]


class GeoJsonFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: GeoJsonGeometry
    properties: dict[str, Any]


class GeoJsonFeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GeoJsonFeature]
