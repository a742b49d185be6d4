"""The dispatch board: today's routes, stops served against planned, who is behind,
and what the planner could not serve."""

from __future__ import annotations

from core import schema
from dashboards import panels as p
from dashboards import queries as qb
from dashboards.model import Dashboard, Json, Link, Panel, Row, SharedResult, Target
from dashboards.wall import TOWN_VARIABLE

UID = "yiju-dispatch"
TOWN = qb.matches("town", "town")
GARBAGE, PEST = "garbage", "pest"
TRUCKS = "Trucks: stops served versus planned"


def routes_today() -> Panel:
    r = schema.ROUTE_STOP
    eta_ms = qb.col(r, "eta_ms")
    groups = ", ".join(qb.col(r, t) for t in ("plan_kind", "vehicle_id", "route_id", "plan_id"))
    query = (
        f'SELECT count(distinct({qb.col(r, "stop_id")})) AS "stops", '
        f'max({qb.col(r, "load_kg")}) AS "peak load", '
        f'min({eta_ms}) AS "first stop", max({eta_ms}) AS "last stop" '
        f'FROM "{r.name}" WHERE {qb.where([TOWN, qb.service_stops(), qb.TIME_FILTER])} '
        f"GROUP BY {groups}"
    )
    eta = {"id": "unit", "value": "dateTimeAsLocal"}
    return p.table(
        "Today's routes",
        [Target("A", query)],
        transformations=[p.drop_time()],
        width=24,
        overrides=[
            {"matcher": {"id": "byName", "options": "first stop"}, "properties": [eta]},
            {"matcher": {"id": "byName", "options": "last stop"}, "properties": [eta]},
            {
                "matcher": {"id": "byName", "options": "peak load"},
                "properties": [{"id": "unit", "value": "masskg"}],
            },
        ],
    )


def served_targets(plan_kind: str) -> list[Target]:
    if plan_kind == GARBAGE:
        served = qb.served_per(schema.CLEARANCE, "vehicle_id", "fill_before_pct", [TOWN])
    else:
        served = qb.served_per(schema.PEST_VISIT, "crew_id", "duration_min", [TOWN])
    return [Target("A", qb.planned_and_due([TOWN], plan_kind)), Target("B", served)]


def served_transforms(plan_kind: str) -> list[Json]:
    steps = [p.drop_time()]
    if plan_kind == PEST:
        # Crews are the vehicles of pest routes: one key to join on.
        steps.append(p.rename({"crew_id": "vehicle_id"}))
    return [*steps, p.join_on("vehicle_id"), p.subtract("due", "served", "behind")]


def served_vs_planned(plan_kind: str, title: str) -> Panel:
    return p.table(
        title,
        served_targets(plan_kind),
        transformations=served_transforms(plan_kind),
        sort_by="behind",
        width=8,
        description=f"Distinct stops planned today, due by now (ETA + {qb.DUE_GRACE}), served.",
    )


def behind_schedule() -> Panel:
    return p.table(
        "Trucks behind schedule",
        SharedResult(TRUCKS, with_transforms=True),
        transformations=[p.keep_greater_than("behind", 0)],
        sort_by="behind",
        width=8,
        description="Trucks with more stops due than served.",
    )


def unserved() -> Panel:
    u = schema.UNSERVED_STOP
    columns = ["plan_kind", "stop_id", "community", "reason", "detail", "plan_id"]
    return p.table(
        "Stops the plan could not serve",
        [Target("A", qb.recent_rows(u, columns, [TOWN], 1000))],
        width=24,
    )


def build() -> Dashboard:
    return Dashboard(
        uid=UID,
        title="yiju · dispatch",
        description="Today's garbage and pest-control routes as they run.",
        variables=[TOWN_VARIABLE],
        time_from="now/d",
        time_to="now/d",
        rows=[
            Row(9, [routes_today()]),
            Row(
                9,
                [
                    served_vs_planned(GARBAGE, TRUCKS),
                    served_vs_planned(PEST, "Crews: sites visited versus planned"),
                    behind_schedule(),
                ],
            ),
            Row(8, [unserved()]),
        ],
        links=[
            Link("District wall", "/d/yiju-district-wall"),
            Link("Community board", "/d/yiju-community"),
        ],
    )
