"""A re-plan starts trucks where they are: the constructed routes reach the model intact."""

from __future__ import annotations

import logging

import pytest

from optimizer.solver.params import SolveParams
from optimizer.solver.portfolio import solve
from optimizer.solver.problem import ProblemBuilder, TimeWindow
from tests.optimizer.test_known_optimum import FixedMatrix
from tests.optimizer.validator import validate_solution


def test_constructed_start_accepted_when_trucks_start_away_from_depot(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Trucks starting mid-route (end depot ≠ start): the constructed routes are read
    into the model whole, with no "Invalid index" from OR-Tools, every stop is served
    and each route starts where its truck is and ends at the depot."""
    xy = [(0, 0)] + [(10 * i, 5 * (i % 3)) for i in range(1, 9)] + [(40, 40), (70, 10)]
    builder = ProblemBuilder("replan")
    depot = builder.add_depot("d", 0.0, 0.0)
    for i in range(1, 9):
        builder.add_stop(f"s{i}", 0.0, 0.0, demand_kg=1, service_s=5)
    builder.add_vehicle("v0", depot, capacity_kg=6, shift=TimeWindow(100, 5000), start=(1.0, 1.0))
    builder.add_vehicle("v1", depot, capacity_kg=6, shift=TimeWindow(100, 5000), start=(2.0, 2.0))
    matrix = FixedMatrix(xy)
    problem = builder.build(matrix)
    with caplog.at_level(logging.INFO, logger="yiju.optimizer"):
        solution = solve(problem, SolveParams(time_limit_s=1, initial="construct"))
    err = capfd.readouterr().err
    assert "Invalid index" not in err
    assert not [r for r in caplog.records if "constructed routes" in r.getMessage()]
    assert not solution.dropped
    assert {r.vehicle.id for r in solution.routes} <= {"v0", "v1"}
    assert validate_solution(problem, solution, matrix.travel) == []
    starts = {r.vehicle.id: r.visits[0].location.index for r in solution.routes}
    assert starts == {v.id: v.start.index for v in problem.vehicles if v.id in starts}
    assert set(starts.values()) <= {9, 10}  # the last two points: where the trucks are
