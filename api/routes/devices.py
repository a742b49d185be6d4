"""`GET /devices/{id}/latest` and `/devices/{id}/series`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import InfluxDep, ReadKey, RegistryDep
from api.errors import bad_parameter, not_found
from api.models.common import ERROR_RESPONSES, NOT_FOUND
from api.models.devices import DeviceReadingPublic, DeviceSeriesPublic, SeriesPoint
from api.services import devices
from core.localday import MS_PER_HOUR, now_ms
from core.registry import DeviceRef, Registry

MAX_BUCKETS = 5000

router = APIRouter(prefix="/devices", tags=["devices"], responses={**ERROR_RESPONSES, **NOT_FOUND})


def _device(registry: Registry, device_id: str) -> DeviceRef:
    device = registry.devices.get(device_id)
    if device is None:
        raise not_found(f"device {device_id!r}")
    return device


@router.get("/{device_id}/latest", summary="A device's last reading")
def latest(
    device_id: str, registry: RegistryDep, influx: InfluxDep, key: ReadKey
) -> DeviceReadingPublic:
    device = _device(registry, device_id)
    reading = devices.latest_reading(influx, device)
    if reading is None:
        raise not_found(f"a reading of device {device_id!r}")
    time_ms, fields = reading
    return DeviceReadingPublic(
        device_id=device.device_id,
        kind=device.kind,
        subject_id=device.subject_id,
        community_id=device.community_id,
        town_id=device.town_id,
        time_ms=time_ms,
        fields=fields,
    )


@router.get("/{device_id}/series", summary="A device's recent readings, averaged per bucket")
def recent_series(
    device_id: str,
    registry: RegistryDep,
    influx: InfluxDep,
    key: ReadKey,
    field: Annotated[str | None, Query(max_length=64, description="default: the main one")] = None,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="how far back")] = 24,
    every_min: Annotated[int, Query(ge=1, le=1440, description="bucket length")] = 15,
) -> DeviceSeriesPublic:
    device = _device(registry, device_id)
    if hours * 60 // every_min > MAX_BUCKETS:
        raise bad_parameter(f"hours/every_min gives more than {MAX_BUCKETS} buckets")
    name = field or devices.SOURCES[device.kind].default_field
    end = now_ms()
    try:
        points = devices.series(influx, device, name, end - hours * MS_PER_HOUR, end, every_min)
    except ValueError as exc:
        raise bad_parameter(str(exc)) from None
    data = [SeriesPoint(time_ms=t, value=v) for t, v in points]
    return DeviceSeriesPublic(
        device_id=device.device_id,
        kind=device.kind,
        field=name,
        every_min=every_min,
        data=data,
        count=len(data),
    )
