"""Compliance against the known data set in the real InfluxDB."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from core.compliance.daily import compute_compliance
from core.influx import InfluxClient
from core.localday import LocalDay, now_ms
from core.standard import ComplianceThresholds
from tests.api.conftest import auth
from tests.api.dataset import Case
from tests.api.expected import expected_compliance

OFFICE = auth(Role.OFFICE)


@pytest.fixture(scope="module")
def answer(client: TestClient, case: Case) -> dict[str, object]:
    resp = client.get("/api/v1/compliance", params={"date": case.spec["date"]}, headers=OFFICE)
    assert resp.status_code == 200, resp.text
    body: dict[str, object] = resp.json()
    return body


def _assert_rows_equal(
    communities: list[dict[str, Any]], expected: dict[str, dict[str, Any]]
) -> None:
    """One row per expected community, each with the expected figures."""
    rows = {r["community"]: r for r in communities}
    assert len(rows) == len(communities)
    assert set(rows) == set(expected)
    for community, want in expected.items():
        got = rows[community]
        for name, value in want.items():
            if isinstance(value, float):
                assert got[name] == pytest.approx(value), (community, name)
            else:
                assert got[name] == value, (community, name)


def test_numbers_equal_independent_computation(answer: dict, case: Case) -> None:
    """Every community's figures equal a plain recomputation from the raw points."""
    _assert_rows_equal(answer["communities"], expected_compliance(case, case.day))


def test_each_case_fails_exactly_its_criterion(answer: dict, case: Case) -> None:
    """The good community meets the standard; each other one fails only its own problem."""
    spec = case.spec
    failing = {r["community"]: r["failing"] for r in answer["communities"]}
    assert failing[spec["good"]] == []
    assert failing[spec["not_cleared"]["community"]] == ["clearance"]
    assert failing[spec["bin_overflow"]["community"]] == ["exposed_garbage"]
    assert failing[spec["camera_half_day"]["community"]] == ["camera"]
    assert failing[spec["static_only"]["community"]] == ["green_space"]
    assert failing[spec["sewer_overflow"]["community"]] == ["sewer_overflow"]
    assert failing[spec["pest_overdue"]["community"]] == ["pest_control"]


def test_known_figures(answer: dict, case: Case) -> None:
    """Hand-checked: overflows 10:00–12:00 and 23:00–00:30 the night before = 150 min,
    two sewer overflows of 20 and 10 min, cameras 0.75."""
    rows = {r["community"]: r for r in answer["communities"]}
    spec = case.spec
    assert rows[spec["bin_overflow"]["community"]]["exposed_minutes"] == 150.0
    sewer = rows[spec["sewer_overflow"]["community"]]
    assert (sewer["sewer_overflows"], sewer["sewer_overflow_minutes"]) == (2, 30.0)
    assert rows[spec["camera_half_day"]["community"]]["camera_availability"] == 0.75
    unclear = rows[spec["not_cleared"]["community"]]
    assert unclear["points_cleared"] == unclear["points"] - 1


def test_town_shares(answer: dict, case: Case) -> None:
    """Each town has one community here, so its share is 1 only for the good one."""
    towns = {t["town"]: t for t in answer["towns"]}
    assert len(towns) == 7
    good_town = case.registry.town_of(case.spec["good"])
    for town_id, town in towns.items():
        share = 1.0 if town_id == good_town else 0.0
        assert town["share"] == share
        assert [t["share"] for t in town["targets"]] == [0.2, 0.5, 1.0]
        assert all(t["met"] == (share >= t["share"]) for t in town["targets"])


def test_csv_matches_json(client: TestClient, case: Case, answer: dict) -> None:
    """`format=csv` gives the same communities and figures as the JSON answer."""
    resp = client.get(
        "/api/v1/compliance", params={"date": case.spec["date"], "format": "csv"}, headers=OFFICE
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(resp.text))
    assert len(frame) == answer["count"]
    by_id = frame.set_index("community")
    for row in answer["communities"]:
        assert by_id.loc[row["community"], "exposed_minutes"] == row["exposed_minutes"]
        assert bool(by_id.loc[row["community"], "meets_standard"]) == row["meets_standard"]
    towns = client.get(
        "/api/v1/compliance",
        params={"date": case.spec["date"], "format": "csv", "table": "towns"},
        headers=OFFICE,
    )
    assert list(pd.read_csv(io.StringIO(towns.text)).columns[-3:]) == [
        "target_20",
        "target_50",
        "target_100",
    ]


def test_scorecard_day_equals_compliance(client: TestClient, case: Case, answer: dict) -> None:
    """A scorecard over three days gives the known day's figures and empty days around it."""
    community = case.spec["bin_overflow"]["community"]
    day = case.day
    resp = client.get(
        f"/api/v1/communities/{community}/scorecard",
        params={"from": str(day.replace(day=day.day - 1)), "to": str(day.replace(day=day.day + 1))},
        headers=OFFICE,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == 3
    middle = body["days"][1]
    want = next(r for r in answer["communities"] if r["community"] == community)
    assert middle == want
    # The night before holds the first hour of an overflow that closed at 00:30.
    assert body["days"][0]["exposed_minutes"] == 60.0
    assert body["days"][0]["points_cleared"] == 0
    assert body["days"][2]["exposed_minutes"] == 0.0


def test_service_is_reusable_with_thresholds(case_db: InfluxClient, case: Case) -> None:
    """`compute_compliance` is callable without HTTP and honours its thresholds."""
    lenient = ComplianceThresholds(min_camera_availability=0.7, max_exposed_minutes=150)
    communities, towns = compute_compliance(case_db, case.registry, case.day, lenient)
    meets = set(communities.loc[communities["meets_standard"], "community"])
    spec = case.spec
    assert meets == {
        spec["good"],
        spec["camera_half_day"]["community"],
        spec["bin_overflow"]["community"],
    }
    assert towns["meeting"].sum() == 3


def test_town_filter(client: TestClient, case: Case) -> None:
    """`town=` limits the answer to that town's communities."""
    town = case.registry.town_of(case.spec["good"])
    resp = client.get(
        "/api/v1/compliance", params={"date": case.spec["date"], "town": town}, headers=OFFICE
    )
    assert resp.status_code == 200
    assert [r["town"] for r in resp.json()["communities"]] == [town]


@pytest.mark.parametrize("day", ["2026-01-05", "today"])
def test_day_without_data(client: TestClient, case: Case, day: str) -> None:
    """A day with no data at all: 200 with every community, each with nothing cleared,
    no camera online and no overflow, failing clearance; the rest (pest sites visited
    on other days, static criteria) as recomputed from the raw points."""
    tz = case.registry.district.tz
    before = LocalDay.of(now_ms(), tz).day
    params = {} if day == "today" else {"date": day}
    resp = client.get("/api/v1/compliance", params=params, headers=OFFICE)
    after = LocalDay.of(now_ms(), tz).day
    assert resp.status_code == 200, resp.text
    body = resp.json()
    answered = date.fromisoformat(body["date"])
    if day == "today":
        assert before <= answered <= after
    else:
        assert answered == date.fromisoformat(day)
    assert body["complete"] is (day != "today")
    expected = expected_compliance(case, answered)
    assert len(expected) == len(case.registry.communities) == 7
    for want in expected.values():
        assert (want["points_cleared"], want["exposed_minutes"]) == (0, 0.0)
        assert (want["camera_availability"], want["sewer_overflows"]) == (0.0, 0)
    _assert_rows_equal(body["communities"], expected)
    assert all("clearance" in row["failing"] for row in body["communities"])
    card = client.get(
        f"/api/v1/communities/{case.spec['good']}/scorecard",
        params={"from": "2026-01-01", "to": "2026-01-03"},
        headers=OFFICE,
    )
    assert card.status_code == 200, card.text
    assert card.json()["count"] == 3
    assert card.json()["days_meeting"] == 0


def test_monthly_assessment(client: TestClient, case: Case) -> None:
    """The month sums the known day up: one day meeting for the good community, the
    overflow minutes of both days, the sewer overflows; CSV has the same rows."""
    month = case.spec["date"][:7]
    resp = client.get("/api/v1/compliance/monthly", params={"month": month}, headers=OFFICE)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    rows = {r["community"]: r for r in body["communities"]}
    spec = case.spec
    good = rows[spec["good"]]
    assert good["days_meeting"] == 1
    assert good["most_failed"] == "clearance"
    assert rows[spec["bin_overflow"]["community"]]["exposed_minutes"] == 150.0 + 60.0
    assert rows[spec["sewer_overflow"]["community"]]["sewer_overflows"] == 2
    assert rows[spec["static_only"]["community"]]["static_ok"] is False
    assert sum(t["days_meeting"] for t in body["towns"]) == 1
    csv = client.get(
        "/api/v1/compliance/monthly", params={"month": month, "format": "csv"}, headers=OFFICE
    )
    assert len(pd.read_csv(io.StringIO(csv.text))) == body["count"]


@pytest.mark.parametrize("month", ["2026-13", "2999-01", "26-11", "1999-12"])
def test_monthly_bad_month(client: TestClient, month: str) -> None:
    """A malformed, impossible, future or too old month is 422."""
    resp = client.get("/api/v1/compliance/monthly", params={"month": month}, headers=OFFICE)
    assert resp.status_code == 422
