"""A finished plan record with two routes, stored the way the optimizer stores plans."""

from __future__ import annotations

from core.dispatch import RouteDispatch, RouteStopOut, StopKind
from core.localday import at_local, parse_clock
from core.plans import PlanRecord, PlanState, PlanStore, UnservedReason, UnservedStop
from tests.api.dataset import Case

PLAN_ID = "garbage-2026-11-20-feedbeef"


def stored_plan(store: PlanStore, case: Case) -> PlanRecord:
    reg = case.registry
    tz = reg.district.tz
    start = at_local(case.day, parse_clock("04:30"), tz)
    routes = []
    for n, truck in enumerate(reg.trucks[:2]):
        depot = reg.depot_by_id[truck.depot_id]
        points = [p for p in reg.collection_points if reg.town_of(p.community_id) == truck.town_id][
            :3
        ]
        stops = [
            RouteStopOut(
                seq=0,
                stop_id=depot.id,
                kind=StopKind.DEPOT,
                lat=depot.lat,
                lon=depot.lon,
                eta_ms=start,
                depart_ms=start,
            )
        ]
        for i, p in enumerate(points, start=1):
            t = start + i * 600_000
            stops.append(
                RouteStopOut(
                    seq=i,
                    stop_id=p.id,
                    kind=StopKind.POINT,
                    lat=p.lat,
                    lon=p.lon,
                    eta_ms=t,
                    depart_ms=t + 120_000,
                    load_kg=100.0 * i,
                    community_id=p.community_id,
                )
            )
        routes.append(
            RouteDispatch(
                route_id=f"{PLAN_ID}-r{n}",
                plan_id=PLAN_ID,
                plan_kind="garbage",
                vehicle_id=truck.id,
                town_id=truck.town_id,
                date=case.day.isoformat(),
                start_ms=start,
                end_ms=start + 3_600_000,
                distance_m=12_000,
                stops=stops,
            )
        )
    record = PlanRecord(
        plan_id=PLAN_ID,
        date=case.day.isoformat(),
        kind="garbage",
        state=PlanState.DONE,
        created_ms=start - 3_600_000,
        started_ms=start - 3_500_000,
        finished_ms=start - 3_400_000,
        kpis={"points_served": 6.0, "distance_km": 24.0},
        routes=routes,
        unserved=[
            UnservedStop(
                stop_id="x-p99", kind="point", reason=UnservedReason.CAPACITY, detail="fleet full"
            )
        ],
    )
    store.save(record)
    return record
