"""Sectors of a large town: every point and truck in exactly one sector, and work cut to
what each sector's trucks can do (small trucks and far stations get fewer points)."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import pytest

from core.localday import LocalDay
from core.registry import Registry, Truck
from optimizer.distance import GreatCircle
from optimizer.planning.config import PlanningConfig
from optimizer.planning.garbage import PointStop, garbage_tasks, point_stops, sweep_sectors
from optimizer.planning.state import DistrictState
from optimizer.planning.tasks import PlanTask
from simulators.district import generate_district

DAY = dt.date(2026, 11, 20)
TOWN = "shishan"


@pytest.fixture(scope="module")
def district() -> Registry:
    """The full-scale district: Shishan, its largest town, has thousands of points and
    dozens of trucks of 5 t and 8 t."""
    return generate_district(scale=1.0, seed=1)


@pytest.fixture(scope="module")
def sectors(district: Registry) -> list[PlanTask]:
    start_ms = LocalDay(DAY).start_ms
    tasks, unserved, _, _ = garbage_tasks(
        district,
        DistrictState.empty(start_ms),
        TOWN,
        PlanningConfig(),
        GreatCircle(),
        from_s=0,
        from_ms=start_ms,
        time_limit_s=5,
    )
    assert unserved == []
    return tasks


def test_every_point_and_truck_in_exactly_one_sector(
    district: Registry, sectors: list[PlanTask]
) -> None:
    """The sectors partition the town's points and trucks, the trucks dealt evenly at
    about `trucks_per_sector` each."""
    points = [s.id for t in sectors for s in t.problem.stops]
    trucks = [v.id for t in sectors for v in t.problem.vehicles]
    assert sorted(points) == sorted(p.id for p in district.points_in(TOWN))
    town_trucks = [t for t in district.trucks if t.town_id == TOWN]
    assert sorted(trucks) == sorted(t.id for t in town_trucks)
    per_sector = PlanningConfig().trucks_per_sector
    assert len(sectors) == round(len(town_trucks) / per_sector)
    sizes = [len(t.problem.vehicles) for t in sectors]
    assert max(sizes) - min(sizes) <= 1, sizes
    assert all(abs(size - per_sector) <= 1 for size in sizes), sizes
    assert all(t.problem.stops for t in sectors), "a sector without points"


def test_each_sectors_trucks_can_cover_its_points(sectors: list[PlanTask]) -> None:
    """Every point can be served in its sector's trucks' hours, and each sector's garbage
    per truck-hour stays within half again of the town's (the imbalance that cutting by
    truck count alone left: sectors of small trucks with more than they could clear)."""
    for task in sectors:
        shifts = [v.shift for v in task.problem.vehicles]
        for stop in task.problem.stops:
            assert any(
                w.open_s < shift.close_s and shift.open_s < w.close_s
                for w in stop.windows
                for shift in shifts
            ), f"{stop.id}: no truck of its sector works in its windows"

    def kg_per_truck_hour(tasks: list[PlanTask]) -> float:
        kg = sum(s.demand_kg for t in tasks for s in t.problem.stops)
        seconds = sum(v.shift.close_s - v.shift.open_s for t in tasks for v in t.problem.vehicles)
        return kg / seconds * 3600

    town = kg_per_truck_hour(sectors)
    for task in sectors:
        ratio = kg_per_truck_hour([task]) / town
        assert 2 / 3 <= ratio <= 3 / 2, (task.problem.name, ratio)


def _ring_town(
    district: Registry, radius_deg: float, n: int = 120
) -> tuple[list[PointStop], tuple[float, float]]:
    """`n` copies of one real point spread evenly on a circle round the town centre,
    one community each (so the sweep may cut anywhere)."""
    town = district.town_by_id[TOWN]
    template = district.points_in(TOWN)[0]
    points = [
        template.model_copy(
            update={
                "id": f"ring-{i}",
                "community_id": f"c-{i}",
                "lat": town.lat + radius_deg * math.sin(2 * math.pi * i / n),
                "lon": town.lon + radius_deg * math.cos(2 * math.pi * i / n),
            }
        )
        for i in range(n)
    ]
    start_ms = LocalDay(DAY).start_ms
    stops, unserved = point_stops(
        district, points, DistrictState.empty(start_ms), PlanningConfig(), 0, start_ms, TOWN
    )
    assert unserved == []
    return stops, (town.lat, town.lon)


def _trucks(district: Registry, capacities: list[float]) -> list[Truck]:
    template = next(t for t in district.trucks if t.town_id == TOWN)
    return [
        template.model_copy(update={"id": f"t-{i}", "capacity_kg": c})
        for i, c in enumerate(capacities)
    ]


def test_small_trucks_get_less_work(district: Registry) -> None:
    """Same geography all round: the sector dealt the smaller trucks gets fewer points,
    in proportion to what a small truck clears in a shift (more unloading trips)."""
    stops, centre = _ring_town(district, 0.02)
    lat, lon = centre
    station = [(lat, lon, 900)]
    trucks = _trucks(district, [8000, 8000, 8000, 5000, 5000, 5000])
    cut = sweep_sectors(stops, trucks, centre, station, PlanningConfig(), 0)
    assert len(cut) == 2
    sizes = {sum(t.capacity_kg for t in ts): len(ss) for ss, ts in cut}
    # Dealt round-robin: 8+8+5 t and 8+5+5 t.
    assert set(sizes) == {21_000, 18_000}
    assert sizes[21_000] > sizes[18_000]
    # Counting trucks alone would split 60/60.
    assert sizes[21_000] - sizes[18_000] >= 4


def test_far_from_the_station_gets_less_work(district: Registry) -> None:
    """Equal trucks, the station on one side of the ring: the sector far from it gets
    fewer points, since each of its trips to unload takes longer."""
    stops, centre = _ring_town(district, 0.03)
    lat, lon = centre
    # On the ring due north: the sweep (by angle from due west) cuts south from north.
    station = [(lat + 0.03, lon, 900)]
    trucks = _trucks(district, [8000] * 6)
    cut = sweep_sectors(stops, trucks, centre, station, PlanningConfig(), 0)
    assert len(cut) == 2

    def mean_distance(ss: list[PointStop]) -> float:
        return statistics.mean(math.hypot(s.point.lat - lat - 0.03, s.point.lon - lon) for s in ss)

    near, far = sorted((ss for ss, _ in cut), key=mean_distance)
    assert len(near) > len(far)
    assert sorted(s.point.id for ss, _ in cut for s in ss) == sorted(s.point.id for s in stops)
