"""One district day end to end: ingest running, morning plans dispatched, the
simulated field driving them, a breakdown re-planned, and the day's figures.

The demo, the closed-loop test and `bench/district_day.py` all run this.
"""

from __future__ import annotations

import logging
import resource
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion

from core import credentials
from core.influx import InfluxClient
from core.localday import MS_PER_MINUTE, LocalDay, at_local, parse_clock
from core.plans import PlanRecord, PlanStore
from core.registry import Registry
from core.settings import Settings
from core.topics import Topics
from dashboards.seed import seed as seed_dashboards
from ingest.service import IngestService
from ingest.stats import IngestCounters
from optimizer.planning import plan_day
from optimizer.publish import dispatch_routes, store_route_stops
from optimizer.state import read_state
from simulators.day import DaySummary, Progress, run_day
from simulators.faults import Breakdown, FaultConfig
from yiju.day_report import DayFigures, day_figures

log = logging.getLogger("yiju.demo")


@dataclass(frozen=True, slots=True)
class DayOptions:
    """How to run the day. `speed` 0 runs as fast as the machine allows."""

    day: date
    speed: float = 0.0
    seed: int = 1
    faults: FaultConfig = field(default_factory=FaultConfig)
    # When the dispatcher plans the day (local time), with the night's readings in.
    morning_plan_at: str = "03:30"
    # A truck that breaks down, and how long the dispatcher takes to notice and re-plan.
    breakdown: Breakdown | None = None
    replan_after_min: int = 20
    # Trucks kept out of the morning plan (to see what a smaller fleet leaves undone).
    withheld_trucks: tuple[str, ...] = ()
    plan_time_limit_s: float = 30.0
    ingest_workers: int = 1
    # A consumer group of its own (tests); None: ingest's configured group.
    ingest_group: str | None = None
    # End ingest's broker session afterwards instead of keeping it for the next start.
    forget_ingest_session: bool = False
    truth_path: Path | None = None
    device_share: float = 0.02

    def __post_init__(self) -> None:
        if self.speed < 0:
            raise ValueError("speed must be ≥ 0 (0 = as fast as possible)")
        if self.plan_time_limit_s <= 0:
            raise ValueError("plan_time_limit_s must be positive")
        if self.replan_after_min < 0:
            raise ValueError("replan_after_min must be ≥ 0")


@dataclass
class DayReport:
    options: DayOptions
    garbage_plan: PlanRecord
    pest_plan: PlanRecord
    replans: list[PlanRecord]
    simulation: DaySummary
    ingest: IngestCounters
    figures: DayFigures
    wall_s: float
    peak_rss_mb: float
    phase_s: dict[str, float] = field(default_factory=dict)


class DistrictDay:
    """Runs one day; `progress` receives a line of text now and then."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        options: DayOptions,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.options = options
        self.say = progress or (lambda text: log.info("%s", text))
        self.local = LocalDay(options.day, registry.district.tz)
        self.plans = PlanStore(settings.data_dir)
        self.replans: list[PlanRecord] = []
        self.replan_s = 0.0

    def run(self) -> DayReport:
        o = self.options
        began = time.monotonic()
        phases: dict[str, float] = {}
        overrides: dict[str, Any] = {"group": o.ingest_group} if o.ingest_group else {}
        ingest = IngestService(self.settings, self.registry, workers=o.ingest_workers, **overrides)
        clear_dispatch(self.settings, self.registry)
        ingest.start()
        try:
            plans: dict[str, PlanRecord] = {}

            def plan_morning(now_ms: int) -> None:
                t = time.monotonic()
                ingest.wait_idle(timeout=120)  # the night's readings must be in InfluxDB
                plans["garbage"] = self._plan("garbage", now_ms, excluded=o.withheld_trucks)
                plans["pest"] = self._plan("pest", now_ms)
                phases["morning plans"] = time.monotonic() - t

            plan_ms = at_local(o.day, parse_clock(o.morning_plan_at), self.local.tz)
            actions: list[tuple[int, Callable[[int], object]]] = [(plan_ms, plan_morning)]
            faults = o.faults
            if o.breakdown is not None:
                faults = _with_breakdown(faults, o.breakdown)
                notice = o.breakdown.at_ms + o.replan_after_min * MS_PER_MINUTE
                actions.append((notice, lambda now: self._replan_after_breakdown(ingest, now)))
            t = time.monotonic()
            simulation = run_day(
                self.settings,
                self.registry,
                start=self.local.start_ms,
                hours=24,
                speed=o.speed,
                seed=o.seed,
                faults=faults,
                truth_path=o.truth_path,
                progress=self._progress(ingest),
                actions=actions,
                device_share=o.device_share,
            )
            if "garbage" not in plans:
                raise RuntimeError("the simulated day ended before the morning plan was made")
            garbage, pest = plans["garbage"], plans["pest"]
            if self.replans:
                phases["re-plans"] = self.replan_s
            planning = phases.get("morning plans", 0.0) + self.replan_s
            phases["simulated day"] = time.monotonic() - t - planning

            t = time.monotonic()
            if not ingest.wait_idle(timeout=600):
                log.warning("ingest still had work after 600 s; the figures may be short")
            # Time checks (the clearance cut-off, silences) up to the end of the day.
            ingest.advance_to(self.local.end_ms - 1)
            ingest.wait_idle(timeout=120)
            phases["ingest catch-up"] = time.monotonic() - t
            counters = ingest.counters()
        finally:
            ingest.stop(forget_session=o.forget_ingest_session)
        t = time.monotonic()
        with InfluxClient.from_settings(self.settings) as influx:
            figures = day_figures(influx, self.registry, self.local)
        phases["figures"] = time.monotonic() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return DayReport(
            o,
            garbage,
            pest,
            self.replans,
            simulation,
            counters,
            figures,
            time.monotonic() - began,
            peak,
            phases,
        )

    # --- planning --------------------------------------------------------------------

    def _plan(
        self,
        kind: str,
        at_ms: int,
        *,
        excluded: tuple[str, ...] = (),
        from_ms: int | None = None,
        town_id: str | None = None,
    ) -> PlanRecord:
        with InfluxClient.from_settings(self.settings) as influx:
            state = read_state(influx, at_ms=at_ms, day_start_ms=self.local.start_ms)
            record = plan_day(
                self.registry,
                state,
                self.options.day,
                kind,  # type: ignore[arg-type]
                town_id=town_id,
                time_limit_s=self.options.plan_time_limit_s,
                from_ms=from_ms,
                excluded_vehicles=excluded,
            )
            self.plans.save(record)
            store_route_stops(influx, record)
            # The wall displays read community facts and unserved stops from InfluxDB.
            seed_dashboards(influx, self.registry, at_ms, [record])
        dispatched = dispatch_routes(self.settings, record)
        k = record.kpis
        self.say(
            f"plan {record.plan_id}: {len(record.routes)} routes dispatched ({dispatched} acked), "
            f"{int(k.get('stops_served', 0))} stops served, {len(record.unserved)} unserved"
        )
        return record

    def _replan_after_breakdown(self, ingest: IngestService, now_ms: int) -> None:
        breakdown = self.options.breakdown
        assert breakdown is not None
        truck = self.registry.truck_by_id[breakdown.truck_id]
        self.say(
            f"dispatcher: truck {truck.id} broke down; re-planning the rest of the day "
            f"for {truck.town_id}"
        )
        began = time.monotonic()
        ingest.wait_idle(timeout=60)  # the clearances so far must be in InfluxDB
        record = self._plan(
            "garbage",
            now_ms,
            excluded=(truck.id, *self.options.withheld_trucks),
            from_ms=now_ms,
            town_id=truck.town_id,
        )
        self.replans.append(record)
        self.replan_s += time.monotonic() - began

    def _progress(self, ingest: IngestService) -> Callable[[Progress], None]:
        """A progress line every few seconds with the pipeline's counts."""
        last = [0.0]

        def report(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] < 5 and p.done < 1:
                return
            last[0] = now
            c = ingest.counters()
            clock = (
                pd.Timestamp(p.sim_ms, unit="ms", tz="UTC")
                .tz_convert(self.registry.district.tz)
                .strftime("%H:%M")
            )
            self.say(
                f"day {p.done:5.1%} (sim {clock}): published {p.published:,} "
                f"({p.rate:,.0f} msg/s), ingested {c.written:,}, dead letters "
                f"{c.deadlettered:,}, violations opened {c.violations_opened:,}"
            )

        return report


def clear_dispatch(settings: Settings, registry: Registry, timeout_s: float = 20.0) -> int:
    """Remove every truck's and crew's retained route, so nobody drives an old plan."""
    ids = [t.id for t in registry.trucks] + [c.id for c in registry.pest_crews]
    topics = Topics(settings.topic_prefix)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        protocol=mqtt.MQTTv5,
        client_id=f"dispatcher-{uuid.uuid4().hex[:8]}",
    )
    client.username_pw_set(
        credentials.OPTIMIZER, credentials.service_password(settings, credentials.OPTIMIZER)
    )
    client.connect(settings.mqtt_host, settings.mqtt_port)
    client.loop_start()
    try:
        infos = [client.publish(topics.dispatch(i), b"", qos=1, retain=True) for i in ids]
        for info in infos:
            info.wait_for_publish(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    return len(ids)


def _with_breakdown(faults: FaultConfig, breakdown: Breakdown) -> FaultConfig:
    from dataclasses import replace

    return replace(faults, breakdowns=(*faults.breakdowns, breakdown))
