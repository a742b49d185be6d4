"""Fixtures of the ingest tests: a fresh database per test that the ingest
service account may write, and services that end their broker session."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.influx import InfluxClient
from core.registry import Registry
from core.settings import Settings
from ingest.service import IngestService
from yiju.localservices import LocalStack

# The ingest tests publish readings of fixed dates (January and July 2026), which the
# production late window (days) would turn into `too_old` dead letters as the
# calendar moves on; their ingest takes any past reading. test_device_clock.py
# checks the production limits.
REPLAY_LATE_WINDOW_S = 100 * 365 * 86_400


def replaying(settings: Settings) -> Settings:
    """`settings` whose ingest accepts readings of any past date."""
    return settings.model_copy(update={"ingest_late_window_s": REPLAY_LATE_WINDOW_S})


def production_limits(settings: Settings) -> Settings:
    """`settings` with the default device clock limits."""
    names = ("ingest_max_ahead_s", "ingest_late_window_s")
    return settings.model_copy(update={n: Settings.model_fields[n].default for n in names})


def fresh_database(stack: LocalStack) -> tuple[Settings, InfluxClient]:
    """Settings pointing at a new database granted to the service account, and an
    admin client on it."""
    s = stack.settings
    name = f"ingest_{uuid.uuid4().hex[:10]}"
    admin = InfluxClient(
        s.influx_url, name, user=s.influx_admin_user, password=s.secret("influx_admin_password")
    )
    admin.create_database()
    admin.ensure_user(s.influx_user, s.secret("influx_password"), grant="ALL", database=name)
    return s.model_copy(update={"influx_db": name}), admin


@pytest.fixture
def ingest_db(local_stack: LocalStack) -> Iterator[tuple[Settings, InfluxClient]]:
    settings, admin = fresh_database(local_stack)
    yield replaying(settings), admin
    admin.drop_database()
    admin.close()


ServiceFactory = Callable[..., IngestService]


@pytest.fixture
def start_ingest(small_district: Registry) -> Iterator[ServiceFactory]:
    """`start_ingest(settings, **options)`: a started IngestService with a group of
    its own; stopped, and its broker session ended, after the test."""
    services: list[IngestService] = []

    def start(
        settings: Settings, registry: Registry | None = None, **options: Any
    ) -> IngestService:
        options.setdefault("group", f"t{uuid.uuid4().hex[:8]}")
        options.setdefault("stats_interval_s", 0)
        service = IngestService(settings, registry or small_district, **options)
        service.start()
        services.append(service)
        return service

    yield start
    for service in services:
        service.stop(timeout=10, forget_session=True)
