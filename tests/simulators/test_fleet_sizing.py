"""The fleet sizing: trucks and pest crews per town from the town's work."""

from __future__ import annotations

from datetime import date

import pytest

from core.localday import LocalDay
from core.registry import (
    BinSize,
    CollectionPoint,
    Depot,
    District,
    PestSite,
    PointCategory,
    Registry,
    Shift,
    TransferStation,
)
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import plan_day
from optimizer.planning.shifts import shift_break, shift_window
from optimizer.planning.state import DistrictState
from simulators.district import generate_district
from simulators.fleet_sizing import (
    COLLECTION_WINDOWS,
    DOUBLE_SHIFT,
    EARLY_SHIFT,
    LATE_SHIFT,
    MEAL_WINDOWS,
    PEST_SHIFT,
    SizingFigures,
    TownFleet,
    free_hours,
    shift_hours,
    size_town,
    truck_sizes,
)

DISTRICT = District()
STATION = TransferStation(
    id="ts", town_id="t", name="ts", lat=23.05, lon=113.12, capacity_t_per_day=500
)
DEPOT = Depot(id="dep", town_id="t", name="dep", lat=23.0, lon=113.1)


def _points(
    count: int, *, category: PointCategory = PointCategory.RESIDENTIAL, bins: int = 3
) -> list[CollectionPoint]:
    """`count` points of 300 residents on a 150 m grid north-east of the depot."""
    side = max(1, round(count**0.5))
    return [
        CollectionPoint(
            id=f"p{i}",
            community_id="c",
            category=category,
            served_population=300,
            bins=[BinSize(volume_l=660, count=bins)],
            lat=23.0 + (i // side) * 0.00135,
            lon=113.1 + (i % side) * 0.00147,
        )
        for i in range(count)
    ]


def _sites(count: int) -> list[PestSite]:
    """`count` pest sites of two-hour visits, 1.1 km apart."""
    return [
        PestSite(id=f"s{i}", community_id="c", lat=23.0 + i * 0.01, lon=113.1, service_min=120)
        for i in range(count)
    ]


def _size(points: list[CollectionPoint], sites: list[PestSite] | None = None) -> TownFleet:
    return size_town("t", points, [STATION], [DEPOT], sites or _sites(2), DISTRICT)


def _town_fleets(registry: Registry) -> list[TownFleet]:
    return [
        size_town(
            town.id,
            registry.points_in(town.id),
            [s for s in registry.transfer_stations if s.town_id == town.id],
            [d for d in registry.depots if d.town_id == town.id],
            [s for s in registry.pest_sites if registry.town_of(s.community_id) == town.id],
            registry.district,
        )
        for town in registry.towns
    ]


@pytest.fixture(scope="module")
def full_district() -> Registry:
    return generate_district(scale=1.0, seed=1)


@pytest.mark.parametrize(
    ("shift", "on_duty_h", "window_h"),
    [(EARLY_SHIFT, 7.5, 6.0), (LATE_SHIFT, 7.5, 5.0), (DOUBLE_SHIFT, 16.0, 11.0)],
)
def test_shift_hours_count_only_window_time_for_serving(
    shift: Shift, on_duty_h: float, window_h: float
) -> None:
    """A shift gives its hours less the break, and serves only inside the windows."""
    hours = shift_hours(shift, COLLECTION_WINDOWS)
    assert (hours.on_duty_h, hours.window_h) == (on_duty_h, window_h)
    assert hours.work_h(1.0) == window_h
    assert hours.work_h(0.5) == on_duty_h


def test_pest_crew_day_leaves_out_break_and_meals() -> None:
    """08:30–17:30 less a 12:00 hour's break inside the 11:30–13:00 meal is 7.5 h."""
    assert free_hours(PEST_SHIFT, MEAL_WINDOWS) == 7.5
    assert free_hours(PEST_SHIFT, ()) == 8.0


def test_figures_copied_from_the_optimizer_match_it() -> None:
    """The sizing's plan figures are PlanningConfig's (optimizer/planning/config.py)."""
    config = PlanningConfig()
    figures = SizingFigures()
    assert tuple((w.start, w.end) for w in config.collection_windows) == COLLECTION_WINDOWS
    assert tuple((w.start, w.end) for w in config.meal_windows) == MEAL_WINDOWS
    assert figures.service_s_per_bin == config.service_s_per_bin
    assert figures.service_s_per_point == config.service_s_per_point
    assert (figures.speed_kmh, figures.detour) == (config.speed_kmh, config.detour)


def test_double_shift_is_one_long_window_with_a_crew_change() -> None:
    """The optimizer reads the double shift as 04:30–21:00 with a movable 30-min break."""
    window = shift_window(DOUBLE_SHIFT, 0)
    assert window is not None
    assert (window.open_s, window.close_s) == (4 * 3600 + 1800, 21 * 3600)
    rest = shift_break(DOUBLE_SHIFT, window, 3600)
    assert rest is not None
    assert rest.duration_s == 1800
    assert rest.earliest_s <= 12 * 3600 + 1800 <= rest.latest_s


def test_truck_sizes_spread_the_8t_share_deterministically() -> None:
    """45 % of trucks are 8 t (rounded up, the first one large), the rest 5 t."""
    sizes = truck_sizes(20, 0.45)
    assert sizes[0] == (8000.0, 14.0)
    assert sum(s == (8000.0, 14.0) for s in sizes) == 9
    assert sum(s == (5000.0, 9.0) for s in sizes) == 11
    assert truck_sizes(2, 0.45) == [(8000.0, 14.0), (5000.0, 9.0)]


def test_twice_the_points_needs_more_trucks() -> None:
    """A town with twice the points needs more hours and more trucks."""
    small, large = _size(_points(400)), _size(_points(800))
    assert large.hours_needed > 1.8 * small.hours_needed
    assert large.trucks > small.trucks
    assert large.tonnage_t == pytest.approx(2 * small.tonnage_t, rel=0.001)


def test_routed_overhead_scales_the_work_not_the_legs() -> None:
    """The routed overhead multiplies the serving and unloading hours, so a town whose
    work fills several trucks needs about that many more; out-of-range figures are
    refused."""
    points = _points(800)
    plain = size_town(
        "t", points, [STATION], [DEPOT], _sites(2), DISTRICT, SizingFigures(plan_overhead=1.0)
    )
    routed = size_town(
        "t", points, [STATION], [DEPOT], _sites(2), DISTRICT, SizingFigures(plan_overhead=1.5)
    )
    assert routed.trucks > plain.trucks
    legs = plain.hours_needed - (plain.serving_h + plain.unloading_h)
    assert routed.hours_needed > 1.5 * (plain.serving_h + plain.unloading_h) + legs - 0.2
    with pytest.raises(ValueError, match="overhead"):
        SizingFigures(plan_overhead=0.9)


def test_markets_force_second_visits() -> None:
    """Bins that hold a busy day of residents' garbage at a market get two visits."""
    residential = _size(_points(50, bins=3))
    market = _size(_points(50, category=PointCategory.MARKET, bins=3))
    big_market = _size(_points(400, category=PointCategory.MARKET, bins=3))
    assert residential.second_visits == 0
    assert market.second_visits == 50
    assert market.visits == 100
    # Every town keeps its minimum of double-shifted trucks; many second visits, more.
    minimum = SizingFigures().min_double_trucks
    assert residential.double_trucks == market.double_trucks == minimum
    assert big_market.double_trucks > minimum


def test_busy_day_tonnage_is_residents_times_factors() -> None:
    """Tonnage = residents × kg per resident × category factor × busy-day factor."""
    fleet = _size(_points(100))
    assert fleet.tonnage_t == pytest.approx(100 * 300 * 1.15 * 1.15 / 1000, abs=0.05)


def test_pest_crews_grow_with_peak_visits() -> None:
    """Crews are sized for sites ÷ peak cycle visits a day, at least one per town."""
    few, many = _size(_points(10), _sites(3)), _size(_points(10), _sites(70))
    assert few.crews == 1
    assert many.pest_visits_per_day == pytest.approx(10.0)
    assert many.crews >= 3
    assert many.crew_spare_share >= 0.1


def test_every_town_keeps_ten_percent_spare(full_district: Registry) -> None:
    """At scale 1 every town's trucks and crews leave ≥10 % of their hours idle."""
    for fleet in _town_fleets(full_district):
        # At least 10 % idle, and not grossly more (one truck fewer would not do).
        assert 0.1 <= fleet.spare_share < 0.1 + 1.5 / fleet.trucks, fleet
        assert fleet.crew_spare_share >= 0.1, fleet
    assert full_district.district.generator["truck_spare_share_min"] >= 0.1


@pytest.mark.parametrize("scale", [0.02, 0.05, 1.0])
def test_every_town_has_two_trucks_and_a_crew(scale: float) -> None:
    """Each town gets at least two trucks and one pest crew at any scale."""
    registry = generate_district(scale=scale, seed=7)
    for town in registry.towns:
        assert sum(t.town_id == town.id for t in registry.trucks) >= 2
        assert sum(town.id in c.town_ids for c in registry.pest_crews) >= 1


def test_registry_fleet_is_the_sized_fleet(full_district: Registry) -> None:
    """The generated trucks are the sizing's: count, double shifts first, 8 t/5 t mix."""
    generator = full_district.district.generator
    fleets = _town_fleets(full_district)
    assert len(full_district.trucks) == generator["trucks"] == sum(f.trucks for f in fleets)
    assert len(full_district.pest_crews) == generator["pest_crews"]
    for fleet in fleets:
        trucks = [t for t in full_district.trucks if t.town_id == fleet.town_id]
        assert [t.shift for t in trucks] == fleet.truck_shifts()
        assert [(t.capacity_kg, t.volume_m3) for t in trucks] == truck_sizes(len(trucks), 0.45)
        # Second visits need a truck on shift in the evening window.
        if fleet.second_visits:
            assert any(t.shift.end >= "19:00" for t in trucks)
    # The sized fleet is larger in truck-hours than the old 150 single-shift trucks.
    assert sum(f.trucks * f.hours_per_truck for f in fleets) > 150 * 7.5


def test_generation_is_deterministic() -> None:
    """The same scale and seed give the same registry, fleet included."""
    a, b = generate_district(scale=0.1, seed=3), generate_district(scale=0.1, seed=3)
    assert a == b
    assert a.trucks == b.trucks
    assert a.district.generator == b.district.generator


def test_plan_with_generated_fleet_serves_every_point(small_district: Registry) -> None:
    """From an empty state the generated fleet's plan serves every collection point."""
    day = date(2026, 7, 15)
    state = DistrictState.empty(LocalDay(day).start_ms)
    record = plan_day(small_district, state, day, "garbage", time_limit_s=8)
    assert record.unserved == []
    assert record.kpis["points_total"] == len(small_district.collection_points)
    assert record.kpis["coverage_pct"] == 100.0
