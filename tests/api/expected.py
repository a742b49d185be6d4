"""Compliance recomputed from the raw points with plain loops, independently of the
API's queries and pandas code, following the definitions in docs/api.md."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.localday import at_local, day_start_ms, local_date
from core.thresholds import DEFAULT_THRESHOLDS
from tests.api.dataset import Case


def expected_compliance(case: Case, day: date) -> dict[str, dict[str, Any]]:
    reg, rules = case.registry, DEFAULT_THRESHOLDS
    tz = reg.district.tz
    start = day_start_ms(day, tz)
    end = day_start_ms(day + timedelta(days=1), tz)
    cutoff = at_local(day, rules.cutoff_time, tz)
    out: dict[str, dict[str, Any]] = {}
    for c in reg.communities:
        points = [p for p in reg.collection_points if p.community_id == c.id]
        point_ids = {p.id for p in points}
        cleared = {
            p.tags["point_id"]
            for p in case.of("clearance")
            if p.tags["point_id"] in point_ids and start <= p.time_ms <= cutoff
        }
        # Exposed garbage and sewer overflows: the day's share of the violations' spans.
        _, exposed = _overlap(case, "bin_overflow", point_ids, start, end)
        outlets = {o.id for o in reg.sewage_outlets if o.community_id == c.id}
        events, sewer_minutes = _overlap(case, "sewer_overflow", outlets, start, end)
        cameras = [cam for cam in reg.cameras if cam.community_id == c.id]
        shares = []
        for cam in cameras:
            online = sum(
                r.fields["online"]
                for r in case.of("camera")
                if r.tags["device_id"] == cam.id and start <= r.time_ms < end
            )
            shares.append(min(1.0, online * cam.heartbeat_s / 86_400))
        sites = [s for s in reg.pest_sites if s.community_id == c.id]
        on_schedule = 0
        for site in sites:
            cycle = (
                site.cycle_days_peak
                if day.month in rules.pest_peak_months
                else site.cycle_days_normal
            )
            visits = {
                local_date(v.time_ms, tz)
                for v in case.of("pest_visit")
                if v.tags["site_id"] == site.id
            }
            on_schedule += any(day - timedelta(days=cycle - 1) <= v <= day for v in visits)
        green_min = 0.30 if c.is_new else 0.25
        static_ok = (
            c.class2_toilets >= 1 and c.green_space_ratio >= green_min and c.service_centre_m2 >= 80
        )
        availability = sum(shares) / len(shares) if shares else None
        daily_ok = (
            len(cleared) == len(points)
            and exposed == 0
            and events == 0
            and availability is not None
            and availability >= 0.95
            and on_schedule == len(sites)
        )
        meets = daily_ok and static_ok
        # Distinct points with a bin overflow opened within the day.
        overflowed = {
            v.tags["subject"]
            for v in case.of("violation")
            if v.tags["kind"] == "bin_overflow"
            and v.tags["subject"] in point_ids
            and v.fields["state"] == "open"
            and start <= v.time_ms < end
        }
        out[c.id] = {
            "points": len(points),
            "points_cleared": len(cleared),
            "clearance_rate": len(cleared) / len(points),
            "exposed_minutes": exposed,
            "points_overflowed": len(overflowed),
            "sewer_overflows": events,
            "sewer_overflow_minutes": sewer_minutes,
            "cameras": len(cameras),
            "camera_availability": availability,
            "pest_sites": len(sites),
            "pest_sites_on_schedule": on_schedule,
            "static_ok": static_ok,
            "daily_ok": daily_ok,
            "meets_standard": meets,
        }
    return out


def expected_town_days(case: Case, days: list[date]) -> dict[tuple[str, date], dict[str, Any]]:
    """Per (town, day): the communities' expected figures summed and counted."""
    out: dict[tuple[str, date], dict[str, Any]] = {}
    for day in days:
        for community, row in expected_compliance(case, day).items():
            town = case.registry.town_of(community)
            sums = out.setdefault(
                (town, day),
                {"communities": 0, "meeting": 0, "points": 0, "points_cleared": 0,
                 "exposed_minutes": 0.0, "points_overflowed": 0, "pest_sites": 0,
                 "pest_sites_on_schedule": 0, "failing": 0, "failing_static": 0,
                 "failing_daily": 0, "failing_daily_only": 0},
            )  # fmt: skip
            sums["communities"] += 1
            for name in ("points", "points_cleared", "exposed_minutes", "points_overflowed",
                         "pest_sites", "pest_sites_on_schedule"):  # fmt: skip
                sums[name] += row[name]
            if row["meets_standard"]:
                sums["meeting"] += 1
            else:
                sums["failing"] += 1
                sums["failing_static"] += not row["static_ok"]
                sums["failing_daily"] += not row["daily_ok"]
                sums["failing_daily_only"] += row["static_ok"]
    return out


def _overlap(case: Case, kind: str, subjects: set[str], start: int, end: int) -> tuple[int, float]:
    """How many violations of `kind` on `subjects` overlap [start, end), and for how long."""
    events = [
        v for v in case.of("violation") if v.tags["kind"] == kind and v.tags["subject"] in subjects
    ]
    count, minutes = 0, 0.0
    for violation_id in {v.fields["violation_id"] for v in events}:
        mine = [v for v in events if v.fields["violation_id"] == violation_id]
        opened = min(v.time_ms for v in mine if v.fields["state"] == "open")
        closes = [v.time_ms for v in mine if v.fields["state"] == "closed"]
        closed = min(closes) if closes else end
        overlap = min(closed, end) - max(opened, start)
        if overlap > 0:
            count += 1
            minutes += overlap / 60_000
    return count, minutes
