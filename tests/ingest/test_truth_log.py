"""Against a simulated day: the violations ingest opens equal the simulators' truth log,
with ingest judging timestamps by the simulation's clock."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.influx import InfluxClient
from core.registry import Registry
from core.settings import Settings
from ingest.arrival import SimulationClock
from simulators.day import parse_start, run_day
from simulators.faults import FaultConfig, Storm
from simulators.truth import read_truth_log
from tests.ingest.conftest import ServiceFactory, production_limits


def opened_violations(admin: InfluxClient) -> Counter[tuple[str, str]]:
    series = admin.query(
        'SELECT "violation_id" FROM "violation" WHERE "state" = \'open\' GROUP BY "kind", "subject"'
    )
    return Counter({(s["tags"]["kind"], s["tags"]["subject"]): len(s["values"]) for s in series})


@pytest.mark.usefixtures("clears_retained_status")
def test_violations_equal_the_truth_log(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
    tmp_path: Path,
) -> None:
    """A faulty simulated day: every violation kind by kind and subject by subject; no
    reading of the day is judged a clock fault by the run's clock."""
    settings, admin = ingest_db
    settings = production_limits(settings)
    start = parse_start("2026-07-15T00:00", small_district.district.tz)
    clock = SimulationClock(start)
    service = start_ingest(settings, clock=clock)
    truth_path = tmp_path / "truth.jsonl"
    # A district-wide storm at 14:00 makes sewer outlets overflow.
    storm = Storm(start_ms=start + 14 * 3_600_000, duration_min=90, rise_cm=400)
    summary = run_day(
        settings,
        small_district,
        start=start,
        faults=FaultConfig(storms=(storm,)),
        hours=24,
        speed=0,
        seed=11,
        truth_path=truth_path,
        follow_dispatch=False,
        advance_clock=clock.advance,
    )
    assert summary.rejected == 0
    assert service.wait_idle(timeout=180)
    # The referee judges the run at its end: time-based checks up to then.
    service.advance_to(summary.end_ms - 1)
    assert service.wait_idle(timeout=30)
    truth, _faults = read_truth_log(truth_path)
    expected = Counter((v.kind.value, v.subject) for v in truth)
    got = opened_violations(admin)
    missing = expected - got
    extra = got - expected
    assert not missing, f"truth-log violations ingest did not open: {dict(missing)}"
    assert not extra, f"violations ingest opened that the truth log has not: {dict(extra)}"
    per_kind = Counter(kind for kind, _ in expected.elements())
    print("violations per kind:", dict(per_kind))
    assert {"bin_overflow", "bin_not_cleared", "sewer_overflow", "camera_offline"} <= set(per_kind)
    c = service.counters()
    assert c.violations_opened == sum(expected.values())
    reasons = {
        s["tags"]["reason"]
        for s in admin.query('SELECT count("topic") FROM "deadletter" GROUP BY "reason"')
    }
    assert reasons
    assert not reasons & {"clock_skew", "too_old"}
