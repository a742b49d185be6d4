"""A running start: the district's records as they stand the morning a run begins.

A district that adopts yiju brings its pest-control contractor's visit records.
`import_pest_history` writes them to InfluxDB as `pest_visit` points, the way
the crews' own `visited` events are stored, so ingest's rules (restored from
InfluxDB at start) and the optimizer's due dates read them like any other
visit. The records are synthesised here: each site's last visit falls on one of
the days of its cycle before the first day, evenly spread over the cycle, so
about one site in `cycle` comes due each day, as on a contract that has been
running for a while. The bins' side of the running start (fill as yesterday's
clearances left it) lives in the simulators (`simulators/bins.py`).
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import MS_PER_HOUR, day_start_ms
from core.registry import Registry
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds

log = logging.getLogger("yiju.demo")

# The contractor's crew named on imported records (the records predate yiju's crews).
IMPORTED_CREW = "contractor-records"
# Visits were made between 09:00 and 16:00 local time.
VISIT_HOURS = (9, 16)


def pest_history(
    registry: Registry,
    first_day: date,
    seed: int,
    thresholds: RuleThresholds = DEFAULT_THRESHOLDS,
) -> dict[str, int]:
    """Each site's last visit (epoch ms) before `first_day`: the sites of each cycle
    length dealt evenly over the days of their cycle, in a seeded order."""
    rng = random.Random(f"pest-history/{seed}")
    tz = registry.district.tz
    month = (first_day - timedelta(days=1)).month
    sites = sorted(registry.pest_sites, key=lambda s: s.id)
    rng.shuffle(sites)
    seen_per_cycle: dict[int, int] = {}
    visits: dict[str, int] = {}
    for site in sites:
        cycle = thresholds.pest_cycle_days(month, site.cycle_days_peak, site.cycle_days_normal)
        k = seen_per_cycle.get(cycle, 0)
        seen_per_cycle[cycle] = k + 1
        # Offsets 1..cycle days back: due dates fall on days 0..cycle-1 of the run.
        days_back = 1 + k % cycle
        day = first_day - timedelta(days=days_back)
        hour = rng.uniform(*VISIT_HOURS)
        visits[site.id] = day_start_ms(day, tz) + int(hour * MS_PER_HOUR)
    return visits


def import_pest_history(influx: InfluxClient, registry: Registry, visits: dict[str, int]) -> int:
    """Write each site's last visit (site id → epoch ms, see `pest_history`) as a
    `pest_visit` point; returns how many were written."""
    m = schema.PEST_VISIT
    lines = []
    for site in registry.pest_sites:
        if site.id not in visits:
            continue
        lines.append(
            line(
                m.name,
                {
                    "site_id": site.id,
                    "community": site.community_id,
                    "town": registry.town_of(site.community_id),
                    "crew_id": IMPORTED_CREW,
                },
                {"duration_min": float(site.service_min)},
                visits[site.id],
            )
        )
    influx.write_lines(lines)
    log.info("imported %d pest-control visit records", len(lines))
    return len(lines)
