"""Trucks drive a hand-made route from their retained dispatch topic on the real broker."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core import credentials
from core.dispatch import RouteDispatch, RouteStopOut, StopKind
from core.registry import Registry
from core.schema import ViolationKind
from core.topics import Topics
from simulators.day import Progress, parse_start, run_day
from simulators.faults import Breakdown, FaultConfig, FaultKind
from simulators.truth import read_truth_log
from tests.conftest import MqttFactory
from tests.simulators.conftest import BrokerTap
from yiju.localservices import LocalStack

TRUCK = "trk-gc-01"
DAY = "2026-03-10"  # a Tuesday, unlikely to meet another test's routes
MIN = 60_000


def _route(registry: Registry) -> RouteDispatch:
    """Depot → three collection points → transfer station → depot, from 06:00."""
    truck = registry.truck_by_id[TRUCK]
    depot = registry.depot_by_id[truck.depot_id]
    station = next(s for s in registry.transfer_stations if s.town_id == truck.town_id)
    points = registry.points_in(truck.town_id)[:3]
    t = parse_start(f"{DAY}T06:00", registry.district.tz)
    stops = [
        RouteStopOut(
            seq=0,
            stop_id=depot.id,
            kind=StopKind.DEPOT,
            lat=depot.lat,
            lon=depot.lon,
            eta_ms=t,
            depart_ms=t,
        )
    ]
    for point in points:
        t += 10 * MIN
        stops.append(
            RouteStopOut(
                seq=len(stops),
                stop_id=point.id,
                kind=StopKind.POINT,
                lat=point.lat,
                lon=point.lon,
                eta_ms=t,
                depart_ms=t + 4 * MIN,
                community_id=point.community_id,
            )
        )
        t += 4 * MIN
    t += 15 * MIN
    stops.append(
        RouteStopOut(
            seq=len(stops),
            stop_id=station.id,
            kind=StopKind.STATION,
            lat=station.lat,
            lon=station.lon,
            eta_ms=t,
            depart_ms=t + 15 * MIN,
        )
    )
    t += 30 * MIN
    stops.append(
        RouteStopOut(
            seq=len(stops),
            stop_id=depot.id,
            kind=StopKind.DEPOT,
            lat=depot.lat,
            lon=depot.lon,
            eta_ms=t,
            depart_ms=t,
        )
    )
    return RouteDispatch(
        route_id=f"test-{DAY}-{TRUCK}",
        plan_id="test-plan",
        plan_kind="garbage",
        vehicle_id=TRUCK,
        town_id=truck.town_id,
        date=DAY,
        start_ms=stops[0].eta_ms,
        end_ms=t,
        distance_m=12_000,
        stops=stops,
    )


@pytest.fixture
def dispatched(mqtt_connect: MqttFactory, small_district: Registry) -> Iterator[RouteDispatch]:
    """The hand-made route, retained on the truck's dispatch topic; withdrawn afterwards."""
    route = _route(small_district)
    optimizer = mqtt_connect(credentials.OPTIMIZER)
    topic = Topics().dispatch(TRUCK)
    optimizer.publish(topic, route.model_dump_json(), qos=1, retain=True).wait_for_publish(5)
    yield route
    optimizer.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)


def _points(route: RouteDispatch) -> list[str]:
    return [s.stop_id for s in route.stops if s.kind is StopKind.POINT]


def test_truck_clears_its_stops_and_bins_read_near_zero(
    local_stack: LocalStack,
    small_district: Registry,
    dispatched: RouteDispatch,
    broker_tap: BrokerTap,
    tmp_path: Path,
) -> None:
    """`cleared` events for every stop arrive, each followed by a fill reading near zero."""
    summary = run_day(
        local_stack.settings,
        small_district,
        f"{DAY}T05:30",
        hours=2,
        speed=0,
        seed=5,
        faults=FaultConfig.none(),
        truth_path=tmp_path / "truth.jsonl",
        device_share=0,
    )
    seen = broker_tap.wait_for(summary.published)
    events = [json.loads(p) for t, p in seen if t == Topics().vehicle_events(TRUCK)]
    cleared = {e["point_id"]: e for e in events if e["type"] == "cleared"}
    assert sorted(cleared) == sorted(_points(dispatched))
    assert all(e["route_id"] == dispatched.route_id for e in cleared.values())
    assert any(e["type"] == "position" for e in events)
    for point_id, event in cleared.items():
        sensor = small_district.point_by_id[point_id].sensor
        assert sensor is not None
        after = [
            json.loads(p)
            for t, p in seen
            if t == Topics().telemetry("bin", sensor.device_id)
            and json.loads(p)["ts"] >= event["ts"]
        ]
        assert after, point_id
        first = min(after, key=lambda r: r["ts"])
        assert first["ts"] - event["ts"] < 60_000
        assert first["fill_pct"] < 5.0


def test_breakdown_leaves_the_rest_of_the_route_undone(
    local_stack: LocalStack, small_district: Registry, dispatched: RouteDispatch, tmp_path: Path
) -> None:
    """A truck broken down after its first stop clears nothing more; the truth log names
    the breakdown and the points left uncleared at the cut-off."""
    first, *rest = _points(dispatched)
    at = dispatched.stops[1].depart_ms + 2 * MIN
    truth = tmp_path / "truth.jsonl"
    run_day(
        local_stack.settings,
        small_district,
        f"{DAY}T05:30",
        hours=17,
        speed=0,
        seed=5,
        faults=replace(FaultConfig.none(), breakdowns=(Breakdown(TRUCK, at),)),
        truth_path=truth,
        device_share=0,
    )
    violations, faults = read_truth_log(truth)
    assert [(f.fault, f.device_id) for f in faults] == [(FaultKind.TRUCK_BREAKDOWN, TRUCK)]
    not_cleared = {v.subject for v in violations if v.kind is ViolationKind.BIN_NOT_CLEARED}
    assert first not in not_cleared
    assert set(rest) <= not_cleared


def test_truck_follows_a_new_route_published_mid_day(
    local_stack: LocalStack,
    small_district: Registry,
    dispatched: RouteDispatch,
    mqtt_connect: MqttFactory,
    broker_tap: BrokerTap,
    tmp_path: Path,
) -> None:
    """A re-plan retained on the dispatch topic while the day runs replaces the rest of
    the old route: the new stops are cleared, the old route's remaining ones are not."""
    truck = small_district.truck_by_id[TRUCK]
    others = small_district.points_in(truck.town_id)[3:5]
    replan_at = parse_start(f"{DAY}T06:05", small_district.district.tz)
    t = replan_at + 40 * MIN
    stops = []
    for point in others:
        stops.append(
            RouteStopOut(
                seq=len(stops),
                stop_id=point.id,
                kind=StopKind.POINT,
                lat=point.lat,
                lon=point.lon,
                eta_ms=t,
                depart_ms=t + 4 * MIN,
            )
        )
        t += 15 * MIN
    new = dispatched.model_copy(
        update={"route_id": dispatched.route_id + "-replan", "stops": stops, "end_ms": t}
    )
    optimizer = mqtt_connect(credentials.OPTIMIZER)
    sent = threading.Event()

    def replan(progress: Progress) -> None:
        if not sent.is_set() and progress.sim_ms >= replan_at:
            sent.set()
            optimizer.publish(
                Topics().dispatch(TRUCK), new.model_dump_json(), qos=1, retain=True
            ).wait_for_publish(5)

    summary = run_day(
        local_stack.settings,
        small_district,
        f"{DAY}T05:50",
        hours=2.5,
        speed=900,
        seed=5,
        faults=FaultConfig.none(),
        truth_path=tmp_path / "truth.jsonl",
        device_share=0,
        progress=replan,
    )
    assert sent.is_set()
    seen = broker_tap.wait_for(summary.published)
    cleared = [
        json.loads(p) for t, p in seen if t == Topics().vehicle_events(TRUCK) and b'"cleared"' in p
    ]
    old_points = _points(dispatched)
    by_route = {}
    for event in cleared:
        by_route.setdefault(event["route_id"], []).append(event["point_id"])
    assert by_route[new.route_id] == [p.id for p in others]
    assert set(by_route.get(dispatched.route_id, [])) < set(old_points)
    assert all(e["ts"] >= replan_at for e in cleared if e["route_id"] == new.route_id)
