"""Ingest's retries against a stopped InfluxDB: the writer keeps its batch and says
so on every failure; the rules' restore gives up at its deadline, naming its attempts."""

from __future__ import annotations

import logging
import re

import pytest

from core.errors import InfluxUnreachableError
from core.influx import InfluxClient
from core.registry import Registry
from core.retry import RetryPolicy
from core.settings import Settings
from ingest.violations import ViolationPipeline
from ingest.writer import Batch, BatchWriter
from tests.conftest import wait_until


def test_the_writer_keeps_its_batch_while_influxdb_is_away(
    stopped_influx: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Every failure is logged with its attempt and error; nothing counts as written,
    so nothing is acknowledged, and stopping leaves the batch to be delivered again."""
    written: list[Batch] = []
    writer = BatchWriter(InfluxClient.from_settings(stopped_influx), written.append, max_lines=2)
    caplog.set_level(logging.WARNING, logger="yiju.ingest")
    writer.start()
    writer.add(["bin,device_id=a fill_pct=1 1767225600000"], token=1)
    writer.add(["bin,device_id=a fill_pct=2 1767225601000"], token=2)
    assert wait_until(lambda: writer.stats.retries >= 3, 20), writer.stats
    assert writer.stop(timeout=0.1) is False
    assert written == []
    failures = [r.getMessage() for r in caplog.records if "InfluxDB write failed" in r.message]
    assert len(failures) >= 3
    for attempt, message in enumerate(failures[:3], start=1):
        assert f"(attempt {attempt}," in message
        assert "holding 2 lines back" in message
        assert f"InfluxDB at {stopped_influx.influx_url} is unreachable" in message


def test_the_writer_will_not_take_a_policy_that_drops_batches() -> None:
    client = InfluxClient("http://127.0.0.1:9", "yiju")  # never called
    with pytest.raises(ValueError, match="would drop it"):
        BatchWriter(client, lambda _b: None, retry=RetryPolicy(attempts=5))
    client.close()


def test_the_rules_restore_waits_for_influxdb_then_names_its_attempts(
    stopped_influx: Settings, small_district: Registry
) -> None:
    """The restore retries under its own policy (the client's retries off) until its
    deadline, then fails with the kind of error the service reports."""
    pipeline = ViolationPipeline(stopped_influx, small_district)
    try:
        with pytest.raises(InfluxUnreachableError) as caught:
            pipeline.restore(wait_s=1.0)
    finally:
        pipeline.writer.client.close()
    message = str(caught.value)
    assert message.startswith(
        f"restoring the rules' state from InfluxDB at {stopped_influx.influx_url}: gave up after "
    )
    assert re.search(r"gave up after \d+ attempts? in [\d.]+ s; last error: InfluxDB at ", message)
