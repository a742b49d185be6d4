"""A device's latest reading and its recent series."""

from __future__ import annotations

from pydantic import BaseModel

from core.registry import DeviceKind


class DeviceReadingPublic(BaseModel):
    device_id: str
    kind: DeviceKind
    subject_id: str
    community_id: str | None
    town_id: str
    time_ms: int
    fields: dict[str, float | int | str | bool | None]


class SeriesPoint(BaseModel):
    time_ms: int
    value: float | None


class DeviceSeriesPublic(BaseModel):
    device_id: str
    kind: DeviceKind
    field: str
    every_min: int
    data: list[SeriesPoint]
    count: int
