"""The district registry as one object, with the look-ups every part needs."""

from __future__ import annotations

from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from core.registry.models import (
    Camera,
    CollectionPoint,
    Community,
    Depot,
    DeviceKind,
    DeviceRef,
    District,
    PestCrew,
    PestSite,
    SewageOutlet,
    Town,
    TransferStation,
    Truck,
)

LIST_NAMES = (
    "towns",
    "communities",
    "collection_points",
    "sewage_outlets",
    "cameras",
    "transfer_stations",
    "depots",
    "trucks",
    "pest_sites",
    "pest_crews",
)


class Registry(BaseModel):
    """Every static record of one district. Build with `load_registry` or the generator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    district: District = Field(default_factory=District)
    towns: list[Town] = Field(default_factory=list)
    communities: list[Community] = Field(default_factory=list)
    collection_points: list[CollectionPoint] = Field(default_factory=list)
    sewage_outlets: list[SewageOutlet] = Field(default_factory=list)
    cameras: list[Camera] = Field(default_factory=list)
    transfer_stations: list[TransferStation] = Field(default_factory=list)
    depots: list[Depot] = Field(default_factory=list)
    trucks: list[Truck] = Field(default_factory=list)
    pest_sites: list[PestSite] = Field(default_factory=list)
    pest_crews: list[PestCrew] = Field(default_factory=list)

    @cached_property
    def town_by_id(self) -> dict[str, Town]:
        return {t.id: t for t in self.towns}

    @cached_property
    def community_by_id(self) -> dict[str, Community]:
        return {c.id: c for c in self.communities}

    @cached_property
    def point_by_id(self) -> dict[str, CollectionPoint]:
        return {p.id: p for p in self.collection_points}

    @cached_property
    def outlet_by_id(self) -> dict[str, SewageOutlet]:
        return {o.id: o for o in self.sewage_outlets}

    @cached_property
    def camera_by_id(self) -> dict[str, Camera]:
        return {c.id: c for c in self.cameras}

    @cached_property
    def station_by_id(self) -> dict[str, TransferStation]:
        return {s.id: s for s in self.transfer_stations}

    @cached_property
    def depot_by_id(self) -> dict[str, Depot]:
        return {d.id: d for d in self.depots}

    @cached_property
    def truck_by_id(self) -> dict[str, Truck]:
        return {t.id: t for t in self.trucks}

    @cached_property
    def pest_site_by_id(self) -> dict[str, PestSite]:
        return {s.id: s for s in self.pest_sites}

    @cached_property
    def crew_by_id(self) -> dict[str, PestCrew]:
        return {c.id: c for c in self.pest_crews}

    def town_of(self, community_id: str) -> str:
        return self.community_by_id[community_id].town_id

    def communities_in(self, town_id: str) -> list[Community]:
        return [c for c in self.communities if c.town_id == town_id]

    def points_in(self, town_id: str) -> list[CollectionPoint]:
        return [p for p in self.collection_points if self.town_of(p.community_id) == town_id]

    @cached_property
    def devices(self) -> dict[str, DeviceRef]:
        """Every device that may publish, keyed by its id (also its MQTT user name)."""
        refs: dict[str, DeviceRef] = {}
        for p in self.collection_points:
            if p.sensor is not None:
                refs[p.sensor.device_id] = DeviceRef(
                    device_id=p.sensor.device_id,
                    kind=DeviceKind.BIN,
                    subject_id=p.id,
                    community_id=p.community_id,
                    town_id=self.town_of(p.community_id),
                    interval_s=p.sensor.interval_s,
                )
        for o in self.sewage_outlets:
            if o.sensor is not None:
                refs[o.sensor.device_id] = DeviceRef(
                    device_id=o.sensor.device_id,
                    kind=DeviceKind.SEWER,
                    subject_id=o.id,
                    community_id=o.community_id,
                    town_id=self.town_of(o.community_id),
                    interval_s=o.sensor.interval_s,
                )
        for c in self.cameras:
            refs[c.id] = DeviceRef(
                device_id=c.id,
                kind=DeviceKind.CAMERA,
                subject_id=c.id,
                community_id=c.community_id,
                town_id=self.town_of(c.community_id),
                interval_s=c.heartbeat_s,
            )
        for t in self.trucks:
            refs[t.id] = DeviceRef(
                device_id=t.id,
                kind=DeviceKind.VEHICLE,
                subject_id=t.id,
                community_id=None,
                town_id=t.town_id,
            )
        for crew in self.pest_crews:
            refs[crew.id] = DeviceRef(
                device_id=crew.id,
                kind=DeviceKind.CREW,
                subject_id=crew.id,
                community_id=None,
                town_id=crew.town_ids[0] if crew.town_ids else "",
            )
        return refs

    def counts(self) -> dict[str, int]:
        """Number of records per top-level list, plus sensor counts."""
        out = {name: len(getattr(self, name)) for name in LIST_NAMES}
        out["fill_sensors"] = sum(1 for p in self.collection_points if p.sensor)
        out["level_sensors"] = sum(1 for o in self.sewage_outlets if o.sensor)
        out["bins"] = sum(b.count for p in self.collection_points for b in p.bins)
        return out
