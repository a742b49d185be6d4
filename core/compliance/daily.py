"""Compliance with the livable-community plan, per community and local day.

The district office's main question, and the demo's summary: `compute_compliance`
for one day (communities and towns), `compute_daily` for any scope of days.

Definitions (documented in docs/api.md):
- clearance rate: collection points with at least one clearance between the
  local day's start and the cut-off (`RuleThresholds.clearance_cutoff`) / points;
- exposed-garbage minutes: the time of the day inside `bin_overflow`
  violations (ingest opens one when a fill reading reaches
  `RuleThresholds.bin_overflow_pct` and closes it below
  `bin_overflow_clear_pct`); one still open runs to now; an overflow that
  opened up to `OVERFLOW_LOOKBACK_DAYS` before the day counts from midnight;
- sewer overflows: `sewer_overflow` violations overlapping the day (ingest
  opens one when a level reading reaches the outlet's overflow level and closes
  it `sewer_clear_margin_cm` below; one across midnight counts on both days),
  and their minutes within the day as for bins;
- camera availability: the community's online heartbeats × heartbeat
  interval / (its cameras × the time of the day passed so far), at most 1; a
  silent camera counts as offline;
- pest control on schedule: every site visited within its cycle (peak or
  normal season by the day's month), counting the day itself;
- points overflowed: distinct collection points with a `bin_overflow` violation
  opened in the day;
- static criteria from the registry: class-II toilets, green-space ratio
  (higher for new communities), service-centre area; the others are daily, and
  `failing_static` / `failing_daily` split what a community-day fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pandas as pd

from core.compliance import data
from core.compliance.counts import counts_by_community, point_community
from core.compliance.scope import Scope
from core.compliance.spans import DayKey, daily_totals, opened_per_day
from core.influx import InfluxClient
from core.localday import day_start_ms, now_ms
from core.registry import Community, Registry
from core.schema import ViolationKind
from core.standard import DEFAULT_COMPLIANCE, ComplianceThresholds

log = logging.getLogger("yiju.api")

DAY_MINUTES = 1440.0
# Violations and their minutes per community-day.
Totals = tuple[dict[DayKey, int], dict[DayKey, float]]
# How far back an overflow violation may have opened and still count.
OVERFLOW_LOOKBACK_DAYS = 7
# Shared by all requests; each compliance computation runs its four reads on it.
_POOL = ThreadPoolExecutor(max_workers=10, thread_name_prefix="yiju-compliance")

COMMUNITY_COLUMNS = [
    "community",
    "name",
    "town",
    "date",
    "points",
    "points_cleared",
    "clearance_rate",
    "exposed_minutes",
    "points_overflowed",
    "sewer_overflows",
    "sewer_overflow_minutes",
    "cameras",
    "camera_availability",
    "pest_sites",
    "pest_sites_on_schedule",
    "class2_toilet_ok",
    "green_space_ok",
    "service_centre_ok",
    "static_ok",
    "meets_standard",
    "failing",
    "daily_ok",
    "failing_daily",
    "failing_static",
]

# The criteria of `failing` read from the registry; every other one is measured per day.
STATIC_CRITERIA = ("class2_toilet", "green_space", "service_centre")


def static_criteria(community: Community, limits: ComplianceThresholds) -> dict[str, bool]:
    """The plan's static criteria for one community, from the registry."""
    green_min = (
        limits.min_green_space_ratio_new if community.is_new else limits.min_green_space_ratio
    )
    return {
        "class2_toilet_ok": community.class2_toilets >= limits.min_class2_toilets,
        "green_space_ok": community.green_space_ratio >= green_min - 1e-9,
        "service_centre_ok": community.service_centre_m2 >= limits.min_service_centre_m2,
    }


def compute_daily(
    influx: InfluxClient,
    registry: Registry,
    scope: Scope,
    limits: ComplianceThresholds = DEFAULT_COMPLIANCE,
    *,
    at_ms: int | None = None,
) -> pd.DataFrame:
    """One row per community of the scope and local day (columns `COMMUNITY_COLUMNS`)."""
    started = time.perf_counter()
    at = now_ms() if at_ms is None else at_ms
    communities = scope.communities(registry)
    ids = {c.id for c in communities}
    # The four reads are independent; InfluxDB answers them in parallel.
    cleared_job = _POOL.submit(_cleared, influx, registry, scope, limits, ids)
    overflows_job = _POOL.submit(_overflows, influx, registry, scope, ids, at)
    cameras_job = _POOL.submit(_cameras, influx, registry, scope, ids, at)
    pest_job = _POOL.submit(_pest, influx, registry, scope, limits, ids)
    cleared = cleared_job.result()
    (_, exposed), (sewer_events, sewer_minutes), overflowed = overflows_job.result()
    availability = cameras_job.result()
    on_schedule = pest_job.result()
    counts = counts_by_community(registry)
    rows = []
    for community in sorted(communities, key=lambda c: (c.town_id, c.id)):
        static = static_criteria(community, limits)
        points = counts["collection_points"].get(community.id, 0)
        for day in scope.days:
            key = (community.id, day)
            row: dict[str, Any] = {
                "community": community.id,
                "name": community.name,
                "town": community.town_id,
                "date": day,
                "points": points,
                "points_cleared": cleared.get(key, 0),
                "clearance_rate": cleared.get(key, 0) / points if points else None,
                "exposed_minutes": min(exposed.get(key, 0.0), DAY_MINUTES),
                "points_overflowed": overflowed.get(key, 0),
                "sewer_overflows": sewer_events.get(key, 0),
                "sewer_overflow_minutes": min(sewer_minutes.get(key, 0.0), DAY_MINUTES),
                "cameras": counts["cameras"].get(community.id, 0),
                "camera_availability": availability.get(key),
                "pest_sites": counts["pest_sites"].get(community.id, 0),
                "pest_sites_on_schedule": on_schedule.get(key, 0),
                **static,
                "static_ok": all(static.values()),
            }
            row["failing"] = failing(row, limits)
            row["meets_standard"] = not row["failing"]
            row["failing_static"] = [n for n in row["failing"] if n in STATIC_CRITERIA]
            row["failing_daily"] = [n for n in row["failing"] if n not in STATIC_CRITERIA]
            row["daily_ok"] = not row["failing_daily"]
            rows.append(row)
    frame = pd.DataFrame(rows, columns=COMMUNITY_COLUMNS)
    log.debug(
        "compliance %s..%s: %d communities × %d days in %.0f ms",
        scope.first,
        scope.last,
        len(communities),
        len(scope.days),
        (time.perf_counter() - started) * 1000,
    )
    return frame.sort_values(["date", "town", "community"], ignore_index=True, kind="stable")


def failing(row: Mapping[str, Any], limits: ComplianceThresholds) -> list[str]:
    """The names of the criteria a community-day fails (empty: it meets the standard)."""
    eps = 1e-9
    rate, availability = row["clearance_rate"], row["camera_availability"]
    checks = (
        ("clearance", rate is not None and rate < limits.min_clearance_rate - eps),
        ("exposed_garbage", row["exposed_minutes"] > limits.max_exposed_minutes),
        ("sewer_overflow", row["sewer_overflows"] > limits.max_sewer_overflows),
        ("camera", availability is None or availability < limits.min_camera_availability - eps),
        ("pest_control", row["pest_sites_on_schedule"] < row["pest_sites"]),
        ("class2_toilet", not row["class2_toilet_ok"]),
        ("green_space", not row["green_space_ok"]),
        ("service_centre", not row["service_centre_ok"]),
    )
    return [name for name, failed in checks if failed]


def compute_compliance(
    influx: InfluxClient,
    registry: Registry,
    day: date,
    limits: ComplianceThresholds = DEFAULT_COMPLIANCE,
    *,
    town_id: str | None = None,
    at_ms: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compliance of every community (of a town, or the district) on one local day, and
    per town the share of communities meeting the standard against the targets."""
    scope = Scope(day, day, registry.district.tz, town_id=town_id)
    communities = compute_daily(influx, registry, scope, limits, at_ms=at_ms)
    return communities, town_summary(communities, registry, limits)


def town_summary(
    communities: pd.DataFrame, registry: Registry, limits: ComplianceThresholds
) -> pd.DataFrame:
    """Per town and day: communities, how many meet the standard, the share, and one
    `target_<pct>` column per target saying whether the share reaches it."""
    tally: dict[tuple[str, date], list[int]] = {}
    for town, day, meets in zip(
        communities["town"], communities["date"], communities["meets_standard"], strict=True
    ):
        counts = tally.setdefault((town, day), [0, 0])
        counts[0] += 1
        counts[1] += int(meets)
    rows = []
    for (town, day), (total, meeting) in sorted(tally.items()):
        share = meeting / total
        row: dict[str, Any] = {
            "town": town,
            "name": registry.town_by_id[town].name,
            "date": day,
            "communities": total,
            "meeting": meeting,
            "share": share,
        }
        for target in limits.town_targets:
            row[target_column(target)] = share >= target - 1e-9
        rows.append(row)
    columns = ["town", "name", "date", "communities", "meeting", "share"]
    return pd.DataFrame(rows, columns=columns + [target_column(t) for t in limits.town_targets])


TOWN_DAY_COLUMNS = [
    "town",
    "name",
    "date",
    "communities",
    "meeting",
    "share",
    "points",
    "points_cleared",
    "clearance_rate",
    "exposed_minutes",
    "points_overflowed",
    "pest_sites",
    "pest_sites_on_schedule",
    "failing",
    "failing_static",
    "failing_daily",
    "failing_daily_only",
]
# Per town and day: sums of the communities' figures.
_SUMMED = (
    "points",
    "points_cleared",
    "exposed_minutes",
    "points_overflowed",
    "pest_sites",
    "pest_sites_on_schedule",
)


def town_daily(
    communities: pd.DataFrame, registry: Registry, limits: ComplianceThresholds
) -> pd.DataFrame:
    """Per town and day, from `compute_daily`'s rows: the communities meeting the standard
    (count, share, targets), points and points cleared (clearance rate), exposed minutes,
    points overflowed and pest sites on schedule summed, and how the failing communities
    split: `failing_static` fail a static criterion, `failing_daily` a daily one,
    `failing_daily_only` only daily ones (their registry facts hold)."""
    tally: dict[tuple[str, date], dict[str, Any]] = {}
    for row in communities.to_dict(orient="records"):
        sums = tally.setdefault(
            (row["town"], row["date"]),
            {"communities": 0, "failing": 0, "failing_static": 0, "failing_daily": 0}
            | dict.fromkeys(_SUMMED, 0),
        )
        sums["communities"] += 1
        for column in _SUMMED:
            sums[column] += row[column]
        if not row["meets_standard"]:
            sums["failing"] += 1
            sums["failing_static"] += int(not row["static_ok"])
            sums["failing_daily"] += int(not row["daily_ok"])
    rows = []
    for (town, day), sums in sorted(tally.items()):
        share = (sums["communities"] - sums["failing"]) / sums["communities"]
        out: dict[str, Any] = {
            "town": town,
            "name": registry.town_by_id[town].name,
            "date": day,
            **sums,
            "meeting": sums["communities"] - sums["failing"],
            "share": share,
            "clearance_rate": sums["points_cleared"] / sums["points"] if sums["points"] else None,
            "failing_daily_only": sums["failing"] - sums["failing_static"],
        }
        for target in limits.town_targets:
            out[target_column(target)] = share >= target - 1e-9
        rows.append(out)
    targets = [target_column(t) for t in limits.town_targets]
    return pd.DataFrame(rows, columns=TOWN_DAY_COLUMNS + targets)


def target_column(target: float) -> str:
    return f"target_{round(target * 100):d}"


def _cleared(
    influx: InfluxClient,
    registry: Registry,
    scope: Scope,
    limits: ComplianceThresholds,
    ids: set[str],
) -> dict[DayKey, int]:
    """Points cleared by the cut-off, per community and day."""
    frame = data.clearances(influx, scope)
    cutoff = limits.rules.cutoff_time
    community_of = point_community(registry)
    seen: set[tuple[str, date]] = set()
    out: dict[DayKey, int] = {}
    for point_id, day, clock in zip(frame["point_id"], frame["date"], frame["clock"], strict=True):
        community = community_of.get(point_id)
        if community not in ids or clock > cutoff or (point_id, day) in seen:
            continue
        seen.add((point_id, day))
        key = (community, day)
        out[key] = out.get(key, 0) + 1
    return out


def _overflows(
    influx: InfluxClient, registry: Registry, scope: Scope, ids: set[str], at_ms: int
) -> tuple[Totals, Totals, dict[DayKey, int]]:
    """(violations, minutes) per community-day for bin overflows, then sewer overflows,
    then the points with a bin overflow opened per community-day."""
    kinds = (ViolationKind.BIN_OVERFLOW, ViolationKind.SEWER_OVERFLOW)
    events = data.violation_events(influx, scope, [k.value for k in kinds], OVERFLOW_LOOKBACK_DAYS)
    window_start = day_start_ms(scope.first - timedelta(days=OVERFLOW_LOOKBACK_DAYS), scope.tz)
    subjects = {
        ViolationKind.BIN_OVERFLOW: point_community(registry),
        ViolationKind.SEWER_OVERFLOW: {o.id: o.community_id for o in registry.sewage_outlets},
    }
    of_kind = {kind: events[events["kind"] == kind.value] for kind in kinds}
    bins, sewers = kinds
    return (
        daily_totals(of_kind[bins], subjects[bins], scope, ids, at_ms, window_start),
        daily_totals(of_kind[sewers], subjects[sewers], scope, ids, at_ms, window_start),
        opened_per_day(of_kind[bins], subjects[bins], scope, ids),
    )


def _cameras(
    influx: InfluxClient, registry: Registry, scope: Scope, ids: set[str], at_ms: int
) -> dict[DayKey, float]:
    """Online heartbeats × heartbeat interval / (cameras × time passed), at most 1."""
    heartbeats: dict[str, list[int]] = {}
    for camera in registry.cameras:
        if camera.community_id in ids:
            heartbeats.setdefault(camera.community_id, []).append(camera.heartbeat_s)
    frame = data.camera_online(influx, scope)
    online = {
        (str(c), d): float(v)
        for c, d, v in zip(frame["community"], frame["date"], frame["online"], strict=True)
    }
    shares: dict[DayKey, float] = {}
    for day in scope.days:
        observed = scope.observed_s(day, at_ms)
        if observed <= 0:
            continue
        for community, intervals in heartbeats.items():
            # Cameras of a community share the registry's heartbeat; mixed ones are averaged.
            interval = sum(intervals) / len(intervals)
            expected = len(intervals) * observed / interval
            shares[(community, day)] = min(1.0, online.get((community, day), 0.0) / expected)
    return shares


def _pest(
    influx: InfluxClient,
    registry: Registry,
    scope: Scope,
    limits: ComplianceThresholds,
    ids: set[str],
) -> dict[DayKey, int]:
    """Sites visited within their cycle (counting the day itself), per community and day."""
    sites = [s for s in registry.pest_sites if s.community_id in ids]
    longest = max((max(s.cycle_days_peak, s.cycle_days_normal) for s in sites), default=1)
    frame = data.pest_visits(influx, scope, longest)
    visited: dict[str, set[date]] = {}
    for site_id, day in zip(frame["site_id"], frame["date"], strict=True):
        visited.setdefault(str(site_id), set()).add(day)
    on_schedule: dict[DayKey, int] = {}
    for day in scope.days:
        for site in sites:
            cycle = limits.rules.pest_cycle_days(
                day.month, site.cycle_days_peak, site.cycle_days_normal
            )
            days = visited.get(site.id, set())
            hit = any(day - timedelta(days=i) in days for i in range(cycle))
            key = (site.community_id, day)
            on_schedule[key] = on_schedule.get(key, 0) + int(hit)
    return on_schedule
