"""Builds the FastAPI app: one router per resource under `/api/v1`.

`create_app(settings, registry, ...)` lets tests and benchmarks build an app on
their own InfluxDB database; `yiju api` builds one from the environment.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api.auth import KeyRing, keys_file_path
from api.docs import install_docs
from api.errors import install_error_handlers
from api.routes import (
    communities,
    compliance,
    devices,
    dispatch,
    health,
    plans,
    scorecard,
    towns,
    violations,
)
from api.routes import (
    keys as keys_routes,
)
from api.services.compliance_cache import ComplianceCache
from api.services.plan_jobs import PlanJobs
from core.influx import InfluxClient
from core.plans import PlanStore
from core.registry import Registry, load_registry
from core.settings import Settings, get_settings
from core.standard import ComplianceThresholds
from core.version import __version__

log = logging.getLogger("yiju.api")

API_PREFIX = "/api/v1"

DESCRIPTION = """\
yiju's API for the district office and the sanitation dispatchers: the registry,
compliance with the livable-community plan per community and town, violations,
devices, planning jobs and the day's routes.

Every request but `/health` carries `Authorization: Bearer <key>`. Roles:
**office** reads; **dispatcher** reads, plans and sees routes; **admin** does all.
Errors are JSON `{"message": ...}`.
"""


def create_app(
    settings: Settings,
    registry: Registry,
    *,
    influx: InfluxClient | None = None,
    keys: KeyRing | None = None,
    thresholds: ComplianceThresholds | None = None,
    cache_s: float | None = None,
) -> FastAPI:
    """The app; `influx` defaults to the read-only account, `keys` and `thresholds` to
    the settings (`YIJU_API_KEYS`, the keys file, the rule and `YIJU_COMPLIANCE_*`
    settings); `cache_s` how long answers for complete days are kept (default
    `YIJU_COMPLIANCE_CACHE_S`)."""
    if keys is None:
        env_keys = settings.api_keys.get_secret_value() if settings.api_keys else None
        keys = KeyRing.load(env_keys, keys_file_path(settings))
    if not keys.keys:
        log.warning("no API keys configured: every request but /health will get 401")
    owns_influx = influx is None
    client = influx or InfluxClient.from_settings(settings, reader=True)
    store = PlanStore(settings.data_dir)
    jobs = PlanJobs(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.stop_all()
        if owns_influx:
            client.close()

    app = FastAPI(
        title="yiju API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The docs pages are served with their assets from here (api/docs.py), not a CDN.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_docs(app)
    app.state.settings = settings
    app.state.registry = registry
    app.state.influx = client
    app.state.keys = keys
    app.state.thresholds = thresholds or settings.compliance_thresholds()
    app.state.compliance_cache = ComplianceCache(
        settings.compliance_cache_s if cache_s is None else cache_s
    )
    app.state.plan_store = store
    app.state.plan_jobs = jobs
    install_error_handlers(app)

    v1 = APIRouter(prefix=API_PREFIX)
    routers = (
        health,
        keys_routes,
        towns,
        communities,
        compliance,
        scorecard,
        violations,
        devices,
        plans,
        dispatch,
    )
    for module in routers:
        v1.include_router(module.router)
    app.include_router(v1)
    log.info(
        "API ready: %d communities, %d keys, InfluxDB %s/%s",
        len(registry.communities),
        len(keys.keys),
        client.url,
        client.database,
    )
    return app


def app_from_environment() -> FastAPI:
    """The app for `uvicorn api.main:app_from_environment --factory` and `yiju api`."""
    settings = get_settings()
    registry = load_registry(settings.registry_file())
    return create_app(settings, registry)
