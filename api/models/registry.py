"""Towns and communities from the district registry."""

from __future__ import annotations

from pydantic import BaseModel

from core.registry import CommunityKind


class TownPublic(BaseModel):
    id: str
    name: str
    name_en: str
    population: int
    area_km2: float
    lat: float
    lon: float
    communities: int


class TownsPublic(BaseModel):
    data: list[TownPublic]
    count: int


class CommunityPublic(BaseModel):
    id: str
    name: str
    town_id: str
    kind: CommunityKind
    population: int
    households: int
    is_new: bool
    class2_toilets: int
    green_space_ratio: float
    service_centre_m2: float
    lat: float
    lon: float
    collection_points: int
    sewage_outlets: int
    cameras: int
    pest_sites: int


class CommunitiesPublic(BaseModel):
    data: list[CommunityPublic]
    count: int
