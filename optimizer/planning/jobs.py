"""Plan jobs: run a queued `PlanRecord` from the plan store to done or failed.

The API creates the record and starts `python -m yiju plan run-job PLAN_ID`;
this process owns the record from then on (queued → running → done | failed).
"""

from __future__ import annotations

import logging
from datetime import date

from core.errors import YijuError
from core.influx import InfluxClient
from core.localday import LocalDay, now_ms
from core.plans import PlanRecord, PlanState, PlanStore
from core.registry import Registry, load_registry
from core.settings import Settings
from optimizer.distance import provider_from_config
from optimizer.errors import PlanningError
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import plan_day
from optimizer.planning.publish import dispatch_routes, export_files, store_route_stops
from optimizer.planning.state import read_state
from optimizer.solver.problem import DistanceMatrixSource

log = logging.getLogger("yiju.optimizer")

# Seconds of search per job when YIJU_PLAN_TIME_LIMIT_S is not set.
DEFAULT_LIMIT_S = {
    ("garbage", False): 110.0,
    ("garbage", True): 40.0,
    ("pest", False): 20.0,
    ("pest", True): 10.0,
}


def job_time_limit(settings: Settings, kind: str, town_id: str | None) -> float:
    if settings.plan_time_limit_s is not None:
        return settings.plan_time_limit_s
    return DEFAULT_LIMIT_S[(kind, town_id is not None)]


def configured_provider(settings: Settings) -> DistanceMatrixSource | None:
    """`YIJU_DISTANCE_PROVIDER` (greatcircle, osrm, valhalla) and `YIJU_DISTANCE_URL`."""
    if not settings.distance_provider:
        return None
    try:
        return provider_from_config(settings.distance_provider, url=settings.distance_url)
    except ValueError as exc:
        raise PlanningError(f"YIJU_DISTANCE_PROVIDER: {exc}") from exc


def deliver(
    settings: Settings, record: PlanRecord, influx: InfluxClient, *, dispatch: bool
) -> list[str]:
    """Store route stops, write the exports and (optionally) dispatch; returns problems."""
    problems = []
    try:
        store_route_stops(influx, record)
    except YijuError as exc:
        problems.append(f"route_stop not written: {exc}")
    try:
        export_files(settings, record)
    except OSError as exc:
        problems.append(f"exports not written: {exc}")
    if dispatch:
        try:
            dispatch_routes(settings, record)
        except YijuError as exc:
            problems.append(f"routes not dispatched: {exc}")
    return problems


def run_plan_job(
    settings: Settings,
    plan_id: str,
    *,
    registry: Registry | None = None,
    time_limit_s: float | None = None,
    dispatch: bool = True,
) -> PlanRecord:
    """Run the queued plan `plan_id`; the record ends done or failed (with the error)."""
    store = PlanStore(settings.data_dir)
    record = store.get(plan_id)
    if record is None:
        raise PlanningError(f"no plan {plan_id!r} in {store.folder}; the API creates plan records")
    if record.state in (PlanState.DONE, PlanState.RUNNING):
        raise PlanningError(f"plan {plan_id} is {record.state.value} already")
    record.state = PlanState.RUNNING
    record.started_ms = now_ms()
    store.save(record)
    try:
        if registry is None:
            path = settings.registry_file()
            if not path.exists():
                raise PlanningError(f"no district registry at {path}; run `yiju district generate`")
            registry = load_registry(path)
        day = date.fromisoformat(record.date)
        local = LocalDay(day, settings.tz)
        limit = (
            time_limit_s
            if time_limit_s is not None
            else job_time_limit(settings, record.kind, record.town_id)
        )
        with InfluxClient.from_settings(settings) as influx:
            state = read_state(influx, min(now_ms(), local.end_ms - 1), local.start_ms)
            result = plan_day(
                registry,
                state,
                day,
                record.kind,
                record.town_id,
                time_limit_s=limit,
                plan_id=plan_id,
                provider=configured_provider(settings),
                config=PlanningConfig.for_rules(settings.rule_thresholds()),
            )
            result.created_ms = record.created_ms
            result.started_ms = record.started_ms
            problems = deliver(settings, result, influx, dispatch=dispatch)
        result.error = "; ".join(problems) or None
        result.finished_ms = now_ms()
        store.save(result)
        return result
    except Exception as exc:  # the record must end failed whatever went wrong
        log.exception("plan %s failed", plan_id)
        record.state = PlanState.FAILED
        record.error = f"{type(exc).__name__}: {exc}"
        record.finished_ms = now_ms()
        store.save(record)
        return record
