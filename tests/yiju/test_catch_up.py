"""The catch-up look: when the morning plan leaves points unserved because the first
window holds more deadlines than the early shifts can meet, a re-plan at the window's
end sends those points to the next window instead of leaving them for tomorrow."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from core.dispatch import StopKind
from core.localday import LocalDay, at_local
from core.plans import PlanRecord, UnservedReason, UnservedStop
from core.registry import Registry
from core.settings import Settings
from optimizer.planning.state import BinState, DistrictState
from simulators.district import generate_district
from tests.optimizer.planned import plan
from yiju.district_run import DistrictRun, RunOptions, left_by_morning, towns_of

DAY = dt.date(2026, 11, 20)
TOWN = "guicheng"


def _one_truck_town() -> Registry:
    district = generate_district(scale=0.05, seed=7)
    truck = next(t for t in district.trucks if t.town_id == TOWN)
    kept = [t for t in district.trucks if t.town_id != TOWN or t is truck]
    return district.model_copy(update={"trucks": kept})


def _unserved(stop_id: str, detail: str) -> UnservedStop:
    return UnservedStop(
        stop_id=stop_id, kind="point", reason=UnservedReason.SHIFT_LENGTH, detail=detail
    )


def _plan(day: dt.date, town_id: str | None, unserved: list[UnservedStop]) -> PlanRecord:
    return PlanRecord(
        plan_id=f"garbage-{day}-{town_id}",
        date=day.isoformat(),
        kind="garbage",
        town_id=town_id,
        created_ms=0,
        unserved=unserved,
    )


def test_left_by_morning_reads_the_days_first_plan_for_every_town() -> None:
    """Only the day's morning plan counts, and only points' first visits: a second
    visit left out, a town's later re-plan and another day's plan do not."""
    other_day = DAY - dt.timedelta(days=1)
    plans = [
        _plan(other_day, None, [_unserved("p-yesterday", "shift full")]),
        _plan(DAY, None, [_unserved("p1", "shift full"), _unserved("p2~2", "second visit: x")]),
        _plan(DAY, TOWN, [_unserved("p3", "after a breakdown")]),
        _plan(DAY, None, [_unserved("p4", "afternoon")]),
    ]
    assert [u.stop_id for u in left_by_morning(plans, DAY)] == ["p1"]
    assert left_by_morning(plans[:1], DAY) == []
    assert left_by_morning([_plan(DAY, None, [])], DAY) == []


def test_the_catch_up_names_only_the_towns_with_points_left() -> None:
    """The look re-plans the towns of the points left, found by their community or,
    without one, by their point; the other towns keep their morning routes."""
    district = generate_district(scale=0.05, seed=7)
    by_town = {t.id: district.points_in(t.id) for t in district.towns}
    a, b, untouched = sorted(by_town)[:3]
    left = [
        _unserved(by_town[a][0].id, "shift full").model_copy(
            update={"community_id": by_town[a][0].community_id}
        ),
        _unserved(by_town[b][3].id, "shift full"),  # no community: found by its point
        _unserved(by_town[a][1].id, "shift full"),
        _unserved("no-such-point", "shift full"),
    ]
    assert towns_of(district, left) == sorted([a, b])
    assert untouched not in towns_of(district, left)
    assert towns_of(district, []) == []


def test_the_look_is_scheduled_for_yiju_only(tmp_path: Path) -> None:
    """yiju looks at 07:00 each day when `catch_up_at` says so; the fixed schedule
    never re-plans."""
    settings = Settings(env="test", data_dir=tmp_path).with_dev_secrets()
    registry = generate_district(scale=0.05, seed=7)
    tz = registry.district.tz

    def looks(**options: object) -> list[int]:
        run = DistrictRun(settings, registry, RunOptions(first_day=DAY, days=2, **options))  # type: ignore[arg-type]
        return [at for at, action in run._actions(None) if action.func == run._catch_up]  # type: ignore[arg-type, attr-defined]

    seven = [at_local(DAY + dt.timedelta(days=i), dt.time(7, 0), tz) for i in range(2)]
    assert looks() == seven
    assert looks(catch_up_at=None) == []
    assert looks(policy="baseline") == []


def test_a_re_plan_at_the_first_windows_end_serves_what_the_morning_left() -> None:
    """One truck against a town whose every point is due before 07:00: the morning
    plan leaves most points unserved; re-planned at 07:00 with what the truck cleared
    by then, the points left go to the 09:00 window and most of them are served."""
    district = _one_truck_town()
    start = LocalDay(DAY).start_ms
    night = start + 3 * 3_600_000
    # 92 % at 03:00, 40 % a day: due in the first window, one visit lasts the night.
    full = {p.id: BinState(92.0, night, 40 / 24) for p in district.points_in(TOWN)}
    morning = plan(
        district,
        DistrictState(at_ms=night, bins=full),
        DAY,
        "garbage",
        TOWN,
        time_limit_s=4,
        from_ms=night,
    )
    assert morning.problems == []
    left = {u.stop_id for u in morning.record.unserved}
    assert len(left) > len(full) // 2, "one truck cannot meet the town's deadlines"

    seven = at_local(DAY, dt.time(7, 0))
    done = {
        s.stop_id: s.depart_ms
        for r in morning.record.routes
        for s in r.stops
        if s.kind is StopKind.POINT and s.depart_ms <= seven
    }
    assert done, "the truck cleared points in the first window"
    bins = {
        pid: dataclasses.replace(b, fill_pct=3.0, ts_ms=done[pid], last_cleared_ms=done[pid])
        if pid in done
        else b
        for pid, b in full.items()
    }
    again = plan(
        district,
        DistrictState(at_ms=seven, bins=bins),
        DAY,
        "garbage",
        TOWN,
        time_limit_s=4,
        from_ms=seven,
    )
    assert again.problems == []
    served = {
        s.stop_id: s.eta_ms
        for r in again.record.routes
        for s in r.stops
        if s.kind is StopKind.POINT
    }
    caught = left & set(served)
    assert len(caught) >= 15, f"the re-plan served {len(caught)} of the {len(left)} points left"
    assert min(served[p] for p in caught) >= at_local(DAY, dt.time(9, 0))
