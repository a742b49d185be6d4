"""`GET /routes` and `GET /routes/{route_id}`: dispatched routes as JSON or GeoJSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import PlanKey, PlanStoreDep, RegistryDep
from api.errors import bad_parameter, not_found
from api.models.common import ERROR_RESPONSES, NOT_FOUND
from api.models.plans import GeoJsonFeatureCollection, RoutesPublic
from api.routes.params import check_day, today
from api.services.dispatch_routes import find_route, find_routes, to_geojson
from core.dispatch import RouteDispatch

router = APIRouter(prefix="/routes", tags=["routes"], responses=ERROR_RESPONSES)

Format = Annotated[Literal["json", "geojson"], Query(description="json or geojson")]


@router.get("", summary="The day's routes, per vehicle or crew")
def list_routes(
    registry: RegistryDep,
    store: PlanStoreDep,
    key: PlanKey,
    date: Annotated[dt.date | None, Query(description="local day (default: today)")] = None,
    vehicle: Annotated[str | None, Query(max_length=64, description="truck or crew id")] = None,
    kind: Annotated[Literal["garbage", "pest"] | None, Query()] = None,
    format: Format = "json",
) -> RoutesPublic | GeoJsonFeatureCollection:
    day = check_day(date, "date") if date else today(registry.district.tz)
    if (
        vehicle is not None
        and vehicle not in registry.truck_by_id
        and vehicle not in registry.crew_by_id
    ):
        raise bad_parameter(f"unknown vehicle or crew {vehicle!r}")
    routes = find_routes(store, day.isoformat(), kind, vehicle)
    if format == "geojson":
        return to_geojson(routes)
    return RoutesPublic(data=routes, count=len(routes))


@router.get("/{route_id}", summary="One route with its ordered stops", responses=NOT_FOUND)
def get_route(
    route_id: str, store: PlanStoreDep, key: PlanKey, format: Format = "json"
) -> RouteDispatch | GeoJsonFeatureCollection:
    route = find_route(store, route_id)
    if route is None:
        raise not_found(f"route {route_id!r}")
    if format == "geojson":
        return to_geojson([route])
    return route
