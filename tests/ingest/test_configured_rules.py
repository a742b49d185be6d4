"""One configuration for every part: the clearance cut-off set in the environment is the
one ingest opens `bin_not_cleared` by and the one the API's compliance counts by."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from api.auth import ApiKey, KeyRing, Role
from api.main import create_app
from core.influx import InfluxClient
from core.localday import at_local, local_date, now_ms, parse_clock
from core.registry import Registry
from core.settings import Settings
from tests.ingest.conftest import ServiceFactory
from tests.ingest.helpers import Publisher

KEY = "test-office-key-configured-rules"


def _settings_from_environment(
    base: Settings, monkeypatch: pytest.MonkeyPatch, cutoff: str
) -> Settings:
    """`base` with the cut-off read from `YIJU_CLEARANCE_CUTOFF`, as a deployment sets it."""
    monkeypatch.setenv("YIJU_CLEARANCE_CUTOFF", cutoff)
    fields = base.model_dump(exclude={"clearance_cutoff"})
    settings = Settings(**fields)
    assert settings.clearance_cutoff == cutoff
    return settings


def _run_day(
    settings: Settings,
    registry: Registry,
    start_ingest: ServiceFactory,
    day: date,
    point_id: str,
    cleared_at: str,
) -> None:
    """Ingest a day in which `point_id` is cleared once, at `cleared_at` local time."""
    tz = registry.district.tz
    point = registry.point_by_id[point_id]
    assert point.sensor is not None
    device = point.sensor.device_id
    truck = registry.trucks[0].id
    service = start_ingest(settings, registry, lateness_ms=0)
    publisher = Publisher(settings)
    prefix = settings.topic_prefix

    def at(clock: str) -> int:
        return at_local(day, parse_clock(clock), tz)

    messages = [
        (f"{prefix}/telemetry/bin/{device}", {"ts": at("08:00"), "fill_pct": 40.0}),
        (
            f"{prefix}/vehicles/{truck}/events",
            {"ts": at(cleared_at), "type": "cleared", "point_id": point_id},
        ),
        (f"{prefix}/telemetry/bin/{device}", {"ts": at("23:30"), "fill_pct": 5.0}),
    ]
    try:
        for topic, body in messages:
            publisher.publish(topic, json.dumps(body))
        assert publisher.wait_acked(len(messages)), "Mosquitto did not acknowledge"
        deadline = time.monotonic() + 60
        while service.counters().received < len(messages) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.counters().received == len(messages), "ingest did not receive them"
    finally:
        publisher.close()
    assert service.stop(timeout=30), "ingest could not write what it received"


def _not_cleared_opened(influx: InfluxClient, point_id: str) -> list[int]:
    series = influx.query(
        'SELECT "state" FROM "violation" WHERE "kind" = \'bin_not_cleared\' '
        'AND "subject" = $point AND "state" = \'open\'',
        params={"point": point_id},
    )
    return [int(row[0]) for s in series for row in s["values"]]


def _points_cleared(
    settings: Settings, registry: Registry, influx: InfluxClient, day: date, community: str
) -> int:
    keys = KeyRing([ApiKey.from_secret("office", Role.OFFICE, KEY)])
    app = create_app(settings, registry, influx=influx, keys=keys)
    with TestClient(app) as client:
        resp = client.get(
            "/api/v1/compliance",
            params={"date": day.isoformat()},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["thresholds"]["clearance_cutoff"] == settings.clearance_cutoff
    row = next(r for r in body["communities"] if r["community"] == community)
    return int(row["points_cleared"])


@pytest.mark.parametrize(("cutoff", "in_time"), [("18:00", False), ("22:00", True)])
def test_cutoff_from_configuration_is_shared_by_ingest_and_the_api(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
    monkeypatch: pytest.MonkeyPatch,
    cutoff: str,
    in_time: bool,
) -> None:
    """A point cleared at 19:00 is late under an 18:00 cut-off and in time under 22:00;
    ingest's violation and the API's clearance count say the same in both cases."""
    base, admin = ingest_db
    settings = _settings_from_environment(base, monkeypatch, cutoff)
    registry = small_district
    point = registry.collection_points[0]
    tz = registry.district.tz
    day = local_date(now_ms(), tz) - timedelta(days=1)
    _run_day(settings, registry, start_ingest, day, point.id, "19:00")

    opened = _not_cleared_opened(admin, point.id)
    cutoff_ms = at_local(day, parse_clock(cutoff), tz)
    if in_time:
        assert opened == [], "ingest flagged a point cleared before the configured cut-off"
    else:
        assert opened == [cutoff_ms], "ingest did not open the violation at the cut-off"
    cleared = _points_cleared(settings, registry, admin, day, point.community_id)
    assert cleared == (1 if in_time else 0), "the API counted by another cut-off"
