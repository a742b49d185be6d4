"""Registry facts and plan results the boards read from InfluxDB.

The registry lives in a JSON file and the plans in PlanStore, not in InfluxDB,
but a Grafana board can only query its datasource. `yiju dashboards seed` writes
one `community` point per community (name, place, counts) and one
`unserved_stop` point per stop a stored plan could not serve. Points carry the
same series and time on every run, so seeding twice overwrites, never doubles.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import day_start_ms
from core.plans import PlanRecord
from core.registry import Registry

log = logging.getLogger("yiju.dashboards")


def community_lines(registry: Registry, ts_ms: int) -> Iterator[str]:
    """One `community` point per community of the registry, at `ts_ms`."""
    points = Counter(p.community_id for p in registry.collection_points)
    outlets = Counter(o.community_id for o in registry.sewage_outlets)
    cameras = Counter(c.community_id for c in registry.cameras)
    sites = Counter(s.community_id for s in registry.pest_sites)
    m = schema.COMMUNITY
    for c in registry.communities:
        yield line(
            m.name,
            {"community": c.id, "town": c.town_id},
            {
                "name": c.name,
                "lat": c.lat,
                "lon": c.lon,
                "collection_points": points[c.id],
                "sewage_outlets": outlets[c.id],
                "cameras": cameras[c.id],
                "pest_sites": sites[c.id],
            },
            ts_ms,
        )


def unserved_lines(plans: Iterable[PlanRecord], registry: Registry) -> Iterator[str]:
    """One `unserved_stop` point per unserved stop, at the start of the plan's local day."""
    m = schema.UNSERVED_STOP
    for plan in plans:
        day_start = day_start_ms(date.fromisoformat(plan.date), registry.district.tz)
        for stop in plan.unserved:
            town = plan.town_id
            if stop.community_id:
                community = registry.community_by_id.get(stop.community_id)
                town = community.town_id if community else town
            yield line(
                m.name,
                {
                    "plan_id": plan.plan_id,
                    "plan_kind": str(plan.kind),
                    "town": town or "",
                    "reason": str(stop.reason),
                    "stop_id": stop.stop_id,
                },
                {"community": stop.community_id or "", "detail": stop.detail},
                day_start,
            )


def seed(
    influx: InfluxClient, registry: Registry, ts_ms: int, plans: Iterable[PlanRecord] = ()
) -> tuple[int, int]:
    """Write community facts and unserved stops; returns how many of each."""
    communities = influx.write_lines(community_lines(registry, ts_ms))
    unserved = influx.write_lines(unserved_lines(plans, registry))
    log.info("seeded %d communities and %d unserved stops", communities, unserved)
    return communities, unserved
