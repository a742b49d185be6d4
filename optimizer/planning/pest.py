"""The pest-control model: sites due on their cycle, crews with shifts.

A site whose last visit plus its cycle (peak or normal season) falls on or
before the planned day is mandatory; one due within the horizon is optional
with a prize that grows as its due date nears, and open `bin_overflow` or
`sewer_overflow` violations in its community multiply the prize (and make it a
candidate even when it is not due soon). Visits never overlap residents' meal
times.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from core.dispatch import StopKind
from core.localday import DEFAULT_TZ
from core.plans import UnservedReason
from core.registry import PestCrew, PestSite, Registry
from core.schema import ViolationKind
from core.thresholds import RuleThresholds
from optimizer.planning.config import PlanningConfig
from optimizer.planning.shifts import DAY_S, shift_break, shift_window
from optimizer.planning.state import DistrictState
from optimizer.planning.tasks import PlanTask, Unserved
from optimizer.solver.params import SolveParams
from optimizer.solver.problem import DistanceMatrixSource, ProblemBuilder, TimeWindow

log = logging.getLogger("yiju.optimizer")

RAISING = frozenset({ViolationKind.BIN_OVERFLOW, ViolationKind.SEWER_OVERFLOW})


def due_date(
    site: PestSite, last_visit_ms: int | None, day: date, thresholds: RuleThresholds
) -> date:
    """When the site is next due; a site never visited is due now."""
    if last_visit_ms is None:
        return day
    return thresholds.pest_due_date(
        last_visit_ms, site.cycle_days_peak, site.cycle_days_normal, DEFAULT_TZ
    )


def visit_windows(service_s: int, from_s: int, config: PlanningConfig) -> tuple[TimeWindow, ...]:
    """Start times from `from_s` on at which a visit of `service_s` misses every meal."""
    free = [TimeWindow(from_s, DAY_S)]
    for meal in config.meal_windows:
        m0, m1 = meal.seconds
        # A visit starting in (m0 - service, m1) would overlap the meal.
        lo, hi = m0 - service_s + 1, m1 - 1
        nxt = []
        for w in free:
            if w.close_s < lo or w.open_s > hi:
                nxt.append(w)
                continue
            if w.open_s < lo:
                nxt.append(TimeWindow(w.open_s, lo - 1))
            if w.close_s > hi:
                nxt.append(TimeWindow(hi + 1, w.close_s))
        free = nxt
    return tuple(free)


def _crew_groups(registry: Registry, town_id: str | None) -> list[tuple[list[str], list[PestCrew]]]:
    """Towns joined by crews that serve several of them, each with its crews."""
    parent: dict[str, str] = {t.id: t.id for t in registry.towns}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for crew in registry.pest_crews:
        ids = [t for t in crew.town_ids if t in parent]
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
    groups: dict[str, list[str]] = {}
    for t in registry.towns:
        groups.setdefault(find(t.id), []).append(t.id)
    out = []
    for towns in groups.values():
        if town_id is not None and town_id not in towns:
            continue
        crews = [c for c in registry.pest_crews if set(c.town_ids) & set(towns)]
        out.append((towns, crews))
    return out


def pest_tasks(
    registry: Registry,
    state: DistrictState,
    day: date,
    town_id: str | None,
    config: PlanningConfig,
    provider: DistanceMatrixSource,
    *,
    from_s: int,
    time_limit_s: float,
) -> tuple[list[PlanTask], list[Unserved], int, int]:
    """Routing tasks for the pest-control crews; returns (tasks, unserved known before
    solving, mandatory sites, crews available)."""
    tasks: list[PlanTask] = []
    unserved: list[Unserved] = []
    mandatory_total = crews_total = 0
    horizon = day + timedelta(days=config.pest_horizon_days)
    for towns, crews in _crew_groups(registry, town_id):
        builder = ProblemBuilder(f"pest {'+'.join(towns)}")
        sites = [s for s in registry.pest_sites if registry.town_of(s.community_id) in towns]
        candidates = 0
        for site in sites:
            due = due_date(site, state.last_pest_visit.get(site.id), day, config.rules)
            raised = bool(state.violations_of(site.community_id) & RAISING)
            mandatory = due <= day
            if not (mandatory or due <= horizon or raised):
                continue
            service = site.service_min * 60
            windows = visit_windows(service, from_s, config)
            town = registry.town_of(site.community_id)
            if not windows:
                if mandatory:
                    unserved.append(
                        Unserved(
                            site.id,
                            StopKind.SITE,
                            UnservedReason.TIME_WINDOW,
                            "no time left today outside meal times",
                            site.community_id,
                            town,
                        )
                    )
                continue
            days_left = max(0, (due - day).days)
            prize = int(
                config.pest_prize
                * (config.pest_horizon_days + 1 - min(days_left, config.pest_horizon_days))
            )
            if raised:
                prize = int(prize * config.pest_violation_boost)
            note = f"due {due.isoformat()}" + (", open overflow in community" if raised else "")
            builder.add_stop(
                site.id,
                site.lat,
                site.lon,
                kind=StopKind.SITE,
                service_s=service,
                windows=windows,
                required=mandatory,
                prize=prize,
                community_id=site.community_id,
                note=note,
            )
            mandatory_total += mandatory
            candidates += 1
        depots = {}
        available = 0
        for crew in crews:
            window = shift_window(crew.shift, from_s)
            if window is None:
                continue
            if crew.depot_id not in depots:
                d = registry.depot_by_id[crew.depot_id]
                depots[crew.depot_id] = builder.add_depot(d.id, d.lat, d.lon)
            builder.add_vehicle(
                crew.id,
                depots[crew.depot_id],
                shift=window,
                rest=shift_break(crew.shift, window, config.break_slack_s),
            )
            available += 1
        crews_total += available
        if candidates == 0:
            continue
        if available == 0:
            for stop in builder.stops:
                if stop.required:
                    unserved.append(
                        Unserved(
                            stop.id,
                            StopKind.SITE,
                            UnservedReason.NO_VEHICLE,
                            "no pest-control crew on shift for its town",
                            stop.community_id,
                            registry.town_of(stop.community_id or ""),
                        )
                    )
            continue
        problem = builder.build(provider)
        tasks.append(PlanTask(towns[0], problem, SolveParams(time_limit_s=time_limit_s)))
        log.info("%s: %d candidate sites, %d crews", problem.name, candidates, available)
    return tasks, unserved, mandatory_total, crews_total
