"""The message contract: `parse` returns a typed message or a rejection with the reason."""

from __future__ import annotations

import pytest

from core.contract import (
    BinReading,
    CameraHeartbeat,
    DeviceStatus,
    PointCleared,
    Rejection,
    SewerReading,
    SiteVisited,
    VehiclePosition,
    parse,
)
from core.registry import DeviceKind, Registry
from core.schema import DeadLetterReason

NOW = 1_795_622_400_000  # 2026-11-26T00:00:00+08:00


@pytest.mark.parametrize(
    ("topic", "payload", "expected"),
    [
        (
            "yiju/v1/telemetry/bin/b1",
            b'{"ts": 1795622400000, "fill_pct": 42.5}',
            BinReading("b1", NOW, 42.5),
        ),
        (
            "yiju/v1/telemetry/bin/b1",
            b'{"fill_pct": 120, "temp_c": 30, "battery_pct": 80, "seq": 7}',
            BinReading("b1", NOW, 120.0, 30.0, 80.0, 7),
        ),
        (
            "yiju/v1/telemetry/bin/b1",
            b'{"ts": "2026-11-26T00:00:00+08:00", "fill_pct": 1}',
            BinReading("b1", NOW, 1.0),
        ),
        ("yiju/v1/telemetry/sewer/s1", b'{"level_cm": 33.3}', SewerReading("s1", NOW, 33.3)),
        (
            "yiju/v1/telemetry/camera/c1",
            b'{"online": false, "recording": false}',
            CameraHeartbeat("c1", NOW, False, False),
        ),
        (
            "yiju/v1/status/camera/c1",
            b'{"online": true}',
            DeviceStatus(DeviceKind.CAMERA, "c1", NOW, True),
        ),
        (
            "yiju/v1/vehicles/t1/events",
            b'{"type": "cleared", "point_id": "p1", "route_id": "r"}',
            PointCleared("t1", NOW, "p1", "r"),
        ),
        (
            "yiju/v1/vehicles/t1/events",
            b'{"type": "position", "lat": 23.0, "lon": 113.1}',
            VehiclePosition("t1", NOW, 23.0, 113.1),
        ),
        (
            "yiju/v1/crews/k1/events",
            b'{"type": "visited", "site_id": "s9", "duration_min": 90}',
            SiteVisited("k1", NOW, "s9", None, 90.0),
        ),
    ],
)
def test_valid_payloads_parse_to_typed_messages(
    topic: str, payload: bytes, expected: object
) -> None:
    """Each payload kind of the contract becomes its typed message; ts defaults to arrival."""
    assert parse(topic, payload, NOW) == expected


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("yiju/v1/telemetry/bin/b1", b'{"fill_pct": 4', DeadLetterReason.BAD_JSON),
        ("yiju/v1/telemetry/bin/b1", b"\xff\xfe", DeadLetterReason.BAD_JSON),
        ("yiju/v1/telemetry/bin/b1", b"[1, 2]", DeadLetterReason.SCHEMA),
        ("yiju/v1/telemetry/bin/b1", b'{"fill_pct": "50"}', DeadLetterReason.SCHEMA),
        ("yiju/v1/telemetry/bin/b1", b'{"temp_c": 20}', DeadLetterReason.SCHEMA),
        ("yiju/v1/telemetry/bin/b1", b'{"fill_pct": -1}', DeadLetterReason.OUT_OF_RANGE),
        ("yiju/v1/telemetry/bin/b1", b'{"fill_pct": 1e9}', DeadLetterReason.OUT_OF_RANGE),
        ("yiju/v1/telemetry/bin/b1", b'{"fill_pct": 5, "ts": 12}', DeadLetterReason.OUT_OF_RANGE),
        (
            "yiju/v1/telemetry/bin/b1",
            b'{"fill_pct": 5, "ts": "yesterday"}',
            DeadLetterReason.SCHEMA,
        ),
        (
            "yiju/v1/telemetry/bin/b1",
            b'{"fill_pct": 5, "ts": "2026-11-26T08:00:00"}',
            DeadLetterReason.SCHEMA,
        ),
        ("yiju/v1/telemetry/sewer/s1", b'{"level_cm": -3}', DeadLetterReason.OUT_OF_RANGE),
        ("yiju/v1/telemetry/camera/c1", b'{"online": 1}', DeadLetterReason.SCHEMA),
        ("yiju/v1/vehicles/t1/events", b'{"type": "teleported"}', DeadLetterReason.SCHEMA),
        ("yiju/v1/vehicles/t1/events", b'{"type": "cleared"}', DeadLetterReason.SCHEMA),
        (
            "yiju/v1/telemetry/bin/b1",
            b'{"fill_pct": 5, "pad": "' + b"x" * 5000 + b'"}',
            DeadLetterReason.TOO_LARGE,
        ),
        ("yiju/v1/telemetry/truck/b1", b'{"fill_pct": 5}', DeadLetterReason.BAD_TOPIC),
        ("other/telemetry/bin/b1", b'{"fill_pct": 5}', DeadLetterReason.BAD_TOPIC),
    ],
)
def test_bad_payloads_are_rejected_with_their_reason(
    topic: str, payload: bytes, reason: DeadLetterReason
) -> None:
    """Every way a payload can be wrong maps to one dead-letter reason, never an exception."""
    result = parse(topic, payload, NOW)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.detail


def test_registry_rejects_unknown_devices_and_wrong_kinds(small_district: Registry) -> None:
    """With the registry, unknown ids and topics of the wrong kind are dead letters."""
    devices = small_district.devices
    bin_id = next(d for d, ref in devices.items() if ref.kind.value == "bin")
    ok = parse(f"yiju/v1/telemetry/bin/{bin_id}", b'{"fill_pct": 5}', NOW, devices)
    assert isinstance(ok, BinReading)
    unknown = parse("yiju/v1/telemetry/bin/bin-nowhere", b'{"fill_pct": 5}', NOW, devices)
    assert isinstance(unknown, Rejection)
    assert unknown.reason == DeadLetterReason.UNKNOWN_DEVICE
    mismatch = parse(f"yiju/v1/telemetry/sewer/{bin_id}", b'{"level_cm": 5}', NOW, devices)
    assert isinstance(mismatch, Rejection)
    assert mismatch.reason == DeadLetterReason.TOPIC_MISMATCH
