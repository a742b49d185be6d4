"""Broker security as ingest sees it: a device cannot speak for another, and a wrong
password is refused."""

from __future__ import annotations

import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt

from core import credentials
from core.influx import InfluxClient
from core.registry import Registry
from core.settings import Settings
from tests.conftest import MqttFactory
from tests.ingest.conftest import ServiceFactory
from tests.ingest.helpers import count
from yiju.localservices import LocalStack

T0 = 1_767_225_600_000


def test_device_cannot_publish_on_another_devices_topic(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    mqtt_connect: MqttFactory,
    small_district: Registry,
) -> None:
    """A bin sensor's own reading is delivered and stored; one forged on its
    neighbour's topic reaches no subscriber and no database."""
    settings, admin = ingest_db
    service = start_ingest(settings)
    prefix = settings.topic_prefix
    own, other = (p.sensor.device_id for p in small_district.collection_points[:2] if p.sensor)
    seen: list[str] = []
    watcher = mqtt_connect(credentials.INGEST)
    watcher.on_message = lambda _c, _u, m: seen.append(m.topic)
    watcher.subscribe(f"{prefix}/telemetry/#", qos=1)
    time.sleep(0.5)
    device = mqtt_connect(own)
    forged = device.publish(
        f"{prefix}/telemetry/bin/{other}", json.dumps({"ts": T0, "fill_pct": 99}), qos=1
    )
    honest = device.publish(
        f"{prefix}/telemetry/bin/{own}", json.dumps({"ts": T0, "fill_pct": 10}), qos=1
    )
    forged.wait_for_publish(5)
    honest.wait_for_publish(5)
    time.sleep(1.0)
    assert service.wait_idle(timeout=20)
    assert seen == [f"{prefix}/telemetry/bin/{own}"]
    assert count(admin, "bin", "fill_pct") == 1
    rows = admin.query('SELECT "fill_pct" FROM "bin" GROUP BY "device_id"')
    assert [s["tags"]["device_id"] for s in rows] == [own]


def test_gateway_speaks_only_for_its_own_towns_devices(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    mqtt_connect: MqttFactory,
    small_district: Registry,
) -> None:
    """A town gateway's readings for its own town's bin, sewer outlet and truck are
    delivered; one for another town's bin, or for a device id not in the registry,
    reaches no subscriber and no database."""
    settings, admin = ingest_db
    service = start_ingest(settings)
    prefix = settings.topic_prefix
    devices = small_district.devices
    town = small_district.towns[0].id
    own_bin = next(d for d, r in devices.items() if r.town_id == town and r.kind.value == "bin")
    own_sewer = next(d for d, r in devices.items() if r.town_id == town and r.kind.value == "sewer")
    own_truck = next(t.id for t in small_district.trucks if t.town_id == town)
    foreign_bin = next(d for d, r in devices.items() if r.town_id != town and r.kind.value == "bin")
    seen: list[str] = []
    watcher = mqtt_connect(credentials.INGEST)
    # Live messages only: other tests leave retained statuses and dispatches behind.
    watcher.on_message = lambda _c, _u, m: m.retain or seen.append(m.topic)
    watcher.subscribe([(f"{prefix}/telemetry/#", 1), (f"{prefix}/vehicles/+/events", 1)])
    time.sleep(0.5)
    gateway = mqtt_connect(credentials.gateway_account(town))
    allowed = [
        f"{prefix}/telemetry/bin/{own_bin}",
        f"{prefix}/telemetry/sewer/{own_sewer}",
        f"{prefix}/vehicles/{own_truck}/events",
    ]
    refused = [f"{prefix}/telemetry/bin/{foreign_bin}", f"{prefix}/telemetry/bin/bin-ghost-1"]
    bodies = {
        "bin": {"ts": T0, "fill_pct": 12},
        "sewer": {"ts": T0, "level_cm": 30},
        "vehicles": {"ts": T0, "type": "position", "lat": 23.0, "lon": 113.1},
    }
    infos = []
    for topic in refused + allowed:
        family = topic.split("/")[len(prefix.split("/"))]
        body = bodies["vehicles" if family == "vehicles" else topic.split("/")[-2]]
        infos.append(gateway.publish(topic, json.dumps(body), qos=1))
    for info in infos:
        info.wait_for_publish(5)
    time.sleep(1.0)
    assert service.wait_idle(timeout=20)
    assert sorted(seen) == sorted(allowed)
    assert count(admin, "bin", "fill_pct") == 1
    rows = admin.query('SELECT "fill_pct" FROM "bin" GROUP BY "device_id"')
    assert [r["tags"]["device_id"] for r in rows] == [own_bin]


def test_wrong_password_is_refused(local_stack: LocalStack) -> None:
    """A device with a wrong password (and the ingest account with one) cannot connect."""
    s = local_stack.settings
    for user in ("bin-gc-c001-p01", credentials.INGEST):
        refused = threading.Event()
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"bad-{uuid.uuid4().hex[:6]}",
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(user, "not-the-password")
        client.on_connect = lambda _c, _u, _f, rc, _p, ev=refused: rc.is_failure and ev.set()
        client.connect(s.mqtt_host, s.mqtt_port)
        client.loop_start()
        try:
            assert refused.wait(5), f"{user} connected with a wrong password"
            assert not client.is_connected()
        finally:
            client.loop_stop()
