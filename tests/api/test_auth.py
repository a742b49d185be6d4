"""Every role/endpoint pair: 200 (or 202) for allowed roles, 403 for the others, 401 without
a valid key; keys are stored hashed and load from the environment or a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import (
    ApiKey,
    KeyRing,
    Role,
    append_key,
    parse_env_keys,
    read_keys_file,
    remove_key,
)
from core.errors import ConfigError
from core.plans import PlanStore
from core.settings import Settings
from tests.api.conftest import auth
from tests.api.dataset import Case
from tests.api.plans_data import PLAN_ID, stored_plan

READERS = {Role.OFFICE, Role.DISPATCHER, Role.ADMIN}
PLANNERS = {Role.DISPATCHER, Role.ADMIN}
ADMINS = {Role.ADMIN}

# (method, path, allowed roles); `{...}` are filled from the data set.
ENDPOINTS = [
    ("GET", "/towns", READERS),
    ("GET", "/towns/{town}/scorecard?from={date}&to={date}", READERS),
    ("GET", "/scorecard?from={date}&to={date}", READERS),
    ("GET", "/communities", READERS),
    ("GET", "/communities/{community}", READERS),
    ("GET", "/communities/{community}/scorecard?from={date}&to={date}", READERS),
    ("GET", "/compliance?date={date}", READERS),
    ("GET", "/compliance/monthly?month={month}", READERS),
    ("GET", "/violations", READERS),
    ("GET", "/devices/{device}/latest", READERS),
    ("GET", "/devices/{device}/series?hours=24", READERS),
    ("POST", "/plans", PLANNERS),
    ("GET", "/plans?date={date}", PLANNERS),
    ("GET", "/plans/{plan}", PLANNERS),
    ("GET", "/routes?date={date}", PLANNERS),
    ("GET", "/routes/{route}", PLANNERS),
    ("GET", "/routes/{route}?format=geojson", PLANNERS),
    ("GET", "/keys", ADMINS),
]


@pytest.fixture(scope="module")
def filled(api_settings: Settings, case: Case) -> dict[str, str]:
    record = stored_plan(PlanStore(api_settings.data_dir), case)
    device = next(p.sensor.device_id for p in case.registry.collection_points if p.sensor)
    return {
        "community": case.spec["good"],
        "town": case.registry.town_of(case.spec["good"]),
        "date": case.spec["date"],
        "month": case.spec["date"][:7],
        "device": device,
        "plan": PLAN_ID,
        "route": record.routes[0].route_id,
    }


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    url = "/api/v1" + path
    if method == "POST":
        # A plan for a day in the past with a town keeps the job small.
        body = {"date": "2026-11-20", "kind": "pest", "town": "jiujiang"}
        return client.post(url, json=body, headers=headers).status_code
    return client.get(url, headers=headers).status_code


@pytest.mark.parametrize(
    ("method", "path", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_matrix(
    client: TestClient,
    filled: dict[str, str],
    method: str,
    path: str,
    allowed: set[Role],
    role: Role,
) -> None:
    """Allowed roles get 200 (202 for POST /plans); the others 403."""
    code = _call(client, method, path.format(**filled), auth(role))
    if role in allowed:
        assert code == (202 if method == "POST" else 200)
    else:
        assert code == 403


@pytest.mark.parametrize(
    ("method", "path", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
def test_no_or_bad_key_is_401(
    client: TestClient, filled: dict[str, str], method: str, path: str, allowed: set[Role]
) -> None:
    """No key, an unknown key, or a non-bearer scheme: 401 with a JSON message."""
    url = path.format(**filled)
    assert _call(client, method, url, {}) == 401
    assert _call(client, method, url, {"Authorization": "Bearer not-a-key"}) == 401
    assert _call(client, method, url, {"Authorization": "Basic dXNlcjpwYXNz"}) == 401


def test_401_body_and_challenge(client: TestClient) -> None:
    """A 401 says what to send and carries a Bearer challenge."""
    resp = client.get("/api/v1/towns")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in resp.json()["message"]


def test_health_needs_no_key(client: TestClient) -> None:
    """`/health` answers without a key and reports InfluxDB and Mosquitto."""
    resp = client.get("/api/v1/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["influxdb"]["ok"] is True
    assert body["mosquitto"]["ok"] is True
    assert body["status"] == "ok"


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    """The keys file holds salted hashes, never the key; the ring finds the key's role."""
    path = tmp_path / "keys.jsonl"
    append_key(path, ApiKey.from_secret("office-1", Role.OFFICE, "s3cret-key"))
    append_key(path, ApiKey.from_secret("disp-1", Role.DISPATCHER, "s3cret-key"))
    assert "s3cret-key" not in path.read_text()
    stored = read_keys_file(path)
    assert stored[0].salt != stored[1].salt
    assert stored[0].hash != stored[1].hash
    ring = KeyRing.load("admin-1:admin:env-key", path)
    found = ring.find("env-key")
    assert found is not None
    assert found.role is Role.ADMIN
    office = ring.find("s3cret-key")
    assert office is not None
    assert office.name == "office-1"
    assert ring.find("nope") is None
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("text", ["a:office", "a:boss:key", ":office:key"])
def test_bad_env_keys_are_refused(text: str) -> None:
    """A malformed YIJU_API_KEYS entry is a configuration error naming the entry."""
    with pytest.raises(ConfigError, match="YIJU_API_KEYS"):
        parse_env_keys(text)


def test_duplicate_key_name_refused(tmp_path: Path) -> None:
    """Two keys may not share a name in the file."""
    path = tmp_path / "keys.jsonl"
    append_key(path, ApiKey.from_secret("x", Role.OFFICE, "k1"))
    with pytest.raises(ConfigError, match="already has a key"):
        append_key(path, ApiKey.from_secret("x", Role.ADMIN, "k2"))


def test_keys_file_changes_apply_without_restart(tmp_path: Path) -> None:
    """A key created or revoked in the file is seen by a running key ring."""
    path = tmp_path / "keys.jsonl"
    ring = KeyRing.load(None, path)
    assert ring.find("late-key") is None
    append_key(path, ApiKey.from_secret("late", Role.DISPATCHER, "late-key"))
    found = ring.find("late-key")
    assert found is not None
    assert found.role is Role.DISPATCHER
    remove_key(path, "late")
    assert ring.find("late-key") is None
