"""Deliver a finished plan: `route_stop` points to InfluxDB, each route retained on
its crew's dispatch topic (QoS 1, as the optimizer's service account), and the
GeoJSON/CSV exports next to the plan store."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt

from core import credentials
from core.influx import InfluxClient
from core.plans import PlanRecord
from core.settings import Settings
from core.topics import Topics
from optimizer.errors import PlanningError
from optimizer.planning.output import route_stop_lines, write_exports

log = logging.getLogger("yiju.optimizer")


def store_route_stops(client: InfluxClient, record: PlanRecord) -> int:
    written = client.write_lines(route_stop_lines(record))
    log.info("plan %s: %d route_stop points written", record.plan_id, written)
    return written


def export_files(settings: Settings, record: PlanRecord) -> list[Path]:
    return write_exports(record, settings.data_dir / "plans" / "exports")


def dispatch_routes(settings: Settings, record: PlanRecord, *, timeout_s: float = 20.0) -> int:
    """Publish every route retained at QoS 1 on `{prefix}/dispatch/{vehicle_id}`;
    returns how many the broker acknowledged, raises when any was not."""
    if not record.routes:
        return 0
    topics = Topics(settings.topic_prefix)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,  # type: ignore[attr-defined]
        client_id=f"optimizer-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set(
        credentials.OPTIMIZER, credentials.service_password(settings, credentials.OPTIMIZER)
    )
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(
        c: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            refused.append(str(reason))
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(settings.mqtt_host, settings.mqtt_port)
    except OSError as exc:
        raise PlanningError(
            f"cannot reach the MQTT broker at {settings.mqtt_host}:{settings.mqtt_port} to "
            f"dispatch plan {record.plan_id} ({exc}); is it running? `yiju services status`"
        ) from exc
    client.loop_start()
    try:
        if not connected.wait(timeout_s) or refused:
            raise PlanningError(
                f"the broker refused {credentials.OPTIMIZER} ({refused or 'no answer'}); "
                "check the service secret and the broker's accounts"
            )
        infos = [
            client.publish(topics.dispatch(r.vehicle_id), r.model_dump_json(), qos=1, retain=True)
            for r in record.routes
        ]
        for info in infos:
            info.wait_for_publish(timeout_s)
        acked = sum(1 for info in infos if info.is_published())
        if acked < len(infos):
            raise PlanningError(
                f"plan {record.plan_id}: the broker acknowledged {acked} of {len(infos)} routes"
            )
    finally:
        client.disconnect()
        client.loop_stop()
    log.info("plan %s: %d routes dispatched", record.plan_id, acked)
    return acked
