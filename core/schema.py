"""The one place where InfluxDB measurement, tag and field names live.

Ingest writes with these names, the API queries with them and the dashboards
are built from them, so a rename here reaches every reader at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DATABASE = "yiju"


@dataclass(frozen=True, slots=True)
class Measurement:
    """A measurement with the tags and fields the contract promises."""

    name: str
    tags: tuple[str, ...]
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


BIN = Measurement(
    "bin", ("device_id", "point_id", "community", "town"), ("fill_pct", "temp_c", "battery_pct")
)
SEWER = Measurement(
    "sewer",
    ("device_id", "outlet_id", "community", "town"),
    ("level_cm", "overflow_level_cm", "battery_pct"),
)
CAMERA = Measurement("camera", ("device_id", "community", "town"), ("online", "recording"))
CLEARANCE = Measurement(
    "clearance", ("point_id", "community", "town", "vehicle_id"), ("fill_before_pct",)
)
PEST_VISIT = Measurement(
    "pest_visit", ("site_id", "community", "town", "crew_id"), ("duration_min",)
)
VIOLATION = Measurement(
    "violation", ("kind", "community", "town", "subject"), ("state", "value", "violation_id")
)
ROUTE_STOP = Measurement(
    "route_stop",
    ("plan_id", "route_id", "vehicle_id", "plan_kind", "town"),
    # stop_kind: core.dispatch.StopKind (point, site, station, depot, break); the boards
    # count only points and sites as stops to serve.
    ("seq", "stop_id", "eta_ms", "lat", "lon", "load_kg", "stop_kind"),
)
DEADLETTER = Measurement("deadletter", ("reason",), ("topic", "payload", "detail"))
VEHICLE_POSITION = Measurement("vehicle_position", ("vehicle_id", "town"), ("lat", "lon"))
# Registry facts the boards need beside the telemetry (a community's name, place and
# counts), written by `yiju dashboards seed`; readers take the last point per community.
COMMUNITY = Measurement(
    "community",
    ("community", "town"),
    ("name", "lat", "lon", "collection_points", "sewage_outlets", "cameras", "pest_sites"),
)
# Stops a plan could not serve, with the planner's reason (from the plan records).
UNSERVED_STOP = Measurement(
    "unserved_stop",
    ("plan_id", "plan_kind", "town", "reason", "stop_id"),
    ("community", "detail"),
)

ALL_MEASUREMENTS: tuple[Measurement, ...] = (
    BIN,
    SEWER,
    CAMERA,
    CLEARANCE,
    PEST_VISIT,
    VIOLATION,
    ROUTE_STOP,
    DEADLETTER,
    VEHICLE_POSITION,
    COMMUNITY,
    UNSERVED_STOP,
)


class ViolationKind(StrEnum):
    """Violation kinds of the contract; the value is what is stored in the `kind` tag."""

    BIN_OVERFLOW = "bin_overflow"
    BIN_NOT_CLEARED = "bin_not_cleared"
    SEWER_OVERFLOW = "sewer_overflow"
    CAMERA_OFFLINE = "camera_offline"
    PEST_OVERDUE = "pest_overdue"
    SENSOR_SILENT = "sensor_silent"


class ViolationState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DeadLetterReason(StrEnum):
    """Why a message was rejected; stored in the `reason` tag of `deadletter`."""

    BAD_JSON = "bad_json"
    SCHEMA = "schema"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_DEVICE = "unknown_device"
    TOPIC_MISMATCH = "topic_mismatch"
    TOO_LARGE = "too_large"
    BAD_TOPIC = "bad_topic"
    CLOCK_SKEW = "clock_skew"
    TOO_OLD = "too_old"
