"""The standard's figures per local day, read from InfluxDB, for any run of days.

What a district buys yiju for is measured here, the same way for yiju's plans and
for the fixed-schedule baseline: daily clearance, exposed garbage, pest control on
schedule and the communities meeting the standard come from the API's compliance
formula (`core.compliance.daily.compute_daily`, one formula, not two); the rest
(points that overflowed, pest sites due, truck-km and truck-hours) from the same
measurements the boards read. Plan seconds come from the plan records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core import schema
from core.compliance import data
from core.compliance.daily import compute_daily
from core.compliance.scope import Scope
from core.compliance.spans import spans
from core.influx import InfluxClient, quote_ident
from core.localday import MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, day_start_ms, local_date
from core.plans import PlanRecord
from core.registry import Registry
from core.schema import ViolationKind
from core.standard import DEFAULT_COMPLIANCE, ComplianceThresholds
from core.thresholds import RuleThresholds

# Criteria the registry decides (a community cannot fix them by operations).
STATIC_CRITERIA = frozenset({"class2_toilet", "green_space", "service_centre"})
# Positions are published along straight legs; roads are longer by this factor (the
# optimizer's default detour, optimizer/planning/config.py).
ROAD_DETOUR = 1.3
EARTH_RADIUS_M = 6_371_000.0
# How far back a pest visit may lie and still decide a site's due date.
PEST_LOOKBACK_DAYS = 31


@dataclass(frozen=True, slots=True)
class DayKpis:
    """One local day of one policy, district-wide."""

    day: date
    points: int
    points_cleared: int
    points_overflowed: int
    exposed_minutes: float
    pest_due: int  # sites whose due date (from earlier visits) is this day or before
    pest_visited_on_time: int  # of those, visited this day (none were late)
    pest_overdue: int  # sites outside their cycle at the end of the day
    truck_km: float
    truck_hours: float
    plan_s: float
    communities: int
    meeting_standard: int
    failing_static: int  # communities failing a registry criterion
    failing_daily: int  # communities whose static criteria pass but a daily one fails
    unserved_named: int  # stops the day's plans named as unserved
    failing_reasons: dict[str, str] = field(default_factory=dict)  # community → criteria
    # community → collection point → minutes of exposed garbage that day
    overflowed_points: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def clearance(self) -> float:
        return self.points_cleared / self.points if self.points else 1.0

    def row(self) -> dict[str, object]:
        out = asdict(self)
        out.pop("failing_reasons")
        out.pop("overflowed_points")
        out["clearance"] = self.clearance
        return out


def day_kpis(
    influx: InfluxClient,
    registry: Registry,
    days: Sequence[date],
    plans: Iterable[PlanRecord] = (),
    *,
    at_ms: int,
    limits: ComplianceThresholds = DEFAULT_COMPLIANCE,
) -> list[DayKpis]:
    """The figures of each of `days` (consecutive local days), judged at `at_ms`."""
    if not days:
        return []
    tz = registry.district.tz
    scope = Scope(min(days), max(days), tz)
    daily = compute_daily(influx, registry, scope, at_ms=at_ms, limits=limits)
    overflows = _overflows(influx, scope, at_ms)
    pest = _pest_due(influx, registry, scope, limits.rules)
    driven = _driven(influx, scope)
    plan_s, unserved = _plan_figures(plans)
    out = []
    for day in scope.days:
        rows = daily[daily["date"] == day]
        reasons = {
            str(c): ", ".join(f)
            for c, f in zip(rows["community"], rows["failing"], strict=True)
            if len(f)
        }
        static = sum(1 for f in rows["failing"] if STATIC_CRITERIA & set(f))
        daily_only = sum(1 for f in rows["failing"] if f and not STATIC_CRITERIA & set(f))
        due, on_time = pest.get(day, (0, 0))
        km, hours = driven.get(day, (0.0, 0.0))
        out.append(
            DayKpis(
                day=day,
                points=int(rows["points"].sum()),
                points_cleared=int(rows["points_cleared"].sum()),
                points_overflowed=sum(len(p) for p in overflows[day].values()),
                exposed_minutes=float(rows["exposed_minutes"].sum()),
                pest_due=due,
                pest_visited_on_time=on_time,
                pest_overdue=int((rows["pest_sites"] - rows["pest_sites_on_schedule"]).sum()),
                truck_km=km,
                truck_hours=hours,
                plan_s=plan_s.get(day, 0.0),
                communities=len(rows),
                meeting_standard=int(rows["meets_standard"].sum()),
                failing_static=static,
                failing_daily=daily_only,
                unserved_named=unserved.get(day, 0),
                failing_reasons=reasons,
                overflowed_points=overflows[day],
            )
        )
    return out


def frame(kpis: Sequence[DayKpis]) -> pd.DataFrame:
    """The figures as a table, one row per day."""
    return pd.DataFrame([k.row() for k in kpis])


Overflows = dict[date, dict[str, dict[str, float]]]  # day → community → point → minutes


def _overflows(influx: InfluxClient, scope: Scope, at_ms: int) -> Overflows:
    """Per day, community and collection point: the minutes of exposed garbage."""
    events = data.violation_events(influx, scope, [ViolationKind.BIN_OVERFLOW.value], 7)
    out: Overflows = {day: {} for day in scope.days}
    window = day_start_ms(scope.first - timedelta(days=7), scope.tz)
    for opened, closed, subject, community in spans(events).values():
        begin = window if opened is None else opened
        end = min(at_ms if closed is None else closed, at_ms)
        for day in scope.days:
            start = day_start_ms(day, scope.tz)
            overlap = min(end, start + MS_PER_DAY) - max(begin, start)
            if overlap > 0:
                points = out[day].setdefault(community, {})
                points[subject] = points.get(subject, 0.0) + overlap / MS_PER_MINUTE
    return out


def _pest_due(
    influx: InfluxClient, registry: Registry, scope: Scope, thresholds: RuleThresholds
) -> dict[date, tuple[int, int]]:
    """Per day: sites due that day or earlier (by their visits before the day), and how
    many of them were visited that day."""
    visits = data.pest_visits(influx, scope, PEST_LOOKBACK_DAYS)
    by_site: dict[str, list[date]] = {}
    for site, day in zip(visits["site_id"], visits["date"], strict=True):
        by_site.setdefault(str(site), []).append(day)
    out: dict[date, tuple[int, int]] = {}
    for day in scope.days:
        due = visited = 0
        for site in registry.pest_sites:
            seen = by_site.get(site.id, [])
            before = [d for d in seen if d < day]
            if not before:
                continue  # no record: not judged (the running start imports them)
            last = max(before)
            cycle = thresholds.pest_cycle_days(
                last.month, site.cycle_days_peak, site.cycle_days_normal
            )
            if last + timedelta(days=cycle) <= day:
                due += 1
                visited += day in seen
        out[day] = (due, visited)
    return out


def _driven(influx: InfluxClient, scope: Scope) -> dict[date, tuple[float, float]]:
    """Per day: truck-km (the positions' legs × the road detour) and truck-hours (each
    truck's first to last position of the day)."""
    where, params = scope.where()
    series = influx.query(
        f'SELECT "lat", "lon" FROM {quote_ident(schema.VEHICLE_POSITION.name)} '
        f'WHERE {where} GROUP BY "vehicle_id"',
        params=params,
    )
    km: dict[date, float] = {}
    hours: dict[date, float] = {}
    for s in series:
        values = s.get("values") or []
        if not values:
            continue
        cols = list(s["columns"])
        t = np.array([v[cols.index("time")] for v in values], dtype=np.int64)
        lat = np.radians(np.array([v[cols.index("lat")] for v in values], dtype=float))
        lon = np.radians(np.array([v[cols.index("lon")] for v in values], dtype=float))
        days = np.array([local_date(int(ms), scope.tz).toordinal() for ms in t])
        legs = _haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        for ordinal in np.unique(days):
            day = date.fromordinal(int(ordinal))
            idx = np.nonzero(days == ordinal)[0]
            inside = legs[idx[:-1]] if len(idx) > 1 else np.zeros(0)
            km[day] = km.get(day, 0.0) + float(inside.sum()) * ROAD_DETOUR / 1000
            hours[day] = hours.get(day, 0.0) + (t[idx[-1]] - t[idx[0]]) / MS_PER_HOUR
    return {day: (km.get(day, 0.0), hours.get(day, 0.0)) for day in scope.days}


def _haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1))))


def _plan_figures(plans: Iterable[PlanRecord]) -> tuple[dict[date, float], dict[date, int]]:
    """Per day: planning seconds (morning plans and re-plans) and distinct stops named
    unserved by any of the day's plans."""
    seconds: dict[date, float] = {}
    unserved: dict[date, set[str]] = {}
    for record in plans:
        day = date.fromisoformat(record.date)
        solve = record.kpis.get("solve_s", 0.0)
        seconds[day] = seconds.get(day, 0.0) + (0.0 if math.isnan(solve) else solve)
        unserved.setdefault(day, set()).update(u.stop_id for u in record.unserved)
    return seconds, {day: len(ids) for day, ids in unserved.items()}
