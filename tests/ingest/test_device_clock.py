"""Device clocks, on the real broker with ingest's production limits: a reading dated
far ahead of its arrival or far behind it is a dead letter with its reason and
changes no violation; a late reading within the window is stored but does not
move a violation back. The readings are dated from the wall clock, as a device's
are; nothing here times ingest."""

from __future__ import annotations

import json
import time

import pytest

from core.contract import Rejection
from core.influx import InfluxClient, series_values
from core.registry import Registry
from core.schema import DeadLetterReason
from core.settings import Settings
from ingest.arrival import ClockLimits, SimulationClock, clock_fault
from tests.ingest.conftest import ServiceFactory, production_limits
from tests.ingest.helpers import Publisher, count

MINUTE = 60_000
Y2100 = 4_102_444_800_000  # 2100-01-01 00:00 UTC, the clock of the report
Y2001 = 978_307_200_000  # 2001-01-01 00:00 UTC
LIMITS = ClockLimits(max_ahead_ms=300_000, late_window_ms=3 * 86_400_000)
ARRIVED = 1_764_000_000_000  # 2025-11-24 16:00 UTC


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _publish(settings: Settings, device: str, topic: str, bodies: list[dict[str, float]]) -> None:
    """Publish as the device itself (its own account), in order, and wait for the PUBACKs."""
    pub = Publisher(settings, user=device)
    for body in bodies:
        pub.publish(topic, json.dumps(body))
    assert pub.wait_acked(len(bodies)), "the broker did not acknowledge the device's readings"
    pub.close()


def _violations(admin: InfluxClient, kind: str) -> list[tuple[str, int]]:
    rows = series_values(admin.query(f'SELECT * FROM "violation" WHERE "kind" = \'{kind}\''))
    return [(r["state"], r["time"]) for r in rows]


def test_limits_are_read_from_the_settings() -> None:
    """The defaults: five minutes ahead, three days late; YIJU_* settings change them."""
    assert ClockLimits.from_settings(Settings(env="test")) == LIMITS
    wide = Settings(env="test", ingest_max_ahead_s=60, ingest_late_window_s=86_400)
    assert ClockLimits.from_settings(wide) == ClockLimits(60_000, 86_400_000)


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        (Y2100, DeadLetterReason.CLOCK_SKEW),
        (Y2001, DeadLetterReason.TOO_OLD),
        (ARRIVED + 300_001, DeadLetterReason.CLOCK_SKEW),
        (ARRIVED + 300_000, None),
        (ARRIVED - 3 * 86_400_000, None),
        (ARRIVED - 3 * 86_400_000 - 1, DeadLetterReason.TOO_OLD),
    ],
)
def test_clock_fault_by_arrival_time(ts: int, reason: DeadLetterReason | None) -> None:
    """Up to five minutes ahead of the arrival and three days behind it is believed."""
    fault = clock_fault(ts, ARRIVED, LIMITS)
    assert (fault.reason if isinstance(fault, Rejection) else None) is reason


def test_a_retained_status_may_be_old_but_not_ahead() -> None:
    """The broker hands a device's last retained status to every new subscription,
    however old it is; a retained `ts` in the future is still a clock fault."""
    assert clock_fault(Y2001, ARRIVED, LIMITS, retained=True) is None
    fault = clock_fault(Y2100, ARRIVED, LIMITS, retained=True)
    assert fault is not None
    assert fault.reason is DeadLetterReason.CLOCK_SKEW


def test_a_simulation_clock_moves_forward_only() -> None:
    """A simulated run's clock follows the run and never goes back."""
    clock = SimulationClock(1_000)
    clock.advance(5_000)
    clock.advance(2_000)
    assert clock.now_ms() == 5_000


@pytest.mark.parametrize(
    ("bad_ts", "reason", "detail"),
    [(Y2100, "clock_skew", "ahead of its arrival"), (Y2001, "too_old", "older than its arrival")],
    ids=["2100", "2001"],
)
def test_a_reading_from_a_wrong_clock_is_a_dead_letter_and_the_overflow_stays_open(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
    bad_ts: int,
    reason: str,
    detail: str,
) -> None:
    """An overflowing bin's device publishes, on its own account, a low reading dated
    2100 (or 2001): a dead letter with its reason; the overflow stays open and the
    device's next true reading is judged as usual."""
    settings, admin = ingest_db
    settings = production_limits(settings)
    service = start_ingest(settings)
    point = small_district.collection_points[7]
    assert point.sensor is not None
    device = point.sensor.device_id
    topic = f"{settings.topic_prefix}/telemetry/bin/{device}"
    full = now_ms() - 2 * MINUTE

    _publish(
        settings, device, topic, [{"ts": full, "fill_pct": 104}, {"ts": bad_ts, "fill_pct": 10}]
    )
    assert service.wait_idle(timeout=30)
    assert _violations(admin, "bin_overflow") == [("open", full)]
    assert count(admin, "bin", "fill_pct") == 1
    dead = series_values(admin.query('SELECT * FROM "deadletter"'))
    assert [(d["reason"], json.loads(d["payload"])["ts"]) for d in dead] == [(reason, bad_ts)]
    assert detail in dead[0]["detail"]

    emptied = full + MINUTE
    _publish(settings, device, topic, [{"ts": emptied, "fill_pct": 10}])
    assert service.wait_idle(timeout=30)
    assert _violations(admin, "bin_overflow") == [("open", full), ("closed", emptied)]
    assert service.counters().deadlettered == 1


def test_a_late_reading_is_stored_but_does_not_close_the_overflow_a_newer_one_opened(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
) -> None:
    """A bin reading two hours old (inside the late window) arrives after a newer full
    one: it is stored, and the overflow stays open."""
    settings, admin = ingest_db
    settings = production_limits(settings)
    service = start_ingest(settings)
    point = small_district.collection_points[8]
    assert point.sensor is not None
    device = point.sensor.device_id
    topic = f"{settings.topic_prefix}/telemetry/bin/{device}"
    full = now_ms() - MINUTE
    late = full - 120 * MINUTE

    _publish(settings, device, topic, [{"ts": full, "fill_pct": 103}, {"ts": late, "fill_pct": 20}])
    assert service.wait_idle(timeout=30)
    assert count(admin, "bin", "fill_pct") == 2
    assert _violations(admin, "bin_overflow") == [("open", full)]
    assert service.counters().deadlettered == 0


def test_late_readings_move_no_sewer_overflow_back_across_restarts(
    ingest_db: tuple[Settings, InfluxClient],
    start_ingest: ServiceFactory,
    small_district: Registry,
) -> None:
    """An outlet's overflow opened by a reading, then ingest restarted: a late low
    reading (older than the opening) is stored but does not close it. Closed by a
    newer reading, then ingest restarted again: a late high reading (older than the
    closing) does not reopen it."""
    settings, admin = ingest_db
    settings = production_limits(settings)
    outlet = next(o for o in small_district.sewage_outlets if o.sensor)
    assert outlet.sensor is not None
    device = outlet.sensor.device_id
    topic = f"{settings.topic_prefix}/telemetry/sewer/{device}"
    high, low = outlet.overflow_level_cm + 10, 5.0
    opened = now_ms() - 30 * MINUTE

    def run(bodies: list[dict[str, float]]) -> None:
        """A fresh ingest, which restores its rules from InfluxDB, for these readings."""
        service = start_ingest(settings)
        _publish(settings, device, topic, bodies)
        assert service.wait_idle(timeout=30)
        assert service.stop(forget_session=True)

    run([{"ts": opened, "level_cm": high}])
    run([{"ts": opened - 5 * MINUTE, "level_cm": low}])
    assert _violations(admin, "sewer_overflow") == [("open", opened)]
    closed = opened + 10 * MINUTE
    run([{"ts": closed, "level_cm": low}])
    run([{"ts": closed - MINUTE, "level_cm": high}])
    assert _violations(admin, "sewer_overflow") == [("open", opened), ("closed", closed)]
    assert count(admin, "sewer", "level_cm") == 4
