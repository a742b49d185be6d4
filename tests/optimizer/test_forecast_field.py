"""The plan's forecast against the simulated field it plans for (no broker): from the
bins' fills at the morning plan, the forecast expects the garbage the field puts out
by noon, once each point's own day factor (which no forecast can know) is taken out."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from core.localday import MS_PER_DAY, MS_PER_HOUR, LocalDay
from core.registry import PointCategory, Registry
from core.topics import Topics
from optimizer.planning.config import PlanningConfig
from optimizer.planning.demand import forecast
from optimizer.planning.shifts import DAY_S
from optimizer.planning.state import BinState
from simulators.engine import DistrictSim
from simulators.faults import FaultConfig

PLAN_S = 3 * 3600 + 1800  # the morning plan, 03:30
NOON_S = 12 * 3600
STEP_MS = 60_000


@pytest.mark.parametrize(
    "day",
    [date(2026, 7, 15), date(2026, 7, 16)],
    ids=["ordinary weekday", "market day"],
)
def test_forecast_expects_the_fields_morning(small_district: Registry, day: date) -> None:
    """Per category, the garbage from 03:30 to noon of a weekday that the forecast
    expects from the registry (the first day of a run: no history yet) is what the
    field puts out: the breakfast ramp at the same hours, markets' market days, the
    same mean."""
    start = LocalDay(day, small_district.district.tz).start_ms
    sim = DistrictSim(
        small_district,
        start_ms=start,
        end_ms=start + MS_PER_DAY,
        seed=5,
        faults=FaultConfig.none(),
        topics=Topics(),
    )
    sim.delivered(sim.opening())
    plan_ms = start + PLAN_S * 1000
    t, at_plan = start, sim.bins.fill
    while t < start + NOON_S * 1000:
        if t == plan_ms:
            at_plan = sim.bins.fill.copy()
        sim.delivered(sim.step(t, t + STEP_MS))
        t += STEP_MS
    bins = sim.bins
    # The day factor holds the calendar's factor and the point's own draw; only the
    # draw is left out, the calendar is the forecast's to know.
    own = bins.day_factor / bins._calendar_factor(start + MS_PER_HOUR)
    config = PlanningConfig()
    expected: dict[PointCategory, float] = defaultdict(float)
    field: dict[PointCategory, float] = defaultdict(float)
    for i, point_id in enumerate(bins.point_ids):
        point = small_district.point_by_id[point_id]
        fc = forecast(
            point,
            BinState(float(at_plan[i]), plan_ms),
            small_district.district,
            config,
            start_s=PLAN_S,
            start_ms=plan_ms,
            day_end_s=DAY_S,
            day=day,
        )
        expected[point.category] += fc.accumulated(PLAN_S, NOON_S)
        field[point.category] += float(bins.fill[i] - at_plan[i]) / float(own[i])
    assert set(field) >= {PointCategory.RESIDENTIAL, PointCategory.MARKET}
    for category, garbage in field.items():
        assert garbage / expected[category] == pytest.approx(1.0, abs=0.04), category
