"""From solved routes to the contract's records: `RouteDispatch`, `PlanRecord`,
`route_stop` lines for InfluxDB, GeoJSON for maps and CSV for print."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from core import schema
from core.dispatch import PlanKind, RouteDispatch, RouteStopOut, StopKind
from core.line_protocol import line
from core.plans import PlanRecord, UnservedReason, UnservedStop
from optimizer.planning.tasks import Unserved
from optimizer.solver.problem import point_id_of
from optimizer.solver.solution import RoutePlan


def route_dispatch(
    route: RoutePlan, *, plan_id: str, kind: PlanKind, town_id: str, date: str, origin_ms: int
) -> RouteDispatch:
    def ms(s: int) -> int:
        return origin_ms + s * 1000

    stops = [
        RouteStopOut(
            seq=i,
            # A point's second visit is dispatched as the point: trucks clear stop ids.
            stop_id=point_id_of(v.ref_id) if v.kind is StopKind.POINT else v.ref_id,
            kind=v.kind,
            lat=v.location.lat,
            lon=v.location.lon,
            eta_ms=ms(v.arrival_s),
            depart_ms=ms(v.departure_s),
            load_kg=float(v.load_kg),
            community_id=v.community_id,
        )
        for i, v in enumerate(route.visits)
    ]
    return RouteDispatch(
        route_id=f"{plan_id}-{route.vehicle.id}",
        plan_id=plan_id,
        plan_kind=kind,
        vehicle_id=route.vehicle.id,
        town_id=town_id,
        date=date,
        start_ms=stops[0].depart_ms,
        end_ms=stops[-1].eta_ms,
        distance_m=route.distance_m,
        stops=stops,
    )


def unserved_stop(u: Unserved) -> UnservedStop:
    return UnservedStop(
        stop_id=u.stop_id,
        kind=u.kind.value,
        community_id=u.community_id,
        reason=UnservedReason(u.reason),
        detail=u.detail,
    )


def kpis(
    routes: list[RouteDispatch],
    kind: PlanKind,
    *,
    stops_total: int,
    unserved: int,
    vehicles_available: int,
    capacities: dict[str, float],
    solve_s: float,
    second_visits: int = 0,
) -> dict[str, float]:
    """The plan's figures. `unserved` counts points or sites left out (not second
    visits); `stops_served` counts points or sites served, a point's second visit of
    the day (`second_visits` of the routes' point stops) not counted again."""
    served_kind = StopKind.POINT if kind == "garbage" else StopKind.SITE
    visits = sum(1 for r in routes for s in r.stops if s.kind is served_kind)
    served = visits - second_visits
    out: dict[str, float] = {
        "stops_total": float(stops_total),
        "stops_served": float(served),
        "unserved": float(unserved),
        "coverage_pct": round(100.0 * (stops_total - unserved) / stops_total, 2)
        if stops_total
        else 100.0,
        "distance_km": round(sum(r.distance_m for r in routes) / 1000, 2),
        "duration_h": round(sum(r.end_ms - r.start_ms for r in routes) / 3_600_000, 2),
        "vehicles_used": float(len(routes)),
        "vehicles_available": float(vehicles_available),
        "solve_s": round(solve_s, 2),
    }
    if kind == "garbage":
        out["points_total"] = out["stops_total"]
        out["points_served"] = out["stops_served"]
        out["second_visits"] = float(second_visits)
        trips = collected = 0.0
        carried_capacity = 0.0
        for r in routes:
            previous = 0.0
            for s in r.stops:
                if s.kind is StopKind.STATION:
                    trips += 1
                    collected += previous
                    carried_capacity += capacities.get(r.vehicle_id, 0.0)
                previous = s.load_kg
        out["unloads"] = trips
        out["collected_t"] = round(collected / 1000, 2)
        out["load_factor"] = round(collected / carried_capacity, 3) if carried_capacity else 0.0
    else:
        out["sites_total"] = out["stops_total"]
        out["sites_served"] = out["stops_served"]
    return out


def route_stop_lines(record: PlanRecord) -> list[str]:
    """One `route_stop` point per stop of every route (timestamp: its ETA)."""
    m = schema.ROUTE_STOP
    lines = []
    for r in record.routes:
        tags = {
            "plan_id": r.plan_id,
            "route_id": r.route_id,
            "vehicle_id": r.vehicle_id,
            "plan_kind": r.plan_kind,
            "town": r.town_id,
        }
        for s in r.stops:
            fields: dict[str, float | int | str] = {
                "seq": s.seq,
                "stop_id": s.stop_id,
                "eta_ms": s.eta_ms,
                "lat": s.lat,
                "lon": s.lon,
                "load_kg": s.load_kg,
                # The dispatch board counts only point and site stops as work to serve.
                "stop_kind": s.kind.value,
            }
            lines.append(line(m.name, tags, fields, s.eta_ms))
    return lines


def geojson(record: PlanRecord) -> dict[str, Any]:
    """Each route as a LineString and each stop as a Point (lon, lat order)."""
    features: list[dict[str, Any]] = []
    for r in record.routes:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[s.lon, s.lat] for s in r.stops],
                },
                "properties": {
                    "route_id": r.route_id,
                    "vehicle_id": r.vehicle_id,
                    "town": r.town_id,
                    "distance_m": r.distance_m,
                },
            }
        )
        for s in r.stops:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                    "properties": {
                        "route_id": r.route_id,
                        "seq": s.seq,
                        "stop_id": s.stop_id,
                        "kind": s.kind.value,
                        "eta_ms": s.eta_ms,
                        "load_kg": s.load_kg,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


CSV_COLUMNS = (
    "route_id",
    "vehicle_id",
    "town",
    "seq",
    "stop_id",
    "kind",
    "community_id",
    "eta_local",
    "depart_local",
    "load_kg",
    "lat",
    "lon",
)


def csv_text(record: PlanRecord, tz: str = "Asia/Shanghai") -> str:
    from core.localday import from_ms

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in record.routes:
        for s in r.stops:
            writer.writerow(
                [
                    r.route_id,
                    r.vehicle_id,
                    r.town_id,
                    s.seq,
                    s.stop_id,
                    s.kind.value,
                    s.community_id or "",
                    from_ms(s.eta_ms, tz).strftime("%H:%M"),
                    from_ms(s.depart_ms, tz).strftime("%H:%M"),
                    f"{s.load_kg:.0f}",
                    s.lat,
                    s.lon,
                ]
            )
    return buf.getvalue()


def write_exports(record: PlanRecord, folder: Path) -> list[Path]:
    """`<plan_id>.geojson` and `<plan_id>.csv` in `folder` (the JSON is the plan store's)."""
    folder.mkdir(parents=True, exist_ok=True)
    gj = folder / f"{record.plan_id}.geojson"
    gj.write_text(json.dumps(geojson(record)), encoding="utf-8")
    table = folder / f"{record.plan_id}.csv"
    table.write_text(csv_text(record), encoding="utf-8")
    return [gj, table]
