"""The message contract (docs/contract.md) as typed messages and a pure `parse`.

`parse(topic, payload, received_ms, devices)` returns one of the message types
below or a `Rejection` with the dead-letter reason. It never raises for bad
input: every way a payload can be wrong maps to a reason code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.registry.models import DeviceKind, DeviceRef
from core.schema import DeadLetterReason
from core.topics import DEFAULT_PREFIX, split_topic

MAX_PAYLOAD_BYTES = 4096
# Timestamps outside these bounds are clock faults, not data (2000-01-01 .. 2100-01-01).
MIN_TS_MS = 946_684_800_000
MAX_TS_MS = 4_102_444_800_000


@dataclass(frozen=True, slots=True)
class BinReading:
    device_id: str
    ts_ms: int
    fill_pct: float
    temp_c: float | None = None
    battery_pct: float | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class SewerReading:
    device_id: str
    ts_ms: int
    level_cm: float
    battery_pct: float | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class CameraHeartbeat:
    device_id: str
    ts_ms: int
    online: bool
    recording: bool | None = None


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """Retained presence: `online` on connect, the Last Will says offline."""

    kind: DeviceKind
    device_id: str
    ts_ms: int
    online: bool


@dataclass(frozen=True, slots=True)
class PointCleared:
    vehicle_id: str
    ts_ms: int
    point_id: str
    route_id: str | None = None


@dataclass(frozen=True, slots=True)
class VehiclePosition:
    vehicle_id: str
    ts_ms: int
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class SiteVisited:
    crew_id: str
    ts_ms: int
    site_id: str
    route_id: str | None = None
    duration_min: float | None = None


Message = (
    BinReading
    | SewerReading
    | CameraHeartbeat
    | DeviceStatus
    | PointCleared
    | VehiclePosition
    | SiteVisited
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message is a dead letter; `detail` is for people reading the record."""

    reason: DeadLetterReason
    detail: str


# --- payload schemas (strict types; range errors are told apart from type errors) ---

Timestamp = int | str


class _Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    ts: Timestamp | None = None


class _BinPayload(_Payload):
    fill_pct: float = Field(ge=0, le=250)
    temp_c: float | None = Field(None, ge=-40, le=200)
    battery_pct: float | None = Field(None, ge=0, le=100)
    seq: int | None = Field(None, ge=0)


class _SewerPayload(_Payload):
    level_cm: float = Field(ge=0, le=5000)
    battery_pct: float | None = Field(None, ge=0, le=100)
    seq: int | None = Field(None, ge=0)


class _CameraPayload(_Payload):
    online: bool
    recording: bool | None = None


class _StatusPayload(_Payload):
    online: bool


class _ClearedPayload(_Payload):
    type: Literal["cleared"]
    point_id: Annotated[str, Field(min_length=1, max_length=64)]
    route_id: str | None = Field(None, max_length=128)


class _PositionPayload(_Payload):
    type: Literal["position"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class _VisitedPayload(_Payload):
    type: Literal["visited"]
    site_id: Annotated[str, Field(min_length=1, max_length=64)]
    route_id: str | None = Field(None, max_length=128)
    duration_min: float | None = Field(None, ge=0, le=24 * 60)


_RANGE_ERRORS = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
}


P = TypeVar("P", bound=_Payload)


def _validate(model: type[P], data: dict[str, Any]) -> P | Rejection:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in errors[:3]
        )
        if all(e["type"] in _RANGE_ERRORS for e in errors):
            return Rejection(DeadLetterReason.OUT_OF_RANGE, detail)
        return Rejection(DeadLetterReason.SCHEMA, detail)


def parse_ts(value: Timestamp | None, received_ms: int) -> int | Rejection:
    """Epoch ms from an int (ms) or an ISO-8601 string with offset; arrival time if absent."""
    if value is None:
        return received_ms
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return Rejection(DeadLetterReason.SCHEMA, f"ts {value[:40]!r} is not ISO-8601")
        if moment.tzinfo is None:
            return Rejection(DeadLetterReason.SCHEMA, f"ts {value[:40]!r} has no UTC offset")
        ms = int(moment.timestamp() * 1000)
    else:
        ms = value
    if not MIN_TS_MS <= ms <= MAX_TS_MS:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, f"ts {ms} is not between 2000 and 2100")
    return ms


# orjson holds integers exactly from -2**63 to 2**64 - 1 and turns longer ones into
# floats without a word, so a field outside those bounds is read again by the
# standard library, which keeps every integer as written.
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
_FLOAT_MIN = float(INT_MIN)
_FLOAT_PAST_MAX = float(2**64)


def _beyond_orjson_ints(data: dict[str, Any]) -> bool:
    for value in data.values():
        if type(value) is float and not _FLOAT_MIN <= value < _FLOAT_PAST_MAX:
            return True
    return False


class _NotJsonError(ValueError):
    """A token the standard parser accepts that JSON (RFC 8259) has not."""


class _Beyond64BitsError(ValueError):
    """An integer no 64-bit field can hold."""


def _no_constant(token: str) -> Any:
    raise _NotJsonError(f"{token} is not JSON (RFC 8259 has no NaN or Infinity)")


def _int64(digits: str) -> int:
    value = int(digits)
    if not INT_MIN <= value <= INT_MAX:
        shown = digits if len(digits) <= 40 else f"{digits[:20]}…({len(digits)} digits)"
        raise _Beyond64BitsError(f"integer {shown} does not fit in 64 bits")
    return value


def _exact(payload: bytes) -> Any:
    """The standard library's reading of what orjson refuses or reads inexactly."""
    try:
        return json.loads(payload, parse_constant=_no_constant, parse_int=_int64)
    except _Beyond64BitsError as exc:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, str(exc))
    except (_NotJsonError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return Rejection(DeadLetterReason.BAD_JSON, str(exc)[:200])


def _decode(payload: bytes) -> dict[str, Any] | Rejection:
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejection(DeadLetterReason.TOO_LARGE, f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        # orjson refuses some payloads the standard library reads (numbers beyond a
        # double, UTF-16 and UTF-32 text): the standard parser decides.
        data = _exact(payload)
    else:
        if isinstance(data, dict) and _beyond_orjson_ints(data):
            data = _exact(payload)
    if isinstance(data, Rejection):
        return data
    if not isinstance(data, dict):
        return Rejection(
            DeadLetterReason.SCHEMA, f"payload is a JSON {type(data).__name__}, not an object"
        )
    return data


def parse(
    topic: str,
    payload: bytes,
    received_ms: int,
    devices: Mapping[str, DeviceRef] | None = None,
    prefix: str = DEFAULT_PREFIX,
) -> Message | Rejection:
    """Turn one inbound MQTT message into a typed message or a rejection.

    With `devices` (the registry's device index) unknown devices and topics
    that do not match the device's kind are rejected as well.
    """
    parts = split_topic(topic, prefix)
    if parts is None:
        return Rejection(
            DeadLetterReason.BAD_TOPIC, f"topic {topic[:200]!r} is not in the contract"
        )
    if devices is not None:
        ref = devices.get(parts.device_id)
        if ref is None:
            return Rejection(
                DeadLetterReason.UNKNOWN_DEVICE,
                f"device {parts.device_id[:64]!r} is not in the registry",
            )
        if ref.kind != parts.kind:
            return Rejection(
                DeadLetterReason.TOPIC_MISMATCH,
                f"device {parts.device_id!r} is a {ref.kind.value}, topic says {parts.kind.value}",
            )
    data = _decode(payload)
    if isinstance(data, Rejection):
        return data
    return _build(parts.family, parts.kind, parts.device_id, data, received_ms)


def _build(
    family: str, kind: DeviceKind, device_id: str, data: dict[str, Any], received_ms: int
) -> Message | Rejection:
    if family == "status":
        status = _validate(_StatusPayload, data)
        if isinstance(status, Rejection):
            return status
        ts = parse_ts(status.ts, received_ms)
        return ts if isinstance(ts, Rejection) else DeviceStatus(kind, device_id, ts, status.online)

    if family == "telemetry":
        if kind is DeviceKind.BIN:
            b = _validate(_BinPayload, data)
            if isinstance(b, Rejection):
                return b
            ts = parse_ts(b.ts, received_ms)
            if isinstance(ts, Rejection):
                return ts
            return BinReading(device_id, ts, b.fill_pct, b.temp_c, b.battery_pct, b.seq)
        if kind is DeviceKind.SEWER:
            s = _validate(_SewerPayload, data)
            if isinstance(s, Rejection):
                return s
            ts = parse_ts(s.ts, received_ms)
            if isinstance(ts, Rejection):
                return ts
            return SewerReading(device_id, ts, s.level_cm, s.battery_pct, s.seq)
        c = _validate(_CameraPayload, data)
        if isinstance(c, Rejection):
            return c
        ts = parse_ts(c.ts, received_ms)
        return (
            ts
            if isinstance(ts, Rejection)
            else CameraHeartbeat(device_id, ts, c.online, c.recording)
        )

    event_type = data.get("type")
    if family == "vehicles":
        if event_type == "cleared":
            e = _validate(_ClearedPayload, data)
            if isinstance(e, Rejection):
                return e
            ts = parse_ts(e.ts, received_ms)
            return (
                ts
                if isinstance(ts, Rejection)
                else PointCleared(device_id, ts, e.point_id, e.route_id)
            )
        if event_type == "position":
            p = _validate(_PositionPayload, data)
            if isinstance(p, Rejection):
                return p
            ts = parse_ts(p.ts, received_ms)
            return ts if isinstance(ts, Rejection) else VehiclePosition(device_id, ts, p.lat, p.lon)
        return Rejection(
            DeadLetterReason.SCHEMA,
            f"vehicle event type {str(event_type)[:40]!r} is not cleared/position",
        )
    if event_type == "visited":
        v = _validate(_VisitedPayload, data)
        if isinstance(v, Rejection):
            return v
        ts = parse_ts(v.ts, received_ms)
        return (
            ts
            if isinstance(ts, Rejection)
            else SiteVisited(device_id, ts, v.site_id, v.route_id, v.duration_min)
        )
    return Rejection(
        DeadLetterReason.SCHEMA, f"crew event type {str(event_type)[:40]!r} is not visited"
    )
