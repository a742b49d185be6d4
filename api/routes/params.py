"""Checks of query parameters shared by the routers (422 with a message on failure)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query

from api.errors import bad_parameter
from core.localday import local_date, now_ms
from core.registry import Registry

# Days outside this window are refused: InfluxDB's timestamps end in 2262, and
# nothing in yiju happened before 2000.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_RANGE_DAYS = 366

# The query parameters of the per-day scorecards, declared once.
FirstDay = Annotated[
    dt.date | None, Query(alias="from", description="first local day (default: 29 days ago)")
]
LastDay = Annotated[
    dt.date | None, Query(alias="to", description="last local day (default: today)")
]
Format = Annotated[Literal["json", "csv"], Query(description="json or csv")]


def today(tz: str) -> dt.date:
    return local_date(now_ms(), tz)


def check_day(day: dt.date, name: str) -> dt.date:
    if not EARLIEST <= day <= LATEST:
        raise bad_parameter(f"{name} {day} is outside {EARLIEST}–{LATEST}")
    return day


def check_town(registry: Registry, town: str) -> str:
    if town not in registry.town_by_id:
        known = ", ".join(sorted(registry.town_by_id))
        raise bad_parameter(f"unknown town {town!r}; known towns: {known}")
    return town


def check_community(registry: Registry, community: str) -> str:
    if community not in registry.community_by_id:
        raise bad_parameter(f"unknown community {community!r}; GET /communities lists them")
    return community


def day_range(
    date_from: dt.date | None, date_to: dt.date | None, tz: str
) -> tuple[dt.date, dt.date]:
    """A scorecard's local days: default the last 30 up to today, at most
    `MAX_RANGE_DAYS`, not in the future, `from` not after `to`."""
    last = check_day(date_to, "to") if date_to else today(tz)
    first = check_day(date_from, "from") if date_from else last - dt.timedelta(days=29)
    if last > today(tz):
        raise bad_parameter(f"to ({last}) is in the future")
    if first > last:
        raise bad_parameter(f"from ({first}) is after to ({last})")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise bad_parameter(f"a scorecard covers at most {MAX_RANGE_DAYS} days")
    return first, last
