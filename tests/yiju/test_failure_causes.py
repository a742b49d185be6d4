"""Why a community failed the standard: the injected faults behind each criterion."""

from __future__ import annotations

from datetime import date

import pytest

from core.localday import MS_PER_HOUR, day_start_ms
from core.registry import Registry
from simulators.faults import FaultKind
from simulators.truth import FaultRecord
from yiju.failure_causes import NO_FAULT, explain

DAY = date(2026, 7, 15)


@pytest.fixture
def noon(small_district: Registry) -> int:
    return day_start_ms(DAY, small_district.district.tz) + 12 * MS_PER_HOUR


def test_each_failed_criterion_is_named_with_its_fault(small_district: Registry, noon: int) -> None:
    """A recorder outage explains a community's cameras, a storm over its town its
    sewer overflow, a broken truck of its town its exposed garbage; a static criterion
    is said to be the registry's; a fault on another day or town explains nothing."""
    community = small_district.communities[0]
    camera = next(c for c in small_district.cameras if c.community_id == community.id)
    truck = next(t for t in small_district.trucks if t.town_id == community.town_id)
    other_town = next(t.id for t in small_district.towns if t.id != community.town_id)
    faults = [
        FaultRecord(noon, FaultKind.NVR_OUTAGE, camera.nvr_id, "recorder down for 120 min"),
        FaultRecord(noon, FaultKind.STORM, community.town_id, "rain over the town"),
        FaultRecord(noon, FaultKind.TRUCK_BREAKDOWN, truck.id, "broke down"),
        FaultRecord(noon, FaultKind.STORM, other_town, "rain elsewhere"),
        FaultRecord(noon - 24 * MS_PER_HOUR, FaultKind.TRUCK_BREAKDOWN, truck.id, "yesterday"),
    ]
    failing = {community.id: "camera, sewer_overflow, exposed_garbage, green_space"}
    (lines,) = explain(DAY, failing, faults, small_district).values()
    camera_line, sewer_line, garbage_line, static_line = lines
    assert camera_line.startswith("camera: nvr_outage ")
    assert camera.nvr_id in camera_line
    assert sewer_line == f"sewer_overflow: storm {community.town_id} (rain over the town)"
    assert garbage_line == f"exposed_garbage: truck_breakdown {truck.id} (broke down)"
    assert static_line == "green_space: a static criterion of the registry"


def test_a_failure_without_a_fault_is_the_plans(small_district: Registry) -> None:
    """With no fault behind it, a failed daily criterion is put down to the plan."""
    community = small_district.communities[0]
    (lines,) = explain(DAY, {community.id: "pest_control"}, [], small_district).values()
    assert lines == [f"pest_control: {NO_FAULT}"]


def test_exposed_garbage_names_its_points(small_district: Registry) -> None:
    """Exposed garbage with no fault behind it names the points that overflowed, the
    longest first, three at most."""
    community = small_district.communities[0]
    minutes = {"p1": 5.0, "p2": 50.0, "p3": 20.0, "p4": 1.0}
    (lines,) = explain(
        DAY, {community.id: "exposed_garbage"}, [], small_district, {community.id: minutes}
    ).values()
    assert lines == [
        f"exposed_garbage: {NO_FAULT}",
        "  overflowed: p2 50 min, p3 20 min, p1 5 min and 1 more",
    ]


def test_a_silent_sensor_explains_only_its_own_point(small_district: Registry, noon: int) -> None:
    """A silent sensor of one point does not explain another point's overflow."""
    community = small_district.communities[0]
    silent, overflowed = [
        p for p in small_district.collection_points if p.community_id == community.id
    ][:2]
    assert silent.sensor is not None
    faults = [FaultRecord(noon, FaultKind.SILENT, silent.sensor.device_id, "silent 3 h")]
    failing = {community.id: "exposed_garbage"}
    (other,) = explain(
        DAY, failing, faults, small_district, {community.id: {overflowed.id: 9.0}}
    ).values()
    assert other[0] == f"exposed_garbage: {NO_FAULT}"
    (own,) = explain(
        DAY, failing, faults, small_district, {community.id: {silent.id: 9.0}}
    ).values()
    assert own[0] == f"exposed_garbage: silent {silent.sensor.device_id} (silent 3 h)"
