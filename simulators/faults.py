"""What goes wrong in the field, and how often: the simulators' fault configuration.

Rates are per device (or outlet, camera, truck) and simulated day; shares are
per regular message. `FaultConfig.none()` is a fault-free day. Breakdowns can
also be scheduled for a given truck at a given time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum


class FaultKind(StrEnum):
    """The `fault` value of a truth-log fault record."""

    BAD_JSON = "bad_json"
    SCHEMA = "schema"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_DEVICE = "unknown_device"
    TOPIC_MISMATCH = "topic_mismatch"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    SILENT = "silent"
    TRUCK_BREAKDOWN = "truck_breakdown"
    CAMERA_OUTAGE = "camera_outage"
    NVR_OUTAGE = "nvr_outage"
    STORM = "storm"
    BLOCKED_OUTLET = "blocked_outlet"
    FIRE = "fire"


# The malformed kinds, in the order a fault draw picks them.
MALFORMED = (
    FaultKind.BAD_JSON,
    FaultKind.SCHEMA,
    FaultKind.OUT_OF_RANGE,
    FaultKind.UNKNOWN_DEVICE,
    FaultKind.TOPIC_MISMATCH,
)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Truck `truck_id` breaks down at simulated `at_ms`; the rest of its route is undone."""

    truck_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Storm:
    """A rain storm over `town_id` (None: the whole district) from `start_ms`."""

    start_ms: int
    duration_min: float
    rise_cm: float
    town_id: str | None = None

    def __post_init__(self) -> None:
        if self.duration_min <= 0 or self.rise_cm <= 0:
            raise ValueError("a storm needs a positive duration and rise")


@dataclass(frozen=True, slots=True)
class FaultConfig:
    # Per regular telemetry message: a malformed extra message (split evenly over
    # bad JSON, wrong types, out-of-range values, unknown device, wrong topic kind),
    # an exact duplicate, or the message held back and sent after the next one.
    malformed_share: float = 0.004
    duplicate_share: float = 0.002
    out_of_order_share: float = 0.002
    # Share of bin and sewer sensors that go silent once during the run (for 1–8 h).
    silent_share: float = 0.01
    # Cameras: mean time between failures, the share that is chronically flaky,
    # and whole-recorder (NVR or switch) outages per recorder and day.
    camera_mtbf_days: float = 60.0
    flaky_camera_share: float = 0.03
    nvr_outages_per_day: float = 0.02
    # Rain storms per day (None: seasonal, heavier in the April–September wet season).
    storms_per_day: float | None = None
    blocked_outlets_per_day: float = 0.02  # per outlet
    fires_per_day: float = 0.0005  # per collection point
    breakdowns_per_day: float = 0.0  # per truck with a route
    breakdowns: tuple[Breakdown, ...] = ()
    storms: tuple[Storm, ...] = field(default=())

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not value >= 0:
                raise ValueError(f"fault setting {f.name} must not be negative, got {value}")
        shares = self.malformed_share + self.duplicate_share + self.out_of_order_share
        if shares > 0.5:
            raise ValueError(f"message fault shares add up to {shares:.2f}; keep them under 0.5")
        if not 0 <= self.silent_share <= 1 or not 0 <= self.flaky_camera_share <= 1:
            raise ValueError("silent_share and flaky_camera_share are shares within 0–1")
        if self.camera_mtbf_days <= 0:
            raise ValueError("camera_mtbf_days must be positive")

    @classmethod
    def none(cls) -> FaultConfig:
        """A fault-free day: every rate and share 0, no storms or breakdowns."""
        return cls(
            malformed_share=0.0,
            duplicate_share=0.0,
            out_of_order_share=0.0,
            silent_share=0.0,
            camera_mtbf_days=1e9,
            flaky_camera_share=0.0,
            nvr_outages_per_day=0.0,
            storms_per_day=0.0,
            blocked_outlets_per_day=0.0,
            fires_per_day=0.0,
            breakdowns_per_day=0.0,
        )

    @property
    def message_fault_share(self) -> float:
        return self.malformed_share + self.duplicate_share + self.out_of_order_share


def malformed_payload(kind: FaultKind, good: bytes, ts_ms: int, family: str) -> bytes:
    """A broken variant of a good telemetry payload for a malformed-message fault."""
    if kind is FaultKind.BAD_JSON:
        return good[: max(1, len(good) // 2)]  # cut off mid-message, as a radio drop does
    if kind is FaultKind.SCHEMA:
        if family == "bin":
            return f'{{"ts":{ts_ms},"fill_pct":"high"}}'.encode()
        if family == "sewer":
            return f'{{"ts":{ts_ms},"level_cm":null}}'.encode()
        return f'{{"ts":{ts_ms},"online":"yes"}}'.encode()
    if kind is FaultKind.OUT_OF_RANGE:
        if family == "bin":
            return f'{{"ts":{ts_ms},"fill_pct":-12.5}}'.encode()
        if family == "sewer":
            return f'{{"ts":{ts_ms},"level_cm":-3.0}}'.encode()
        # Seconds where milliseconds belong: a timestamp in January 1970.
        return f'{{"ts":{ts_ms // 1000},"online":true}}'.encode()
    return good  # unknown device and wrong topic kind keep a valid payload
