"""Per-community counts of the registry, computed once per registry object (the
compliance reads them for every community of every answer)."""

from __future__ import annotations

from collections import Counter

from core.registry import Registry

_COUNTS: dict[int, tuple[Registry, dict[str, Counter[str]]]] = {}
_POINT_COMMUNITY: dict[int, tuple[Registry, dict[str, str]]] = {}


def counts_by_community(registry: Registry) -> dict[str, Counter[str]]:
    """Collection points, sewage outlets, cameras and pest sites per community, counted
    once per registry object."""
    cached = _COUNTS.get(id(registry))
    if cached is None or cached[0] is not registry:
        counts = {
            "collection_points": Counter(p.community_id for p in registry.collection_points),
            "sewage_outlets": Counter(o.community_id for o in registry.sewage_outlets),
            "cameras": Counter(c.community_id for c in registry.cameras),
            "pest_sites": Counter(s.community_id for s in registry.pest_sites),
        }
        cached = (registry, counts)
        _COUNTS.clear()
        _COUNTS[id(registry)] = cached
    return cached[1]


def point_community(registry: Registry) -> dict[str, str]:
    """Collection point id → community id, built once per registry object."""
    cached = _POINT_COMMUNITY.get(id(registry))
    if cached is None or cached[0] is not registry:
        cached = (registry, {p.id: p.community_id for p in registry.collection_points})
        _POINT_COMMUNITY.clear()
        _POINT_COMMUNITY[id(registry)] = cached
    return cached[1]
