"""Towns, communities and devices: answers from the registry and the latest readings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from api.main import create_app
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import now_ms
from core.registry import CollectionPoint
from core.settings import Settings
from tests.api.conftest import auth, role_keys
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


def test_device_series_without_recent_readings_is_empty(client: TestClient, case: Case) -> None:
    """A camera whose readings are all of an older day has an empty series, not an error."""
    camera = case.registry.cameras[0].id
    resp = client.get(f"/api/v1/devices/{camera}/series", params={"hours": 2}, headers=OFFICE)
    assert resp.status_code == 200
    body = resp.json()
    assert (body["field"], body["data"], body["count"]) == ("online", [], 0)


@pytest.fixture
def recent_client(
    api_settings: Settings, case: Case, influx_db: InfluxClient
) -> Iterator[TestClient]:
    """An app on a database of its own: readings written "now" for the series tests stay
    out of the known day's database that the other API tests share."""
    app = create_app(api_settings, case.registry, influx=influx_db, keys=role_keys())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _bin_line(case: Case, point: CollectionPoint, time_ms: int, fill: float, temp: float) -> str:
    assert point.sensor is not None
    tags = {
        "device_id": point.sensor.device_id,
        "point_id": point.id,
        "community": point.community_id,
        "town": case.registry.town_of(point.community_id),
    }
    return line("bin", tags, {"fill_pct": fill, "temp_c": temp}, time_ms)


def _bucket_means(readings: list[tuple[int, float]], every_min: int) -> list[tuple[int, float]]:
    """Readings grouped by the `every_min` bucket (counted from the Unix epoch, as
    InfluxDB aligns them) holding them, and averaged; oldest bucket first."""
    width = every_min * 60_000
    buckets: dict[int, list[float]] = defaultdict(list)
    for time_ms, value in readings:
        buckets[time_ms - time_ms % width].append(value)
    return [(start, sum(values) / len(values)) for start, values in sorted(buckets.items())]


def test_device_series_equals_bucket_means(
    recent_client: TestClient, case: Case, influx_db: InfluxClient
) -> None:
    """A bin sensor's readings of the last two hours, averaged per bucket, equal the
    means computed here; older readings and another sensor's stay out."""
    points = [p for p in case.registry.collection_points if p.sensor is not None]
    mine, other = points[0], points[1]
    assert mine.sensor is not None
    now = now_ms()
    # Uneven spacing, so buckets hold 0 to 4 readings; 100 to 21 minutes ago keeps them
    # all inside the endpoint's window of two hours back from its own "now".
    minutes_ago = [100, 97, 96, 90, 77, 61, 60, 59, 58, 44, 30, 29, 21]
    fills = [10.0 + 7.5 * i - (i % 3) * 11.25 for i in range(len(minutes_ago))]
    temps = [20.0 + 0.5 * i for i in range(len(minutes_ago))]
    readings = [now - m * 60_000 for m in minutes_ago]
    lines = [_bin_line(case, mine, t, f, c) for t, f, c in zip(readings, fills, temps, strict=True)]
    lines.append(_bin_line(case, mine, now - 3 * 3_600_000, 99.0, 99.0))  # before the window
    lines += [_bin_line(case, other, t, 95.0, 95.0) for t in readings]  # another sensor
    assert influx_db.write_lines(lines) == len(lines)
    device = mine.sensor.device_id
    for every, field, values in (
        (15, "fill_pct", fills),
        (7, "fill_pct", fills),
        (60, "temp_c", temps),
    ):
        resp = recent_client.get(
            f"/api/v1/devices/{device}/series",
            params={"hours": 2, "every_min": every, "field": field},
            headers=OFFICE,
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        want = _bucket_means(list(zip(readings, values, strict=True)), every)
        got = [(p["time_ms"], p["value"]) for p in body["data"]]
        assert [t for t, _ in got] == [t for t, _ in want], (every, field)
        assert [v for _, v in got] == pytest.approx([v for _, v in want]), (every, field)
        assert (body["field"], body["every_min"], body["count"]) == (field, every, len(want))
