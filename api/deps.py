"""Dependencies as `Annotated` aliases: settings, InfluxDB, the registry, the caller's key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import ApiKey, KeyRing, Scope
from api.services.compliance_cache import ComplianceCache
from core.influx import InfluxClient
from core.plans import PlanStore
from core.registry import Registry
from core.settings import Settings
from core.standard import ComplianceThresholds


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_influx(request: Request) -> InfluxClient:
    influx: InfluxClient = request.app.state.influx
    return influx


def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def get_thresholds(request: Request) -> ComplianceThresholds:
    limits: ComplianceThresholds = request.app.state.thresholds
    return limits


def get_plan_store(request: Request) -> PlanStore:
    store: PlanStore = request.app.state.plan_store
    return store


def get_compliance_cache(request: Request) -> ComplianceCache:
    cache: ComplianceCache = request.app.state.compliance_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
InfluxDep = Annotated[InfluxClient, Depends(get_influx)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
ThresholdsDep = Annotated[ComplianceThresholds, Depends(get_thresholds)]
PlanStoreDep = Annotated[PlanStore, Depends(get_plan_store)]
CacheDep = Annotated[ComplianceCache, Depends(get_compliance_cache)]

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")


def current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """The caller's key; 401 when there is none or it is unknown."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this endpoint needs an API key: send `Authorization: Bearer <key>`",
            headers=challenge,
        )
    keys: KeyRing = request.app.state.keys
    key = keys.find(credentials.credentials)
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "the API key is not valid", headers=challenge
        )
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def require(scope: Scope) -> Callable[[ApiKey], ApiKey]:
    """A dependency that lets through only keys whose role has `scope` (else 403)."""

    def check(key: CurrentKey) -> ApiKey:
        if not key.allows(scope):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"key {key.name!r} has role {key.role.value}, which may not {scope.value}",
            )
        return key

    return check


ReadKey = Annotated[ApiKey, Depends(require(Scope.READ))]
PlanKey = Annotated[ApiKey, Depends(require(Scope.PLAN))]
AdminKey = Annotated[ApiKey, Depends(require(Scope.ADMIN))]
