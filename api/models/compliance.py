"""Compliance answers: per community and day, per town, and a community's scorecard."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class CommunityCompliance(BaseModel):
    community: str
    name: str
    town: str
    date: dt.date
    points: int
    points_cleared: int
    clearance_rate: float | None = Field(description="cleared by the cut-off / points")
    exposed_minutes: float
    points_overflowed: int = Field(
        description="distinct collection points with a bin overflow opened in the day"
    )
    sewer_overflows: int
    sewer_overflow_minutes: float
    cameras: int
    camera_availability: float | None = Field(description="online time / time, 0–1")
    pest_sites: int
    pest_sites_on_schedule: int
    class2_toilet_ok: bool
    green_space_ok: bool
    service_centre_ok: bool
    static_ok: bool
    meets_standard: bool
    failing: list[str] = Field(description="criteria not met")
    daily_ok: bool = Field(description="every daily criterion holds (all but the static ones)")
    failing_daily: list[str] = Field(description="daily criteria not met")
    failing_static: list[str] = Field(description="static criteria (registry) not met")


class TownTarget(BaseModel):
    share: float
    met: bool


class TownCompliance(BaseModel):
    town: str
    name: str
    date: dt.date
    communities: int
    meeting: int
    share: float
    targets: list[TownTarget]


class CompliancePublic(BaseModel):
    date: dt.date
    complete: bool = Field(description="the day has ended (otherwise: the figures so far)")
    thresholds: dict[str, float | int | str | list[float]]
    communities: list[CommunityCompliance]
    towns: list[TownCompliance]
    count: int


class ScorecardPublic(BaseModel):
    community: str
    name: str
    town: str
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    days: list[CommunityCompliance]
    days_meeting: int
    count: int

    model_config = {"populate_by_name": True}


class TownDay(BaseModel):
    town: str
    name: str
    date: dt.date
    communities: int
    meeting: int = Field(description="communities meeting the standard")
    share: float = Field(description="meeting / communities")
    targets: list[TownTarget]
    points: int
    points_cleared: int
    clearance_rate: float | None = Field(description="points cleared by the cut-off / points")
    exposed_minutes: float = Field(description="the communities' exposed-garbage minutes, summed")
    points_overflowed: int = Field(
        description="distinct collection points with a bin overflow opened in the day"
    )
    pest_sites: int
    pest_sites_on_schedule: int
    failing: int = Field(description="communities not meeting the standard")
    failing_static: int = Field(description="failing communities with a static criterion failed")
    failing_daily: int = Field(description="failing communities with a daily criterion failed")
    failing_daily_only: int = Field(
        description="failing communities whose static criteria hold (only daily ones failed)"
    )


class TownScorecardPublic(BaseModel):
    town: str
    name: str
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    days: list[TownDay]
    count: int

    model_config = {"populate_by_name": True}


class DistrictScorecardPublic(BaseModel):
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    days: list[TownDay] = Field(description="one row per town and local day")
    count: int

    model_config = {"populate_by_name": True}


class CommunityMonth(BaseModel):
    community: str
    name: str
    town: str
    days: int
    days_meeting: int
    share_of_days: float
    clearance_rate: float | None
    exposed_minutes: float
    sewer_overflows: int
    sewer_overflow_minutes: float
    camera_availability: float | None
    pest_days_on_schedule: int
    static_ok: bool
    most_failed: str | None


class TownMonth(BaseModel):
    town: str
    communities: int
    community_days: int
    days_meeting: int
    share_of_days: float


class MonthlyPublic(BaseModel):
    month: str
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    communities: list[CommunityMonth]
    towns: list[TownMonth]
    count: int

    model_config = {"populate_by_name": True}
