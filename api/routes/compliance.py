"""`GET /compliance?date=`: every community's compliance on a local day, and per town the
share meeting the standard; `format=csv` for the monthly assessment sheets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CacheDep, InfluxDep, ReadKey, RegistryDep, ThresholdsDep
from api.errors import bad_parameter
from api.models.common import ERROR_RESPONSES
from api.models.compliance import (
    CommunityCompliance,
    CommunityMonth,
    CompliancePublic,
    MonthlyPublic,
    TownCompliance,
    TownMonth,
    TownTarget,
)
from api.routes.params import Format, check_day, check_town, today
from api.services.compliance_csv import to_csv
from api.services.monthly import month_days, monthly_summary
from core.compliance.daily import compute_compliance, compute_daily, target_column
from core.compliance.scope import Scope
from core.standard import ComplianceThresholds

router = APIRouter(prefix="/compliance", tags=["compliance"], responses=ERROR_RESPONSES)

CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "JSON, or CSV with `format=csv`",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "",
    summary="Compliance of every community on one local day",
    response_model=CompliancePublic,
    responses=CSV_RESPONSE,
)
def get_compliance(
    registry: RegistryDep,
    influx: InfluxDep,
    limits: ThresholdsDep,
    cache: CacheDep,
    key: ReadKey,
    date: Annotated[dt.date | None, Query(description="local day (default: today)")] = None,
    town: Annotated[str | None, Query(max_length=64, description="only this town")] = None,
    format: Format = "json",
    table: Annotated[
        Literal["communities", "towns"], Query(description="which table as CSV")
    ] = "communities",
) -> CompliancePublic | Response:
    tz = registry.district.tz
    day = check_day(date, "date") if date else today(tz)
    if day > today(tz):
        raise bad_parameter(f"date {day} is in the future")
    if town is not None:
        check_town(registry, town)
    communities, towns = cache.get_or_compute(
        ("compliance", day, town, limits),
        day < today(tz),
        lambda: compute_compliance(influx, registry, day, limits, town_id=town),
    )
    if format == "csv":
        frame = communities if table == "communities" else towns
        filename = f"compliance-{table}-{day.isoformat()}.csv"
        return Response(
            to_csv(frame),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    town_rows = [
        TownCompliance(
            town=r["town"],
            name=r["name"],
            date=r["date"],
            communities=int(r["communities"]),
            meeting=int(r["meeting"]),
            share=float(r["share"]),
            targets=[
                TownTarget(share=t, met=bool(r[target_column(t)])) for t in limits.town_targets
            ],
        )
        for r in towns.to_dict(orient="records")
    ]
    rows = [CommunityCompliance.model_validate(r) for r in communities.to_dict(orient="records")]
    return CompliancePublic(
        date=day,
        complete=day < today(tz),
        thresholds=_thresholds_view(limits),
        communities=rows,
        towns=town_rows,
        count=len(rows),
    )


@router.get(
    "/monthly",
    summary="The monthly assessment: a month of compliance per community and town",
    response_model=MonthlyPublic,
    responses=CSV_RESPONSE,
)
def get_monthly(
    registry: RegistryDep,
    influx: InfluxDep,
    limits: ThresholdsDep,
    cache: CacheDep,
    key: ReadKey,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
    town: Annotated[str | None, Query(max_length=64, description="only this town")] = None,
    format: Format = "json",
    table: Annotated[
        Literal["communities", "towns"], Query(description="which table as CSV")
    ] = "communities",
) -> MonthlyPublic | Response:
    tz = registry.district.tz
    try:
        first, last = month_days(month, today(tz))
    except ValueError as exc:
        raise bad_parameter(str(exc)) from None
    check_day(first, "month")
    if town is not None:
        check_town(registry, town)
    scope = Scope(first, last, tz, town_id=town)
    communities, towns = cache.get_or_compute(
        ("monthly", scope, limits),
        last < today(tz),
        lambda: monthly_summary(compute_daily(influx, registry, scope, limits)),
    )
    if format == "csv":
        frame = communities if table == "communities" else towns
        filename = f"compliance-{table}-{month}.csv"
        return Response(
            to_csv(frame),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return MonthlyPublic(
        month=month,
        date_from=first,
        date_to=last,
        communities=[CommunityMonth.model_validate(r) for r in communities.to_dict("records")],
        towns=[TownMonth.model_validate(r) for r in towns.to_dict("records")],
        count=len(communities),
    )


def _thresholds_view(limits: ComplianceThresholds) -> dict[str, float | int | str | list[float]]:
    """The thresholds an answer was computed with, echoed so a sheet says what it measured."""
    rules = limits.rules
    return {
        "min_clearance_rate": limits.min_clearance_rate,
        "clearance_cutoff": rules.clearance_cutoff,
        "bin_overflow_pct": rules.bin_overflow_pct,
        "max_exposed_minutes": limits.max_exposed_minutes,
        "max_sewer_overflows": limits.max_sewer_overflows,
        "min_camera_availability": limits.min_camera_availability,
        "min_class2_toilets": limits.min_class2_toilets,
        "min_green_space_ratio": limits.min_green_space_ratio,
        "min_green_space_ratio_new": limits.min_green_space_ratio_new,
        "min_service_centre_m2": limits.min_service_centre_m2,
        "town_targets": [float(t) for t in limits.town_targets],
    }
