"""The generated fleet against the work: per-town sizing figures, then a day's
garbage plan (and optionally a peak-season pest plan) from an empty state.

    .venv/bin/python bench/fleet_sizing.py --scale 1.0 --time-limit 60
    .venv/bin/python bench/fleet_sizing.py --scale 0.05 --pest

Prints one row per town (busy-day tonnage, visits, hours, trucks, spare, crews)
and the served share of the plan.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from datetime import date, timedelta
from pathlib import Path

# bench/optimizer.py and bench/simulators.py are named like the packages: keep this
# folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from core.localday import LocalDay  # noqa: E402
from core.registry import Registry  # noqa: E402
from optimizer.planning.day import plan_day  # noqa: E402
from optimizer.planning.state import DistrictState  # noqa: E402
from simulators.district import generate_district  # noqa: E402
from simulators.fleet_sizing import size_town  # noqa: E402

DAY = date(2026, 7, 15)  # a Wednesday in the peak pest season


def town_rows(registry: Registry) -> None:
    """Print the sizing figures of every town."""
    print(
        f"{'town':10} {'points':>6} {'t/day':>7} {'visits':>6} {'2nd':>5} {'hours':>6} "
        f"{'h/truck':>7} {'double':>6} {'early':>5} {'spare':>6} {'sites/d':>7} {'crews':>5}"
    )
    for town in registry.towns:
        fleet = size_town(
            town.id,
            registry.points_in(town.id),
            [s for s in registry.transfer_stations if s.town_id == town.id],
            [d for d in registry.depots if d.town_id == town.id],
            [s for s in registry.pest_sites if registry.town_of(s.community_id) == town.id],
            registry.district,
        )
        print(
            f"{town.id:10} {fleet.points:6d} {fleet.tonnage_t:7.1f} {fleet.visits:6d} "
            f"{fleet.second_visits:5d} {fleet.hours_needed:6.1f} {fleet.hours_per_truck:7.2f} "
            f"{fleet.double_trucks:6d} {fleet.early_trucks:5d} {fleet.spare_share:6.1%} "
            f"{fleet.pest_visits_per_day:7.2f} {fleet.crews:5d}"
        )
    print(
        f"total: {len(registry.trucks)} trucks "
        f"({registry.district.generator.get('double_shift_trucks')} double-shifted), "
        f"{len(registry.pest_crews)} pest crews"
    )


def pest_state(registry: Registry) -> DistrictState:
    """Every site visited 1–7 days before the planned day, spread evenly over its cycle."""
    state = DistrictState.empty(LocalDay(DAY).start_ms)
    visits = {}
    for i, site in enumerate(registry.pest_sites):
        ago = 1 + i % site.cycle_days_peak
        visits[site.id] = LocalDay(DAY - timedelta(days=ago)).start_ms + 10 * 3_600_000
    return dataclasses.replace(state, last_pest_visit=visits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--pest", action="store_true", help="also plan the pest crews")
    parser.add_argument("--no-garbage", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    registry = generate_district(scale=args.scale, seed=args.seed)
    print(f"generated scale {args.scale} in {time.monotonic() - started:.2f} s")
    town_rows(registry)
    kinds = ([] if args.no_garbage else ["garbage"]) + (["pest"] if args.pest else [])
    for kind in kinds:
        state = (
            pest_state(registry) if kind == "pest" else DistrictState.empty(LocalDay(DAY).start_ms)
        )
        started = time.monotonic()
        record = plan_day(registry, state, DAY, kind, time_limit_s=args.time_limit)
        wall = time.monotonic() - started
        k = record.kpis
        print(
            f"{kind}: {k['stops_total'] - k['unserved']:.0f}/{k['stops_total']:.0f} required "
            f"served ({k['coverage_pct']:.2f} %), {k['stops_served']:.0f} visits planned, "
            f"{k['vehicles_used']:.0f}/{k['vehicles_available']:.0f} vehicles, extra needed "
            f"{record.extra_vehicles_needed}, {wall:.1f} s wall"
        )
        reasons: dict[str, int] = {}
        for u in record.unserved:
            reasons[u.reason] = reasons.get(u.reason, 0) + 1
        if reasons:
            print(f"  unserved by reason: {reasons}")


if __name__ == "__main__":
    main()
