"""`GET /towns`: the district's towns from the registry."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReadKey, RegistryDep
from api.models.common import ERROR_RESPONSES
from api.models.registry import TownPublic, TownsPublic

router = APIRouter(prefix="/towns", tags=["registry"], responses=ERROR_RESPONSES)


@router.get("", summary="Towns of the district")
def list_towns(registry: RegistryDep, key: ReadKey) -> TownsPublic:
    counts: dict[str, int] = {}
    for community in registry.communities:
        counts[community.town_id] = counts.get(community.town_id, 0) + 1
    towns = [TownPublic(**t.model_dump(), communities=counts.get(t.id, 0)) for t in registry.towns]
    return TownsPublic(data=towns, count=len(towns))
