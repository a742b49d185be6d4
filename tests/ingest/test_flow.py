"""End to end with the real broker and database: readings in, points and dead letters out."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from core import credentials
from core.influx import InfluxClient, series_values
from core.registry import Registry
from core.settings import Settings
from ingest.alerts import parse_alert
from ingest.restore import load_state
from tests.conftest import MqttFactory
from tests.ingest.conftest import ServiceFactory
from tests.ingest.helpers import Publisher, bin_messages, count
from yiju.running_start import import_pest_history, pest_history

T0 = 1_767_225_600_000  # 2026-01-01 08:00 Asia/Shanghai


def test_readings_are_enriched_and_written(
    ingest_db: tuple[Settings, InfluxClient], start_ingest: ServiceFactory, small_district: Registry
) -> None:
    """Bin, sewer, camera, truck and crew messages become points with registry tags."""
    settings, admin = ingest_db
    service = start_ingest(settings)
    prefix = settings.topic_prefix
    point = small_district.collection_points[0]
    outlet = next(o for o in small_district.sewage_outlets if o.sensor)
    camera = small_district.cameras[0]
    truck = small_district.trucks[0]
    crew = small_district.pest_crews[0]
    site = small_district.pest_sites[0]
    assert point.sensor
    assert outlet.sensor
    pub = Publisher(settings)
    msgs = [
        (f"{prefix}/telemetry/bin/{point.sensor.device_id}", {"ts": T0, "fill_pct": 42}),
        (f"{prefix}/telemetry/sewer/{outlet.sensor.device_id}", {"ts": T0, "level_cm": 12.5}),
        (f"{prefix}/telemetry/camera/{camera.id}", {"ts": T0, "online": True}),
        (
            f"{prefix}/vehicles/{truck.id}/events",
            {"ts": T0 + 5, "type": "cleared", "point_id": point.id},
        ),
        (
            f"{prefix}/vehicles/{truck.id}/events",
            {"ts": T0, "type": "position", "lat": 23.0, "lon": 113.1},
        ),
        (f"{prefix}/crews/{crew.id}/events", {"ts": T0, "type": "visited", "site_id": site.id}),
    ]
    for topic, body in msgs:
        pub.publish(topic, json.dumps(body))
    assert pub.wait_acked(len(msgs))
    assert service.wait_idle(timeout=20)
    pub.close()
    rows = series_values(admin.query('SELECT * FROM "bin"'))
    assert rows[0]["point_id"] == point.id
    assert rows[0]["community"] == point.community_id
    assert rows[0]["fill_pct"] == 42.0
    sewer = series_values(admin.query('SELECT * FROM "sewer"'))[0]
    assert sewer["overflow_level_cm"] == outlet.overflow_level_cm
    clearance = series_values(admin.query('SELECT * FROM "clearance"'))[0]
    assert clearance["vehicle_id"] == truck.id
    assert clearance["fill_before_pct"] == 42.0
    assert count(admin, "camera", "online") == 1
    assert count(admin, "pest_visit", "duration_min") == 1
    assert count(admin, "vehicle_position", "lat") == 1
    c = service.counters()
    assert (c.received, c.written, c.deadlettered, c.pending) == (6, 6, 0, 0)


def test_many_readings_arrive_once(
    ingest_db: tuple[Settings, InfluxClient], start_ingest: ServiceFactory, small_district: Registry
) -> None:
    """20,000 readings through one worker: every one stored, none twice."""
    settings, admin = ingest_db
    service = start_ingest(settings)
    devices = [p.sensor.device_id for p in small_district.collection_points if p.sensor]
    pub = Publisher(settings)
    n = pub.publish_all(bin_messages(settings.topic_prefix, devices, 20_000, T0))
    assert pub.wait_acked(n)
    assert service.wait_idle(timeout=60)
    pub.close()
    assert count(admin, "bin", "fill_pct") == n
    assert service.counters().written == n


@pytest.mark.parametrize("workers", [1, 2])
def test_violation_is_stored_and_alerted(
    workers: int,
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    mqtt_connect: MqttFactory,
    small_district: Registry,
) -> None:
    """An overflowing bin opens a `violation` point and an alert on its community's
    topic, with one worker or with two splitting the stream."""
    settings, admin = ingest_db
    prefix = settings.topic_prefix
    point = small_district.collection_points[3]
    assert point.sensor is not None
    alerts: list[bytes] = []
    watcher = mqtt_connect(credentials.API)
    watcher.on_message = lambda _c, _u, m: alerts.append(m.payload)
    watcher.subscribe(f"{prefix}/alerts/#", qos=1)
    service = start_ingest(settings, workers=workers)
    pub = Publisher(settings)
    topic = f"{prefix}/telemetry/bin/{point.sensor.device_id}"
    for i, fill in enumerate([70, 103, 104, 40]):
        pub.publish(topic, json.dumps({"ts": T0 + i * 900_000, "fill_pct": fill}))
    assert pub.wait_acked(4)
    pub.close()
    assert service.wait_idle(timeout=20)
    rows = series_values(admin.query('SELECT * FROM "violation" WHERE "kind" = \'bin_overflow\''))
    assert [(r["state"], r["subject"], r["community"]) for r in rows] == [
        ("open", point.id, point.community_id),
        ("closed", point.id, point.community_id),
    ]
    deadline = time.monotonic() + 5
    while len(alerts) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    events = [parse_alert(a) for a in alerts]
    assert [(e.kind.value, e.state.value, e.ts_ms) for e in events] == [
        ("bin_overflow", "open", T0 + 900_000),
        ("bin_overflow", "closed", T0 + 3 * 900_000),
    ]
    assert events[0].violation_id == events[1].violation_id == rows[0]["violation_id"]
    assert events[0].value == 103.0
    c = service.counters()
    assert (c.violations_opened, c.violations_closed) == (1, 1)


def test_restart_restores_open_violations_from_influxdb(
    ingest_db: tuple[Settings, InfluxClient], start_ingest: ServiceFactory, small_district: Registry
) -> None:
    """An overflow open when ingest stops stays open after a restart (read back from
    InfluxDB): a further full reading opens nothing, the next low one closes it."""
    settings, admin = ingest_db
    point = small_district.collection_points[5]
    assert point.sensor is not None
    topic = f"{settings.topic_prefix}/telemetry/bin/{point.sensor.device_id}"
    pub = Publisher(settings)
    first = start_ingest(settings, group="restore-test")
    pub.publish(topic, json.dumps({"ts": T0, "fill_pct": 102}))
    assert pub.wait_acked(1)
    assert first.wait_idle(timeout=20)
    first.stop()
    second = start_ingest(settings, group="restore-test")
    pub.publish(topic, json.dumps({"ts": T0 + 900_000, "fill_pct": 105}))
    pub.publish(topic, json.dumps({"ts": T0 + 1_800_000, "fill_pct": 30}))
    assert pub.wait_acked(3)
    pub.close()
    assert second.wait_idle(timeout=20)
    rows = series_values(admin.query('SELECT * FROM "violation"'))
    assert [(r["state"], r["time"]) for r in rows] == [
        ("open", T0),
        ("closed", T0 + 1_800_000),
    ]
    assert rows[0]["violation_id"] == rows[1]["violation_id"]
    assert (second.counters().violations_opened, second.counters().violations_closed) == (0, 1)


def test_imported_pest_records_do_not_start_the_rules_clock(
    influx_db: InfluxClient, small_district: Registry
) -> None:
    """Visit records imported before the field reports leave the restored clock unset, so
    the first telemetry starts it (no cut-off or camera check for the days before)."""
    visits = pest_history(small_district, date(2026, 7, 15), seed=1)
    import_pest_history(influx_db, small_district, visits)
    state = load_state(influx_db)
    assert state.site_visit == visits
    assert state.watermark is None
