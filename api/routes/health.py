"""`GET /health`: liveness, no key needed."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import InfluxDep, SettingsDep
from api.models.health import HealthPublic
from api.services.health import influx_health, mosquitto_health
from core.version import __version__

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness, and whether Mosquitto and InfluxDB answer")
def health(settings: SettingsDep, influx: InfluxDep) -> HealthPublic:
    influxdb = influx_health(influx)
    mosquitto = mosquitto_health(settings)
    state = "ok" if influxdb.ok and mosquitto.ok else "degraded"
    return HealthPublic(status=state, version=__version__, influxdb=influxdb, mosquitto=mosquitto)
