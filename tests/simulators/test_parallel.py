"""Town-split runs over several processes: same broker, merged truth, determinism."""

from __future__ import annotations

from pathlib import Path

from core.registry import Registry
from simulators.day import run_day
from simulators.faults import FaultKind
from simulators.parallel import split_registry
from simulators.truth import read_truth_log
from yiju.localservices import LocalStack


def test_split_keeps_every_device_once(small_district: Registry) -> None:
    """Splitting by town puts each device, truck and crew in exactly one part."""
    parts = split_registry(small_district, 3)
    assert len(parts) == 3
    devices = [d for part in parts for d in part.devices]
    assert sorted(devices) == sorted(small_district.devices)
    assert {t.id for p in parts for t in p.towns} == {t.id for t in small_district.towns}


def test_two_workers_publish_the_district_and_repeat_exactly(
    local_stack: LocalStack, small_district: Registry, tmp_path: Path
) -> None:
    """Two processes publish every device's messages; the same seed repeats the truth."""
    runs = []
    for name in ("a", "b"):
        truth = tmp_path / f"{name}.jsonl"
        summary = run_day(
            local_stack.settings,
            small_district,
            "2026-07-15T12:00",
            hours=6,
            speed=0,
            seed=8,
            truth_path=truth,
            follow_dispatch=False,
            workers=2,
        )
        runs.append((summary, truth.read_bytes()))
    (first, truth_a), (_, truth_b) = runs
    assert first.workers == 2
    assert first.rejected == 0
    assert first.acknowledged == first.published
    assert first.messages["camera"] > 0.9 * len(small_district.cameras) * 6 * 12
    assert truth_a == truth_b
    _, faults = read_truth_log(tmp_path / "a.jsonl")
    storms = [f for f in faults if f.fault is FaultKind.STORM]
    assert len(storms) == len(set(storms))  # district-wide storms counted once
