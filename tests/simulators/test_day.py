"""A simulated day on the real broker: message counts, the truth log, determinism."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core.contract import Rejection, parse
from core.registry import Registry
from core.topics import split_topic
from simulators.day import DaySummary, run_day
from simulators.faults import MALFORMED, FaultConfig, FaultKind
from simulators.truth import read_truth_log
from tests.simulators.conftest import BrokerTap
from yiju.localservices import LocalStack

FaultyDay = tuple[DaySummary, list[tuple[str, bytes]], Path]
START = "2026-07-15T00:00"  # a wet-season Wednesday
DAY_H = 24.0


def _day(
    stack: LocalStack, registry: Registry, truth: Path, faults: FaultConfig | None = None
) -> DaySummary:
    return run_day(
        stack.settings,
        registry,
        START,
        hours=DAY_H,
        speed=0,
        seed=11,
        truth_path=truth,
        follow_dispatch=False,
        faults=faults,
    )


def _expected(registry: Registry) -> dict[str, float]:
    """Readings per family that the configured intervals imply for the day."""
    seconds = DAY_H * 3600
    return {
        "bin": sum(seconds / p.sensor.interval_s for p in registry.collection_points if p.sensor),
        "sewer": sum(seconds / o.sensor.interval_s for o in registry.sewage_outlets if o.sensor),
        "camera": sum(seconds / c.heartbeat_s for c in registry.cameras),
    }


@pytest.fixture(scope="module")
def faulty_day(
    local_stack: LocalStack, small_district: Registry, tmp_path_factory: pytest.TempPathFactory
) -> FaultyDay:
    """One simulated day with the default faults, and what the broker delivered."""
    truth = tmp_path_factory.mktemp("day") / "truth.jsonl"
    tap = BrokerTap.open(local_stack.settings)
    try:
        summary = _day(local_stack, small_district, truth)
        seen = tap.wait_for(summary.published)
    finally:
        tap.close()
    return summary, seen, truth


def test_broker_delivers_exactly_what_the_summary_counts(faulty_day: FaultyDay) -> None:
    """Every published message reaches a subscriber; none is refused by the ACL."""
    summary, seen, _ = faulty_day
    families = Counter(
        (parts.kind.value if parts.family == "telemetry" else parts.family)
        if parts.family != "status"
        else "status"
        for parts in (split_topic(t) for t, _ in seen)
        if parts is not None
    )
    families["vehicle"] += families.pop("vehicles", 0)
    families["crew"] += families.pop("crews", 0)
    assert summary.rejected == 0
    assert summary.acknowledged == summary.published == len(seen)
    assert {k: v for k, v in families.items() if v} == summary.messages


def test_message_counts_match_the_intervals_within_the_fault_share(
    faulty_day: FaultyDay, small_district: Registry
) -> None:
    """Readings per kind match the configured intervals, give or take the injected faults."""
    summary, _, _ = faulty_day
    faults = FaultConfig()
    # Extra messages (malformed, duplicates), lost ones (silent sensors, camera outages)
    # and alarm readings (fill crossing 90 %) are all within a few percent.
    allowance = faults.message_fault_share + faults.silent_share + 0.02
    for family, expected in _expected(small_district).items():
        got = summary.messages[family]
        assert abs(got - expected) <= allowance * expected, (family, got, expected)


def test_fault_free_day_sends_exactly_the_scheduled_readings(
    local_stack: LocalStack, small_district: Registry, tmp_path: Path
) -> None:
    """With every fault rate 0 the counts are the intervals' (bins add their 90 % alarms)."""
    summary = _day(local_stack, small_district, tmp_path / "t.jsonl", faults=FaultConfig.none())
    expected = _expected(small_district)
    _, faults = read_truth_log(tmp_path / "t.jsonl")
    assert faults == []
    assert summary.messages["camera"] == expected["camera"]
    assert summary.messages["sewer"] == expected["sewer"]
    bins = len(small_district.collection_points)
    assert expected["bin"] <= summary.messages["bin"] <= expected["bin"] + bins
    assert summary.messages["status"] == len(small_district.cameras)


def test_truth_log_lists_every_malformed_message_the_broker_saw(
    faulty_day: FaultyDay, small_district: Registry
) -> None:
    """Each dead letter on the broker has its fault record (kind and device), and back."""
    _, seen, truth = faulty_day
    violations, faults = read_truth_log(truth)
    assert violations
    assert faults
    rejected: Counter[tuple[str, str]] = Counter()
    for topic, payload in seen:
        result = parse(topic, payload, 0, small_district.devices)
        if isinstance(result, Rejection):
            parts = split_topic(topic)
            assert parts is not None
            rejected[(result.reason.value, parts.device_id)] += 1
    recorded = Counter((f.fault.value, f.device_id) for f in faults if f.fault in MALFORMED)
    assert recorded == rejected
    assert {kind for kind, _ in recorded} == {k.value for k in MALFORMED}


def test_truth_log_lists_duplicates_and_late_readings_the_broker_saw(faulty_day: FaultyDay) -> None:
    """Exact duplicates and readings older than one already delivered match their records."""
    _, seen, truth = faulty_day
    _, faults = read_truth_log(truth)
    kinds = Counter(f.fault for f in faults)
    copies = Counter(seen)
    duplicates = sum(n - 1 for (topic, _), n in copies.items() if n > 1 and "/telemetry/" in topic)
    assert duplicates == kinds[FaultKind.DUPLICATE] > 0
    newest: dict[str, int] = {}
    late = 0
    for topic, payload in seen:
        if "/telemetry/" not in topic:
            continue
        try:
            ts = json.loads(payload)["ts"]
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(ts, int) or ts < 10**12:
            continue
        if ts < newest.get(topic, 0):
            late += 1
        newest[topic] = max(ts, newest.get(topic, 0))
    assert late == kinds[FaultKind.OUT_OF_ORDER] > 0


def test_silent_sensors_send_nothing_while_silent(faulty_day: FaultyDay) -> None:
    """A sensor the truth log calls silent publishes nothing for the first hour of it."""
    _, seen, truth = faulty_day
    _, faults = read_truth_log(truth)
    silences = [f for f in faults if f.fault is FaultKind.SILENT]
    assert silences
    for silence in silences:
        for topic, payload in seen:
            if topic.endswith("/" + silence.device_id) and b'"ts":' in payload:
                ts = json.loads(payload)["ts"]
                assert not silence.ts_ms <= ts < silence.ts_ms + 3_600_000, (topic, ts)


def test_same_seed_gives_an_identical_truth_log(
    faulty_day: FaultyDay, local_stack: LocalStack, small_district: Registry, tmp_path: Path
) -> None:
    """Two runs with the same seed write byte-identical truth logs."""
    _, _, first = faulty_day
    second = tmp_path / "again.jsonl"
    _day(local_stack, small_district, second)
    assert first.read_bytes() == second.read_bytes()
