"""Compliance answers for days that have ended are cached briefly; today's never."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Role
from api.services.compliance_cache import ComplianceCache
from tests.api.conftest import auth
from tests.api.dataset import Case


def test_cache_keeps_complete_days_only() -> None:
    """A complete day's value is computed once; an incomplete one every time; ttl 0 is off."""
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    cache = ComplianceCache(ttl_s=60)
    assert cache.get_or_compute("d1", True, compute) == 1
    assert cache.get_or_compute("d1", True, compute) == 1
    assert cache.get_or_compute("today", False, compute) == 2
    assert cache.get_or_compute("today", False, compute) == 3
    off = ComplianceCache(ttl_s=0)
    assert off.get_or_compute("d1", True, compute) == 4
    assert off.get_or_compute("d1", True, compute) == 5


def test_cache_is_bounded() -> None:
    """The oldest entries go first when the cache is full."""
    cache = ComplianceCache(ttl_s=60, max_entries=2)
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, True, lambda k=key: k)
    assert cache.get_or_compute("a", True, lambda: "again") == "again"


def test_repeated_past_day_hits_the_cache(api_app: FastAPI, client: TestClient, case: Case) -> None:
    """The second request for the same past day is answered from the cache, identically."""
    cache: ComplianceCache = api_app.state.compliance_cache
    cache.clear()
    params = {"date": case.spec["date"]}
    first = client.get("/api/v1/compliance", params=params, headers=auth(Role.OFFICE))
    hits = cache.hits
    second = client.get("/api/v1/compliance", params=params, headers=auth(Role.OFFICE))
    assert cache.hits == hits + 1
    assert first.json() == second.json()
