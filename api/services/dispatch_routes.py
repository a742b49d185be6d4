"""Dispatched routes from the stored plans, as JSON or GeoJSON."""

from __future__ import annotations

from typing import Any

from api.models.plans import GeoJsonFeature, GeoJsonFeatureCollection, GeoJsonGeometry
from core.dispatch import RouteDispatch
from core.plans import PlanState, PlanStore


def find_routes(
    store: PlanStore, date: str, kind: str | None = None, vehicle: str | None = None
) -> list[RouteDispatch]:
    """The routes of finished plans for the day; when a vehicle was planned more than once
    (a re-plan), its route from the newest plan wins."""
    plans = [p for p in store.list(date=date, kind=kind) if p.state == PlanState.DONE]
    plans.sort(key=lambda p: p.finished_ms or p.created_ms, reverse=True)
    seen: set[tuple[str, str]] = set()
    routes: list[RouteDispatch] = []
    for plan in plans:
        for route in plan.routes:
            key = (route.plan_kind, route.vehicle_id)
            if key in seen or (vehicle is not None and route.vehicle_id != vehicle):
                continue
            seen.add(key)
            routes.append(route)
    routes.sort(key=lambda r: (r.plan_kind, r.town_id, r.vehicle_id))
    return routes


def find_route(store: PlanStore, route_id: str) -> RouteDispatch | None:
    for plan in store.list():
        for route in plan.routes:
            if route.route_id == route_id:
                return route
    return None


def to_geojson(routes: list[RouteDispatch]) -> GeoJsonFeatureCollection:
    """Each route as a LineString through its stops, and each stop as a Point."""
    features: list[GeoJsonFeature] = []
    for route in routes:
        common: dict[str, Any] = {
            "route_id": route.route_id,
            "plan_id": route.plan_id,
            "vehicle_id": route.vehicle_id,
            "plan_kind": route.plan_kind,
            "town_id": route.town_id,
        }
        coordinates = [[s.lon, s.lat] for s in route.stops]
        if len(coordinates) >= 2:
            features.append(
                GeoJsonFeature(
                    geometry=GeoJsonGeometry(type="LineString", coordinates=coordinates),
                    properties={
                        **common,
                        "feature": "route",
                        "distance_m": route.distance_m,
                        "start_ms": route.start_ms,
                        "end_ms": route.end_ms,
                        "stops": len(route.stops),
                    },
                )
            )
        for stop in route.stops:
            features.append(
                GeoJsonFeature(
                    geometry=GeoJsonGeometry(type="Point", coordinates=[stop.lon, stop.lat]),
                    properties={
                        **common,
                        "feature": "stop",
                        "seq": stop.seq,
                        "stop_id": stop.stop_id,
                        "kind": stop.kind.value,
                        "eta_ms": stop.eta_ms,
                        "depart_ms": stop.depart_ms,
                        "load_kg": stop.load_kg,
                        "community_id": stop.community_id,
                    },
                )
            )
    return GeoJsonFeatureCollection(features=features)
