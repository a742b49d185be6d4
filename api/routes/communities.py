"""`GET /communities`, `/communities/{id}` and a community's scorecard over a range."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CacheDep, InfluxDep, ReadKey, RegistryDep, ThresholdsDep
from api.errors import not_found
from api.models.common import ERROR_RESPONSES, NOT_FOUND
from api.models.compliance import CommunityCompliance, ScorecardPublic
from api.models.registry import CommunitiesPublic, CommunityPublic
from api.routes.params import FirstDay, LastDay, check_town, day_range, today
from api.services.registry_view import community_public
from core.compliance.daily import compute_daily
from core.compliance.scope import Scope

router = APIRouter(prefix="/communities", tags=["registry"], responses=ERROR_RESPONSES)


@router.get("", summary="Communities, optionally of one town")
def list_communities(
    registry: RegistryDep,
    key: ReadKey,
    town: Annotated[str | None, Query(max_length=64, description="a town id")] = None,
) -> CommunitiesPublic:
    if town is not None:
        check_town(registry, town)
        communities = registry.communities_in(town)
    else:
        communities = list(registry.communities)
    data = [community_public(registry, c) for c in communities]
    return CommunitiesPublic(data=data, count=len(data))


@router.get("/{community_id}", summary="One community", responses=NOT_FOUND)
def get_community(community_id: str, registry: RegistryDep, key: ReadKey) -> CommunityPublic:
    community = registry.community_by_id.get(community_id)
    if community is None:
        raise not_found(f"community {community_id!r}")
    return community_public(registry, community)


@router.get(
    "/{community_id}/scorecard",
    summary="A community's compliance per local day over a range",
    responses=NOT_FOUND,
)
def scorecard(
    community_id: str,
    registry: RegistryDep,
    influx: InfluxDep,
    limits: ThresholdsDep,
    cache: CacheDep,
    key: ReadKey,
    date_from: FirstDay = None,
    date_to: LastDay = None,
) -> ScorecardPublic:
    community = registry.community_by_id.get(community_id)
    if community is None:
        raise not_found(f"community {community_id!r}")
    tz = registry.district.tz
    first, last = day_range(date_from, date_to, tz)
    scope = Scope(first, last, tz, community_id=community.id)
    frame = cache.get_or_compute(
        ("daily", scope, limits),
        last < today(tz),
        lambda: compute_daily(influx, registry, scope, limits),
    )
    days = [CommunityCompliance.model_validate(r) for r in frame.to_dict(orient="records")]
    return ScorecardPublic(
        community=community.id,
        name=community.name,
        town=community.town_id,
        date_from=first,
        date_to=last,
        days=days,
        days_meeting=sum(d.meets_standard for d in days),
        count=len(days),
    )
