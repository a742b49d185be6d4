"""The known data set of the API tests, built from `data/compliance_day.json`.

`build_case(registry)` gives the test registry (the small district with the
case's communities adjusted) and the raw points, as plain records the tests
can both write to InfluxDB and recompute compliance from on their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import at_local, parse_clock
from core.registry import Registry, registry_from_dict

SPEC_PATH = Path(__file__).parent / "data" / "compliance_day.json"
MINUTE_MS = 60_000


@dataclass
class RawPoint:
    measurement: str
    tags: dict[str, str]
    fields: dict[str, Any]
    time_ms: int


@dataclass
class Case:
    spec: dict[str, Any]
    day: date
    registry: Registry
    points: list[RawPoint] = field(default_factory=list)

    def of(self, measurement: str) -> list[RawPoint]:
        return [p for p in self.points if p.measurement == measurement]

    def write(self, influx: InfluxClient) -> int:
        return influx.write_lines(
            line(p.measurement, p.tags, p.fields, p.time_ms) for p in self.points
        )


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def _test_registry(base: Registry, spec: dict[str, Any]) -> Registry:
    raw = base.model_dump(mode="json")
    passing = spec["static_pass"]
    static = spec["static_only"]
    communities = []
    for c in raw["communities"]:
        c = {**c, **passing, "is_new": False}
        if c["id"] == static["community"]:
            c.update(is_new=static["is_new"], green_space_ratio=static["green_space_ratio"])
        communities.append(c)
    raw["communities"] = communities
    per = spec["cameras_per_community"]
    half = spec["camera_half_day"]
    kept: dict[str, int] = {}
    cameras = []
    for cam in raw["cameras"]:
        limit = half["cameras"] if cam["community_id"] == half["community"] else per
        if kept.get(cam["community_id"], 0) < limit:
            kept[cam["community_id"]] = kept.get(cam["community_id"], 0) + 1
            cameras.append(cam)
    raw["cameras"] = cameras
    return registry_from_dict(raw)


def build_case(base: Registry) -> Case:
    """The registry and every raw point of the known day (plus noise on the days around)."""
    spec = load_spec()
    day = date.fromisoformat(spec["date"])
    registry = _test_registry(base, spec)
    case = Case(spec, day, registry)
    tz = registry.district.tz

    def at(clock: str, on: date = day) -> int:
        return at_local(on, parse_clock(clock), tz)

    start = at("00:00")
    town = registry.town_of
    missing = spec["not_cleared"]
    overflow = spec["bin_overflow"]
    overflow_start = at(overflow["from"])
    overflow_end = overflow_start + overflow["readings"] * 15 * MINUTE_MS
    for point in registry.collection_points:
        tags = {
            "point_id": point.id,
            "community": point.community_id,
            "town": town(point.community_id),
        }
        if point.id != missing["point"]:
            case.points.append(
                RawPoint(
                    "clearance",
                    {**tags, "vehicle_id": "trk-x"},
                    {"fill_before_pct": 70.0},
                    at("08:00"),
                )
            )
        if point.sensor is None:
            continue
        interval_ms = point.sensor.interval_s * 1000
        for i in range(86_400_000 // interval_ms):
            t = start + i * interval_ms
            fill = 20.0 + (i % 40)
            if point.id == overflow["point"] and overflow_start <= t < overflow_end:
                fill = float(overflow["fill_pct"])
            case.points.append(
                RawPoint(
                    "bin", {**tags, "device_id": point.sensor.device_id}, {"fill_pct": fill}, t
                )
            )
    # The point that was not cleared: only a clearance after the cut-off and one the day before.
    p = registry.point_by_id[missing["point"]]
    tags = {
        "point_id": p.id,
        "community": p.community_id,
        "town": town(p.community_id),
        "vehicle_id": "trk-x",
    }
    case.points.append(
        RawPoint("clearance", tags, {"fill_before_pct": 80.0}, at(missing["late_clearance"]))
    )
    yesterday = day - timedelta(days=1)
    case.points.append(
        RawPoint(
            "clearance",
            tags,
            {"fill_before_pct": 80.0},
            at(missing["previous_day_clearance"], yesterday),
        )
    )
    # A point cleared twice counts once.
    good_point = next(pt for pt in registry.collection_points if pt.community_id == spec["good"])
    gtags = {
        "point_id": good_point.id,
        "community": spec["good"],
        "town": town(spec["good"]),
        "vehicle_id": "trk-y",
    }
    case.points.append(RawPoint("clearance", gtags, {"fill_before_pct": 50.0}, at("15:00")))
    # Noise: an overflow on the next day must not count for this day.
    noisy = registry.point_by_id[spec["noise_next_day_overflow"]]
    if noisy.sensor is not None:
        ntags = {
            "point_id": noisy.id,
            "community": noisy.community_id,
            "town": town(noisy.community_id),
            "device_id": noisy.sensor.device_id,
        }
        case.points.append(
            RawPoint("bin", ntags, {"fill_pct": 120.0}, at("01:00", day + timedelta(days=1)))
        )

    sewer = spec["sewer_overflow"]
    sewer_start = at(sewer["from"])
    for outlet in registry.sewage_outlets:
        if outlet.sensor is None:
            continue
        tags = {
            "outlet_id": outlet.id,
            "community": outlet.community_id,
            "town": town(outlet.community_id),
            "device_id": outlet.sensor.device_id,
        }
        interval_ms = outlet.sensor.interval_s * 1000
        for i in range(86_400_000 // interval_ms):
            t = start + i * interval_ms
            level = outlet.normal_level_cm
            if outlet.id == sewer["outlet"] and t >= sewer_start:
                k = (t - sewer_start) // interval_ms
                if k < len(sewer["above_overflow_cm"]):
                    level = outlet.overflow_level_cm + sewer["above_overflow_cm"][k]
            case.points.append(
                RawPoint(
                    "sewer",
                    tags,
                    {"level_cm": float(level), "overflow_level_cm": outlet.overflow_level_cm},
                    t,
                )
            )

    half = spec["camera_half_day"]
    offline_from = at(half["offline_from"])
    half_camera = next(c for c in registry.cameras if c.community_id == half["community"])
    for camera in registry.cameras:
        tags = {
            "device_id": camera.id,
            "community": camera.community_id,
            "town": town(camera.community_id),
        }
        interval_ms = camera.heartbeat_s * 1000
        for i in range(86_400_000 // interval_ms):
            t = start + i * interval_ms
            if camera.id == half_camera.id and t >= offline_from:
                if t == offline_from:  # the Last Will, then silence
                    case.points.append(RawPoint("camera", tags, {"online": 0, "recording": 0}, t))
                continue
            case.points.append(RawPoint("camera", tags, {"online": 1, "recording": 1}, t))

    overdue = spec["pest_overdue"]
    for site in registry.pest_sites:
        ago = (
            overdue["last_visit_days_ago"]
            if site.community_id == overdue["community"]
            else spec["pest_visit_days_ago"]
        )
        tags = {
            "site_id": site.id,
            "community": site.community_id,
            "town": town(site.community_id),
            "crew_id": "crew-x",
        }
        case.points.append(
            RawPoint(
                "pest_visit", tags, {"duration_min": 90}, at("10:00", day - timedelta(days=ago))
            )
        )
    _add_violations(case)
    _check_names(case)
    return case


VIOLATIONS_PATH = Path(__file__).parent / "data" / "violations.json"


def load_violations() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(VIOLATIONS_PATH.read_text(encoding="utf-8"))
    return rows


def local_ms(text: str, tz: str) -> int:
    """'YYYY-MM-DDTHH:MM' local to epoch ms."""
    day, _, clock = text.partition("T")
    return at_local(date.fromisoformat(day), parse_clock(clock), tz)


def _add_violations(case: Case) -> None:
    """Open and close events as ingest writes them, sharing a violation_id."""
    tz = case.registry.district.tz
    for v in load_violations():
        tags = {
            "kind": v["kind"],
            "community": v["community"],
            "town": case.registry.town_of(v["community"]),
            "subject": v["subject"],
        }
        fields = {"value": v["value"], "violation_id": v["violation_id"]}
        case.points.append(
            RawPoint("violation", tags, {**fields, "state": "open"}, local_ms(v["opened"], tz))
        )
        if v["closed"]:
            case.points.append(
                RawPoint(
                    "violation", tags, {**fields, "state": "closed"}, local_ms(v["closed"], tz)
                )
            )


def _check_names(case: Case) -> None:
    """The data set uses the contract's measurement and field names."""
    known = {m.name: m for m in schema.ALL_MEASUREMENTS}
    for p in case.points:
        m = known[p.measurement]
        assert set(p.fields) <= set(m.fields), p
        assert set(p.tags) <= set(m.tags), p
