"""Registry records as API answers, with their per-community counts."""

from __future__ import annotations

from api.models.registry import CommunityPublic
from core.compliance.counts import counts_by_community
from core.registry import Community, Registry


def community_public(registry: Registry, community: Community) -> CommunityPublic:
    counts = counts_by_community(registry)
    return CommunityPublic(
        **community.model_dump(),
        **{name: counter.get(community.id, 0) for name, counter in counts.items()},
    )
