"""Pest-control plans: due sites on their cycle, priorities, meal times, crew shifts."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dispatch import StopKind
from core.localday import LocalDay, at_local
from core.registry import PestSite, Registry
from core.schema import ViolationKind
from optimizer.distance import GreatCircle
from optimizer.planning.config import ClockWindow, PlanningConfig
from optimizer.planning.pest import due_date, pest_tasks, visit_windows
from optimizer.planning.state import DistrictState
from tests.optimizer.planned import left_out_at_start, plan

DAY = dt.date(2026, 7, 15)  # peak season: 7-day cycles
CONFIG = PlanningConfig()
SITE = PestSite(
    id="s",
    community_id="c",
    lat=23.0,
    lon=113.0,
    cycle_days_peak=7,
    cycle_days_normal=14,
    service_min=90,
)


def _ms(day: dt.date) -> int:
    return at_local(day, dt.time(10, 0))


@pytest.mark.parametrize(
    ("last_visit", "due"),
    [
        (None, DAY),  # never visited: due now
        (dt.date(2026, 7, 8), DAY),  # 7 days ago in peak season
        (dt.date(2026, 7, 10), dt.date(2026, 7, 17)),
        (dt.date(2026, 1, 5), dt.date(2026, 1, 19)),  # normal season: 14 days
    ],
)
def test_due_date(last_visit: dt.date | None, due: dt.date) -> None:
    """A site is due its cycle (peak or normal season) after its last visit."""
    from core.thresholds import DEFAULT_THRESHOLDS

    ms = _ms(last_visit) if last_visit else None
    assert due_date(SITE, ms, DAY, DEFAULT_THRESHOLDS) == due


def test_visit_windows_avoid_meals() -> None:
    """No start time lets a 90-min visit overlap 11:30–13:00 or 17:30–19:00."""
    windows = visit_windows(90 * 60, 0, CONFIG)
    meals = [w.seconds for w in CONFIG.meal_windows]
    for start in range(0, 86_400 - 5400, 300):
        allowed = any(w.open_s <= start <= w.close_s for w in windows)
        overlaps = any(start < m1 and start + 5400 > m0 for m0, m1 in meals)
        assert allowed == (not overlaps), start


def test_plan_serves_every_due_site_within_rules(small_district: Registry) -> None:
    """Nothing visited yet: every site is due and each town's crew visits them within
    its shift, with its break, away from meal times (all of them: the start every
    search begins from already does)."""
    state = DistrictState.empty(LocalDay(DAY).start_ms)
    checked = plan(small_district, state, DAY, "pest", time_limit_s=6)
    assert checked.problems == []
    record = checked.record
    sites = {s.id for s in small_district.pest_sites}
    served = {s.stop_id for r in record.routes for s in r.stops if s.kind is StopKind.SITE}
    assert served | {u.stop_id for u in record.unserved} == sites
    assert left_out_at_start(checked.prepared) == []
    assert record.kpis["coverage_pct"] == 100.0


def test_recent_visits_make_sites_optional_and_violations_raise_priority(
    small_district: Registry,
) -> None:
    """Sites visited 5 days ago are optional (due within the horizon); an open
    bin_overflow in a community multiplies its sites' prize."""
    town = "guicheng"
    sites = [s for s in small_district.pest_sites if small_district.town_of(s.community_id) == town]
    last = {s.id: _ms(DAY - dt.timedelta(days=5)) for s in sites}
    hot = sites[0].community_id
    state = DistrictState(
        at_ms=LocalDay(DAY).start_ms,
        last_pest_visit=last,
        open_violations={hot: {ViolationKind.BIN_OVERFLOW}},
    )
    tasks, unserved, mandatory, _ = pest_tasks(
        small_district, state, DAY, town, CONFIG, GreatCircle(), from_s=0, time_limit_s=2
    )
    assert mandatory == 0
    assert not unserved
    stops = [s for t in tasks for s in t.problem.stops]
    assert stops
    assert not any(s.required for s in stops)
    calm = PlanningConfig(pest_violation_boost=1.0)
    base, _, _, _ = pest_tasks(
        small_district, state, DAY, town, calm, GreatCircle(), from_s=0, time_limit_s=2
    )
    prizes = {s.id: s.prize for t in base for s in t.problem.stops}
    for s in stops:
        if s.community_id == hot:
            assert s.prize == int(prizes[s.id] * CONFIG.pest_violation_boost)


def test_meal_windows_are_configurable() -> None:
    """A configured lunch window removes its start times; clock windows validate."""
    config = PlanningConfig(meal_windows=(ClockWindow("12:00", "13:00"),))
    windows = visit_windows(3600, 0, config)
    assert [(w.open_s, w.close_s) for w in windows] == [(0, 39_600), (46_800, 86_400)]
    with pytest.raises(ValueError, match="ends before"):
        ClockWindow("13:00", "12:00")
