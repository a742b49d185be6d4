"""Planning jobs run in a separate process; routes come from the stored plans."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Role
from core.plans import PlanStore
from core.settings import Settings
from tests.api.conftest import auth
from tests.api.dataset import Case
from tests.api.plans_data import PLAN_ID, stored_plan

DISPATCHER = auth(Role.DISPATCHER)
JOB_TIMEOUT_S = 120


@pytest.mark.usefixtures("withdraws_dispatch")
def test_post_plan_runs_a_job_to_the_end(client: TestClient, case: Case) -> None:
    """202 with an id and a Location; the job runs the optimizer to done, with routes."""
    body = {"date": case.spec["date"], "kind": "pest", "town": "jiujiang"}
    resp = client.post("/api/v1/plans", json=body, headers=DISPATCHER)
    assert resp.status_code == 202, resp.text
    accepted = resp.json()
    assert accepted["state"] == "queued"
    assert resp.headers["location"] == f"/api/v1/plans/{accepted['plan_id']}"
    deadline = time.monotonic() + JOB_TIMEOUT_S
    record = client.get(resp.headers["location"], headers=DISPATCHER).json()
    while record["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        record = client.get(resp.headers["location"], headers=DISPATCHER).json()
    assert record["state"] in ("done", "failed"), (
        f"job still {record['state']} after {JOB_TIMEOUT_S} s"
    )
    assert (record["date"], record["kind"], record["town_id"]) == (body["date"], "pest", "jiujiang")
    assert record["state"] == "done", record["error"]
    assert record["routes"], "a done pest plan for a town with a site has a route"


def test_post_plan_validates(client: TestClient) -> None:
    """Unknown town, unknown kind, malformed date or extra fields: 422."""
    for body in (
        {"date": "2026-11-20", "kind": "garbage", "town": "atlantis"},
        {"date": "2026-11-20", "kind": "sweeping"},
        {"date": "20-11-2026", "kind": "garbage"},
        {"date": "2026-11-20", "kind": "garbage", "priority": 1},
    ):
        resp = client.post("/api/v1/plans", json=body, headers=DISPATCHER)
        assert resp.status_code == 422, body
        assert resp.json()["message"]


def test_plan_record_and_routes(client: TestClient, api_settings: Settings, case: Case) -> None:
    """A stored plan: its KPIs and unserved stops, and its routes by date and vehicle."""
    record = stored_plan(PlanStore(api_settings.data_dir), case)
    plan = client.get(f"/api/v1/plans/{PLAN_ID}", headers=DISPATCHER).json()
    assert plan["kpis"]["points_served"] == 6.0
    assert plan["unserved"][0]["reason"] == "capacity"
    routes = client.get("/api/v1/routes", params={"date": case.spec["date"]}, headers=DISPATCHER)
    ids = {r["route_id"] for r in routes.json()["data"]}
    assert ids >= {r.route_id for r in record.routes}
    vehicle = record.routes[1].vehicle_id
    one = client.get(
        "/api/v1/routes", params={"date": case.spec["date"], "vehicle": vehicle}, headers=DISPATCHER
    ).json()
    assert [r["vehicle_id"] for r in one["data"]] == [vehicle]
    assert [s["seq"] for s in one["data"][0]["stops"]] == [0, 1, 2, 3]


def test_route_as_geojson(client: TestClient, api_settings: Settings, case: Case) -> None:
    """GeoJSON: one LineString through the stops in order, and one Point per stop."""
    record = stored_plan(PlanStore(api_settings.data_dir), case)
    route = record.routes[0]
    resp = client.get(
        f"/api/v1/routes/{route.route_id}", params={"format": "geojson"}, headers=DISPATCHER
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["type"] == "FeatureCollection"
    lines = [f for f in body["features"] if f["geometry"]["type"] == "LineString"]
    points = [f for f in body["features"] if f["geometry"]["type"] == "Point"]
    assert len(lines) == 1
    assert len(points) == len(route.stops)
    assert lines[0]["geometry"]["coordinates"] == [[s.lon, s.lat] for s in route.stops]
    assert [p["properties"]["eta_ms"] for p in points] == [s.eta_ms for s in route.stops]


def test_routes_of_a_day_without_plans(client: TestClient) -> None:
    """A day nobody planned has no routes (an empty list, not an error)."""
    resp = client.get("/api/v1/routes", params={"date": "2026-01-01"}, headers=DISPATCHER)
    assert resp.status_code == 200
    assert resp.json() == {"data": [], "count": 0}


def test_too_many_plans_is_429(api_app: FastAPI, client: TestClient) -> None:
    """With every planning slot taken, POST /plans answers 429 and starts nothing."""
    jobs = api_app.state.plan_jobs
    saved = jobs.max_running
    jobs.max_running = 0
    try:
        body = {"date": "2026-11-20", "kind": "pest", "town": "jiujiang"}
        resp = client.post("/api/v1/plans", json=body, headers=DISPATCHER)
    finally:
        jobs.max_running = saved
    assert resp.status_code == 429
    assert "try again" in resp.json()["message"]
