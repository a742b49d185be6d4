"""Payloads that Python's json module would take but the contract does not — NaN and
Infinity, integers beyond 64 bits, a bool for a number — and topics with a level
too many, through the real broker into a running ingest: each is a dead letter
with its exact reason and detail, its topic and payload kept as sent, and nothing
of it reaches a measurement or the rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.influx import series_values
from core.registry import Registry
from core.schema import DeadLetterReason
from core.settings import Settings
from ingest.service import IngestService
from tests.ingest.conftest import fresh_database, replaying
from tests.ingest.helpers import Publisher, count
from yiju.localservices import LocalStack

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
BIG = 2**70
NOT_JSON = " is not JSON (RFC 8259 has no NaN or Infinity)"
NOT_A_NUMBER = "Input should be a valid number"

R = DeadLetterReason
# name: (topic under the prefix, with {bin}/{sewer} for a device of that kind;
#        payload; reason; detail)
CASES: dict[str, tuple[str, str, DeadLetterReason, str]] = {
    "NaN token": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": NaN}}',
        R.BAD_JSON,
        "NaN" + NOT_JSON,
    ),
    "Infinity token": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": Infinity}}',
        R.BAD_JSON,
        "Infinity" + NOT_JSON,
    ),
    "-Infinity token": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": -Infinity}}',
        R.BAD_JSON,
        "-Infinity" + NOT_JSON,
    ),
    "NaN token as ts": (
        "telemetry/bin/{bin}",
        '{"ts": NaN, "fill_pct": 50}',
        R.BAD_JSON,
        "NaN" + NOT_JSON,
    ),
    "Infinity token in an optional field": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": 50, "temp_c": Infinity}}',
        R.BAD_JSON,
        "Infinity" + NOT_JSON,
    ),
    "NaN token in a sewer level": (
        "telemetry/sewer/{sewer}",
        f'{{"ts": {T0}, "level_cm": NaN}}',
        R.BAD_JSON,
        "NaN" + NOT_JSON,
    ),
    "NaN string": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": "NaN"}}',
        R.SCHEMA,
        f"fill_pct: {NOT_A_NUMBER}",
    ),
    "Infinity string": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": "Infinity"}}',
        R.SCHEMA,
        f"fill_pct: {NOT_A_NUMBER}",
    ),
    "-Infinity string": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": "-Infinity"}}',
        R.SCHEMA,
        f"fill_pct: {NOT_A_NUMBER}",
    ),
    "ts of 2**70": (
        "telemetry/bin/{bin}",
        f'{{"ts": {BIG}, "fill_pct": 50}}',
        R.OUT_OF_RANGE,
        f"integer {BIG} does not fit in 64 bits",
    ),
    "fill_pct of 2**70": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": {BIG}}}',
        R.OUT_OF_RANGE,
        f"integer {BIG} does not fit in 64 bits",
    ),
    "fill_pct of -2**70": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": {-BIG}}}',
        R.OUT_OF_RANGE,
        f"integer {-BIG} does not fit in 64 bits",
    ),
    "seq of 2**64": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": 50, "seq": {2**64}}}',
        R.OUT_OF_RANGE,
        f"integer {2**64} does not fit in 64 bits",
    ),
    "level_cm of 400 digits": (
        "telemetry/sewer/{sewer}",
        f'{{"ts": {T0}, "level_cm": {10**399}}}',
        R.OUT_OF_RANGE,
        "integer 10000000000000000000…(400 digits) does not fit in 64 bits",
    ),
    "fill_pct true": (
        "telemetry/bin/{bin}",
        f'{{"ts": {T0}, "fill_pct": true}}',
        R.SCHEMA,
        f"fill_pct: {NOT_A_NUMBER}",
    ),
    "level_cm false": (
        "telemetry/sewer/{sewer}",
        f'{{"ts": {T0}, "level_cm": false}}',
        R.SCHEMA,
        f"level_cm: {NOT_A_NUMBER}",
    ),
    "ts true": (
        "telemetry/bin/{bin}",
        '{"ts": true, "fill_pct": 50}',
        R.SCHEMA,
        "ts.int: Input should be a valid integer; ts.str: Input should be a valid string",
    ),
    "telemetry topic with an extra level": (
        "telemetry/bin/{bin}/extra",
        f'{{"ts": {T0}, "fill_pct": 50}}',
        R.BAD_TOPIC,
        "topic '{prefix}/telemetry/bin/{bin}/extra' is not in the contract",
    ),
    "telemetry topic with two extra levels": (
        "telemetry/bin/{bin}/a/b",
        f'{{"ts": {T0}, "fill_pct": 50}}',
        R.BAD_TOPIC,
        "topic '{prefix}/telemetry/bin/{bin}/a/b' is not in the contract",
    ),
    "status topic with an extra level": (
        "status/bin/{bin}/extra",
        '{"online": true}',
        R.BAD_TOPIC,
        "topic '{prefix}/status/bin/{bin}/extra' is not in the contract",
    ),
}


@dataclass(frozen=True)
class Outcome:
    # (topic, payload) → (reason, detail) of every dead letter stored
    dead: dict[tuple[str, str], tuple[str, str]]
    bin_points: int
    sewer_points: int
    violations: list[dict[str, object]]
    point_fill: dict[str, tuple[int, float]]
    sensor_seen: dict[str, int]
    deadlettered: int
    written: int
    names: dict[str, str]  # the placeholders' values: prefix, bin, sewer, point


@pytest.fixture(scope="module")
def outcome(local_stack: LocalStack, small_district: Registry) -> Iterator[Outcome]:
    """One ingest on a fresh database gets every bad message, then a good reading of
    the same bin dated before all of them: if any bad one had counted as a reading,
    the good one would be stale for the rules and open nothing."""
    base, admin = fresh_database(local_stack)
    settings: Settings = replaying(base)
    point = next(p for p in small_district.collection_points if p.sensor)
    outlet = next(o for o in small_district.sewage_outlets if o.sensor)
    assert point.sensor is not None
    assert outlet.sensor is not None
    names = {
        "prefix": settings.topic_prefix,
        "bin": point.sensor.device_id,
        "sewer": outlet.sensor.device_id,
        "point": point.id,
    }
    service = IngestService(settings, small_district, group="badpayloads", stats_interval_s=0)
    service.start()
    try:
        pub = Publisher(settings)
        for topic, payload, _, _ in CASES.values():
            pub.publish(f"{settings.topic_prefix}/{topic.format(**names)}", payload)
        good = {"ts": T0 - 60_000, "fill_pct": 100}
        pub.publish(f"{settings.topic_prefix}/telemetry/bin/{names['bin']}", json.dumps(good))
        assert pub.wait_acked(len(CASES) + 1), "the broker did not acknowledge every message"
        pub.close()
        assert service.wait_idle(timeout=60), "ingest did not store and hand over every message"
        rows = series_values(admin.query('SELECT * FROM "deadletter"'))
        engine = service.violations.engine
        yield Outcome(
            dead={(r["topic"], r["payload"]): (r["reason"], r["detail"]) for r in rows},
            bin_points=count(admin, "bin", "fill_pct"),
            sewer_points=count(admin, "sewer", "level_cm"),
            violations=series_values(admin.query('SELECT * FROM "violation"')),
            point_fill=dict(engine.point_fill),
            sensor_seen=dict(engine.sensor_seen),
            deadlettered=service.counters().deadlettered,
            written=service.counters().written,
            names=names,
        )
    finally:
        service.stop(timeout=10, forget_session=True)
        admin.drop_database()
        admin.close()


@pytest.mark.parametrize("case", list(CASES))
def test_bad_payload_is_a_dead_letter_with_its_reason(outcome: Outcome, case: str) -> None:
    """The exact reason and detail; topic and payload stored as they were sent."""
    topic, payload, reason, detail = CASES[case]
    topic = f"{outcome.names['prefix']}/{topic.format(**outcome.names)}"
    stored = outcome.dead.get((topic, payload))
    assert stored is not None, f"no dead letter kept {topic} {payload[:80]} as sent"
    assert stored == (reason.value, detail.format(**outcome.names))


def test_nothing_of_them_is_stored_or_reaches_the_rules(outcome: Outcome) -> None:
    """One dead letter each and no other; no sewer reading; the one bin reading and
    the rules' state are the good reading's alone, and it opened its overflow."""
    assert len(outcome.dead) == len(CASES) == outcome.deadlettered
    assert outcome.written == 1
    assert outcome.bin_points == 1
    assert outcome.sewer_points == 0
    point, device = outcome.names["point"], outcome.names["bin"]
    assert outcome.point_fill == {point: (T0 - 60_000, 100.0)}
    assert outcome.sensor_seen == {device: T0 - 60_000}
    assert [(v["kind"], v["subject"], v["state"], v["value"]) for v in outcome.violations] == [
        ("bin_overflow", point, "open", 100.0)
    ]
