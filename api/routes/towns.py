"""`GET /towns` (the district's towns from the registry) and a town's scorecard: per local
day, its communities meeting the standard and the daily figures summed over them."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import CacheDep, InfluxDep, ReadKey, RegistryDep, ThresholdsDep
from api.errors import not_found
from api.models.common import ERROR_RESPONSES, NOT_FOUND
from api.models.compliance import TownDay, TownScorecardPublic, TownTarget
from api.models.registry import TownPublic, TownsPublic
from api.routes.params import FirstDay, Format, LastDay, day_range, today
from api.services.compliance_cache import ComplianceCache
from api.services.compliance_csv import to_csv
from core.compliance.daily import compute_daily, target_column, town_daily
from core.compliance.scope import Scope
from core.influx import InfluxClient
from core.registry import Registry
from core.standard import ComplianceThresholds

router = APIRouter(prefix="/towns", tags=["registry"], responses=ERROR_RESPONSES)

CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "JSON, or CSV with `format=csv`",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get("", summary="Towns of the district")
def list_towns(registry: RegistryDep, key: ReadKey) -> TownsPublic:
    counts: dict[str, int] = {}
    for community in registry.communities:
        counts[community.town_id] = counts.get(community.town_id, 0) + 1
    towns = [TownPublic(**t.model_dump(), communities=counts.get(t.id, 0)) for t in registry.towns]
    return TownsPublic(data=towns, count=len(towns))


@router.get(
    "/{town_id}/scorecard",
    summary="A town's compliance per local day over a range",
    response_model=TownScorecardPublic,
    responses={**NOT_FOUND, **CSV_RESPONSE},
)
def town_scorecard(
    town_id: str,
    registry: RegistryDep,
    influx: InfluxDep,
    limits: ThresholdsDep,
    cache: CacheDep,
    key: ReadKey,
    date_from: FirstDay = None,
    date_to: LastDay = None,
    format: Format = "json",
) -> TownScorecardPublic | Response:
    town = registry.town_by_id.get(town_id)
    if town is None:
        raise not_found(f"town {town_id!r}")
    tz = registry.district.tz
    first, last = day_range(date_from, date_to, tz)
    scope = Scope(first, last, tz, town_id=town.id)
    frame = town_days_frame(registry, influx, limits, cache, scope)
    if format == "csv":
        return csv_response(frame, f"scorecard-{town.id}-{first}-{last}.csv")
    days = town_days(frame, limits)
    return TownScorecardPublic(
        town=town.id, name=town.name, date_from=first, date_to=last, days=days, count=len(days)
    )


def town_days_frame(
    registry: Registry,
    influx: InfluxClient,
    limits: ComplianceThresholds,
    cache: ComplianceCache,
    scope: Scope,
) -> pd.DataFrame:
    """Per town and day of `scope`, from the one daily computation (cached for past days)."""
    return cache.get_or_compute(
        ("town-daily", scope, limits),
        scope.last < today(scope.tz),
        lambda: town_daily(compute_daily(influx, registry, scope, limits), registry, limits),
    )


def town_days(frame: pd.DataFrame, limits: ComplianceThresholds) -> list[TownDay]:
    targets = {target_column(t): t for t in limits.town_targets}
    return [
        TownDay.model_validate(
            {
                **{k: v for k, v in r.items() if k not in targets},
                "targets": [TownTarget(share=t, met=bool(r[c])) for c, t in targets.items()],
            }
        )
        for r in frame.to_dict(orient="records")
    ]


def csv_response(frame: pd.DataFrame, filename: str) -> Response:
    return Response(
        to_csv(frame),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
