"""Semantic checks of a registry: every problem found is named, none is fixed silently."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from core.registry.models import GeoPoint
from core.registry.registry import Registry

# Device ids are MQTT user names and topic levels: keep them plain.
DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _duplicates(list_name: str, ids: Iterable[str]) -> list[str]:
    counts = Counter(ids)
    return [
        f"{list_name}: duplicate id {rid!r} ({n} records)" for rid, n in counts.items() if n > 1
    ]


def find_problems(reg: Registry) -> list[str]:
    """All problems of `reg`, each naming the record: duplicates, dangling references,
    coordinates outside the district, impossible capacities and levels."""
    problems: list[str] = []
    for name in (
        "towns",
        "communities",
        "collection_points",
        "sewage_outlets",
        "transfer_stations",
        "depots",
        "pest_sites",
    ):
        problems += _duplicates(name, (r.id for r in getattr(reg, name)))

    # Device ids are MQTT user names: unique across every kind of publisher.
    device_ids = [p.sensor.device_id for p in reg.collection_points if p.sensor]
    device_ids += [o.sensor.device_id for o in reg.sewage_outlets if o.sensor]
    device_ids += [c.id for c in reg.cameras]
    device_ids += [t.id for t in reg.trucks]
    device_ids += [c.id for c in reg.pest_crews]
    problems += _duplicates("devices (sensors, cameras, trucks, crews)", device_ids)
    problems += [
        f"devices: id {d!r} must be 1-64 letters, digits, '_', '.' or '-' (it is an MQTT "
        "user name and topic level)"
        for d in device_ids
        if not DEVICE_ID_PATTERN.match(d)
    ]

    towns = set(reg.town_by_id)
    communities = set(reg.community_by_id)
    depots = set(reg.depot_by_id)

    def ref(list_name: str, rid: str, field: str, value: str, known: set[str], what: str) -> None:
        if value not in known:
            problems.append(f"{list_name} {rid!r}: {field} {value!r} is not a known {what}")

    for c in reg.communities:
        ref("communities", c.id, "town_id", c.town_id, towns, "town")
    for list_name in ("collection_points", "sewage_outlets", "cameras", "pest_sites"):
        for r in getattr(reg, list_name):
            ref(list_name, r.id, "community_id", r.community_id, communities, "community")
    for list_name in ("transfer_stations", "depots"):
        for r in getattr(reg, list_name):
            ref(list_name, r.id, "town_id", r.town_id, towns, "town")
    for t in reg.trucks:
        ref("trucks", t.id, "town_id", t.town_id, towns, "town")
        ref("trucks", t.id, "depot_id", t.depot_id, depots, "depot")
        if t.capacity_kg <= 0 or t.volume_m3 <= 0:
            problems.append(
                f"trucks {t.id!r}: capacity must be positive "
                f"(capacity_kg={t.capacity_kg}, volume_m3={t.volume_m3})"
            )
    for crew in reg.pest_crews:
        ref("pest_crews", crew.id, "depot_id", crew.depot_id, depots, "depot")
        for town_id in crew.town_ids:
            ref("pest_crews", crew.id, "town_ids", town_id, towns, "town")
        if not crew.town_ids:
            problems.append(f"pest_crews {crew.id!r}: town_ids is empty")

    for s in reg.transfer_stations:
        if s.capacity_t_per_day <= 0:
            problems.append(
                f"transfer_stations {s.id!r}: capacity_t_per_day must be positive, "
                f"got {s.capacity_t_per_day}"
            )
    for p in reg.collection_points:
        if not p.bins:
            problems.append(f"collection_points {p.id!r}: has no bins")
        for b in p.bins:
            if b.volume_l <= 0 or b.count <= 0:
                problems.append(
                    f"collection_points {p.id!r}: bin volume_l and count must be positive "
                    f"(volume_l={b.volume_l}, count={b.count})"
                )
    for o in reg.sewage_outlets:
        if not 0 <= o.normal_level_cm < o.overflow_level_cm:
            problems.append(
                f"sewage_outlets {o.id!r}: need 0 <= normal_level_cm < overflow_level_cm "
                f"(got {o.normal_level_cm} and {o.overflow_level_cm})"
            )
    for ps in reg.pest_sites:
        if ps.cycle_days_peak <= 0 or ps.cycle_days_normal <= 0:
            problems.append(f"pest_sites {ps.id!r}: cycle days must be positive")

    bbox = reg.district.bbox
    for list_name in (
        "towns",
        "communities",
        "collection_points",
        "sewage_outlets",
        "cameras",
        "transfer_stations",
        "depots",
        "pest_sites",
    ):
        for r in getattr(reg, list_name):
            assert isinstance(r, GeoPoint)
            if not bbox.contains(r.lat, r.lon):
                rid = getattr(r, "id", "?")
                problems.append(
                    f"{list_name} {rid!r}: coordinates ({r.lat}, {r.lon}) are outside the "
                    f"district ({bbox.min_lat}–{bbox.max_lat} N, {bbox.min_lon}–{bbox.max_lon} E)"
                )
    return problems
