"""`GET /violations`: violation events, newest first, filtered, cursor-paged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import InfluxDep, ReadKey, RegistryDep
from api.errors import bad_parameter
from api.models.common import ERROR_RESPONSES
from api.models.violations import ViolationPublic, ViolationsPublic
from api.routes.params import check_community, check_town
from api.services.violations import ViolationFilter, decode_cursor, list_violations
from core.localday import MS_PER_DAY, now_ms, zone
from core.schema import ViolationKind

router = APIRouter(prefix="/violations", tags=["violations"], responses=ERROR_RESPONSES)

EARLIEST_MS = 946_684_800_000  # 2000-01-01
LATEST_MS = 4_133_980_800_000  # 2101-01-01
MAX_RANGE_MS = 92 * MS_PER_DAY


def _ms(moment: dt.datetime, tz: str, name: str) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    try:
        ms = int(moment.timestamp() * 1000)
    except (OverflowError, ValueError):
        raise bad_parameter(f"{name} is out of range") from None
    if not EARLIEST_MS <= ms < LATEST_MS:
        raise bad_parameter(f"{name} must fall between 2000 and 2100")
    return ms


@router.get("", summary="Violations, newest first")
def get_violations(
    registry: RegistryDep,
    influx: InfluxDep,
    key: ReadKey,
    town: Annotated[str | None, Query(max_length=64)] = None,
    community: Annotated[str | None, Query(max_length=64)] = None,
    kind: ViolationKind | None = None,
    status: Literal["open", "closed"] | None = None,
    start: Annotated[
        dt.datetime | None,
        Query(
            alias="from",
            description="opened at or after (ISO 8601; default: 7 days ago, 92 for status=open)",
        ),
    ] = None,
    end: Annotated[
        dt.datetime | None, Query(alias="to", description="opened before (default: now)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ViolationsPublic:
    tz = registry.district.tz
    if town is not None:
        check_town(registry, town)
    if community is not None:
        check_community(registry, community)
    end_ms = _ms(end, tz, "to") if end else now_ms() + 1
    # "What is open now" looks back as far as a range may; other questions a week.
    lookback = MAX_RANGE_MS if status == "open" else 7 * MS_PER_DAY
    start_ms = _ms(start, tz, "from") if start else end_ms - lookback
    if start_ms > end_ms:
        raise bad_parameter("from is after to")
    if end_ms - start_ms > MAX_RANGE_MS:
        raise bad_parameter("from–to may span at most 92 days")
    try:
        position = decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise bad_parameter(str(exc)) from None
    where = ViolationFilter(start_ms, end_ms, town, community, kind.value if kind else None, status)
    page, next_cursor = list_violations(influx, where, limit=limit, cursor=position)
    data = [
        ViolationPublic(
            violation_id=v.violation_id,
            kind=v.kind,
            community=v.community,
            town=v.town,
            subject=v.subject,
            status=v.status,
            opened_ms=v.opened_ms,
            closed_ms=v.closed_ms,
            duration_s=v.duration_s,
            value=v.value,
        )
        for v in page
    ]
    return ViolationsPublic(data=data, count=len(data), next_cursor=next_cursor)
