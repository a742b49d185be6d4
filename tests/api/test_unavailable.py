"""When InfluxDB does not answer: 503 with a clear message, never a stack trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import ApiKey, KeyRing, Role
from api.main import create_app
from core.influx import InfluxClient
from core.retry import ONCE
from core.settings import Settings
from tests.api.dataset import Case
from yiju.localservices import free_port


@pytest.fixture(scope="module")
def down_client(api_settings: Settings, case: Case) -> Iterator[TestClient]:
    dead = InfluxClient(f"http://127.0.0.1:{free_port()}", "yiju", retry=ONCE, timeout_s=1.0)
    keys = KeyRing([ApiKey.from_secret("o", Role.ADMIN, "k")])
    app = create_app(api_settings, case.registry, influx=dead, keys=keys)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    dead.close()


@pytest.mark.parametrize(
    "path",
    [
        "/compliance?date=2026-11-20",
        "/communities/gc-c001/scorecard?from=2026-11-19&to=2026-11-20",
        "/violations",
        "/devices/bin-gc-c001-p01/latest",
    ],
)
def test_influx_down_is_503(down_client: TestClient, path: str) -> None:
    """Queries that need InfluxDB answer 503 with a message naming it."""
    resp = down_client.get("/api/v1" + path, headers={"Authorization": "Bearer k"})
    assert resp.status_code == 503
    assert "InfluxDB does not answer" in resp.json()["message"]


def test_registry_still_served_and_health_degraded(down_client: TestClient) -> None:
    """The registry needs no InfluxDB; /health says degraded and why."""
    assert (
        down_client.get("/api/v1/towns", headers={"Authorization": "Bearer k"}).status_code == 200
    )
    body = down_client.get("/api/v1/health").json()
    assert body["status"] == "degraded"
    assert body["influxdb"]["ok"] is False
