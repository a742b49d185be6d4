"""Long checks left out of the default run (`pytest -m slow`): an hour of the whole
district's traffic, faults included, through Mosquitto and ingest into InfluxDB."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.influx import InfluxClient
from core.topics import split_topic
from ingest.service import IngestService
from simulators.day import run_day
from simulators.district import generate_district
from simulators.faults import MALFORMED, FaultConfig
from simulators.truth import read_truth_log
from tests.conftest import running_stack, settings_on_free_ports

pytestmark = pytest.mark.slow

# The district's hour is ~190,000 messages; here the test takes about a minute, of
# which ingest catches up in seconds. A busy machine may take minutes more.
INGEST_IDLE_TIMEOUT_S = 600


def test_an_hour_of_the_whole_district_loses_nothing(tmp_path: Path) -> None:
    """Scale 1, the usual faults, two ingest workers: every message the broker
    acknowledged reaches ingest and is written or dead-lettered, and the dead letters
    are exactly the malformed messages the simulators' truth log records."""
    registry = generate_district(scale=1.0, seed=1)
    settings = settings_on_free_ports(tmp_path / "var").model_copy(
        # A gateway's per-device ACL lines cost Mosquitto a scan per publish, fine for
        # real traffic but not for an hour compressed into seconds (as bench/).
        update={"mqtt_gateway_scope": "district"}
    )
    # Yesterday morning: within ingest's production late window, never ahead of now.
    tz = registry.district.tz
    start = datetime.now(ZoneInfo(tz)).replace(hour=7, minute=0, second=0, microsecond=0)
    start -= timedelta(days=1)
    truth = tmp_path / "truth.jsonl"
    with running_stack(settings, registry) as stack:
        s = stack.settings
        influx = InfluxClient(
            s.influx_url,
            s.influx_db,
            user=s.influx_admin_user,
            password=s.secret("influx_admin_password"),
        )
        service = IngestService(
            s, registry, workers=2, group=f"t{uuid.uuid4().hex[:8]}", stats_interval_s=0
        )
        service.start()
        try:
            summary = run_day(
                s,
                registry,
                start,
                hours=1,
                speed=0,
                seed=5,
                faults=FaultConfig(),
                truth_path=truth,
                follow_dispatch=False,
            )
            assert service.wait_idle(timeout=INGEST_IDLE_TIMEOUT_S), (
                f"ingest still busy after {INGEST_IDLE_TIMEOUT_S} s: {service.counters()}"
            )
            counters = service.counters()
        finally:
            assert service.stop(timeout=60, forget_session=True), "ingest could not finish"
        print(f"published {summary.published:,} {summary.messages}; ingest {counters}")
        assert summary.published > 150_000, summary.messages
        assert summary.rejected == 0
        assert summary.acknowledged == summary.published
        assert counters.received == summary.published
        assert counters.written + counters.deadlettered == counters.received
        _, faults = read_truth_log(truth)
        malformed = Counter((f.fault.value, f.device_id) for f in faults if f.fault in MALFORMED)
        stored: Counter[tuple[str, str]] = Counter()
        for series in influx.query('SELECT "topic" FROM "deadletter" GROUP BY "reason"'):
            for _, topic in series["values"]:
                parts = split_topic(topic)
                assert parts is not None, topic
                stored[(series["tags"]["reason"], parts.device_id)] += 1
        influx.close()
        assert counters.deadlettered == sum(malformed.values()) > 0
        assert stored == malformed
