"""Registry records as API answers, with per-community counts computed once."""

from __future__ import annotations

from collections import Counter

from api.models.registry import CommunityPublic
from core.registry import Community, Registry

_COUNTS: dict[int, tuple[Registry, dict[str, Counter[str]]]] = {}


def _counts(registry: Registry) -> dict[str, Counter[str]]:
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


def community_public(registry: Registry, community: Community) -> CommunityPublic:
    counts = _counts(registry)
    return CommunityPublic(
        **community.model_dump(),
        **{name: counter.get(community.id, 0) for name, counter in counts.items()},
    )
