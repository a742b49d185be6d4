"""Bad command-line options: exit 2 with one message naming the option and the problem,
no traceback, and nothing started or planned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.registry import Registry, save_registry
from yiju.localservices import free_port

# Each run refuses its options at start-up, in about a second; a hang fails instead.
RUN_TIMEOUT_S = 60

TOWNS = "dali, danzao, guicheng, jiujiang, lishui, shishan, xiqiao"
NOT_A_DATE = "is not a calendar date written YYYY-MM-DD"
# Raised once the registry is read (the towns are in it), so from `yiju` itself.
UNKNOWN_TOWN = f"yiju: error: argument --town: unknown town 'atlantis'; known: {TOWNS}"


def _yiju(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yiju", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A `yiju` with its own data folder and free ports: if a bad option ever got as far
    as starting services, they would not touch anyone else's."""
    env = {
        **os.environ,
        "YIJU_DATA_DIR": str(data_dir),
        "YIJU_MQTT_PORT": str(free_port()),
        "YIJU_INFLUX_URL": f"http://127.0.0.1:{free_port()}",
        **extra,
    }
    env.pop("YIJU_PLAN_TIME_LIMIT_S", None)
    return env


def _refused(run: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a refused command (after argparse's usage, if any)."""
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stdout == ""
    return run.stderr.strip().splitlines()[-1]


@pytest.fixture
def plan_env(small_district: Registry, tmp_path: Path) -> dict[str, str]:
    registry = tmp_path / "district.json"
    save_registry(small_district, registry)
    return _env(tmp_path / "var", YIJU_REGISTRY_PATH=str(registry))


PLAN = "yiju plan garbage: error: argument"
# (bad option, the error line it gives)
PLAN_CASES = [
    (["--date", "2026-13-45"], f"{PLAN} --date: '2026-13-45' {NOT_A_DATE}"),
    (["--date", "tomorrow"], f"{PLAN} --date: 'tomorrow' {NOT_A_DATE}"),
    (["--town", "atlantis"], UNKNOWN_TOWN),
    (["--time-limit", "0"], f"{PLAN} --time-limit: 0 s is outside 0.1–3600 s"),
    (["--time-limit", "-5"], f"{PLAN} --time-limit: -5 s is outside 0.1–3600 s"),
    (["--time-limit", "abc"], f"{PLAN} --time-limit: 'abc' is not a number"),
    (["--time-limit", "nan"], f"{PLAN} --time-limit: nan s is outside 0.1–3600 s"),
    (["--workers", "0"], f"{PLAN} --workers: '0' is not a positive whole number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "message"), PLAN_CASES, ids=[" ".join(option) for option, _ in PLAN_CASES]
)
def test_plan_refuses_a_bad_option(
    plan_env: dict[str, str], option: list[str], message: str
) -> None:
    """`yiju plan garbage` with one bad option: that option's message, and no plan."""
    run = _yiju(plan_env, "plan", "garbage", "--no-state", *option)
    assert _refused(run) == message
    assert not (Path(plan_env["YIJU_DATA_DIR"]) / "plans").exists()


def test_unknown_town_is_refused_before_reading_state(plan_env: dict[str, str]) -> None:
    """Without --no-state (and no InfluxDB at the configured address) an unknown town is
    still the error: it is checked before the command reads the district's state."""
    run = _yiju(plan_env, "plan", "pest", "--town", "atlantis")
    assert _refused(run) == UNKNOWN_TOWN


DEMO = "yiju demo: error: argument --scale:"
DEMO_CASES = [
    (["--scale", "0"], f"{DEMO} 0 is outside 0.001–5"),
    (["--scale", "-0.05"], f"{DEMO} -0.05 is outside 0.001–5"),
    (["--scale", "half"], f"{DEMO} 'half' is not a number"),
]


@pytest.mark.parametrize(
    ("option", "message"), DEMO_CASES, ids=[" ".join(option) for option, _ in DEMO_CASES]
)
def test_demo_refuses_a_bad_scale_before_starting_anything(
    tmp_path: Path, option: list[str], message: str
) -> None:
    """`yiju demo --scale 0` (or negative): the message, and no district, broker or
    database in its data folder: it stopped before setting anything up."""
    data_dir = tmp_path / "var"
    env = _env(data_dir)
    try:
        run = _yiju(env, "demo", "--no-serve", *option)
        assert _refused(run) == message
        assert not data_dir.exists(), sorted(p.name for p in data_dir.iterdir())
    finally:
        if (data_dir / "mosquitto").exists() or (data_dir / "influxdb").exists():
            _yiju(env, "services", "down")
