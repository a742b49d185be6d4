"""A device's latest reading and a bucketed series of one of its fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import schema
from core.influx import InfluxClient, quote_ident
from core.registry import DeviceKind, DeviceRef


@dataclass(frozen=True, slots=True)
class DeviceSource:
    """Where a kind of device's readings live: measurement, its id tag, the default field."""

    measurement: schema.Measurement
    tag: str
    default_field: str


SOURCES: dict[DeviceKind, DeviceSource] = {
    DeviceKind.BIN: DeviceSource(schema.BIN, "device_id", "fill_pct"),
    DeviceKind.SEWER: DeviceSource(schema.SEWER, "device_id", "level_cm"),
    DeviceKind.CAMERA: DeviceSource(schema.CAMERA, "device_id", "online"),
    DeviceKind.VEHICLE: DeviceSource(schema.VEHICLE_POSITION, "vehicle_id", "lat"),
    DeviceKind.CREW: DeviceSource(schema.PEST_VISIT, "crew_id", "duration_min"),
}


def latest_reading(influx: InfluxClient, device: DeviceRef) -> tuple[int, dict[str, Any]] | None:
    """(time ms, fields) of the device's newest point, or None when it never reported."""
    source = SOURCES[device.kind]
    fields = ", ".join(quote_ident(f) for f in source.measurement.fields)
    series = influx.query(
        f"SELECT {fields} FROM {quote_ident(source.measurement.name)} "
        f"WHERE {quote_ident(source.tag)} = $device ORDER BY time DESC LIMIT 1",
        params={"device": device.device_id},
    )
    for s in series:
        for values in s.get("values", []):
            row = dict(zip(s["columns"], values, strict=True))
            time_ms = int(row.pop("time"))
            return time_ms, row
    return None


def series(
    influx: InfluxClient,
    device: DeviceRef,
    field: str,
    start_ms: int,
    end_ms: int,
    every_min: int,
) -> list[tuple[int, float | None]]:
    """Mean of `field` per `every_min` bucket from `start_ms` to `end_ms`."""
    source = SOURCES[device.kind]
    if field not in source.measurement.fields:
        raise ValueError(f"{device.kind.value} readings have no field {field!r}")
    rows = influx.query(
        f"SELECT mean({quote_ident(field)}) FROM {quote_ident(source.measurement.name)} "
        f"WHERE {quote_ident(source.tag)} = $device "
        f"AND time >= {int(start_ms)}ms AND time < {int(end_ms)}ms "
        f"GROUP BY time({int(every_min)}m) fill(none)",
        params={"device": device.device_id},
    )
    out: list[tuple[int, float | None]] = []
    for s in rows:
        for time_ms, value in s.get("values", []):
            out.append((int(time_ms), None if value is None else float(value)))
    return out
