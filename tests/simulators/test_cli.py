"""`yiju simulate` runs against the broker and shows its progress."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.registry import Registry, save_registry
from simulators.truth import read_truth_log
from yiju.localservices import LocalStack


def test_simulate_command_reports_progress_and_writes_the_truth_log(
    local_stack: LocalStack, small_district: Registry, tmp_path: Path
) -> None:
    """Two simulated hours, unpaced: progress lines with the clock and rate, a summary,
    and a truth log."""
    s = local_stack.settings
    district = tmp_path / "district.json"
    save_registry(small_district, district)
    truth = tmp_path / "truth.jsonl"
    env = os.environ | {
        "YIJU_ENV": "test",
        "YIJU_DATA_DIR": str(s.data_dir),
        "YIJU_MQTT_HOST": s.mqtt_host,
        "YIJU_MQTT_PORT": str(s.mqtt_port),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yiju",
            "simulate",
            "--district",
            str(district),
            "--start",
            "2026-07-15T06:00",
            "--hours",
            "2",
            "--speed",
            "max",
            "--seed",
            "3",
            "--truth",
            str(truth),
            "--no-dispatch",
            "--malformed-share",
            "0.02",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "[2026-07-15 08:00] 100.0%" in result.stdout
    assert "msg/s" in result.stdout
    assert "0 refused by the broker" in result.stdout
    _, faults = read_truth_log(truth)
    assert faults


def test_simulate_command_refuses_a_bad_breakdown(small_district: Registry, tmp_path: Path) -> None:
    """A --breakdown without TRUCK@HH:MM is an error that says the expected form."""
    district = tmp_path / "district.json"
    save_registry(small_district, district)
    env = os.environ | {"YIJU_ENV": "test", "YIJU_DATA_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yiju",
            "simulate",
            "--district",
            str(district),
            "--breakdown",
            "trk-1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "TRUCK@HH:MM" in result.stderr
