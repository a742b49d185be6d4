"""`yiju plan ...` from the command line, as a dispatcher runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from core.localday import LocalDay
from core.plans import PlanRecord, PlanState, PlanStore
from core.registry import Registry, save_registry
from core.settings import Settings
from optimizer.planning.config import PlanningConfig
from optimizer.planning.state import DistrictState
from tests.optimizer.planned import Inputs, check


def test_plan_pest_command_writes_plan_and_exports(
    small_district: Registry, tmp_path: Path
) -> None:
    """`yiju plan pest --town T --no-state --json` prints a plan that passes the
    validator (against the problem the same inputs give the solver) and stores it with
    its GeoJSON and CSV; `run-job` of an unknown id exits non-zero with a message."""
    path = tmp_path / "district.json"
    save_registry(small_district, path)
    env = {**os.environ, "YIJU_DATA_DIR": str(tmp_path), "YIJU_REGISTRY_PATH": str(path)}
    args = ["plan", "pest", "--date", "2026-07-15", "--town", "jiujiang", "--no-state"]
    run = subprocess.run(
        [sys.executable, "-m", "yiju", *args, "--time-limit", "3", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    record = PlanRecord.model_validate(json.loads(run.stdout))
    assert record.state is PlanState.DONE
    assert record.routes
    # What the command planned from: no state (read at the end of a past day), the
    # configured rules at the default speed and detour.
    day = dt.date(2026, 7, 15)
    config = PlanningConfig.for_rules(Settings().rule_thresholds(), workers=2)
    state = DistrictState.empty(LocalDay(day).end_ms - 1)
    inputs = Inputs(small_district, state, day, "pest", "jiujiang", {"config": config})
    assert check(record, inputs).problems == []
    assert PlanStore(tmp_path).get(record.plan_id) is not None
    exports = tmp_path / "plans" / "exports"
    geo = json.loads((exports / f"{record.plan_id}.geojson").read_text())
    assert geo["type"] == "FeatureCollection"
    assert geo["features"]
    missing = subprocess.run(
        [sys.executable, "-m", "yiju", "plan", "run-job", "pest-2026-07-15-00000000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode != 0
    assert "no plan" in missing.stderr
