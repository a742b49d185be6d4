"""Trucks and crews follow their routes: timing, re-plans, breakdowns (no broker)."""

from __future__ import annotations

import json

from core.dispatch import RouteDispatch, RouteStopOut, StopKind
from core.registry import Registry
from core.topics import Topics
from simulators.day import parse_start
from simulators.faults import Breakdown, FaultConfig, FaultKind
from simulators.fleet import Fleet
from simulators.messages import Outbound

MIN = 60_000


def _fleet(registry: Registry, faults: FaultConfig | None = None) -> tuple[Fleet, list[str]]:
    reported: list[str] = []
    links = {d: f"gw:{r.town_id}" for d, r in registry.devices.items()}
    fleet = Fleet(
        registry,
        links,
        Topics(),
        3,
        faults or FaultConfig.none(),
        60,
        lambda kind, device, ts, detail: reported.append(f"{kind}:{device}"),
    )
    return fleet, reported


def _route(
    registry: Registry, agent: str, kind: StopKind, ids: list[str], t0: int
) -> RouteDispatch:
    stops = []
    t = t0
    for seq, stop_id in enumerate(ids):
        where = (
            registry.point_by_id[stop_id]
            if kind is StopKind.POINT
            else registry.pest_site_by_id[stop_id]
        )
        t += 20 * MIN
        stops.append(
            RouteStopOut(
                seq=seq,
                stop_id=stop_id,
                kind=kind,
                lat=where.lat,
                lon=where.lon,
                eta_ms=t,
                depart_ms=t + 30 * MIN,
            )
        )
        t += 30 * MIN
    return RouteDispatch(
        route_id=f"r-{agent}-{t0}",
        plan_id="p",
        plan_kind="garbage" if kind is StopKind.POINT else "pest",
        vehicle_id=agent,
        town_id="guicheng",
        date="2026-07-15",
        start_ms=t0,
        end_ms=t,
        distance_m=1000,
        stops=stops,
    )


def _run(fleet: Fleet, until: int) -> tuple[list[Outbound], list[tuple[str, int]]]:
    cleared: list[tuple[str, int]] = []
    out = fleet.step(until, lambda point, ts: cleared.append((point, ts)) is None)
    return out, cleared


def _events(out: list[Outbound], kind: str) -> list[dict[str, object]]:
    return [e for e in (json.loads(m.payload) for m in out) if e["type"] == kind]


def test_truck_without_a_route_does_nothing(small_district: Registry) -> None:
    """No route, no messages."""
    fleet, _ = _fleet(small_district)
    out, cleared = _run(fleet, 2**62)
    assert out == []
    assert cleared == []


def test_truck_clears_points_in_order_near_the_planned_times(small_district: Registry) -> None:
    """Stops are served in order, within the travel-time noise of their ETAs."""
    t0 = parse_start("2026-07-15T06:00", small_district.district.tz)
    truck = small_district.trucks[0]
    points = [p.id for p in small_district.points_in(truck.town_id)[:4]]
    route = _route(small_district, truck.id, StopKind.POINT, points, t0)
    fleet, _ = _fleet(small_district)
    assert fleet.assign(truck.id, route, t0 - MIN)
    out, cleared = _run(fleet, route.end_ms + 60 * MIN)
    assert [p for p, _ in cleared] == points
    for (_, ts), stop in zip(cleared, route.stops, strict=True):
        assert abs(ts - stop.depart_ms) < 20 * MIN
    assert [e["point_id"] for e in _events(out, "cleared")] == points
    assert _events(out, "position")


def test_truck_keeps_the_planned_start_after_a_wait(small_district: Registry) -> None:
    """A truck done at 07:02 whose next point, a few minutes away, is planned for 09:00
    (the next collection window) waits and starts it at 09:00: traffic noise stretches
    the drive, not the wait, so it neither starts before the window opens nor comes out
    of the wait late."""
    t0 = parse_start("2026-07-15T06:30", small_district.district.tz)
    fleet, _ = _fleet(small_district)
    starts = {}
    for truck in small_district.trucks[:8]:
        first, second = small_district.points_in(truck.town_id)[:2]
        stops = [
            RouteStopOut(
                seq=seq,
                stop_id=point.id,
                kind=StopKind.POINT,
                lat=point.lat,
                lon=point.lon,
                eta_ms=eta,
                depart_ms=eta + 2 * MIN,
            )
            for seq, (point, eta) in enumerate(((first, t0 + 30 * MIN), (second, t0 + 150 * MIN)))
        ]
        route = RouteDispatch(
            route_id=f"r-{truck.id}",
            plan_id="p",
            plan_kind="garbage",
            vehicle_id=truck.id,
            town_id=truck.town_id,
            date="2026-07-15",
            start_ms=t0,
            end_ms=t0 + 180 * MIN,
            distance_m=1000,
            stops=stops,
        )
        assert fleet.assign(truck.id, route, t0 - MIN)
        starts[truck.id] = stops[1]
    _, cleared = _run(fleet, t0 + 200 * MIN)
    done = dict(cleared)
    for stop in starts.values():
        # Cleared after its planned service (2 min × 0.85–1.2) from the planned start.
        assert stop.eta_ms + 1.7 * MIN <= done[stop.stop_id] <= stop.eta_ms + 2.4 * MIN


def test_replanned_route_replaces_the_rest_of_the_old_one(small_district: Registry) -> None:
    """A new route mid-day: the old route's remaining stops are dropped, the new one's
    stops not yet due are driven from where the truck is."""
    t0 = parse_start("2026-07-15T06:00", small_district.district.tz)
    truck = small_district.trucks[0]
    points = [p.id for p in small_district.points_in(truck.town_id)[:6]]
    fleet, _ = _fleet(small_district)
    fleet.assign(truck.id, _route(small_district, truck.id, StopKind.POINT, points[:3], t0), t0)
    _, before = _run(fleet, t0 + 60 * MIN)  # the first stop is done by now
    new = _route(small_district, truck.id, StopKind.POINT, points[3:], t0 + 30 * MIN)
    assert fleet.assign(truck.id, new, t0 + 60 * MIN)
    assert not fleet.assign(truck.id, new, t0 + 61 * MIN)  # the same route again: no change
    _, after = _run(fleet, new.end_ms + 120 * MIN)
    assert [p for p, _ in before] == points[:1]
    due_later = [s.stop_id for s in new.stops if s.depart_ms >= t0 + 60 * MIN]
    assert [p for p, _ in after] == due_later
    assert all(ts >= t0 + 60 * MIN for _, ts in after)


def test_scheduled_breakdown_stops_the_truck(small_district: Registry) -> None:
    """After a breakdown nothing more is cleared and the fault is reported once."""
    t0 = parse_start("2026-07-15T06:00", small_district.district.tz)
    truck = small_district.trucks[0]
    points = [p.id for p in small_district.points_in(truck.town_id)[:3]]
    route = _route(small_district, truck.id, StopKind.POINT, points, t0)
    at = route.stops[0].depart_ms + 15 * MIN
    fleet, reported = _fleet(
        small_district, FaultConfig(breakdowns=(Breakdown(truck.id, at),), malformed_share=0)
    )
    fleet.assign(truck.id, route, t0)
    out, cleared = _run(fleet, route.end_ms + 60 * MIN)
    assert [p for p, _ in cleared] == points[:1]
    assert reported == [f"{FaultKind.TRUCK_BREAKDOWN}:{truck.id}"]
    assert max(m.at for m in out) == at


def test_broken_truck_is_repaired_overnight_and_may_break_again(
    small_district: Registry,
) -> None:
    """A truck broken down one day ignores more routes that day, drives the next day's
    route, and a second breakdown scheduled that day stops it again."""
    day1 = parse_start("2026-07-15T06:00", small_district.district.tz)
    day2 = day1 + 24 * 60 * MIN
    truck = small_district.trucks[0]
    points = [p.id for p in small_district.points_in(truck.town_id)[:3]]
    first = _route(small_district, truck.id, StopKind.POINT, points, day1)
    second = _route(small_district, truck.id, StopKind.POINT, points, day2)
    at1 = first.stops[0].depart_ms + 15 * MIN
    at2 = second.stops[1].depart_ms + 15 * MIN
    faults = FaultConfig(
        breakdowns=(Breakdown(truck.id, at2), Breakdown(truck.id, at1)), malformed_share=0
    )
    fleet, reported = _fleet(small_district, faults)
    fleet.assign(truck.id, first, day1)
    _, cleared = _run(fleet, first.end_ms + 60 * MIN)
    assert [p for p, _ in cleared] == points[:1]
    later = _route(small_district, truck.id, StopKind.POINT, points, at1 + 30 * MIN)
    assert fleet.assign(truck.id, later, at1 + 30 * MIN) is False  # still broken today
    assert fleet.assign(truck.id, second, day2 - 2 * 60 * MIN) is True  # repaired
    _, cleared = _run(fleet, second.end_ms + 60 * MIN)
    assert [p for p, _ in cleared] == points[:2]
    assert reported == [f"{FaultKind.TRUCK_BREAKDOWN}:{truck.id}"] * 2


def test_crew_publishes_visits_with_their_length(small_district: Registry) -> None:
    """A pest-control crew sends `visited` with the visit's minutes, and no positions."""
    t0 = parse_start("2026-07-15T08:30", small_district.district.tz)
    crew = small_district.pest_crews[0]
    sites = [
        s.id
        for s in small_district.pest_sites
        if small_district.town_of(s.community_id) in crew.town_ids
    ]
    route = _route(small_district, crew.id, StopKind.SITE, sites, t0)
    fleet, _ = _fleet(small_district)
    fleet.assign(crew.id, route, t0)
    out, _ = _run(fleet, route.end_ms + 60 * MIN)
    visits = _events(out, "visited")
    assert [v["site_id"] for v in visits] == sites
    assert all(25 <= float(v["duration_min"]) <= 36 for v in visits)  # type: ignore[arg-type]
    assert _events(out, "position") == []
    assert all(m.topic == Topics().crew_events(crew.id) for m in out)
