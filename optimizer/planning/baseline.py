"""The fixed schedule: what a district without sensors runs, as yiju's yardstick.

Every collection point once a day, on routes planned once from the fills the
registry leads one to expect (no readings), with the same fleet, shifts and
collection windows as yiju. The same routes are driven every day; nothing is
re-planned from readings, and when a truck breaks down its remaining points wait
for the next day.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from core.dispatch import RouteDispatch, RouteStopOut
from core.localday import MS_PER_DAY, LocalDay
from core.plans import PlanRecord
from core.registry import Registry
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import plan_day
from optimizer.planning.state import DistrictState


def fixed_schedule(
    registry: Registry,
    first_day: date,
    *,
    time_limit_s: float = 60.0,
    config: PlanningConfig | None = None,
) -> PlanRecord:
    """The district's fixed garbage routes, planned once for `first_day` from expected
    fills only (an empty state: no readings, no clearances, no positions)."""
    config = config or PlanningConfig()
    # Once a day at fixed times: no second visits, no urgency from readings.
    fixed = dataclasses.replace(config, second_visits=False, daily_round_load=True)
    state = DistrictState.empty(LocalDay(first_day, registry.district.tz).start_ms)
    return plan_day(registry, state, first_day, "garbage", time_limit_s=time_limit_s, config=fixed)


def for_day(schedule: PlanRecord, day: date) -> PlanRecord:
    """The fixed routes as driven on `day`: the same stops at the same clock times,
    under a plan and route ids of that day (so crews take them as the day's routes)."""
    planned = date.fromisoformat(schedule.date)
    shift = (day - planned).days * MS_PER_DAY
    if shift == 0:
        return schedule
    plan_id = schedule.plan_id.replace(schedule.date, day.isoformat(), 1)
    routes = [_shifted(r, plan_id, day, shift) for r in schedule.routes]
    return schedule.model_copy(
        update={"plan_id": plan_id, "date": day.isoformat(), "routes": routes}
    )


def _shifted(route: RouteDispatch, plan_id: str, day: date, shift_ms: int) -> RouteDispatch:
    stops = [
        RouteStopOut(
            **{
                **s.model_dump(),
                "eta_ms": s.eta_ms + shift_ms,
                "depart_ms": s.depart_ms + shift_ms,
            }
        )
        for s in route.stops
    ]
    return route.model_copy(
        update={
            "route_id": route.route_id.replace(route.plan_id, plan_id, 1),
            "plan_id": plan_id,
            "date": day.isoformat(),
            "start_ms": route.start_ms + shift_ms,
            "end_ms": route.end_ms + shift_ms,
            "stops": stops,
        }
    )
