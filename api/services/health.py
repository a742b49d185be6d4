"""Whether the services behind the API answer, asked quickly."""

from __future__ import annotations

import socket

from api.models.health import ServiceHealth
from core.errors import InfluxError
from core.influx import InfluxClient
from core.settings import Settings

# MQTT CONNECT for protocol 3.1.1 with a random-free client id and clean session;
# a broker that answers sends CONNACK (0x20), with or without accepting it.
_CONNECT = (
    bytes([0x10, 0x0E, 0x00, 0x04]) + b"MQTT" + bytes([0x04, 0x02, 0x00, 0x0A, 0x00, 0x02]) + b"hc"
)


def influx_health(influx: InfluxClient) -> ServiceHealth:
    try:
        version = influx.ping()
    except InfluxError as exc:
        return ServiceHealth(ok=False, detail=str(exc))
    return ServiceHealth(ok=True, detail=f"InfluxDB {version} at {influx.url}")


def mosquitto_health(settings: Settings, timeout_s: float = 1.0) -> ServiceHealth:
    """A bare MQTT CONNECT: the broker answers with CONNACK (refused without a password,
    which still proves it is alive) — no account or client library needed."""
    address = f"{settings.mqtt_host}:{settings.mqtt_port}"
    try:
        with socket.create_connection((settings.mqtt_host, settings.mqtt_port), timeout_s) as sock:
            sock.settimeout(timeout_s)
            sock.sendall(_CONNECT)
            answer = sock.recv(4)
    except OSError as exc:
        return ServiceHealth(ok=False, detail=f"Mosquitto at {address} does not answer: {exc}")
    if answer[:1] != b"\x20":
        return ServiceHealth(
            ok=False, detail=f"Mosquitto at {address} answered, but not as an MQTT broker"
        )
    return ServiceHealth(ok=True, detail=f"Mosquitto at {address} answers")
