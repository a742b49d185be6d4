"""The town and district scorecards, and the community scorecard's new columns, over three
days of the known data set in the real InfluxDB."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from tests.api.conftest import auth
from tests.api.dataset import Case
from tests.api.expected import expected_compliance, expected_town_days

OFFICE = auth(Role.OFFICE)


def _days(case: Case) -> list[date]:
    return [case.day - timedelta(days=1), case.day, case.day + timedelta(days=1)]


def _range(case: Case) -> dict[str, str]:
    days = _days(case)
    return {"from": str(days[0]), "to": str(days[-1])}


@pytest.fixture(scope="module")
def district(client: TestClient, case: Case) -> dict:
    resp = client.get("/api/v1/scorecard", params=_range(case), headers=OFFICE)
    assert resp.status_code == 200, resp.text
    body: dict = resp.json()
    return body


def test_town_scorecard_equals_independent_computation(client: TestClient, case: Case) -> None:
    """Every town's figures per day equal the plain recomputation from the raw points."""
    expected = expected_town_days(case, _days(case))
    for town in case.registry.towns:
        resp = client.get(f"/api/v1/towns/{town.id}/scorecard", params=_range(case), headers=OFFICE)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert (body["town"], body["from"], body["to"], body["count"]) == (
            town.id,
            _range(case)["from"],
            _range(case)["to"],
            3,
        )
        for row in body["days"]:
            want = expected[(town.id, date.fromisoformat(row["date"]))]
            for name, value in want.items():
                assert row[name] == pytest.approx(value), (town.id, row["date"], name)
            assert row["share"] == want["meeting"] / want["communities"]
            rate = want["points_cleared"] / want["points"]
            assert row["clearance_rate"] == pytest.approx(rate)


def test_town_scorecard_known_figures(client: TestClient, case: Case) -> None:
    """Hand-checked: Lishui's overflows (one opened the night before, one on the day) and
    Guicheng's next-day overflow; Dazhou fails only statically; Guicheng meets on the day."""
    spec = case.spec
    before, day, after = _days(case)

    def days_of(community: str) -> dict[date, dict]:
        town = case.registry.town_of(community)
        resp = client.get(f"/api/v1/towns/{town}/scorecard", params=_range(case), headers=OFFICE)
        return {date.fromisoformat(r["date"]): r for r in resp.json()["days"]}

    lishui = days_of(spec["bin_overflow"]["community"])
    assert [lishui[d]["points_overflowed"] for d in (before, day, after)] == [1, 1, 0]
    assert [lishui[d]["exposed_minutes"] for d in (before, day, after)] == [60.0, 150.0, 0.0]
    guicheng = days_of(spec["good"])
    assert [guicheng[d]["points_overflowed"] for d in (before, day, after)] == [0, 0, 1]
    assert guicheng[day]["meeting"] == 1
    assert guicheng[day]["share"] == 1.0
    assert [t["met"] for t in guicheng[day]["targets"]] == [True, True, True]
    static = days_of(spec["static_only"]["community"])[day]
    assert (static["failing"], static["failing_static"], static["failing_daily"]) == (1, 1, 0)
    assert static["failing_daily_only"] == 0
    # The days around have no camera heartbeats: every community fails a daily criterion.
    camera = days_of(spec["camera_half_day"]["community"])[before]
    assert (camera["failing_daily"], camera["failing_daily_only"]) == (1, 1)


def test_district_scorecard_has_every_town_and_day(
    district: dict, client: TestClient, case: Case
) -> None:
    """`GET /scorecard` holds one row per town and day, equal to each town's scorecard."""
    assert district["count"] == len(case.registry.towns) * 3
    keys = {(r["town"], r["date"]) for r in district["days"]}
    assert keys == {(t.id, str(d)) for t in case.registry.towns for d in _days(case)}
    town = case.registry.town_of(case.spec["good"])
    own = client.get(f"/api/v1/towns/{town}/scorecard", params=_range(case), headers=OFFICE)
    assert [r for r in district["days"] if r["town"] == town] == own.json()["days"]


def test_town_scorecard_csv_matches_json(client: TestClient, case: Case) -> None:
    """`format=csv` gives the same days and figures as the JSON answer, targets as columns."""
    town = case.registry.town_of(case.spec["bin_overflow"]["community"])
    url = f"/api/v1/towns/{town}/scorecard"
    body = client.get(url, params=_range(case), headers=OFFICE).json()
    resp = client.get(url, params={**_range(case), "format": "csv"}, headers=OFFICE)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(resp.text))
    assert list(frame["date"]) == [r["date"] for r in body["days"]]
    assert list(frame["points_overflowed"]) == [r["points_overflowed"] for r in body["days"]]
    assert list(frame["exposed_minutes"]) == [r["exposed_minutes"] for r in body["days"]]
    assert list(frame.columns[-3:]) == ["target_20", "target_50", "target_100"]
    district = client.get(
        "/api/v1/scorecard", params={**_range(case), "format": "csv"}, headers=OFFICE
    )
    assert len(pd.read_csv(io.StringIO(district.text))) == len(case.registry.towns) * 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-11-21", "to": "2026-11-19"}, "is after"),
        ({"from": "2025-01-01", "to": "2026-11-20"}, "at most 366 days"),
        ({"from": "2999-01-01", "to": "2999-01-02"}, "outside"),
        ({"from": "2026-11-19", "to": "2099-01-01"}, "in the future"),
        ({"from": "2026-13-01"}, "bad parameter"),
    ],
)
def test_bad_ranges_are_422_with_a_message(
    client: TestClient, case: Case, params: dict[str, str], message: str
) -> None:
    """Reversed, too long, out-of-range, future or malformed dates: 422 saying why."""
    town = case.registry.town_of(case.spec["good"])
    for url in (f"/api/v1/towns/{town}/scorecard", "/api/v1/scorecard"):
        resp = client.get(url, params=params, headers=OFFICE)
        assert resp.status_code == 422, (url, resp.text)
        assert message in resp.json()["message"]


def test_unknown_town_is_404(client: TestClient, case: Case) -> None:
    """A town id the registry does not know: 404 naming it."""
    resp = client.get("/api/v1/towns/atlantis/scorecard", params=_range(case), headers=OFFICE)
    assert resp.status_code == 404
    assert "atlantis" in resp.json()["message"]


@pytest.mark.parametrize("url", ["/api/v1/towns/guicheng/scorecard", "/api/v1/scorecard"])
def test_keys_and_roles(client: TestClient, url: str) -> None:
    """No key or an unknown key: 401; every reading role (office, dispatcher, admin): 200."""
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    for role in Role:
        assert client.get(url, headers=auth(role)).status_code == 200, role


def test_community_scorecard_new_columns(client: TestClient, case: Case) -> None:
    """A community's days carry points overflowed and the static/daily split of `failing`,
    equal to the independent computation."""
    for community in (
        case.spec["bin_overflow"]["community"],
        case.spec["static_only"]["community"],
    ):
        resp = client.get(
            f"/api/v1/communities/{community}/scorecard", params=_range(case), headers=OFFICE
        )
        assert resp.status_code == 200, resp.text
        for row in resp.json()["days"]:
            want = expected_compliance(case, date.fromisoformat(row["date"]))[community]
            assert row["points_overflowed"] == want["points_overflowed"], row["date"]
            assert row["static_ok"] == want["static_ok"]
            assert row["daily_ok"] == want["daily_ok"]
            assert sorted(row["failing_static"] + row["failing_daily"]) == sorted(row["failing"])
            assert all(n in {"class2_toilet", "green_space", "service_centre"}
                       for n in row["failing_static"])  # fmt: skip
            assert (not row["failing_static"]) == row["static_ok"]
    static = client.get(
        f"/api/v1/communities/{case.spec['static_only']['community']}/scorecard",
        params={"from": case.spec["date"], "to": case.spec["date"]},
        headers=OFFICE,
    ).json()["days"][0]
    assert (static["failing_static"], static["failing_daily"], static["daily_ok"]) == (
        ["green_space"],
        [],
        True,
    )
