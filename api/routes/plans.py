"""`POST /plans` starts a planning job (202); `GET /plans/{id}` tells its state and result."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from api.deps import PlanKey, PlanStoreDep, RegistryDep
from api.errors import not_found
from api.models.common import ERROR_RESPONSES, NOT_FOUND, ErrorPublic
from api.models.plans import PlanAccepted, PlanCreate, PlansPublic
from api.routes.params import check_day, check_town
from api.services.plan_jobs import PlanJobs, PlanLaunchError, TooManyPlansError
from core.plans import PlanRecord

router = APIRouter(prefix="/plans", tags=["plans"], responses=ERROR_RESPONSES)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start planning the day's routes (garbage or pest control)",
    responses={
        429: {"model": ErrorPublic, "description": "too many plans running"},
        503: {"model": ErrorPublic, "description": "the planning process could not start"},
    },
)
def create_plan(
    body: PlanCreate, request: Request, response: Response, registry: RegistryDep, key: PlanKey
) -> PlanAccepted:
    check_day(body.date, "date")
    if body.town is not None:
        check_town(registry, body.town)
    jobs: PlanJobs = request.app.state.plan_jobs
    try:
        record = jobs.submit(body.date, body.kind, body.town)
    except TooManyPlansError as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from None
    except PlanLaunchError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    location = f"{request.url.path.rstrip('/')}/{record.plan_id}"
    response.headers["Location"] = location
    return PlanAccepted(plan_id=record.plan_id, state=record.state.value, location=location)


@router.get("", summary="Plans of a day")
def list_plans(
    store: PlanStoreDep,
    key: PlanKey,
    date: Annotated[dt.date | None, Query()] = None,
    kind: Annotated[Literal["garbage", "pest"] | None, Query()] = None,
) -> PlansPublic:
    plans = store.list(date=date.isoformat() if date else None, kind=kind)
    plans.sort(key=lambda p: p.created_ms, reverse=True)
    return PlansPublic(data=plans, count=len(plans))


@router.get(
    "/{plan_id}", summary="A plan's state, KPIs, routes and unserved stops", responses=NOT_FOUND
)
def get_plan(plan_id: str, store: PlanStoreDep, key: PlanKey) -> PlanRecord:
    record = store.get(plan_id)
    if record is None:
        raise not_found(f"plan {plan_id!r}")
    return record
