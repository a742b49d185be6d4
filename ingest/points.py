"""Enrichment: a typed message and the registry become line-protocol points.

Pure functions of the message and the registry (no I/O), so redelivery of a
message yields the identical point, which InfluxDB overwrites instead of
counting twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core import schema
from core.contract import (
    BinReading,
    CameraHeartbeat,
    DeviceStatus,
    Message,
    PointCleared,
    Rejection,
    SewerReading,
    SiteVisited,
    VehiclePosition,
)
from core.line_protocol import line
from core.registry import Registry
from core.registry.models import DeviceKind, DeviceRef
from core.schema import DeadLetterReason

# The tag name a manual clearance (a fill drop with no truck event) carries as vehicle_id.
MANUAL_VEHICLE = "manual"


def series_key(measurement: str, tags: Mapping[str, str | None]) -> str:
    """Measurement and sorted, escaped tags: the head of a line, as `line()` writes it."""
    head = line(measurement, tags, {"x": 0})
    return head[: head.rindex(" x=0i")]


def _num(value: float) -> str:
    """A float field as `line()` writes it (NaN and infinity are refused upstream)."""
    return repr(float(value))


# Readings' measurement and the tag naming the subject each device measures.
_READING_SERIES = {
    DeviceKind.BIN: (schema.BIN.name, "point_id"),
    DeviceKind.SEWER: (schema.SEWER.name, "outlet_id"),
}


@dataclass(frozen=True, slots=True)
class Enricher:
    """Registry look-ups needed to turn messages into points, resolved once."""

    devices: Mapping[str, DeviceRef]
    overflow_level_cm: Mapping[str, float]
    point_community: Mapping[str, str]
    site_community: Mapping[str, tuple[str, float]]
    town_of: Mapping[str, str]
    # device id → the line head of its bin/sewer/camera series, built once: the hot
    # path then only formats fields (several times faster than `line()` per message).
    heads: Mapping[str, str]

    @classmethod
    def from_registry(cls, registry: Registry) -> Enricher:
        heads: dict[str, str] = {}
        for d in registry.devices.values():
            series = _READING_SERIES.get(d.kind)
            if series is not None:
                measurement, subject_tag = series
                tags = {
                    "device_id": d.device_id,
                    subject_tag: d.subject_id,
                    "community": d.community_id,
                    "town": d.town_id,
                }
                heads[d.device_id] = series_key(measurement, tags)
        return cls(
            heads=heads,
            devices=registry.devices,
            overflow_level_cm={o.id: o.overflow_level_cm for o in registry.sewage_outlets},
            point_community={p.id: p.community_id for p in registry.collection_points},
            site_community={
                s.id: (s.community_id, float(s.service_min)) for s in registry.pest_sites
            },
            town_of={c.id: c.town_id for c in registry.communities},
        )

    def lines(self, message: Message, last_fill: Mapping[str, float]) -> list[str] | Rejection:
        """The points of one valid message (none for presence of bins and sewers);
        a rejection when an event names a point or site the registry does not know.

        `last_fill` (point id → last fill seen) supplies a clearance's fill before."""
        if isinstance(message, BinReading):
            fields = "fill_pct=" + _num(message.fill_pct)
            if message.temp_c is not None:
                fields += ",temp_c=" + _num(message.temp_c)
            if message.battery_pct is not None:
                fields += ",battery_pct=" + _num(message.battery_pct)
            return [f"{self.heads[message.device_id]} {fields} {message.ts_ms}"]
        if isinstance(message, SewerReading):
            ref = self.devices[message.device_id]
            fields = "level_cm=" + _num(message.level_cm)
            overflow = self.overflow_level_cm.get(ref.subject_id)
            if overflow is not None:
                fields += ",overflow_level_cm=" + _num(overflow)
            if message.battery_pct is not None:
                fields += ",battery_pct=" + _num(message.battery_pct)
            return [f"{self.heads[message.device_id]} {fields} {message.ts_ms}"]
        if isinstance(message, CameraHeartbeat):
            m = message
            return [self._camera(m.device_id, m.ts_ms, m.online, m.recording)]
        if isinstance(message, DeviceStatus):
            if message.kind is DeviceKind.CAMERA:
                return [self._camera(message.device_id, message.ts_ms, message.online, None)]
            return []  # presence of other devices feeds the rules only
        if isinstance(message, PointCleared):
            community = self.point_community.get(message.point_id)
            if community is None:
                return Rejection(
                    DeadLetterReason.SCHEMA,
                    f"point {message.point_id[:64]!r} is not in the registry",
                )
            return [
                clearance_line(
                    message.point_id,
                    community,
                    self.town_of[community],
                    message.vehicle_id,
                    last_fill.get(message.point_id, 0.0),
                    message.ts_ms,
                )
            ]
        if isinstance(message, SiteVisited):
            site = self.site_community.get(message.site_id)
            if site is None:
                return Rejection(
                    DeadLetterReason.SCHEMA, f"site {message.site_id[:64]!r} is not in the registry"
                )
            community, service_min = site
            duration = message.duration_min if message.duration_min is not None else service_min
            return [
                line(
                    schema.PEST_VISIT.name,
                    {
                        "site_id": message.site_id,
                        "community": community,
                        "town": self.town_of[community],
                        "crew_id": message.crew_id,
                    },
                    {"duration_min": float(duration)},
                    message.ts_ms,
                )
            ]
        if isinstance(message, VehiclePosition):
            ref = self.devices[message.vehicle_id]
            return [
                line(
                    schema.VEHICLE_POSITION.name,
                    {"vehicle_id": message.vehicle_id, "town": ref.town_id},
                    {"lat": float(message.lat), "lon": float(message.lon)},
                    message.ts_ms,
                )
            ]
        raise TypeError(f"no points for {type(message).__name__}")

    def _camera(self, device_id: str, ts_ms: int, online: bool, recording: bool | None) -> str:
        ref = self.devices[device_id]
        return line(
            schema.CAMERA.name,
            {"device_id": device_id, "community": ref.community_id, "town": ref.town_id},
            {"online": int(online), "recording": None if recording is None else int(recording)},
            ts_ms,
        )


def clearance_line(
    point_id: str, community: str, town: str, vehicle_id: str, fill_before: float, ts_ms: int
) -> str:
    return line(
        schema.CLEARANCE.name,
        {"point_id": point_id, "community": community, "town": town, "vehicle_id": vehicle_id},
        {"fill_before_pct": float(fill_before)},
        ts_ms,
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
