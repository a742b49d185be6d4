"""One district day end to end, as the demo and `bench/district_day.py` see it: a
`yiju.district_run` run of one day, with the morning plans, the re-plans and the
day's figures picked out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.influx import InfluxClient
from core.localday import LocalDay
from core.plans import PlanRecord
from core.registry import Registry
from core.settings import Settings
from ingest.stats import IngestCounters
from simulators.day import DaySummary
from simulators.faults import Breakdown, FaultConfig
from yiju.day_kpis import DayKpis
from yiju.day_report import DayFigures, day_figures
from yiju.district_run import LEND_TRUCKS, RunOptions, run_days

log = logging.getLogger("yiju.demo")


@dataclass(frozen=True, slots=True)
class DayOptions:
    """How to run the day. `speed` 0 runs as fast as the machine allows."""

    day: date
    speed: float = 0.0
    seed: int = 1
    faults: FaultConfig = field(default_factory=FaultConfig)
    # When the dispatcher plans the day (local time), with the night's readings in,
    # and looks again from the day's readings (None: no second look).
    morning_plan_at: str = "03:30"
    afternoon_replan_at: str | None = "16:00"
    # A look at the first window's end when the morning plan left points unserved.
    catch_up_at: str | None = "07:00"
    # A truck that breaks down, and how long the dispatcher takes to notice and re-plan.
    breakdown: Breakdown | None = None
    replan_after_min: int = 20
    lend_trucks: int = LEND_TRUCKS
    # Trucks kept out of the morning plan (to see what a smaller fleet leaves undone).
    withheld_trucks: tuple[str, ...] = ()
    plan_time_limit_s: float = 30.0
    # The running start: pest sites' visit records imported before the day.
    import_pest_history: bool = True
    ingest_workers: int = 1
    # A consumer group of its own (tests); None: ingest's configured group.
    ingest_group: str | None = None
    # End ingest's broker session afterwards instead of keeping it for the next start.
    forget_ingest_session: bool = False
    truth_path: Path | None = None
    device_share: float = 0.02

    def run_options(self) -> RunOptions:
        return RunOptions(
            first_day=self.day,
            days=1,
            policy="yiju",
            speed=self.speed,
            seed=self.seed,
            faults=self.faults,
            morning_plan_at=self.morning_plan_at,
            afternoon_replan_at=self.afternoon_replan_at,
            catch_up_at=self.catch_up_at,
            breakdowns=(self.breakdown,) if self.breakdown is not None else (),
            replan_after_min=self.replan_after_min,
            lend_trucks=self.lend_trucks,
            withheld_trucks=self.withheld_trucks,
            plan_time_limit_s=self.plan_time_limit_s,
            import_pest_history=self.import_pest_history,
            ingest_workers=self.ingest_workers,
            ingest_group=self.ingest_group,
            forget_ingest_session=self.forget_ingest_session,
            truth_path=self.truth_path,
            device_share=self.device_share,
        )


@dataclass
class DayReport:
    options: DayOptions
    garbage_plan: PlanRecord
    pest_plan: PlanRecord
    replans: list[PlanRecord]  # after breakdowns, one town each
    afternoon: list[PlanRecord]  # the second look at the day's readings
    simulation: DaySummary
    ingest: IngestCounters
    figures: DayFigures
    kpis: DayKpis
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
        self.progress = progress

    def run(self) -> DayReport:
        o = self.options
        run = run_days(self.settings, self.registry, o.run_options(), self.progress)
        garbage = run.plans_of(o.day, "garbage")
        pest = run.plans_of(o.day, "pest")
        if not garbage or not pest:
            raise RuntimeError("the simulated day ended before the morning plans were made")
        with InfluxClient.from_settings(self.settings) as influx:
            figures = day_figures(
                influx,
                self.registry,
                LocalDay(o.day, self.registry.district.tz),
                self.settings.compliance_thresholds(),
            )
        return DayReport(
            o,
            garbage[0],
            pest[0],
            [p for p in garbage[1:] if p.town_id is not None],
            [p for p in garbage[1:] if p.town_id is None],
            run.simulation,
            run.ingest,
            figures,
            run.kpis[0],
            run.wall_s,
            run.peak_rss_mb,
            run.phase_s,
        )
