"""The choice of the workers' paho client: the fast one where the installed paho
supports it, stock paho (with a warning) where it does not or where the settings
say so. No broker is needed to make the choice; the kill -9 test in test_faults.py
proves the stock client loses nothing."""

from __future__ import annotations

import logging

import pytest

from core.registry import Registry
from core.settings import Settings
from ingest.consumer import Consumer
from ingest.fast_paho import IngestClient
from ingest.mqtt_client import ConsumerClient, consumer_client_class, fast_client_problem
from ingest.points import Enricher
from ingest.stats import WorkerCounters


def _consumer(settings: Settings, registry: Registry) -> Consumer:
    return Consumer(settings, Enricher.from_registry(registry), WorkerCounters())


def test_the_installed_paho_runs_the_fast_client(
    service_settings: Settings, small_district: Registry
) -> None:
    """With the pinned paho, workers get the fast client."""
    assert fast_client_problem() is None
    assert type(_consumer(service_settings, small_district).client) is IngestClient


def test_an_unsupported_paho_gets_stock_paho_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the fast client cannot run on the paho release (2.1 here), the worker
    consumes with stock paho and says so at start-up."""
    with caplog.at_level(logging.WARNING, logger="yiju.ingest"):
        chosen = consumer_client_class(fast=True, paho_version="2.1.0")
    assert chosen is ConsumerClient
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("2.1.0" in w and "stock paho" in w for w in warnings), warnings


def test_a_fast_client_that_does_not_import_is_unsupported() -> None:
    """A fast client module that does not load (paho 2.1 lacks `paho.mqtt.exception`,
    which ingest.fast_paho imports) is reported, and stock paho is chosen."""
    problem = fast_client_problem(module="ingest.fast_paho_for_another_paho")
    assert problem is not None
    assert "does not load" in problem
    assert consumer_client_class(fast=True, module="ingest.fast_paho_for_another_paho") is (
        ConsumerClient
    )


def test_another_paho_release_is_unsupported() -> None:
    """The private methods are only known on the tested release (2.2.x)."""
    problem = fast_client_problem("2.1.0")
    assert problem is not None
    assert "2.1.0" in problem
    assert fast_client_problem("2.2.7") is None


def test_the_settings_force_stock_paho(
    service_settings: Settings,
    small_district: Registry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`YIJU_INGEST_FAST_CLIENT=false` chooses stock paho without a warning."""
    settings = service_settings.model_copy(update={"ingest_fast_client": False})
    with caplog.at_level(logging.INFO, logger="yiju.ingest"):
        consumer = _consumer(settings, small_district)
    assert type(consumer.client) is ConsumerClient
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("stock paho" in r.getMessage() for r in caplog.records)
