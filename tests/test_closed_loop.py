"""The closed loop on real Mosquitto and InfluxDB: plans dispatched, the simulated field
driving them, ingest judging the day — and the parts agreeing with each other. Every
plan of the day (the morning's, a re-plan's from where the trucks are) passes the
route validator, checked as it is made against the problems its state gave."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.influx import InfluxClient
from core.localday import MS_PER_HOUR, LocalDay
from core.registry import Registry
from core.settings import Settings
from simulators.faults import Breakdown, FaultConfig
from simulators.truth import read_truth_log
from tests.ingest.conftest import fresh_database
from tests.optimizer.planned import PlanRecorder, solve_counted
from yiju import district_run
from yiju.district_day import DayOptions, DayReport, DistrictDay
from yiju.localservices import LocalStack

DAY = date(2026, 7, 15)  # peak pest season, wet season


@pytest.fixture
def loop_db(local_stack: LocalStack, clears_retained_status: None) -> Iterator[Settings]:
    settings, admin = fresh_database(local_stack)
    yield settings
    admin.drop_database()
    admin.close()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> PlanRecorder:
    """Every plan the day makes, checked by the route validator as it is made, each
    searching for a count of solutions rather than for seconds (`solve_counted`): a
    later plan starts from what the earlier ones' routes left, so the whole day comes
    out the same however busy the machine."""
    recorder = PlanRecorder()
    monkeypatch.setattr(district_run, "plan_day", recorder)
    monkeypatch.setattr("optimizer.planning.day.solve_task", solve_counted)
    return recorder


def _run(settings: Settings, registry: Registry, **options: Any) -> DayReport:
    opts = DayOptions(
        day=DAY,
        plan_time_limit_s=8,
        ingest_group=f"loop{uuid.uuid4().hex[:6]}",
        forget_ingest_session=True,
        **options,
    )
    return DistrictDay(settings, registry, opts).run()


def _point_ids(registry: Registry) -> set[str]:
    return {p.id for p in registry.collection_points}


def test_full_fleet_clears_every_point_and_matches_the_truth_log(
    loop_db: Settings, small_district: Registry, tmp_path: Path, recorder: PlanRecorder
) -> None:
    """Planned routes clear every point, no bin_not_cleared opens, and the violations
    ingest opens are exactly the simulator's truth (precision and recall 1 per kind)."""
    truth_path = tmp_path / "truth.jsonl"
    report = _run(loop_db, small_district, seed=3, faults=FaultConfig(), truth_path=truth_path)

    made = [report.garbage_plan, report.pest_plan, *report.afternoon]
    assert [recorder.of(p).record for p in made] == made
    assert recorder.problems() == {}
    # The 16:00 look re-plans from where the state last saw each truck (waiting at its
    # depot for the evening window, here; the simulated days meet trucks elsewhere).
    assert report.afternoon
    for plan in report.afternoon:
        assert recorder.of(plan).inputs.from_s == 16 * 3600
        # Some routed truck starts from a fix (a truck idle all day reports none and
        # starts at its depot); the validator has checked every route's start.
        assert set(recorder.of(plan).given.starts) & {r.vehicle_id for r in plan.routes}
        assert plan.unserved == []
    assert report.garbage_plan.unserved == []
    assert report.simulation.rejected == 0
    assert report.figures.not_cleared == set()
    assert report.figures.clearance["cleared"].sum() == len(small_district.collection_points)
    with InfluxClient.from_settings(loop_db) as influx:
        from yiju.day_report import cleared_points

        assert cleared_points(influx, LocalDay(DAY)) == _point_ids(small_district)

    truth, faults = read_truth_log(truth_path)
    assert faults, "the day had injected faults"
    expected = Counter((v.kind.value, v.subject) for v in truth)
    got = Counter(report.figures.opened)
    for kind in {k for k, _ in expected} | {k for k, _ in got}:
        want = Counter({key: n for key, n in expected.items() if key[0] == kind})
        have = Counter({key: n for key, n in got.items() if key[0] == kind})
        true_pos = sum((want & have).values())
        precision = true_pos / max(1, sum(have.values()))
        recall = true_pos / max(1, sum(want.values()))
        assert (precision, recall) == (1.0, 1.0), (
            f"{kind}: precision {precision:.3f}, recall {recall:.3f}; "
            f"missing {dict(want - have)}, extra {dict(have - want)}"
        )
    assert report.ingest.deadlettered > 0  # the malformed share reached the dead letters


def test_half_fleet_and_a_breakdown_name_exactly_the_points_left_undone(
    loop_db: Settings, small_district: Registry, recorder: PlanRecorder
) -> None:
    """With half the trucks withheld, the plan's unserved points are exactly the ones
    flagged bin_not_cleared; when the last truck of a town breaks down mid-morning, the
    re-plan names what is left with a reason, and exactly those are flagged too. Both
    plans pass the route validator."""
    by_town: dict[str, list[str]] = {}
    for truck in small_district.trucks:
        by_town.setdefault(truck.town_id, []).append(truck.id)
    # Half of each town's trucks, rounded up: the biggest town keeps a single truck.
    withheld = tuple(t for ids in by_town.values() for t in ids[len(ids) // 2 :])
    assert len(withheld) >= len(small_district.trucks) / 2
    biggest = max(small_district.towns, key=lambda t: len(small_district.points_in(t.id)))
    (last_truck,) = (t for t in by_town[biggest.id] if t not in withheld)
    breakdown = Breakdown(last_truck, LocalDay(DAY).start_ms + 9 * MS_PER_HOUR)

    report = _run(
        loop_db,
        small_district,
        seed=5,
        faults=FaultConfig.none(),
        withheld_trucks=withheld,
        breakdown=breakdown,
        # The breakdown's re-plan is what is judged here, not the catch-up or the
        # afternoon's look, in a district whose towns do not lend each other trucks.
        catch_up_at=None,
        afternoon_replan_at=None,
        lend_trucks=0,
    )

    plan = report.garbage_plan
    assert [recorder.of(p).record for p in (plan, *report.replans)] == [plan, *report.replans]
    assert recorder.problems() == {}
    assert {r.vehicle_id for r in plan.routes}.isdisjoint(withheld)
    assert last_truck in {r.vehicle_id for r in plan.routes}
    morning_unserved = {u.stop_id for u in plan.unserved if u.kind == "point"}
    assert all(u.reason and u.detail for u in plan.unserved)
    assert (plan.extra_vehicles_needed > 0) == bool(morning_unserved)

    assert len(report.replans) == 1
    replan = report.replans[0]
    assert replan.town_id == biggest.id
    assert replan.routes == []  # the town has no truck left
    replan_unserved = {u.stop_id for u in replan.unserved if u.kind == "point"}
    assert replan_unserved, "the broken-down truck's remaining points are named"
    assert all(u.reason and u.detail for u in replan.unserved)

    town_points = {p.id for p in small_district.points_in(biggest.id)}
    assert replan_unserved < town_points  # some were cleared before the breakdown
    expected = (morning_unserved - town_points) | replan_unserved
    assert report.figures.not_cleared == expected
    cleared = report.figures.clearance["cleared"].sum()
    assert cleared == len(small_district.collection_points) - len(expected)
