"""`GET /scorecard?from=&to=`: the whole district per town and local day (the town
scorecard of every town)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import CacheDep, InfluxDep, ReadKey, RegistryDep, ThresholdsDep
from api.models.common import ERROR_RESPONSES
from api.models.compliance import DistrictScorecardPublic
from api.routes.params import FirstDay, Format, LastDay, day_range
from api.routes.towns import CSV_RESPONSE, csv_response, town_days, town_days_frame
from core.compliance.scope import Scope

router = APIRouter(prefix="/scorecard", tags=["compliance"], responses=ERROR_RESPONSES)


@router.get(
    "",
    summary="Every town's compliance per local day over a range",
    response_model=DistrictScorecardPublic,
    responses=CSV_RESPONSE,
)
def district_scorecard(
    registry: RegistryDep,
    influx: InfluxDep,
    limits: ThresholdsDep,
    cache: CacheDep,
    key: ReadKey,
    date_from: FirstDay = None,
    date_to: LastDay = None,
    format: Format = "json",
) -> DistrictScorecardPublic | Response:
    tz = registry.district.tz
    first, last = day_range(date_from, date_to, tz)
    frame = town_days_frame(registry, influx, limits, cache, Scope(first, last, tz))
    if format == "csv":
        return csv_response(frame, f"scorecard-district-{first}-{last}.csv")
    days = town_days(frame, limits)
    return DistrictScorecardPublic(date_from=first, date_to=last, days=days, count=len(days))
