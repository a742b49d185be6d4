"""`GET /violations`: filters, newest first, open/close pairing, cursor paging."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from tests.api.conftest import auth
from tests.api.dataset import Case, load_violations, local_ms

URL = "/api/v1/violations"
RANGE = {"from": "2026-11-10T00:00:00+08:00", "to": "2026-11-21T00:00:00+08:00"}
OFFICE = auth(Role.OFFICE)


def _in_range(tz: str) -> list[dict[str, Any]]:
    start = local_ms("2026-11-10T00:00", tz)
    end = local_ms("2026-11-21T00:00", tz)
    return [v for v in load_violations() if start <= local_ms(v["opened"], tz) < end]


def _get(client: TestClient, **params: Any) -> dict[str, Any]:
    resp = client.get(URL, params={**RANGE, **params}, headers=OFFICE)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_all_newest_first_with_durations(client: TestClient, case: Case) -> None:
    """Every violation of the range, newest first, with open/close times and duration."""
    tz = case.registry.district.tz
    body = _get(client)
    want = sorted(_in_range(tz), key=lambda v: local_ms(v["opened"], tz), reverse=True)
    assert [v["violation_id"] for v in body["data"]] == [v["violation_id"] for v in want]
    first = {v["violation_id"]: v for v in body["data"]}["v-bin-1"]
    assert first["status"] == "closed"
    assert first["duration_s"] == 7200
    assert first["closed_ms"] - first["opened_ms"] == 7_200_000
    camera = {v["violation_id"]: v for v in body["data"]}["v-cam-1"]
    assert camera["status"] == "open"
    assert camera["closed_ms"] is None


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"kind": "sewer_overflow"}, ["v-sew-2", "v-sew-1"]),
        ({"status": "open"}, ["v-clr-1", "v-cam-1", "v-pest-1"]),
        ({"status": "closed", "community": "ls-c001"}, ["v-bin-1", "v-bin-0"]),
        ({"town": "jiujiang"}, ["v-cam-1"]),
        ({"from": "2026-11-20T14:00:00+08:00", "to": "2026-11-20T14:30:00+08:00"}, ["v-sew-1"]),
    ],
)
def test_filters(client: TestClient, params: dict[str, str], ids: list[str]) -> None:
    """Town, community, kind, status and time-range filters."""
    assert [v["violation_id"] for v in _get(client, **params)["data"]] == ids


def test_cursor_pages_cover_everything_once(client: TestClient, case: Case) -> None:
    """Pages of two follow the cursor to the end without gaps or repeats."""
    seen: list[str] = []
    cursor = None
    expected = len(_in_range(case.registry.district.tz))
    # Pages of two: a cursor that never ends (or repeats) fails here, not by hanging.
    for _ in range(expected // 2 + 2):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = _get(client, **params)
        seen += [v["violation_id"] for v in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    else:
        pytest.fail(f"the cursor did not end within {expected // 2 + 2} pages: {seen}")
    assert len(seen) == len(set(seen)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"town": "atlantis"},
        {"community": "nowhere"},
        {"kind": "littering"},
        {"status": "maybe"},
        {"from": "2026-11-21T00:00:00+08:00", "to": "2026-11-20T00:00:00+08:00"},
        {"from": "yesterday"},
        {"cursor": "%%%"},
        {"limit": 0},
        {"from": "1900-01-01T00:00:00Z"},
        {"town": "guicheng' OR '1'='1"},
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, str]) -> None:
    """Unknown ids, bad values and reversed ranges: 422 with a message, never 500."""
    resp = client.get(URL, params=params, headers=OFFICE)
    assert resp.status_code == 422, resp.text
    assert resp.json()["message"]


def test_open_now_without_an_end(client: TestClient) -> None:
    """`status=open` with only `from`: what is open now, newest first, values kept."""
    resp = client.get(
        URL, params={"status": "open", "from": "2026-11-01T00:00:00+08:00"}, headers=OFFICE
    )
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert [v["violation_id"] for v in data] == ["v-clr-1", "v-cam-1", "v-pest-1"]
    pest = data[-1]
    assert (pest["kind"], pest["subject"], pest["value"]) == ("pest_overdue", "xq-c001-s1", 20.0)
