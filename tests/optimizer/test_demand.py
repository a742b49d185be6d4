"""Fill forecast of a collection point: rate, fill at the plan's start, overflow time."""

from __future__ import annotations

import pytest

from core.registry import BinSize, CollectionPoint, District
from optimizer.demand import forecast, registry_rate
from optimizer.params import PlanningConfig
from optimizer.state import BinState

POINT = CollectionPoint(
    id="p",
    community_id="c",
    served_population=240,
    lat=23.0,
    lon=113.0,
    bins=[BinSize(volume_l=240, count=4)],
)
DISTRICT = District()
CONFIG = PlanningConfig()
HOUR_MS = 3_600_000


def test_registry_rate() -> None:
    """240 residents × 1.15 kg ÷ 0.3 kg/L = 920 L a day in 960 L: ~4 % an hour."""
    assert registry_rate(POINT, DISTRICT) == pytest.approx(920 / 960 * 100 / 24)


@pytest.mark.parametrize(
    ("reading", "start_s", "fill", "overflow_s"),
    [
        (BinState(50.0, 0, 10.0), 0, 50.0, 5 * 3600),  # 50 % + 10 %/h: full at 05:00
        (BinState(50.0, 0, 10.0), 3600, 60.0, 5 * 3600),  # projected to the plan's start
        (BinState(100.0, 0, 1.0), 0, 100.0, 0),  # already full: overflowing now
        (BinState(10.0, 0, 1.0), 0, 10.0, None),  # not full before the day ends
        (BinState(130.0, 0, None), 0, 130.0, 0),  # no rate measured: registry's rate
    ],
)
def test_forecast(reading: BinState, start_s: int, fill: float, overflow_s: int | None) -> None:
    """Fill at the start from the last reading and its rate; overflow time when today."""
    fc = forecast(
        POINT, reading, DISTRICT, CONFIG, start_s=start_s, start_ms=start_s * 1000, day_end_s=86_400
    )
    assert fc.fill_pct == pytest.approx(fill)
    assert fc.overflow_s == overflow_s


def test_demand_is_capped_and_in_kg() -> None:
    """Demand = fill at the visit × volume × density, piled garbage capped at 130 %."""
    fc = forecast(
        POINT, BinState(50.0, 0, 10.0), DISTRICT, CONFIG, start_s=0, start_ms=0, day_end_s=86_400
    )
    assert fc.demand_kg(3600 * 2, 0, 130.0, 0.3) == 202  # 70 % of 960 L × 0.3
    assert fc.demand_kg(3600 * 20, 0, 130.0, 0.3) == 375  # capped at 130 %
