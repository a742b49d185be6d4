"""Fixtures of the API tests: the known data set in its own InfluxDB database, an app
built on it with one key per role, and a test client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import ApiKey, KeyRing, Role
from api.main import create_app
from core.influx import InfluxClient
from core.registry import Registry, save_registry
from core.settings import Settings
from tests.api.dataset import Case, build_case
from tests.conftest import wait_until
from yiju.district_run import clear_dispatch
from yiju.localservices import LocalStack

PLAN_TIME_LIMIT_S = 3.0
KEYS = {role: f"test-key-{role.value}-{uuid.uuid4().hex[:6]}" for role in Role}


def auth(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def role_keys() -> KeyRing:
    """One key per role, `KEYS`'s secrets: what every test app accepts."""
    return KeyRing([ApiKey.from_secret(f"test-{r.value}", r, k) for r, k in KEYS.items()])


@pytest.fixture(scope="session")
def case(small_district: Registry) -> Case:
    """The known day: each community of the test district with one known problem."""
    return build_case(small_district)


@pytest.fixture(scope="session")
def case_db(local_stack: LocalStack, case: Case) -> Iterator[InfluxClient]:
    """An admin client on a database holding the known day's raw points."""
    s = local_stack.settings
    client = InfluxClient(
        s.influx_url,
        f"api_{uuid.uuid4().hex[:10]}",
        user=s.influx_admin_user,
        password=s.secret("influx_admin_password"),
    )
    client.create_database()
    case.write(client)
    yield client
    client.drop_database()
    client.close()


@pytest.fixture(scope="session")
def api_settings(
    service_settings: Settings, case: Case, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("api") / "var"
    data_dir.mkdir(parents=True)
    registry_path = data_dir / "district.json"
    save_registry(case.registry, registry_path)
    # Planning jobs started by these tests search for 3 s, not the production default;
    # set here rather than in the environment, which the whole session shares.
    return service_settings.model_copy(
        update={
            "data_dir": data_dir,
            "registry_path": registry_path,
            "plan_time_limit_s": PLAN_TIME_LIMIT_S,
        }
    )


@pytest.fixture(scope="session")
def api_app(api_settings: Settings, case: Case, case_db: InfluxClient) -> FastAPI:
    return create_app(api_settings, case.registry, influx=case_db, keys=role_keys())


@pytest.fixture(scope="session")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app, raise_server_exceptions=False) as test_client:
        yield test_client


# A planning job searches for PLAN_TIME_LIMIT_S; starting and writing take seconds more.
PLAN_JOBS_TIMEOUT_S = 120


def finish_plan_jobs(app: FastAPI, settings: Settings, registry: Registry) -> None:
    """Wait for the app's planning jobs to end, then withdraw the routes they dispatched:
    retained on the session's broker, they would reach later tests' trucks and crews."""
    jobs = app.state.plan_jobs
    assert wait_until(lambda: jobs.running() == 0, timeout=PLAN_JOBS_TIMEOUT_S), (
        f"planning jobs still running after {PLAN_JOBS_TIMEOUT_S} s"
    )
    clear_dispatch(settings, registry)


@pytest.fixture
def withdraws_dispatch(api_app: FastAPI, api_settings: Settings, case: Case) -> Iterator[None]:
    """For a test that starts planning jobs: afterwards their routes are withdrawn."""
    yield
    finish_plan_jobs(api_app, api_settings, case.registry)
