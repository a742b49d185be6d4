"""The truth log: JSON lines, sorted, read back by `read_truth_log`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.schema import ViolationKind
from simulators.faults import FaultKind
from simulators.truth import (
    FaultRecord,
    TruthLogError,
    ViolationRecord,
    read_truth_log,
    write_truth_log,
)

VIOLATIONS = [
    ViolationRecord(2_000, ViolationKind.SENSOR_SILENT, "bin-a", "gc-c001", "guicheng", None),
    ViolationRecord(1_000, ViolationKind.BIN_OVERFLOW, "gc-c001-p01", "gc-c001", "guicheng", 1_500),
]
FAULTS = [
    FaultRecord(3_000, FaultKind.BAD_JSON, "bin-a", "bin payload: {"),
    FaultRecord(1_000, FaultKind.SILENT, "bin-a", "silent 2.0 h"),
]


def test_round_trip_sorted(tmp_path: Path) -> None:
    """Records come back equal, violations then faults, each sorted by time."""
    path = tmp_path / "truth.jsonl"
    assert write_truth_log(path, VIOLATIONS, FAULTS) == 4
    violations, faults = read_truth_log(path)
    assert violations == sorted(VIOLATIONS)
    assert faults == sorted(FAULTS)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first == {
        "type": "violation",
        "kind": "bin_overflow",
        "subject": "gc-c001-p01",
        "community": "gc-c001",
        "town": "guicheng",
        "start_ms": 1_000,
        "end_ms": 1_500,
    }


def test_same_records_in_any_order_give_the_same_bytes(tmp_path: Path) -> None:
    """The file does not depend on the order records were collected in."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_truth_log(a, VIOLATIONS, FAULTS)
    write_truth_log(b, VIOLATIONS[::-1], FAULTS[::-1])
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"type": "alert"}',
        '{"type": "violation", "kind": "bin_fire", "subject": "x", "community": "c", '
        '"town": "t", "start_ms": 1, "end_ms": null}',
        '{"type": "fault", "fault": "bad_json", "device_id": "d"}',
    ],
)
def test_reader_names_the_bad_line(tmp_path: Path, line: str) -> None:
    """A line that is not a truth record raises TruthLogError with file and line number."""
    path = tmp_path / "truth.jsonl"
    path.write_text(
        '{"type":"fault","fault":"silent","device_id":"d","ts_ms":1,"detail":""}\n' + line + "\n",
        encoding="utf-8",
    )
    with pytest.raises(TruthLogError, match=r"truth.jsonl:2"):
        read_truth_log(path)
