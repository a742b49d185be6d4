"""Consecutive district days end to end: ingest running, a plan every morning from
the night's readings, the simulated field driving it, breakdowns re-planned, and
each day's figures of the standard.

    report = run_days(settings, registry, RunOptions(first_day=date(2026, 7, 13), days=7))

The days are one continuous simulation, so everything carries over from one day to
the next: bin fills, sensor batteries and clocks, pest sites' last visits, open
violations, where trucks and crews stand. Ingest's rules close each local day at
its cut-off as message time passes. Two policies run on the same simulated days
(same seed, faults, breakdowns and demand): `yiju` plans each morning from the
readings and re-plans after a breakdown; `baseline` drives the fixed schedule of
`optimizer.planning.baseline`, planned once from expected fills, and re-plans nothing.
The demo, the closed-loop tests, `yiju simulate --days` and `bench/district_week.py`
run this.
"""

from __future__ import annotations

import logging
import random
import resource
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion

from core import credentials
from core.dispatch import PlanKind, StopKind
from core.influx import InfluxClient
from core.localday import MS_PER_DAY, MS_PER_MINUTE, LocalDay, at_local, local_date, parse_clock
from core.plans import PlanRecord, PlanStore, UnservedStop
from core.registry import Registry
from core.settings import Settings
from core.topics import Topics
from dashboards.seed import seed as seed_dashboards
from ingest.arrival import SimulationClock
from ingest.service import IngestService
from ingest.stats import IngestCounters
from optimizer.distance import great_circle_m
from optimizer.planning.baseline import fixed_schedule, for_day
from optimizer.planning.config import PlanningConfig
from optimizer.planning.day import plan_day
from optimizer.planning.publish import dispatch_routes, store_route_stops
from optimizer.planning.state import DistrictState, read_state
from simulators.day import DaySummary, Progress, run_day
from simulators.faults import Breakdown, FaultConfig
from simulators.wire import Connection
from yiju.day_kpis import DayKpis, day_kpis
from yiju.running_start import import_pest_history, pest_history

log = logging.getLogger("yiju.demo")

Policy = Literal["yiju", "baseline"]
# Trucks of other towns a re-plan after a breakdown may borrow.
LEND_TRUCKS = 2
# ... and only trucks with at least this much of their shift left.
LEND_MIN_SHIFT_LEFT_MS = 2 * 3_600_000
# How late a re-plan after a breakdown may serve a point past its deadline.
LATE_AFTER_BREAKDOWN_S = 4 * 3600
POLICIES: tuple[Policy, ...] = ("yiju", "baseline")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run the days. `speed` 0 runs as fast as the machine allows."""

    first_day: date
    days: int = 1
    policy: Policy = "yiju"
    speed: float = 0.0
    seed: int = 1
    faults: FaultConfig = field(default_factory=FaultConfig)
    # When the dispatcher plans each day (local time), with the night's readings in.
    morning_plan_at: str = "03:30"
    # yiju only: a second look in the afternoon, from the day's readings, for points
    # filling faster than forecast (a day's garbage varies ±15 % per point): those that
    # would not last until tomorrow's round get an evening visit. None: no second look.
    afternoon_replan_at: str | None = "16:00"
    # yiju only: when the morning plan leaves points unserved (a first window holding
    # more deadlines than the early shifts can meet), a look at the end of that window
    # re-plans the rest of the day, so those points go to the next window instead of
    # waiting for tomorrow. None: no such look.
    catch_up_at: str | None = "07:00"
    # Breakdowns: these scheduled ones, plus `breakdowns_per_day` drawn from the seed
    # (a truck and a time inside its shift), the same for every policy.
    breakdowns: tuple[Breakdown, ...] = ()
    breakdowns_per_day: int = 0
    # How long the dispatcher takes to notice a breakdown and re-plan (yiju only), and
    # how many idle trucks of other towns the re-plan may borrow (0: towns never lend).
    replan_after_min: int = 20
    lend_trucks: int = LEND_TRUCKS
    # Trucks kept out of every plan (to see what a smaller fleet leaves undone).
    withheld_trucks: tuple[str, ...] = ()
    plan_time_limit_s: float = 30.0
    # Pest sites' visit records before the first day (the running start).
    import_pest_history: bool = True
    ingest_workers: int = 1
    # A consumer group of its own (tests); None: ingest's configured group.
    ingest_group: str | None = None
    # End ingest's broker session afterwards instead of keeping it for the next start.
    forget_ingest_session: bool = False
    truth_path: Path | None = None
    device_share: float = 0.02
    sim_workers: int = 1

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if self.policy not in POLICIES:
            raise ValueError(f"policy {self.policy!r} is not one of {POLICIES}")
        if self.speed < 0:
            raise ValueError("speed must be ≥ 0 (0 = as fast as possible)")
        if self.plan_time_limit_s <= 0:
            raise ValueError("plan_time_limit_s must be positive")
        if min(self.replan_after_min, self.breakdowns_per_day, self.lend_trucks) < 0:
            raise ValueError("replan_after_min, breakdowns_per_day and lend_trucks must be ≥ 0")
        parse_clock(self.morning_plan_at)
        for clock in (self.afternoon_replan_at, self.catch_up_at):
            if clock is not None:
                parse_clock(clock)

    @property
    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


@dataclass
class RunReport:
    options: RunOptions
    plans: list[PlanRecord]  # every plan made or driven, in order
    simulation: DaySummary
    ingest: IngestCounters
    kpis: list[DayKpis]
    breakdowns: list[Breakdown]
    wall_s: float
    peak_rss_mb: float
    phase_s: dict[str, float] = field(default_factory=dict)

    def plans_of(self, day: date, kind: PlanKind | None = None) -> list[PlanRecord]:
        return [
            p for p in self.plans if p.date == day.isoformat() and (kind is None or p.kind == kind)
        ]

    @property
    def lost(self) -> int:
        """Messages the broker acknowledged that ingest neither wrote nor dead-lettered."""
        ing = self.ingest
        return max(0, self.simulation.acknowledged - (ing.written + ing.deadlettered))


def left_by_morning(plans: list[PlanRecord], day: date) -> list[UnservedStop]:
    """The points `day`'s morning garbage plan (its first for every town) left
    unserved, second visits aside (the first visit of those points is planned)."""
    morning = next(
        (
            p
            for p in plans
            if p.kind == "garbage" and p.date == day.isoformat() and p.town_id is None
        ),
        None,
    )
    if morning is None:
        return []
    return [
        u
        for u in morning.unserved
        if u.kind == StopKind.POINT and not u.detail.startswith("second visit")
    ]


def towns_of(registry: Registry, stops: list[UnservedStop]) -> list[str]:
    """The towns of `stops` (by their community, else by their point), sorted; a stop
    the registry does not know names no town."""
    towns = set()
    for stop in stops:
        community = stop.community_id
        if community is None and (point := registry.point_by_id.get(stop.stop_id)):
            community = point.community_id
        if community is not None and community in registry.community_by_id:
            towns.add(registry.town_of(community))
    return sorted(towns)


def daily_breakdowns(
    registry: Registry, first_day: date, days: int, per_day: int, seed: int
) -> list[Breakdown]:
    """`per_day` breakdowns a day, each a truck drawn from the seed at a time drawn
    inside its shift (an hour after it starts to an hour before it ends)."""
    if per_day <= 0 or not registry.trucks:
        return []
    rng = random.Random(f"breakdowns/{seed}")
    tz = registry.district.tz
    out = []
    for i in range(days):
        day = first_day + timedelta(days=i)
        for truck in rng.sample(list(registry.trucks), min(per_day, len(registry.trucks))):
            start = at_local(day, parse_clock(truck.shift.start), tz)
            end = at_local(day, parse_clock(truck.shift.end), tz)
            lo, hi = start + 3_600_000, max(start + 3_600_000, end - 3_600_000)
            out.append(Breakdown(truck.id, int(rng.uniform(lo, hi))))
    return out


class DistrictRun:
    """Runs the days; `progress` receives a line of text now and then."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        options: RunOptions,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.limits = settings.compliance_thresholds()
        self.rules = self.limits.rules
        self.registry = registry
        self.options = options
        self.say = progress or (lambda text: log.info("%s", text))
        self.tz = registry.district.tz
        self.store = PlanStore(settings.data_dir)
        self.plans: list[PlanRecord] = []
        self.schedule: PlanRecord | None = None  # the baseline's fixed routes
        self.breakdowns = [
            *options.breakdowns,
            *daily_breakdowns(
                registry, options.first_day, options.days, options.breakdowns_per_day, options.seed
            ),
        ]
        self.phases: dict[str, float] = {}

    def run(self) -> RunReport:
        o = self.options
        began = time.monotonic()
        first = LocalDay(o.first_day, self.tz)
        end_ms = first.start_ms + o.days * MS_PER_DAY
        history = (
            pest_history(self.registry, o.first_day, o.seed, self.rules)
            if o.import_pest_history
            else {}
        )
        if history:
            with InfluxClient.from_settings(self.settings) as influx:
                import_pest_history(influx, self.registry, history)
        if o.policy == "baseline":
            t = time.monotonic()
            self.schedule = fixed_schedule(
                self.registry,
                o.first_day,
                time_limit_s=o.plan_time_limit_s,
                config=PlanningConfig.for_rules(self.rules),
            )
            self._timed("fixed schedule", t)
            self.say(
                f"baseline: fixed routes planned once, {len(self.schedule.routes)} routes, "
                f"{len(self.schedule.unserved)} points left off"
            )
        overrides: dict[str, Any] = {"group": o.ingest_group} if o.ingest_group else {}
        # Messages carry simulated time: ingest judges their timestamps by the run's
        # clock, which the simulation advances, not by the wall clock.
        clock = SimulationClock(first.start_ms)
        ingest = IngestService(
            self.settings, self.registry, workers=o.ingest_workers, clock=clock, **overrides
        )
        clear_dispatch(self.settings, self.registry)
        # A run on a broker that carried an earlier one (the demo run again) would
        # replay the cameras' old retained statuses, stamped with that run's end, and
        # start ingest's rules clock there: every camera judged silent at once.
        clear_camera_statuses(self.settings, self.registry)
        ingest.start()
        try:
            actions = self._actions(ingest)
            faults = replace(o.faults, breakdowns=(*o.faults.breakdowns, *self.breakdowns))
            t = time.monotonic()
            planning_before = sum(self.phases.values())
            simulation = run_day(
                self.settings,
                self.registry,
                start=first.start_ms,
                hours=24 * o.days,
                speed=o.speed,
                seed=o.seed,
                faults=faults,
                truth_path=o.truth_path,
                progress=self._progress(ingest),
                actions=actions,
                device_share=o.device_share,
                workers=o.sim_workers if not actions else 1,
                pest_history=history,
                advance_clock=clock.advance,
            )
            planning = sum(self.phases.values()) - planning_before
            self.phases["simulated days"] = time.monotonic() - t - planning
            mornings = [p for p in self.plans if p.date == o.first_day.isoformat()]
            if not mornings:
                raise RuntimeError("the simulation ended before the first morning plan")
            t = time.monotonic()
            if not ingest.wait_idle(timeout=600):
                log.warning("ingest still had work after 600 s; the figures may be short")
            # Time checks (the clearance cut-off, silences) up to the end of the last day.
            ingest.advance_to(end_ms - 1)
            ingest.wait_idle(timeout=120)
            self._timed("ingest catch-up", t)
            counters = ingest.counters()
        finally:
            ingest.stop(forget_session=o.forget_ingest_session)
        t = time.monotonic()
        with InfluxClient.from_settings(self.settings) as influx:
            kpis = day_kpis(
                influx, self.registry, o.day_list, self.plans, at_ms=end_ms, limits=self.limits
            )
        self._timed("figures", t)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return RunReport(
            o,
            self.plans,
            simulation,
            counters,
            kpis,
            self.breakdowns,
            time.monotonic() - began,
            peak,
            self.phases,
        )

    # --- the dispatcher's day ------------------------------------------------------

    def _actions(self, ingest: IngestService) -> list[tuple[int, Callable[[int], object]]]:
        o = self.options
        actions: list[tuple[int, Callable[[int], object]]] = []
        for day in o.day_list:
            at = at_local(day, parse_clock(o.morning_plan_at), self.tz)
            actions.append((at, partial(self._morning, ingest, day)))
        looks = ((o.catch_up_at, self._catch_up), (o.afternoon_replan_at, self._afternoon))
        for clock, look in looks if o.policy == "yiju" else ():
            if clock is None:
                continue
            for day in o.day_list:
                at = at_local(day, parse_clock(clock), self.tz)
                actions.append((at, partial(look, ingest, day)))
        if o.policy == "yiju":
            for b in self.breakdowns:
                notice = b.at_ms + o.replan_after_min * MS_PER_MINUTE
                actions.append((notice, partial(self._after_breakdown, ingest, b)))
        return sorted(actions, key=lambda a: a[0])

    def _morning(self, ingest: IngestService, day: date, now_ms: int) -> None:
        t = time.monotonic()
        ingest.wait_idle(timeout=120)  # the night's readings must be in InfluxDB
        if self.options.policy == "baseline":
            assert self.schedule is not None
            self._dispatch(for_day(self.schedule, day), now_ms)
        else:
            # From now, not from midnight: a point already at its limit is due within
            # the next hours, not at 02:00 (then "before any window", which handed it
            # the whole first window and crowded it).
            self._plan(
                "garbage", day, now_ms, excluded=self.options.withheld_trucks, from_ms=now_ms
            )
        # Pest control runs on its cycle from the visit records under either policy.
        self._plan("pest", day, now_ms)
        self._timed("morning plans", t)

    def _catch_up(self, ingest: IngestService, day: date, now_ms: int) -> None:
        """Re-plan the rest of the day of each town whose morning plan left points
        unserved. The other towns keep their routes: a re-plan from 07:00 follows
        yesterday's rounds rather than this morning's plan, and on day 7 of the week at
        scale 0.05 re-planning every town for one point left in one of them took the
        day's driving from 461 km planned to 612 km driven (30 Nov 2026). When every
        town left points, one plan re-plans them all, as the morning plan did."""
        left = left_by_morning(self.plans, day)
        towns = towns_of(self.registry, left)
        if not towns:
            return
        self.say(
            f"dispatcher: the morning plan left {len(left)} points unserved; "
            f"re-planning the rest of the day for {', '.join(towns)}"
        )
        if len(towns) == len(self.registry.towns):
            self._rest_of_day(ingest, day, now_ms, "catch-up re-plans")
            return
        t = time.monotonic()
        ingest.wait_idle(timeout=60)
        excluded = (*self._broken_on(day, now_ms), *self.options.withheld_trucks)
        # The morning's time limit is for the whole district: each town gets its share
        # by points, so the look takes no longer than one plan of every town would.
        # One state for all of them: each town's plan reads only its own points.
        points = {town: len(self.registry.points_in(town)) for town in towns}
        total = sum(points.values())
        state = self._state(day, now_ms)
        for town_id in towns:
            self._plan(
                "garbage",
                day,
                now_ms,
                excluded=excluded,
                from_ms=now_ms,
                town_id=town_id,
                time_limit_s=self.options.plan_time_limit_s * points[town_id] / total,
                state=state,
            )
        self._timed("catch-up re-plans", t)

    def _afternoon(self, ingest: IngestService, day: date, now_ms: int) -> None:
        """Re-plan the rest of the day from the day's readings: points not yet cleared,
        and points cleared this morning that now look unable to last the night."""
        self._rest_of_day(ingest, day, now_ms, "afternoon re-plans")

    def _rest_of_day(self, ingest: IngestService, day: date, now_ms: int, phase: str) -> None:
        """Every town's garbage re-planned from now, without today's broken trucks."""
        t = time.monotonic()
        ingest.wait_idle(timeout=60)
        self._plan(
            "garbage",
            day,
            now_ms,
            excluded=(*self._broken_on(day, now_ms), *self.options.withheld_trucks),
            from_ms=now_ms,
        )
        self._timed(phase, t)

    def _broken_on(self, day: date, now_ms: int) -> list[str]:
        """Trucks broken down so far today (they are repaired overnight)."""
        return sorted(
            b.truck_id
            for b in self.breakdowns
            if b.at_ms <= now_ms and local_date(b.at_ms, self.tz) == day
        )

    def _after_breakdown(self, ingest: IngestService, breakdown: Breakdown, now_ms: int) -> None:
        truck = self.registry.truck_by_id.get(breakdown.truck_id)
        if truck is None:
            log.warning("breakdown of unknown truck %s ignored", breakdown.truck_id)
            return
        if not self._had_work_after(truck.id, breakdown.at_ms):
            self.say(f"dispatcher: truck {truck.id} broke down with no stops left; no re-plan")
            return
        day = local_date(now_ms, self.tz)
        self.say(
            f"dispatcher: truck {truck.id} broke down; re-planning the rest of the day "
            f"for {truck.town_id}"
        )
        t = time.monotonic()
        ingest.wait_idle(timeout=60)  # the clearances so far must be in InfluxDB
        excluded = (*self._broken_on(day, now_ms), *self.options.withheld_trucks)
        lent = self._idle_trucks_near(truck.town_id, now_ms, set(excluded))
        if lent:
            self.say(f"dispatcher: {', '.join(lent)} lent to {truck.town_id} for the day")
        self._plan(
            "garbage",
            day,
            now_ms,
            excluded=excluded,
            from_ms=now_ms,
            town_id=truck.town_id,
            borrowed=lent,
            # The broken truck's points that can no longer be reached by their
            # deadline are served late rather than not at all.
            config=PlanningConfig.for_rules(self.rules, late_allowance_s=LATE_AFTER_BREAKDOWN_S),
        )
        self._timed("re-plans", t)

    def _idle_trucks_near(
        self, town_id: str, now_ms: int, unavailable: set[str]
    ) -> tuple[str, ...]:
        """Up to `lend_trucks` trucks of other towns that have no collection point left
        on their routes, nearest (by depot) to the town first: the district's dispatcher
        lends them when a breakdown leaves more than the town's own spare can take."""
        town = self.registry.town_by_id[town_id]
        day = local_date(now_ms, self.tz)
        idle = []
        for other in self.registry.trucks:
            if other.town_id == town_id or other.id in unavailable:
                continue
            if self._points_left(other.id, now_ms):
                continue
            shift_end = at_local(day, parse_clock(other.shift.end), self.tz)
            if shift_end - now_ms < LEND_MIN_SHIFT_LEFT_MS:
                continue
            depot = self.registry.depot_by_id[other.depot_id]
            metres = great_circle_m([(town.lat, town.lon)], [(depot.lat, depot.lon)])
            idle.append((float(metres[0, 0]), other.id))
        return tuple(truck_id for _, truck_id in sorted(idle)[: self.options.lend_trucks])

    def _points_left(self, truck_id: str, now_ms: int) -> bool:
        """Whether the truck's latest route still has collection points ahead."""
        for record in reversed(self.plans):
            if record.kind != "garbage":
                continue
            for route in record.routes:
                if route.vehicle_id == truck_id:
                    return any(s.kind is StopKind.POINT and s.eta_ms >= now_ms for s in route.stops)
        return False

    def _had_work_after(self, truck_id: str, at_ms: int) -> bool:
        """Whether the truck's latest route had collection points after `at_ms`."""
        for record in reversed(self.plans):
            if record.kind != "garbage":
                continue
            for route in record.routes:
                if route.vehicle_id == truck_id and route.start_ms <= at_ms < route.end_ms:
                    return any(
                        s.kind is StopKind.POINT and s.depart_ms > at_ms for s in route.stops
                    )
        return False

    def _plan(
        self,
        kind: PlanKind,
        day: date,
        at_ms: int,
        *,
        excluded: tuple[str, ...] = (),
        from_ms: int | None = None,
        town_id: str | None = None,
        borrowed: tuple[str, ...] = (),
        config: PlanningConfig | None = None,
        time_limit_s: float | None = None,
        state: DistrictState | None = None,
    ) -> PlanRecord:
        """Plan and dispatch; from `state` when given (read at `at_ms`), else from the
        state read now."""
        state = state or self._state(day, at_ms)
        record = plan_day(
            self.registry,
            state,
            day,
            kind,
            town_id=town_id,
            time_limit_s=self.options.plan_time_limit_s if time_limit_s is None else time_limit_s,
            from_ms=from_ms,
            excluded_vehicles=excluded,
            borrowed_vehicles=borrowed,
            config=config or PlanningConfig.for_rules(self.rules),
        )
        self._dispatch(record, at_ms)
        return record

    def _state(self, day: date, at_ms: int) -> DistrictState:
        with InfluxClient.from_settings(self.settings) as influx:
            return read_state(influx, at_ms=at_ms, day_start_ms=LocalDay(day, self.tz).start_ms)

    def _dispatch(self, record: PlanRecord, at_ms: int) -> None:
        self.store.save(record)
        self.plans.append(record)
        with InfluxClient.from_settings(self.settings) as influx:
            store_route_stops(influx, record)
            # The wall displays read community facts and unserved stops from InfluxDB.
            seed_dashboards(influx, self.registry, at_ms, [record])
        acked = dispatch_routes(self.settings, record)
        k = record.kpis
        self.say(
            f"{record.date} {self.options.policy} plan {record.plan_id}: {len(record.routes)} "
            f"routes dispatched ({acked} acked), {int(k.get('stops_served', 0))} stops served, "
            f"{len(record.unserved)} unserved"
        )

    # --- bookkeeping ---------------------------------------------------------------

    def _timed(self, phase: str, since: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + time.monotonic() - since

    def _progress(self, ingest: IngestService) -> Callable[[Progress], None]:
        """A progress line every few seconds with the pipeline's counts."""
        last = [0.0]
        days = self.options.days

        def report(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] < 5 and p.done < 1:
                return
            last[0] = now
            c = ingest.counters()
            moment = pd.Timestamp(p.sim_ms, unit="ms", tz="UTC").tz_convert(self.tz)
            self.say(
                f"{self.options.policy} {p.done:5.1%} of {days} day(s) (sim "
                f"{moment.strftime('%m-%d %H:%M')}): published {p.published:,} "
                f"({p.rate:,.0f} msg/s), ingested {c.written:,}, dead letters "
                f"{c.deadlettered:,}, violations opened {c.violations_opened:,}"
            )

        return report


def run_days(
    settings: Settings,
    registry: Registry,
    options: RunOptions,
    progress: Callable[[str], None] | None = None,
) -> RunReport:
    """Run `options.days` consecutive days under `options.policy`; see the module."""
    return DistrictRun(settings, registry, options, progress).run()


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


def clear_camera_statuses(settings: Settings, registry: Registry) -> int:
    """Remove the cameras' retained statuses (the simulated field publishes fresh ones
    when it connects); returns how many topics were cleared."""
    account = credentials.SIMULATOR
    conn = Connection(
        settings.mqtt_host,
        settings.mqtt_port,
        client_id=f"cleanup-{uuid.uuid4().hex[:8]}",
        username=account,
        password=credentials.service_password(settings, account),
    )
    conn.connect()
    try:
        topics = Topics(settings.topic_prefix)
        for camera in registry.cameras:
            conn.publish(topics.status("camera", camera.id), b"", retain=True)
    finally:
        conn.close()
    return len(registry.cameras)
