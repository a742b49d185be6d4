"""The fixed schedule a district without sensors runs: planned once from expected
fills, every point once a day, the same routes on every later day."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dispatch import StopKind
from core.localday import MS_PER_DAY, LocalDay
from core.plans import PlanRecord
from core.registry import Registry
from optimizer.planning import baseline
from optimizer.planning.baseline import fixed_schedule, for_day
from optimizer.planning.demand import registry_rate
from simulators.district import generate_district
from tests.optimizer.planned import CheckedPlan, PlanRecorder, left_out_at_start
from tests.optimizer.validator import validate_plan

DAY = dt.date(2026, 7, 13)


@pytest.fixture(scope="module")
def district() -> Registry:
    return generate_district(scale=0.02, seed=7)


@pytest.fixture(scope="module")
def checked(district: Registry) -> CheckedPlan:
    """The schedule, checked against the problem its plan_day call was given."""
    recorder = PlanRecorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(baseline, "plan_day", recorder)
        schedule = fixed_schedule(district, DAY, time_limit_s=6)
    return recorder.of(schedule)


@pytest.fixture(scope="module")
def schedule(checked: CheckedPlan) -> PlanRecord:
    return checked.record


def test_every_point_once(checked: CheckedPlan, district: Registry) -> None:
    """The fixed routes visit every collection point exactly once, with no second visit,
    and pass the route validator (every point: the start every search begins from
    already serves them all)."""
    schedule = checked.record
    assert checked.problems == []
    assert not checked.inputs.config.second_visits
    served = [s.stop_id for r in schedule.routes for s in r.stops if s.kind is StopKind.POINT]
    assert left_out_at_start(checked.prepared) == []
    assert sorted(served) == sorted(p.id for p in district.collection_points)
    assert schedule.kpis["second_visits"] == 0


def test_each_stop_loads_a_days_garbage(schedule: PlanRecord, district: Registry) -> None:
    """A point on a daily round holds about a day's garbage whenever its truck comes, so
    the fixed routes count that on board at every stop, at 05:00 as at 14:00. Counted
    from an empty bin at midnight instead, a point collected at 05:00 weighs a third of
    what it holds and the trucks' planned trips carry more than they can (the week at
    scale 0.05: 9.7 t on an 8 t truck)."""
    density = district.district.garbage_density_kg_per_l
    points = district.point_by_id
    early = 0
    for route in schedule.routes:
        on_board = 0.0
        for stop in route.stops:
            if stop.kind is StopKind.POINT:
                point = points[stop.stop_id]
                day_kg = registry_rate(point, district.district) * 24 / 100 * point.volume_l
                # The hourly shape and a Sunday inside the 24 h move it a little; the
                # calendar's market days raise a market's mean day above the registry's.
                high = 1.6 if point.category == "market" else 1.2
                assert 0.8 <= (stop.load_kg - on_board) / (day_kg * density) <= high, point.id
                early += stop.eta_ms < LocalDay(DAY, district.district.tz).start_ms + 7 * 3_600_000
            on_board = stop.load_kg
    assert early > 0  # the first window's points are among them


def test_later_days_drive_the_same_routes_at_the_same_clock_times(
    checked: CheckedPlan, district: Registry
) -> None:
    """Three days on, the plan and route ids name that day, every stop keeps its order
    and comes exactly three days later (so the routes keep every rule that day too)."""
    schedule = checked.record
    later = for_day(schedule, DAY + dt.timedelta(days=3))
    config = checked.inputs.config
    day = DAY + dt.timedelta(days=3)
    assert validate_plan(later.routes, district, day, config, checked.given) == []
    assert later.date == "2026-07-16"
    assert later.plan_id != schedule.plan_id
    assert "2026-07-16" in later.plan_id
    for before, after in zip(schedule.routes, later.routes, strict=True):
        assert after.route_id.startswith(later.plan_id)
        assert (after.vehicle_id, after.date) == (before.vehicle_id, "2026-07-16")
        assert after.start_ms - before.start_ms == 3 * MS_PER_DAY
        assert [s.stop_id for s in after.stops] == [s.stop_id for s in before.stops]
        assert [s.eta_ms - b.eta_ms for s, b in zip(after.stops, before.stops, strict=True)] == [
            3 * MS_PER_DAY
        ] * len(before.stops)


def test_the_planned_day_itself_is_unchanged(schedule: PlanRecord) -> None:
    """On the day it was planned for, the schedule is returned as it is."""
    assert for_day(schedule, DAY) is schedule
