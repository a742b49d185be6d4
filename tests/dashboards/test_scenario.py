"""The built boards and alert rules, run against the real InfluxDB on a known scenario,
with variables and time ranges substituted as Grafana does."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from core.influx import InfluxClient
from core.localday import LocalDay, now_ms
from core.registry import Registry
from dashboards import build
from dashboards.interpolate import TimeRange
from dashboards.probe import BoardResult, ProbeError, evaluate_rules, probe_board
from tests.dashboards import scenario
from tests.dashboards.scenario import HOUR, Expected


def built(name: str) -> dict[str, Any]:
    """The committed board file, as Grafana would load it."""
    data: dict[str, Any] = json.loads((build.ROOT / build.BUILT / f"{name}.json").read_text())
    return data


@pytest.fixture
def known(influx_db: InfluxClient, small_district: Registry) -> Iterator[Expected]:
    return scenario.load(influx_db, small_district, now_ms())


def wall_range(exp: Expected) -> TimeRange:
    """ "Last 6 hours" (the scenario's today stays inside it at any hour)."""
    return TimeRange(exp.now - 6 * HOUR, exp.now)


def probe(influx: InfluxClient, name: str, tr: TimeRange, **selected: list[str]) -> BoardResult:
    result = probe_board(influx, built(name), tr, selected)
    assert not result.empty_panels(), f"{name}: panels returned nothing: {result.empty_panels()}"
    return result


def test_wall_flags_exactly_the_open_violations(influx_db: InfluxClient, known: Expected) -> None:
    """Every wall panel answers, and open violations by kind, on the map, per community,
    sewers and cameras are exactly the scenario's."""
    wall = probe(influx_db, "district-wall", wall_range(known))
    assert sorted(wall.variables["town"]) == sorted(known.communities)

    by_kind = {r["kind"]: r["open"] for r in wall.panels["Open violations by kind"].rows()}
    assert by_kind == {
        "bin_overflow": 1,
        "sewer_overflow": 1,
        "camera_offline": 2,
        "pest_overdue": 1,
    }

    on_map = {r["community"]: r for r in wall.panels["Communities by open violations"].rows()}
    assert set(on_map) == {c.id for c in known.communities.values()}
    for community, row in on_map.items():
        assert row["open"] == (known.open_by_community.get(community) or None), community
        assert row["lat"]
        assert row["lon"]
        assert row["name"]

    table = wall.panels["Communities with open violations"].rows()
    flagged = {r["community"]: r for r in table}
    assert set(flagged) == {c for c, n in known.open_by_community.items() if n}
    for community, row in flagged.items():
        assert row["open"] == known.open_by_community[community]
        assert row["open since"] == known.open_since[community]
        assert set(row["kinds"]) == known.open_kinds[community]

    sewers = wall.panels["Overflowing sewage outlets"].rows()
    assert {r["outlet"] for r in sewers} == {s for k, s in known.open if k == "sewer_overflow"}
    cameras = wall.panels["Cameras offline"].rows()
    assert {r["camera"] for r in cameras} == {s for k, s in known.open if k == "camera_offline"}
    assert wall.panels["Sewer overflows now"].rows() == [{"kind": "sewer_overflow", "open": 1}]
    assert wall.panels["Cameras offline now"].rows() == [{"kind": "camera_offline", "open": 2}]


def test_wall_clearance_shares(influx_db: InfluxClient, known: Expected) -> None:
    """The share of points cleared today per town is exact; a town that cleared nothing
    this week has no value (the panel shows its 0 % no-value text)."""
    wall = probe(influx_db, "district-wall", wall_range(known))
    rows = {r["town"]: r for r in wall.panels["Collection points cleared today, per town"].rows()}
    assert set(rows) == set(known.share)
    for town, share in known.share.items():
        assert rows[town]["points"] == known.points[town]
        if share is None:
            assert math.isnan(rows[town]["share"]), town
        else:
            assert rows[town]["share"] == pytest.approx(share), town


def test_variables_use_grafanas_multi_value_regex(influx_db: InfluxClient, known: Expected) -> None:
    """Selecting two towns (sent as `(guicheng|dali)`) narrows every panel to them;
    `$community`'s options follow `$town` and its first option is the default."""
    wall = probe(influx_db, "district-wall", wall_range(known), town=["guicheng", "dali"])
    by_kind = {r["kind"]: r["open"] for r in wall.panels["Open violations by kind"].rows()}
    assert by_kind == {"bin_overflow": 1, "sewer_overflow": 1, "camera_offline": 2}
    assert "(guicheng|dali)" in wall.panels["Communities with open violations"].queries["A"]
    on_map = {r["community"] for r in wall.panels["Communities by open violations"].rows()}
    assert on_map == {known.communities["guicheng"].id, known.communities["dali"].id}

    gc = known.communities["guicheng"]
    board = probe(influx_db, "community", wall_range(known), town=["guicheng"])
    assert board.variables["community"] == [gc.id]
    # $community is single-valued: Grafana selects its first option by default.
    assert f'"community" =~ /^{gc.id}$/' in board.panels["Clearances"].queries["A"]
    assert board.panels["Fill of each collection point (last reading)"].series() == known.fills


def test_community_board(influx_db: InfluxClient, known: Expected) -> None:
    """A community's fill per point, sewer levels, camera states, open violations, log,
    clearances and visits are the scenario's."""
    gc = known.communities["guicheng"]
    board = probe(influx_db, "community", wall_range(known), town=["guicheng"], community=[gc.id])
    fills = board.panels["Fill of each collection point (last reading)"].series()
    assert fills == known.fills
    levels = board.panels["Sewer levels against their overflow level"].series()
    assert sorted(levels.values()) == [75.0, 80.0]
    cameras = board.panels["Cameras online"].series()
    assert list(cameras.values()) == [0]
    open_now = board.panels["Open violations now"].rows()
    assert {(r["kind"], r["subject"]) for r in open_now} == {
        (k, s) for k, s in known.open if k in ("bin_overflow", "sewer_overflow")
    }
    assert len(board.panels["Violation log"].rows()) == 4
    assert len(board.panels["Clearances"].rows()) == 4
    assert len(board.panels["Pest-control visits"].rows()) == 1
    share = board.panels["Collection points cleared today"].rows()
    assert share[0]["share"] == pytest.approx(known.share["guicheng"])


def test_dispatch_board(influx_db: InfluxClient, known: Expected) -> None:
    """Routes, stops served against planned, the truck behind schedule and the planner's
    unserved stop are the scenario's."""
    day = LocalDay.of(known.now)
    tr = TimeRange(min(day.start_ms, known.now - 6 * HOUR), max(day.end_ms, known.now + 6 * HOUR))
    board = probe(influx_db, "dispatch", tr)
    routes = {r["vehicle_id"]: r for r in board.panels["Today's routes"].rows()}
    assert {v: r["stops"] for v, r in routes.items()} == {
        v: p for v, (p, _, _) in known.served.items()
    }

    trucks = {
        r["vehicle_id"]: r for r in board.panels["Trucks: stops served versus planned"].rows()
    }
    crews = {r["vehicle_id"]: r for r in board.panels["Crews: sites visited versus planned"].rows()}
    for vehicle, (planned, due, served) in known.served.items():
        row = (crews if vehicle.startswith("crew") else trucks)[vehicle]
        assert (row["planned"], row["due"], row["served"]) == (planned, due, served), vehicle
        assert row["behind"] == due - served
    behind = board.panels["Trucks behind schedule"].rows()
    assert {r["vehicle_id"]: r["behind"] for r in behind} == known.behind

    unserved = board.panels["Stops the plan could not serve"].rows()
    assert [(r["stop_id"], r["reason"]) for r in unserved] == [(known.unserved_stop, "capacity")]


def test_alert_rules_fire_for_exactly_the_open_violations(
    influx_db: InfluxClient, known: Expected
) -> None:
    """The provisioned rules' queries fire one instance per open overflow, sewer overflow
    and offline camera, with its community and subject as labels, and nothing else."""
    alerting = yaml.safe_load(
        (build.ROOT / build.PROVISIONING / "alerting" / "yiju.yaml").read_text()
    )
    firing = evaluate_rules(influx_db, alerting)
    kinds = {"yiju-bin-overflow": "bin_overflow", "yiju-sewer-overflow": "sewer_overflow",
             "yiju-camera-offline": "camera_offline"}  # fmt: skip
    got = {(kinds[a.rule_uid], dict(a.labels)["subject"]) for a in firing}
    assert got == {(k, s) for k, s in known.open if k in kinds.values()}
    assert len(firing) == len(got)
    for alert in firing:
        labels = dict(alert.labels)
        assert labels["community"] in {c.id for c in known.communities.values()}
        assert labels["town"]
        assert alert.value == 1


def test_a_failing_query_names_its_board_and_panel(
    influx_db: InfluxClient, known: Expected
) -> None:
    """A query InfluxDB rejects fails the probe with the board, panel and target named."""
    board = built("district-wall")
    board["panels"][0]["targets"][1]["query"] = 'SELECT count("state" FROM "violation"'
    with pytest.raises(ProbeError, match="yiju-district-wall panel 'Collection points cleared"):
        probe_board(influx_db, board, wall_range(known))
