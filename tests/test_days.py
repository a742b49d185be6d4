"""Keeping the standard day after day, on real Mosquitto and InfluxDB: three days of
yiju's morning plans against the fixed schedule on the same simulated days. Every
plan passes the route validator, checked as it is made against the problems its
state gave. The plans search for a count of solutions, not for seconds
(`planned.solve_counted`), so the days come out the same however busy the machine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest

from core.influx import InfluxClient
from core.localday import at_local, local_date
from core.registry import Registry
from core.thresholds import DEFAULT_THRESHOLDS
from optimizer.planning import baseline
from simulators.faults import Breakdown, FaultConfig
from tests.conftest import clear_retained_status
from tests.ingest.conftest import fresh_database
from tests.optimizer.planned import PlanRecorder, solve_counted
from tests.optimizer.validator import validate_plan
from yiju import district_run
from yiju.day_kpis import DayKpis
from yiju.district_run import (
    Policy,
    RunOptions,
    RunReport,
    left_by_morning,
    run_days,
    towns_of,
)
from yiju.localservices import LocalStack
from yiju.running_start import import_pest_history, pest_history

FIRST_DAY = date(2026, 7, 17)  # a Friday in the peak pest season: the weekend comes in
DAYS = 3


def _breakdown(registry: Registry) -> Breakdown:
    """The biggest town's first double-shifted truck breaks down at 09:00 on day 1."""
    town = max(registry.towns, key=lambda t: len(registry.points_in(t.id)))
    truck = next(t for t in registry.trucks if t.town_id == town.id and t.shift.end > "12:30")
    return Breakdown(truck.id, at_local(FIRST_DAY, time(9, 0), registry.district.tz))


def _run(
    stack: LocalStack, registry: Registry, policy: Policy, recorder: PlanRecorder
) -> RunReport:
    settings, admin = fresh_database(stack)
    try:
        options = RunOptions(
            first_day=FIRST_DAY,
            days=DAYS,
            policy=policy,
            seed=11,
            faults=FaultConfig(),
            breakdowns=(_breakdown(registry),),
            plan_time_limit_s=12,
            ingest_group=f"days{uuid.uuid4().hex[:6]}",
            forget_ingest_session=True,
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(district_run, "plan_day", recorder)
            patch.setattr(baseline, "plan_day", recorder)  # the fixed schedule's plan
            patch.setattr("optimizer.planning.day.solve_task", solve_counted)
            return run_days(settings, registry, options)
    finally:
        admin.drop_database()
        admin.close()


@pytest.fixture(scope="module")
def recorders() -> dict[str, PlanRecorder]:
    """Each policy's plans, checked by the route validator as they are made."""
    return {"yiju": PlanRecorder(), "baseline": PlanRecorder()}


@pytest.fixture(scope="module")
def week(
    local_stack: LocalStack, small_district: Registry, recorders: dict[str, PlanRecorder]
) -> Iterator[dict[str, RunReport]]:
    """Both policies over the same three days (same seed, faults and breakdowns)."""
    try:
        yield {p: _run(local_stack, small_district, p, recorders[p]) for p in ("yiju", "baseline")}
    finally:
        # Later tests' subscribers must not receive the cameras' retained statuses.
        clear_retained_status(local_stack.settings, small_district)


def _later(report: RunReport) -> list[DayKpis]:
    return [k for k in report.kpis if k.day > FIRST_DAY]


def test_every_plan_keeps_every_rule(
    week: dict[str, RunReport], recorders: dict[str, PlanRecorder], small_district: Registry
) -> None:
    """Every plan of either policy passes the route validator: yiju's morning plans,
    re-plans and afternoon looks, and the fixed schedule on each day it is driven (the
    same clock times on the problem it was planned from)."""
    for policy in ("yiju", "baseline"):
        assert recorders[policy].problems() == {}
    assert [p.record for p in recorders["yiju"].plans] == week["yiju"].plans
    # The fixed schedule is planned once, before the days; pest plans come each morning.
    (fixed,) = [p for p in recorders["baseline"].plans if p.record.kind == "garbage"]
    for plan in week["baseline"].plans:
        if plan.kind == "garbage":
            day = date.fromisoformat(plan.date)
            config = fixed.inputs.config
            assert validate_plan(plan.routes, small_district, day, config, fixed.given) == []


def test_days_after_the_first_clear_every_point(week: dict[str, RunReport]) -> None:
    """On days 2 and 3 yiju's plans clear every collection point and lose no message."""
    yiju = week["yiju"]
    assert [k.day for k in yiju.kpis] == [date(2026, 7, 17 + i) for i in range(DAYS)]
    for k in _later(yiju):
        assert k.points > 0
        assert k.points_cleared == k.points, f"{k.day}: {k.points_cleared}/{k.points} cleared"
    assert yiju.lost == 0


def test_no_pest_site_is_overdue(week: dict[str, RunReport]) -> None:
    """Every pest site due (the imported records spread over the cycle) is visited by its
    due date; some are due every day."""
    for k in week["yiju"].kpis:
        assert k.pest_overdue == 0, f"{k.day}: {k.pest_overdue} sites overdue"
        assert k.pest_visited_on_time == k.pest_due
    assert sum(k.pest_due for k in week["yiju"].kpis) > 0


def test_exposed_garbage_below_the_fixed_schedule(week: dict[str, RunReport]) -> None:
    """Each day after the first, yiju's exposed point-minutes are below the fixed
    schedule's on the same simulated day."""
    for y, b in zip(_later(week["yiju"]), _later(week["baseline"]), strict=True):
        assert y.day == b.day
        assert y.exposed_minutes < b.exposed_minutes, (
            f"{y.day}: yiju {y.exposed_minutes:.0f} vs baseline {b.exposed_minutes:.0f} min"
        )


def test_both_policies_ran_the_same_days(
    week: dict[str, RunReport], small_district: Registry
) -> None:
    """The same breakdown struck both; yiju re-planned the town (lending trucks of
    other towns when they were free), the baseline re-planned nothing and drove the
    same fixed routes each day; yiju planned every morning and looked again at 16:00,
    for every town, and at 07:00 re-planned each town its morning plan left points in,
    and no other."""
    yiju, baseline = week["yiju"], week["baseline"]
    breakdown = _breakdown(small_district)
    assert yiju.breakdowns == baseline.breakdowns == [breakdown]
    town = small_district.truck_by_id[breakdown.truck_id].town_id
    fixed = [p for p in baseline.plans if p.kind == "garbage"]
    assert len(fixed) == DAYS
    stops = [[[s.stop_id for s in r.stops] for r in p.routes] for p in fixed]
    assert stops[0] == stops[1] == stops[2]
    every_town = sorted(t.id for t in small_district.towns)
    for day in (FIRST_DAY + timedelta(days=i) for i in range(DAYS)):
        left = towns_of(small_district, left_by_morning(yiju.plans, day))
        plans = [p for p in yiju.plans if p.kind == "garbage" and p.date == day.isoformat()]
        towns = [p.town_id for p in plans if p.town_id is not None]
        # The morning plan and the afternoon look, one plan each for every town, and
        # the catch-up too when every town left points; else one catch-up per town
        # left (at 07:00), before the breakdown's re-plan (after 09:00).
        every = left == every_town
        assert sum(1 for p in plans if p.town_id is None) == 2 + every
        after_breakdown = [town] if day == FIRST_DAY else []
        assert towns == ([] if every else left) + after_breakdown, f"{day}: re-plans for {towns}"
        if after_breakdown:
            replan = [
                p
                for p in yiju.plans
                if p.kind == "garbage" and p.date == day.isoformat() and p.town_id == town
            ]
            assert breakdown.truck_id not in {r.vehicle_id for r in replan[-1].routes}


def test_running_start_imports_visit_records(
    local_stack: LocalStack, small_district: Registry
) -> None:
    """The imported records put each site's due date within its cycle from the first day,
    spread so that every day of the cycle has sites coming due."""
    visits = pest_history(small_district, FIRST_DAY, seed=3)
    assert set(visits) == {s.id for s in small_district.pest_sites}
    settings, admin = fresh_database(local_stack)
    try:
        with InfluxClient.from_settings(settings) as influx:
            assert import_pest_history(influx, small_district, visits) == len(visits)
        rows = admin.query('SELECT count("duration_min") FROM "pest_visit"')
        assert rows[0]["values"][0][1] == len(visits)
    finally:
        admin.drop_database()
        admin.close()
    tz = small_district.district.tz
    due = sorted(
        DEFAULT_THRESHOLDS.pest_due_date(ms, s.cycle_days_peak, s.cycle_days_normal, tz)
        for s in small_district.pest_sites
        for ms in [visits[s.id]]
    )
    assert all(local_date(visits[s], tz) < FIRST_DAY for s in visits)
    assert due[0] == FIRST_DAY
    cycle = small_district.pest_sites[0].cycle_days_peak
    assert due[-1] <= FIRST_DAY + timedelta(days=cycle - 1)
    if len(due) >= cycle:
        assert len(set(due)) == cycle
