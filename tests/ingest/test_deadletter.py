"""Dead letters: 10,000 fuzzed payloads are all recorded with a reason, and ingest
keeps ingesting good messages in between."""

from __future__ import annotations

import json
import random

from core.contract import Rejection
from core.influx import InfluxClient
from core.registry import Registry
from core.schema import DeadLetterReason
from core.settings import Settings
from ingest.deadletter import DeadLetterStamper, deadletter_line, printable
from tests.ingest.conftest import ServiceFactory
from tests.ingest.helpers import Publisher, count

T0 = 1_767_225_600_000


def fuzzed(
    prefix: str, bins: list[str], sewers: list[str], n: int, seed: int = 5
) -> list[tuple[str, bytes]]:
    """`n` payloads that must each be rejected: random bytes, wrong types, huge or
    negative values, unknown devices, topics of the wrong kind, oversize bodies."""
    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = []
    for i in range(n):
        device = bins[i % len(bins)]
        topic = f"{prefix}/telemetry/bin/{device}"
        case = i % 10
        if case == 0:
            body = b"\xff" + rng.randbytes(rng.randint(0, 120))
        elif case == 1:
            body = json.dumps({"ts": T0, "fill_pct": rng.choice(["full", None, [1], {}])}).encode()
        elif case == 2:
            body = json.dumps({"ts": T0, "fill_pct": rng.choice([1e308, -1.0, 251.0])}).encode()
        elif case == 3:
            body = json.dumps({"ts": rng.choice([10**20, -5, 0]), "fill_pct": 5}).encode()
        elif case == 4:
            topic = f"{prefix}/telemetry/bin/ghost-{i}"
            body = json.dumps({"ts": T0, "fill_pct": 5}).encode()
        elif case == 5:
            topic = f"{prefix}/telemetry/sewer/{device}"
            body = json.dumps({"ts": T0, "level_cm": 5}).encode()
        elif case == 6:
            body = json.dumps({"ts": T0, "fill_pct": 5, "pad": "x" * 5000}).encode()
        elif case == 7:
            body = rng.choice([b"", b"[]", b"null", b"42", b'"text"', b"[" * 5000])
        elif case == 8:
            topic = f"{prefix}/telemetry/{rng.choice(['fridge', 'vehicle'])}/{device}"
            body = b'{"ts": 1}'
        else:
            topic = f"{prefix}/telemetry/sewer/{sewers[i % len(sewers)]}"
            body = json.dumps({"ts": "yesterday", "level_cm": "high\n\x00"}).encode()
        out.append((topic, body))
    return out


def test_ten_thousand_fuzzed_payloads_are_dead_letters(
    ingest_db: tuple[Settings, InfluxClient], start_ingest: ServiceFactory, small_district: Registry
) -> None:
    """Every fuzzed payload lands in `deadletter` with a reason; good ones still arrive."""
    settings, admin = ingest_db
    service = start_ingest(settings)
    prefix = settings.topic_prefix
    bins = [p.sensor.device_id for p in small_district.collection_points if p.sensor]
    sewers = [o.sensor.device_id for o in small_district.sewage_outlets if o.sensor]
    bad = fuzzed(prefix, bins, sewers, 10_000)
    pub = Publisher(settings)
    good = 0
    for i, (topic, payload) in enumerate(bad):
        pub.publish(topic, payload)
        if i % 10 == 0:
            body = {"ts": T0 + good * 1000, "fill_pct": 20}
            pub.publish(f"{prefix}/telemetry/bin/{bins[0]}", json.dumps(body))
            good += 1
    assert pub.wait_acked(len(bad) + good, timeout=120)
    pub.close()
    assert service.wait_idle(timeout=120)
    assert count(admin, "deadletter", "payload") == len(bad)
    assert count(admin, "bin", "fill_pct") == good
    reasons = {
        s["tags"]["reason"]: s["values"][0][1]
        for s in admin.query('SELECT count("payload") FROM "deadletter" GROUP BY "reason"')
    }
    assert set(reasons) <= {r.value for r in DeadLetterReason}
    assert {"bad_json", "schema", "out_of_range", "unknown_device", "topic_mismatch"} <= set(
        reasons
    )
    assert {"too_large", "bad_topic"} <= set(reasons)
    c = service.counters()
    assert c.deadlettered == len(bad)
    assert c.written == good


def test_dead_letter_lines_are_safe_for_line_protocol() -> None:
    """Control characters, quotes and invalid UTF-8 are escaped; stamps never collide."""
    stamper = DeadLetterStamper(3)
    stamps = [stamper.next_ns() for _ in range(1000)]
    assert len(set(stamps)) == 1000
    assert all(s % 100 == 3 for s in stamps)
    text = deadletter_line(
        "t", b'a"b\nc\x00\xff', Rejection(DeadLetterReason.BAD_JSON, "x"), stamps[0]
    )
    assert "\n" not in text
    assert '\\"' in text
    assert printable(b"\xff\x01", 50) == "\\xff\\x01"
