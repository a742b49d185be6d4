"""Typed records of the district registry.

The registry is the district's static truth: towns, communities with the static
criteria of the livable-community plan, collection points with their bins and
fill sensors, sewage outlets with their level sensors, cameras, transfer
stations, depots, trucks, pest-control sites and crews. It is stored as one
JSON file whose top level holds one list per record type (see `store.py`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.localday import parse_clock


class Record(BaseModel):
    """Base of every registry record: strict about unknown keys, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GeoPoint(Record):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class BoundingBox(Record):
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


# Nanhai District with a margin of a few kilometres around its boundary.
NANHAI_BBOX = BoundingBox(min_lat=22.70, max_lat=23.35, min_lon=112.78, max_lon=113.32)


class District(Record):
    """District-wide facts every part shares (generation figures under `generator`)."""

    name: str = "南海区 Nanhai"
    tz: str = "Asia/Shanghai"
    bbox: BoundingBox = NANHAI_BBOX
    # Household garbage per resident and day, and its density loose in a bin
    # (wet, food-heavy waste); the optimizer's demand and the simulators' fill use them.
    kg_per_resident_day: float = Field(1.15, gt=0)
    garbage_density_kg_per_l: float = Field(0.3, gt=0)
    generator: dict[str, str | int | float] = Field(default_factory=dict)


class Shift(Record):
    """A working shift in local clock times ('HH:MM'), with one break."""

    start: str = "05:00"
    end: str = "13:00"
    break_start: str = "09:00"
    break_min: int = Field(30, ge=0, le=240)

    @field_validator("start", "end", "break_start")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @property
    def minutes(self) -> int:
        start, end = parse_clock(self.start), parse_clock(self.end)
        return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class Town(GeoPoint):
    id: str
    name: str
    name_en: str
    population: int = Field(ge=0)
    area_km2: float = Field(gt=0)


class CommunityKind(StrEnum):
    COMMUNITY = "community"  # 社区, urban
    VILLAGE = "village"  # 村, rural


class Community(GeoPoint):
    """A community (社区) or village (村) with the plan's static criteria."""

    id: str
    name: str
    town_id: str
    kind: CommunityKind = CommunityKind.COMMUNITY
    population: int = Field(ge=0)
    households: int = Field(ge=0)
    is_new: bool = False
    class2_toilets: int = Field(0, ge=0)
    green_space_ratio: float = Field(ge=0, le=1)
    service_centre_m2: float = Field(ge=0)


class BinSize(Record):
    volume_l: int
    count: int = 1


class PointCategory(StrEnum):
    RESIDENTIAL = "residential"
    MARKET = "market"
    SCHOOL = "school"


class FillSensor(Record):
    device_id: str
    interval_s: int = Field(900, gt=0)


class CollectionPoint(GeoPoint):
    """A fixed garbage collection point (定点投放) with its bins and fill sensor."""

    id: str
    community_id: str
    category: PointCategory = PointCategory.RESIDENTIAL
    served_population: int = Field(ge=0)
    bins: list[BinSize]
    sensor: FillSensor | None = None

    @property
    def volume_l(self) -> int:
        return sum(b.volume_l * b.count for b in self.bins)


class LevelSensor(Record):
    device_id: str
    interval_s: int = Field(300, gt=0)


class SewageOutlet(GeoPoint):
    id: str
    community_id: str
    normal_level_cm: float
    overflow_level_cm: float
    sensor: LevelSensor | None = None


class Camera(GeoPoint):
    """A surveillance camera; `nvr_id` groups the cameras that share a recorder."""

    id: str
    community_id: str
    nvr_id: str
    heartbeat_s: int = Field(300, gt=0)


class TransferStation(GeoPoint):
    id: str
    town_id: str
    name: str
    capacity_t_per_day: float
    unload_min: int = Field(15, ge=0)


class Depot(GeoPoint):
    id: str
    town_id: str
    name: str


class Truck(Record):
    """A rear-loading compactor truck based at a depot."""

    id: str
    town_id: str
    depot_id: str
    capacity_kg: float
    volume_m3: float
    shift: Shift = Shift()


class PestSite(GeoPoint):
    """A community's pest-control site, visited every `cycle_days_*` days."""

    id: str
    community_id: str
    cycle_days_peak: int = 7
    cycle_days_normal: int = 14
    service_min: int = Field(90, gt=0)


class PestCrew(Record):
    id: str
    town_ids: list[str]
    depot_id: str
    shift: Shift = Shift(start="08:30", end="17:30", break_start="12:00", break_min=60)


class DeviceKind(StrEnum):
    """Kinds of publishers; the value is the topic segment (`telemetry/{kind}/…`)."""

    BIN = "bin"
    SEWER = "sewer"
    CAMERA = "camera"
    VEHICLE = "vehicle"
    CREW = "crew"


class DeviceRef(Record):
    """What ingest needs to enrich a message: where a device sits in the district."""

    device_id: str
    kind: DeviceKind
    subject_id: str
    community_id: str | None
    town_id: str
    interval_s: int | None = None


RecordType = Literal[
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
]
