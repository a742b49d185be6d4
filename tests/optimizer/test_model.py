"""The optimizer's own types: builder checks at the boundary, distances, parameters."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from optimizer.distance import GreatCircle, provider_from_config
from optimizer.errors import ModelError
from optimizer.planning.config import PlanningConfig
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import ProblemBuilder, TimeWindow


def test_great_circle_matrix() -> None:
    """One degree of latitude is ~111.2 km; ×1.3 detour at 26 km/h gives the seconds."""
    distance, duration = GreatCircle(detour=1.3, speed_kmh=26.0).matrices(
        [(23.0, 113.0), (24.0, 113.0)]
    )
    assert distance[0, 0] == 0
    assert distance[0, 1] == distance[1, 0]
    assert distance[0, 1] == pytest.approx(111_195 * 1.3, rel=1e-3)
    assert duration[0, 1] == pytest.approx(distance[0, 1] / (26 / 3.6), abs=1)


def test_builder_returns_objects_and_builds_matrices() -> None:
    """add_* return the records; build() sizes the matrices to every location."""
    b = ProblemBuilder("t")
    depot = b.add_depot("d", 23.0, 113.0)
    station = b.add_station("s", 23.01, 113.0, unload_s=600)
    stop = b.add_stop(
        "p",
        23.02,
        113.0,
        demand_kg=100,
        service_s=60,
        windows=[TimeWindow(0, 100), TimeWindow(200, 300)],
    )
    truck = b.add_vehicle("v", depot, capacity_kg=1000, shift=TimeWindow(0, 1000))
    problem = b.build(GreatCircle(), station_copies=2)
    assert problem.distance_m.shape == (3, 3)
    assert (truck.depot, problem.stations[0], problem.stops[0]) == (depot, station, stop)
    assert problem.travel_s(depot.location, stop.location) > 0


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda b, d: b.add_depot("d", 23.0, 113.0), "added twice"),
        (lambda b, d: b.add_stop("x", 95.0, 113.0), "latitude"),
        (lambda b, d: b.add_stop("x", 23.0, 113.0, demand_kg=-1), ">= 0"),
        (
            lambda b, d: b.add_stop(
                "x", 23.0, 113.0, windows=[TimeWindow(0, 10), TimeWindow(5, 20)]
            ),
            "overlap",
        ),
        (
            lambda b, d: b.add_vehicle(
                "v", ProblemBuilder().add_depot("o", 23, 113), shift=TimeWindow(0, 1)
            ),
            "not added",
        ),
        (lambda b, d: TimeWindow(10, 5), "after it closes"),
    ],
)
def test_builder_rejects_bad_input(action: object, message: str) -> None:
    """Bad input raises ModelError with a message naming the record."""
    b = ProblemBuilder("t")
    depot = b.add_depot("d", 23.0, 113.0)
    with pytest.raises(ModelError, match=message):
        action(b, depot)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SolveParams(time_limit_s=0), "time limit 0 s is outside 0.1–3600"),
        (lambda: SolveParams(first_solution="MAGIC"), "first solution 'MAGIC' is not one of ("),
        (
            lambda: SolveParams(initial="random"),
            "initial 'random' is not auto, construct or ortools",
        ),
        (lambda: SolveParams(workers=0), "workers 0 is outside 1–64"),
        (lambda: PlanningConfig(trucks_per_sector=0), "trucks_per_sector and workers must be >= 1"),
        (
            lambda: PlanningConfig(overflow_pct=150.0, max_fill_pct=120.0),
            "need 0 < overflow_pct <= max_fill_pct",
        ),
        (lambda: GreatCircle(detour=0.5), "detour factor 0.5 is outside 1.0–3.0"),
        (lambda: provider_from_config("osrm"), "distance provider osrm needs a URL"),
        (
            lambda: provider_from_config("teleport"),
            "unknown distance provider 'teleport': use greatcircle, osrm or valhalla",
        ),
    ],
)
def test_parameters_validate_themselves(make: Callable[[], object], message: str) -> None:
    """Parameter objects refuse values that make no sense, saying which and why."""
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
