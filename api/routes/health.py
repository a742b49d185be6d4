"""`GET /health` (no key needed) and `GET /keys` (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import AdminKey, InfluxDep, SettingsDep
from api.models.common import ERROR_RESPONSES
from api.models.health import HealthPublic, KeyPublic, KeysPublic
from api.services.health import influx_health, mosquitto_health
from yiju import __version__

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness, and whether Mosquitto and InfluxDB answer")
def health(settings: SettingsDep, influx: InfluxDep) -> HealthPublic:
    influxdb = influx_health(influx)
    mosquitto = mosquitto_health(settings)
    state = "ok" if influxdb.ok and mosquitto.ok else "degraded"
    return HealthPublic(status=state, version=__version__, influxdb=influxdb, mosquitto=mosquitto)


@router.get("/keys", summary="The API keys (names and roles only)", responses=ERROR_RESPONSES)
def list_keys(request: Request, key: AdminKey) -> KeysPublic:
    keys = [KeyPublic(name=k.name, role=k.role.value) for k in request.app.state.keys.keys]
    return KeysPublic(data=keys, count=len(keys))
