"""The violation rules as pure functions, and the engine over scripted message sequences."""

from __future__ import annotations

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.contract import (
    BinReading,
    CameraHeartbeat,
    DeviceStatus,
    PointCleared,
    SewerReading,
    SiteVisited,
)
from core.localday import MS_PER_DAY, MS_PER_HOUR, day_start_ms, local_date
from core.registry import Registry
from core.registry.models import DeviceKind
from core.schema import ViolationKind, ViolationState
from core.settings import Settings
from core.thresholds import RuleThresholds
from ingest import rules
from ingest.engine import RestoredState, RuleEngine
from ingest.paho_speedups import FastProperties
from ingest.service import IngestService

TH = RuleThresholds()
TZ = "Asia/Shanghai"
DAY0 = 1_784_044_800_000  # 2026-07-15 00:00 Asia/Shanghai (peak pest season)


@pytest.mark.parametrize(
    ("is_open", "fill", "expected"),
    [(False, 99.9, None), (False, 100.0, True), (True, 97.0, None), (True, 94.9, False)],
)
def test_bin_overflow_has_hysteresis(is_open: bool, fill: float, expected: bool | None) -> None:
    """Opens at the overflow threshold, closes only below the clear threshold."""
    assert rules.bin_overflow_change(is_open, fill, TH) is expected


@pytest.mark.parametrize(
    ("is_open", "level", "expected"),
    [(False, 119.0, None), (False, 120.0, True), (True, 116.0, None), (True, 114.9, False)],
)
def test_sewer_overflow_closes_with_a_margin(
    is_open: bool, level: float, expected: bool | None
) -> None:
    """Opens at the outlet's overflow level, closes 5 cm below it."""
    assert rules.sewer_overflow_change(is_open, level, 120.0, TH) is expected


@pytest.mark.parametrize(
    ("previous", "fill", "truck", "expected"),
    [(90.0, 10.0, False, True), (90.0, 10.0, True, False), (60.0, 30.0, False, False)],
)
def test_manual_clearance_is_a_large_drop_without_a_truck(
    previous: float, fill: float, truck: bool, expected: bool
) -> None:
    """A drop of 40 points or more with no truck event in between is a manual clearance."""
    assert rules.is_manual_clearance(previous, fill, truck, TH) is expected


def test_deadlines_follow_the_thresholds() -> None:
    """Silence after three intervals, camera grace of three heartbeats, pest cycle by season."""
    assert rules.silent_deadline(0, 900, TH) == 2_700_000
    assert rules.camera_deadline(0, 300, TH) == 900_000
    # Whole local days: a visit at 10:00 on day 0 may be followed up to the end of day 7.
    assert rules.pest_due_ms(DAY0 + 10 * MS_PER_HOUR, 7, 14, TH, TZ) == DAY0 + 8 * MS_PER_DAY
    january = 1_767_196_800_000  # 2026-01-01 00:00 local
    assert rules.pest_due_ms(january, 7, 14, TH, TZ) == january + 15 * MS_PER_DAY


def test_cutoff_and_clearance_day() -> None:
    """The next cut-off is 22:00 today or tomorrow; a clearance after it counts for no day."""
    cutoff = rules.cutoff_after(DAY0, TH, TZ)
    assert cutoff == DAY0 + 22 * MS_PER_HOUR
    assert rules.cutoff_after(cutoff, TH, TZ) == cutoff + MS_PER_DAY
    assert rules.clearance_day(cutoff, TH, TZ) == local_date(DAY0, TZ)
    assert rules.clearance_day(cutoff + 1, TH, TZ) is None
    assert day_start_ms(local_date(cutoff, TZ), TZ) == DAY0


def test_violation_id_is_stable() -> None:
    """The same opening gets the same id (redelivery does not count twice)."""
    a = rules.violation_id(ViolationKind.BIN_OVERFLOW, "p1", 5)
    assert a == rules.violation_id(ViolationKind.BIN_OVERFLOW, "p1", 5) == "bin_overflow:p1:5"


# --- the engine ----------------------------------------------------------------------


def _ids(registry: Registry) -> tuple[str, str, str, str, str]:
    point = registry.collection_points[0]
    outlet = next(o for o in registry.sewage_outlets if o.sensor)
    assert point.sensor is not None
    assert outlet.sensor is not None
    return (
        point.id,
        point.sensor.device_id,
        outlet.sensor.device_id,
        registry.cameras[0].id,
        registry.pest_sites[0].id,
    )


def _events(engine: RuleEngine) -> list[tuple[str, str, str, int]]:
    events, _ = engine.take()
    return [(e.kind.value, e.subject, e.state.value, e.ts_ms) for e in events]


def test_bin_overflow_opens_once_and_closes_once(small_district: Registry) -> None:
    """Repeated full readings and a redelivered one open a single violation."""
    point, device, *_ = _ids(small_district)
    engine = RuleEngine(small_district)
    readings = [BinReading(device, DAY0 + i * 60_000, f) for i, f in enumerate([80, 101, 104, 99])]
    engine.feed(readings)
    engine.feed([readings[1]])  # redelivered
    engine.feed([BinReading(device, DAY0 + 300_000, 50.0)])
    events = [e for e in _events(engine) if e[0] == "bin_overflow"]
    assert events == [
        ("bin_overflow", point, "open", DAY0 + 60_000),
        ("bin_overflow", point, "closed", DAY0 + 300_000),
    ]


def test_sewer_overflow_uses_the_outlets_level(small_district: Registry) -> None:
    """A level at the outlet's overflow level opens; falling below the margin closes."""
    _, _, device, _, _ = _ids(small_district)
    outlet = small_district.devices[device].subject_id
    level = small_district.outlet_by_id[outlet].overflow_level_cm
    engine = RuleEngine(small_district)
    engine.feed(
        [
            SewerReading(device, DAY0, level - 1),
            SewerReading(device, DAY0 + 1000, level),
            SewerReading(device, DAY0 + 2000, level - 6),
        ]
    )
    assert [e[2] for e in _events(engine) if e[0] == "sewer_overflow"] == ["open", "closed"]


def test_silent_sensor_opens_at_its_deadline_and_closes_when_heard(
    small_district: Registry,
) -> None:
    """Three intervals of silence open `sensor_silent` at the deadline, as the clock passes it."""
    _, device, *_ = _ids(small_district)
    engine = RuleEngine(small_district, lateness_ms=0)
    engine.feed([BinReading(device, DAY0, 10.0)])
    engine.advance_to(DAY0 + 2_700_000)
    assert ("sensor_silent", device, "open", DAY0 + 2_700_000) in _events(engine)
    engine.feed([BinReading(device, DAY0 + 3_000_000, 12.0)])
    assert ("sensor_silent", device, "closed", DAY0 + 3_000_000) in _events(engine)


def test_a_gap_noticed_late_still_counts(small_district: Registry) -> None:
    """A reading that comes after a silent gap opens and closes the violation the gap was."""
    _, device, *_ = _ids(small_district)
    engine = RuleEngine(small_district)
    engine.feed([BinReading(device, DAY0, 10.0), BinReading(device, DAY0 + 3_600_000, 11.0)])
    events = [e for e in _events(engine) if e[0] == "sensor_silent"]
    assert events == [
        ("sensor_silent", device, "open", DAY0 + 2_700_000),
        ("sensor_silent", device, "closed", DAY0 + 3_600_000),
    ]


def test_camera_offline_status_opens_at_once(small_district: Registry) -> None:
    """An explicit offline opens immediately; an online heartbeat closes it."""
    *_, camera, _ = _ids(small_district)
    engine = RuleEngine(small_district)
    engine.feed(
        [
            CameraHeartbeat(camera, DAY0, True),
            DeviceStatus(DeviceKind.CAMERA, camera, DAY0 + 1000, False),
            CameraHeartbeat(camera, DAY0 + 60_000, True),
        ]
    )
    assert [e[2:] for e in _events(engine) if e[0] == "camera_offline"] == [
        ("open", DAY0 + 1000),
        ("closed", DAY0 + 60_000),
    ]


def test_not_cleared_at_cutoff_for_every_point(small_district: Registry) -> None:
    """At 22:00 every point without a clearance that day opens, reporting or not;
    a later clearance closes it."""
    point, device, *_ = _ids(small_district)
    other = small_district.collection_points[1].id
    engine = RuleEngine(small_district)
    engine.feed(
        [
            BinReading(device, DAY0 + 3_600_000, 30.0),
            PointCleared("truck-1", DAY0 + 8 * MS_PER_HOUR, point),
        ]
    )
    engine.advance_to(DAY0 + 22 * MS_PER_HOUR)
    events = _events(engine)
    opened = {e[1] for e in events if e[0] == "bin_not_cleared" and e[2] == "open"}
    assert point not in opened
    assert len(opened) == len(small_district.collection_points) - 1
    engine.feed([PointCleared("truck-1", DAY0 + 23 * MS_PER_HOUR, other)])
    assert ("bin_not_cleared", other, "closed", DAY0 + 23 * MS_PER_HOUR) in _events(engine)


def test_manual_clearance_writes_a_point_and_counts(small_district: Registry) -> None:
    """A large fill drop without a truck becomes one `clearance` point (vehicle `manual`)."""
    point, device, *_ = _ids(small_district)
    engine = RuleEngine(small_district)
    engine.feed([BinReading(device, DAY0, 90.0), BinReading(device, DAY0 + 900_000, 5.0)])
    engine.feed([BinReading(device, DAY0 + 900_000, 5.0)])  # redelivered: no second one
    _, lines = engine.take()
    assert len(lines) == 1
    assert lines[0].startswith("clearance,")
    assert "vehicle_id=manual" in lines[0]
    assert f"point_id={point}" in lines[0]
    engine.advance_to(DAY0 + 22 * MS_PER_HOUR)
    assert not [e for e in _events(engine) if e[:3] == ("bin_not_cleared", point, "open")]


def test_pest_overdue_after_the_cycle(small_district: Registry) -> None:
    """A site not visited by the end of its cycle's last day opens then; a visit closes it."""
    *_, site = _ids(small_district)
    engine = RuleEngine(small_district)
    engine.feed([SiteVisited("crew-1", DAY0 + 10 * MS_PER_HOUR, site)])
    engine.advance_to(DAY0 + 7 * MS_PER_DAY + 23 * MS_PER_HOUR)
    assert not [e for e in _events(engine) if e[0] == "pest_overdue"]
    engine.advance_to(DAY0 + 8 * MS_PER_DAY + 1)
    assert ("pest_overdue", site, "open", DAY0 + 8 * MS_PER_DAY) in _events(engine)
    engine.feed([SiteVisited("crew-1", DAY0 + 8 * MS_PER_DAY + 2 * MS_PER_HOUR, site)])
    closed = ("pest_overdue", site, "closed", DAY0 + 8 * MS_PER_DAY + 2 * MS_PER_HOUR)
    assert closed in _events(engine)


def test_restored_open_violations_are_not_opened_again(small_district: Registry) -> None:
    """After a restart an overflow still open in InfluxDB stays open, not reopened."""
    _, device, *_ = _ids(small_district)
    first = RuleEngine(small_district)
    first.feed([BinReading(device, DAY0, 101.0)])
    opened = first.take()[0]
    second = RuleEngine(small_district)
    second.restore(RestoredState(watermark=DAY0, open_violations=opened))
    second.feed([BinReading(device, DAY0 + 60_000, 103.0)])
    assert not [e for e in _events(second) if e[0] == "bin_overflow"]
    second.feed([BinReading(device, DAY0 + 120_000, 20.0)])
    closed = second.take()[0]
    assert closed[0].state is ViolationState.CLOSED
    assert closed[0].violation_id == opened[0].violation_id


def test_a_late_reading_does_not_close_a_silence_opened_after_it(
    small_district: Registry,
) -> None:
    """A reading older than the opening of `sensor_silent` came late: it does not close
    the violation; the next reading newer than the opening does."""
    _, device, *_ = _ids(small_district)
    engine = RuleEngine(small_district, lateness_ms=0)
    engine.feed([BinReading(device, DAY0, 10.0)])
    engine.advance_to(DAY0 + 2_700_000)
    assert ("sensor_silent", device, "open", DAY0 + 2_700_000) in _events(engine)
    engine.feed([BinReading(device, DAY0 + 900_000, 11.0)])  # late: before the opening
    assert not [e for e in _events(engine) if e[0] == "sensor_silent"]
    engine.feed([BinReading(device, DAY0 + 3_000_000, 12.0)])
    assert ("sensor_silent", device, "closed", DAY0 + 3_000_000) in _events(engine)


def test_a_late_heartbeat_does_not_close_a_camera_offline_opened_after_it(
    small_district: Registry,
) -> None:
    """A camera judged offline at its grace deadline stays offline for a heartbeat
    older than the deadline; a newer one closes it."""
    *_, camera, _ = _ids(small_district)
    heartbeat_ms = small_district.camera_by_id[camera].heartbeat_s * 1000
    deadline = DAY0 + 3 * heartbeat_ms
    engine = RuleEngine(small_district, lateness_ms=0)
    engine.feed([CameraHeartbeat(camera, DAY0, True)])
    engine.advance_to(deadline)
    assert ("camera_offline", camera, "open", deadline) in _events(engine)
    engine.feed([CameraHeartbeat(camera, deadline - 1000, True)])
    assert not [e for e in _events(engine) if e[0] == "camera_offline"]
    engine.feed([CameraHeartbeat(camera, deadline + 1000, True)])
    assert ("camera_offline", camera, "closed", deadline + 1000) in _events(engine)


def test_restored_violation_times_keep_late_readings_out(small_district: Registry) -> None:
    """After a restart the last opening or closing of each violation comes back: a late
    reading older than it neither closes an open overflow nor reopens a closed one."""
    _, _, device, _, _ = _ids(small_district)
    outlet = small_district.devices[device].subject_id
    level = small_district.outlet_by_id[outlet].overflow_level_cm
    first = RuleEngine(small_district)
    first.feed([SewerReading(device, DAY0 + 600_000, level + 10)])
    opened = first.take()[0]
    engine = RuleEngine(small_district)
    engine.restore(
        RestoredState(
            watermark=DAY0 + 600_000,
            open_violations=opened,
            violation_changed={(ViolationKind.SEWER_OVERFLOW, outlet): DAY0 + 600_000},
        )
    )
    engine.feed([SewerReading(device, DAY0 + 300_000, 10.0)])  # late and low
    assert not [e for e in _events(engine) if e[0] == "sewer_overflow"]

    closed_at = DAY0 + 1_200_000
    engine = RuleEngine(small_district)
    engine.restore(
        RestoredState(
            watermark=closed_at,
            violation_changed={(ViolationKind.SEWER_OVERFLOW, outlet): closed_at},
        )
    )
    engine.feed([SewerReading(device, closed_at - 60_000, level + 10)])  # late and high
    assert not [e for e in _events(engine) if e[0] == "sewer_overflow"]
    engine.feed([SewerReading(device, closed_at + 60_000, level + 10)])
    assert [e[2:] for e in _events(engine) if e[0] == "sewer_overflow"] == [
        ("open", closed_at + 60_000)
    ]


def test_one_broken_clock_does_not_age_the_district(small_district: Registry) -> None:
    """A single device reporting years ahead does not move the rules' clock."""
    _, device, *_ = _ids(small_district)
    engine = RuleEngine(small_district)
    engine.feed([BinReading(device, DAY0, 10.0), BinReading(device, DAY0 + 400 * MS_PER_DAY, 10.0)])
    assert engine.watermark == DAY0


def test_service_options_are_checked(small_district: Registry) -> None:
    """Unknown or out-of-range options are refused when the service is made."""
    settings = Settings(env="test")
    with pytest.raises(ValueError, match="unknown ingest options"):
        IngestService(settings, small_district, bogus=1)
    with pytest.raises(ValueError, match="workers"):
        IngestService(settings, small_district, workers=0)
    with pytest.raises(ValueError, match="receive_maximum"):
        IngestService(settings, small_district, receive_maximum=70_000)


def test_fast_mqtt_properties_behave_like_pahos() -> None:
    """The shared-table property block decodes, and clears, what paho's does."""
    original = Properties(PacketTypes.PUBLISH)
    original.UserProperty = [("k", "v")]
    original.MessageExpiryInterval = 60
    packed = original.pack()
    fast = FastProperties(PacketTypes.PUBLISH)
    fast.unpack(packed)
    assert fast.UserProperty == [("k", "v")]
    assert fast.MessageExpiryInterval == 60
    assert str(fast) == str(original)
    fast.unpack(b"\x00")
    assert not hasattr(fast, "UserProperty")
    assert fast.names is FastProperties(PacketTypes.PUBLISH).names
