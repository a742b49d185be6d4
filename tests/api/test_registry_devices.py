"""Towns, communities and devices: answers from the registry and the latest readings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from tests.api.conftest import auth
from tests.api.dataset import Case

OFFICE = auth(Role.OFFICE)


def test_towns_and_community_counts(client: TestClient, case: Case) -> None:
    """`/towns` lists the seven towns with their number of communities."""
    body = client.get("/api/v1/towns", headers=OFFICE).json()
    assert body["count"] == 7
    assert sum(t["communities"] for t in body["data"]) == len(case.registry.communities)


def test_communities_of_a_town(client: TestClient, case: Case) -> None:
    """`/communities?town=` filters; `/communities/{id}` has the static criteria and counts."""
    body = client.get("/api/v1/communities", params={"town": "dali"}, headers=OFFICE).json()
    assert [c["id"] for c in body["data"]] == ["dl-c001"]
    one = client.get("/api/v1/communities/dl-c001", headers=OFFICE).json()
    points = sum(1 for p in case.registry.collection_points if p.community_id == "dl-c001")
    assert one["collection_points"] == points
    assert one["green_space_ratio"] == 0.35


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/communities?town=atlantis", 422),
        ("/communities/nowhere", 404),
        ("/communities/nowhere/scorecard", 404),
        ("/communities/gc-c001/scorecard?from=2026-11-20&to=2026-11-01", 422),
        ("/communities/gc-c001/scorecard?from=2026-13-01", 422),
        ("/communities/gc-c001/scorecard?to=2099-01-01", 422),
        ("/communities/gc-c001/scorecard?from=2020-01-01&to=2026-01-01", 422),
        ("/compliance?date=2026-02-30", 422),
        ("/compliance?date=2999-01-01", 422),
        ("/compliance?date=2026-11-20&town=atlantis", 422),
        ("/compliance?format=xml", 422),
        ("/devices/nope/latest", 404),
        ("/devices/bin-gc-c001-p01/series?field=color", 422),
        ("/devices/bin-gc-c001-p01/series?hours=744&every_min=1", 422),
        ("/plans/garbage-2026-01-01-00000000", 404),
        ("/plans/..%2F..%2Fsecrets", 404),
        ("/routes/none", 404),
        ("/routes?vehicle=trk-nope", 422),
        ("/nowhere", 404),
    ],
)
def test_errors_are_json(client: TestClient, path: str, code: int) -> None:
    """404 for unknown ids, 422 for bad parameters, always JSON with a message."""
    resp = client.get("/api/v1" + path, headers=auth(Role.ADMIN))
    assert resp.status_code == code, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["message"]


def test_device_latest_reading(client: TestClient, case: Case) -> None:
    """A bin sensor's last reading is the last raw point written for it."""
    point = case.registry.point_by_id[case.spec["bin_overflow"]["point"]]
    assert point.sensor is not None
    device = point.sensor.device_id
    last = max(
        (p for p in case.of("bin") if p.tags["device_id"] == device), key=lambda p: p.time_ms
    )
    body = client.get(f"/api/v1/devices/{device}/latest", headers=OFFICE).json()
    assert body["time_ms"] == last.time_ms
    assert body["fields"]["fill_pct"] == last.fields["fill_pct"]
    assert (body["kind"], body["subject_id"], body["community_id"]) == (
        "bin",
        point.id,
        point.community_id,
    )


def test_device_without_readings_is_404(client: TestClient, case: Case) -> None:
    """A known device that never reported: 404 saying so."""
    truck = case.registry.trucks[0].id
    resp = client.get(f"/api/v1/devices/{truck}/latest", headers=OFFICE)
    assert resp.status_code == 404
    assert "reading" in resp.json()["message"]


def test_device_series_buckets(client: TestClient, case: Case) -> None:
    """The series endpoint averages a camera's online flag per bucket (empty when old)."""
    camera = case.registry.cameras[0].id
    resp = client.get(f"/api/v1/devices/{camera}/series", params={"hours": 2}, headers=OFFICE)
    assert resp.status_code == 200
    body = resp.json()
    assert body["field"] == "online"
    assert body["count"] == 0
