"""schemathesis against the app's OpenAPI schema: no 5xx, answers match the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import Role
from api.main import API_PREFIX
from core.settings import Settings
from tests.api.conftest import KEYS, finish_plan_jobs
from tests.api.dataset import Case

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Examples per operation: enough to hit every parameter's edge cases, within ~60 s in all.
EXAMPLES = 50

OPERATIONS = [
    ("GET", "/health"),
    ("GET", "/keys"),
    ("GET", "/towns"),
    ("GET", "/towns/{town_id}/scorecard"),
    ("GET", "/scorecard"),
    ("GET", "/communities"),
    ("GET", "/communities/{community_id}"),
    ("GET", "/communities/{community_id}/scorecard"),
    ("GET", "/compliance"),
    ("GET", "/compliance/monthly"),
    ("GET", "/violations"),
    ("GET", "/devices/{device_id}/latest"),
    ("GET", "/devices/{device_id}/series"),
    ("POST", "/plans"),
    ("GET", "/plans"),
    ("GET", "/plans/{plan_id}"),
    ("GET", "/routes"),
    ("GET", "/routes/{route_id}"),
]


@pytest.fixture(scope="module")
def api_schema(
    api_app: FastAPI, client: TestClient, api_settings: Settings, case: Case
) -> Iterator[schemathesis.BaseSchema]:
    # One planning process at a time: further valid POST /plans answer 429 (documented).
    # The app is shared by the whole session: later modules get their limit back.
    before = api_app.state.plan_jobs.max_running
    api_app.state.plan_jobs.max_running = 1
    try:
        yield schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", api_app)
    finally:
        api_app.state.plan_jobs.max_running = before
        # The generated POST /plans started jobs that dispatch when they finish.
        finish_plan_jobs(api_app, api_settings, case.registry)


def test_schema_lists_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    """The operations tested here are exactly the ones the schema has."""
    found = {
        (op.method.upper(), op.path.removeprefix(API_PREFIX))
        for op in (r.ok() for r in api_schema.get_all_operations())
    }
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms(
    api_schema: schemathesis.BaseSchema, client: TestClient, method: str, path: str
) -> None:
    """Generated requests (with an admin key) get no 5xx and schema-conforming answers."""
    operation = api_schema[API_PREFIX + path][method]
    headers = {"Authorization": f"Bearer {KEYS[Role.ADMIN]}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        # Sent with the app's own test client: schemathesis' requests transport trips over
        # the urllib3-future package installed in this venv.
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        response = client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers=kwargs.get("headers"),
            json=kwargs.get("json"),
            content=kwargs.get("data"),
        )
        case.validate_response(response, checks=CHECKS)

    check()
