"""What the solver benchmarks (bench/solomon.py, bench/district_solve.py) share:
the run's set-up and PyVRP, the reference, solved within a time limit.

PyVRP is imported where it runs, so that summarising earlier rows needs only the
bench's own modules.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyvrp import Model, Result

MACHINE_NOTE = "machine: shared 2-core development box; other work may compete for the cores"


def start_run() -> None:
    """Warnings only (the solvers' progress would bury the tables) and the machine note."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    print(MACHINE_NOTE)


def solve_pyvrp(model: Model, limit_s: float, seed: int) -> tuple[Result, float]:
    """PyVRP's result within `limit_s` and the wall seconds it took."""
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    result = model.solve(stop=MaxRuntime(limit_s), display=False, seed=seed)
    return result, time.monotonic() - started
