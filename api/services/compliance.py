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
- static criteria from the registry: class-II toilets, green-space ratio
  (higher for new communities), service-centre area.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pandas as pd

from api.config import DEFAULT_COMPLIANCE, ComplianceThresholds
from api.services import compliance_data as data
from api.services.scope import Scope
from api.services.violation_spans import daily_totals
from core.influx import InfluxClient
from core.localday import day_start_ms, now_ms
from core.registry import Community, Registry
from core.schema import ViolationKind

log = logging.getLogger("yiju.api")

DAY_MINUTES = 1440.0
# How far back an overflow violation may have opened and still count.
OVERFLOW_LOOKBACK_DAYS = 7
# Shared by all requests; each compliance computation runs its five reads on it.
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
]


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
    at = now_ms() if at_ms is None else at_ms
    communities = scope.communities(registry)
    ids = {c.id for c in communities}
    rows = pd.DataFrame(
        [(c.id, c.name, c.town_id, d) for c in communities for d in scope.days],
        columns=["community", "name", "town", "date"],
    )
    rows = rows.set_index(["community", "date"])
    rows["points"] = _count_by_community([p.community_id for p in registry.collection_points], rows)
    # The four reads are independent; InfluxDB answers them in parallel.
    cleared = _POOL.submit(_cleared, influx, registry, scope, limits, ids)
    overflows = _POOL.submit(_overflows, influx, registry, scope, ids, at)
    cameras = _POOL.submit(_cameras, influx, registry, scope, ids, at)
    pest = _POOL.submit(_pest, influx, registry, scope, limits, ids)
    rows["points_cleared"] = cleared.result()
    by_kind = overflows.result()
    rows["exposed_minutes"] = by_kind[ViolationKind.BIN_OVERFLOW][1]
    rows["sewer_overflows"] = by_kind[ViolationKind.SEWER_OVERFLOW][0]
    rows["sewer_overflow_minutes"] = by_kind[ViolationKind.SEWER_OVERFLOW][1]
    rows["cameras"] = _count_by_community([c.community_id for c in registry.cameras], rows)
    rows["camera_availability"] = cameras.result()
    rows["pest_sites"] = _count_by_community([s.community_id for s in registry.pest_sites], rows)
    rows["pest_sites_on_schedule"] = pest.result()
    rows = rows.fillna(
        {
            "points_cleared": 0,
            "exposed_minutes": 0.0,
            "sewer_overflows": 0,
            "sewer_overflow_minutes": 0.0,
            "pest_sites_on_schedule": 0,
        }
    )
    for column in ("points", "points_cleared", "sewer_overflows", "cameras", "pest_sites"):
        rows[column] = rows[column].astype(int)
    rows["pest_sites_on_schedule"] = rows["pest_sites_on_schedule"].astype(int)
    rows["clearance_rate"] = (rows["points_cleared"] / rows["points"]).where(rows["points"] > 0)
    static = pd.DataFrame(
        [{"community": c.id, **static_criteria(c, limits)} for c in communities]
    ).set_index("community")
    rows = rows.join(static, on="community")
    rows["static_ok"] = rows[["class2_toilet_ok", "green_space_ok", "service_centre_ok"]].all(
        axis=1
    )
    failing = _failing(rows, limits)
    rows["failing"] = failing
    rows["meets_standard"] = failing.map(len) == 0
    out = rows.reset_index()[COMMUNITY_COLUMNS]
    return out.sort_values(["date", "town", "community"], ignore_index=True)


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
    grouped = communities.groupby(["town", "date"], sort=True)["meets_standard"]
    towns = grouped.agg(communities="size", meeting="sum").reset_index()
    towns["meeting"] = towns["meeting"].astype(int)
    towns["share"] = towns["meeting"] / towns["communities"]
    towns.insert(1, "name", towns["town"].map(lambda t: registry.town_by_id[t].name))
    for target in limits.town_targets:
        towns[target_column(target)] = towns["share"] >= target - 1e-9
    return towns


def target_column(target: float) -> str:
    return f"target_{round(target * 100):d}"


def _count_by_community(community_ids: list[str], rows: pd.DataFrame) -> pd.Series:
    counts = pd.Series(community_ids, dtype=object).value_counts()
    index = rows.index.get_level_values("community")
    return pd.Series(index.map(counts).fillna(0).astype(int), index=rows.index)


def _cleared(
    influx: InfluxClient,
    registry: Registry,
    scope: Scope,
    limits: ComplianceThresholds,
    ids: set[str],
) -> pd.Series:
    frame = data.clearances(influx, scope)
    cutoff = limits.rules.cutoff_time
    frame = frame[frame["clock"] <= cutoff]
    frame = frame.assign(community=frame["point_id"].map(_point_community(registry)))
    frame = frame[frame["community"].isin(ids)].drop_duplicates(["point_id", "date"])
    return frame.groupby(["community", "date"]).size()


def _overflows(
    influx: InfluxClient, registry: Registry, scope: Scope, ids: set[str], at_ms: int
) -> dict[ViolationKind, tuple[pd.Series, pd.Series]]:
    """Per kind (bin and sewer overflow): violations per community-day and their minutes."""
    kinds = (ViolationKind.BIN_OVERFLOW, ViolationKind.SEWER_OVERFLOW)
    events = data.violation_events(influx, scope, [k.value for k in kinds], OVERFLOW_LOOKBACK_DAYS)
    window_start = day_start_ms(scope.first - timedelta(days=OVERFLOW_LOOKBACK_DAYS), scope.tz)
    subjects = {
        ViolationKind.BIN_OVERFLOW: _point_community(registry),
        ViolationKind.SEWER_OVERFLOW: {o.id: o.community_id for o in registry.sewage_outlets},
    }
    out: dict[ViolationKind, tuple[pd.Series, pd.Series]] = {}
    for kind in kinds:
        counts, minutes = daily_totals(
            events[events["kind"] == kind.value], subjects[kind], scope, ids, at_ms, window_start
        )
        out[kind] = (_keyed(counts), _keyed(minutes).clip(upper=DAY_MINUTES))
    return out


def _cameras(
    influx: InfluxClient, registry: Registry, scope: Scope, ids: set[str], at_ms: int
) -> pd.Series:
    """Online heartbeats × heartbeat interval / (cameras × time passed), at most 1."""
    heartbeats: dict[str, list[int]] = {}
    for camera in registry.cameras:
        if camera.community_id in ids:
            heartbeats.setdefault(camera.community_id, []).append(camera.heartbeat_s)
    frame = data.camera_online(influx, scope)
    online = {(str(r.community), r.date): float(r.online) for r in frame.itertuples(index=False)}
    shares: dict[tuple[str, date], float] = {}
    for day in scope.days:
        observed = scope.observed_s(day, at_ms)
        if observed <= 0:
            continue
        for community, intervals in heartbeats.items():
            # Cameras of a community share the registry's heartbeat; mixed ones are averaged.
            interval = sum(intervals) / len(intervals)
            expected = len(intervals) * observed / interval
            shares[(community, day)] = min(1.0, online.get((community, day), 0.0) / expected)
    return _keyed(shares)


def _pest(
    influx: InfluxClient,
    registry: Registry,
    scope: Scope,
    limits: ComplianceThresholds,
    ids: set[str],
) -> pd.Series:
    sites = [s for s in registry.pest_sites if s.community_id in ids]
    longest = max((max(s.cycle_days_peak, s.cycle_days_normal) for s in sites), default=1)
    frame = data.pest_visits(influx, scope, longest)
    visited: dict[str, set[date]] = {}
    for site_id, day in frame.itertuples(index=False):
        visited.setdefault(str(site_id), set()).add(day)
    on_schedule: dict[tuple[str, date], int] = {}
    for day in scope.days:
        for site in sites:
            cycle = limits.rules.pest_cycle_days(
                day.month, site.cycle_days_peak, site.cycle_days_normal
            )
            window = {day - timedelta(days=i) for i in range(cycle)}
            key = (site.community_id, day)
            hit = int(bool(window & visited.get(site.id, set())))
            on_schedule[key] = on_schedule.get(key, 0) + hit
    return _keyed(on_schedule)


def _failing(rows: pd.DataFrame, limits: ComplianceThresholds) -> pd.Series:
    """The names of the criteria a community-day fails (empty: it meets the standard)."""
    checks: list[tuple[str, pd.Series]] = [
        ("clearance", rows["clearance_rate"].fillna(1.0) < limits.min_clearance_rate - 1e-9),
        ("exposed_garbage", rows["exposed_minutes"] > limits.max_exposed_minutes),
        ("sewer_overflow", rows["sewer_overflows"] > limits.max_sewer_overflows),
        (
            "camera",
            rows["camera_availability"].isna()
            | (rows["camera_availability"] < limits.min_camera_availability - 1e-9),
        ),
        ("pest_control", rows["pest_sites_on_schedule"] < rows["pest_sites"]),
        ("class2_toilet", ~rows["class2_toilet_ok"]),
        ("green_space", ~rows["green_space_ok"]),
        ("service_centre", ~rows["service_centre_ok"]),
    ]
    names = [name for name, _ in checks]
    matrix = pd.concat([mask.astype(bool) for _, mask in checks], axis=1, keys=names)
    return matrix.apply(lambda row: [n for n in names if row[n]], axis=1)


def _keyed(values: dict[tuple[str, date], float] | dict[tuple[str, date], int]) -> pd.Series:
    if not values:
        return pd.Series(
            dtype=float, index=pd.MultiIndex.from_tuples([], names=["community", "date"])
        )
    index = pd.MultiIndex.from_tuples(list(values.keys()), names=["community", "date"])
    return pd.Series(list(values.values()), index=index, dtype=float)


_POINT_COMMUNITY: dict[int, tuple[Registry, dict[str, str]]] = {}


def _point_community(registry: Registry) -> dict[str, str]:
    """point id → community id, built once per registry object."""
    cached = _POINT_COMMUNITY.get(id(registry))
    if cached is None or cached[0] is not registry:
        cached = (registry, {p.id: p.community_id for p in registry.collection_points})
        _POINT_COMMUNITY.clear()
        _POINT_COMMUNITY[id(registry)] = cached
    return cached[1]
