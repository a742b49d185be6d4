"""The daily trend panels of the wall and the community board, run against the real
InfluxDB over three local days of clearances and bin overflows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import at_local, local_date, now_ms, parse_clock
from core.registry import Registry
from dashboards import queries
from dashboards.interpolate import TimeRange
from dashboards.probe import PanelResult, probe_board
from dashboards.seed import seed
from tests.dashboards.scenario import HOUR
from tests.dashboards.test_scenario import built

TZ = "Asia/Shanghai"
CLEARED = "Collection points cleared per day, per town"
EXPOSED = "Exposed garbage per day, point-minutes"
OVERFLOWED = "Points overflowed per day, per town"


def _at(day: date, clock: str) -> int:
    return at_local(day, parse_clock(clock), TZ)


def _load(influx: InfluxClient, registry: Registry, now: int) -> dict[str, Any]:
    """Two complete days before today (d2, d1) in Guicheng and Dali; returns them and the
    expected figures per (town, day)."""
    today = local_date(now, TZ)
    d2, d1 = today - timedelta(days=2), today - timedelta(days=1)
    gc = registry.communities_in("guicheng")[0]
    dl = registry.communities_in("dali")[0]
    gc_points = [p.id for p in registry.collection_points if p.community_id == gc.id]
    dl_points = [p.id for p in registry.collection_points if p.community_id == dl.id]
    lines: list[str] = []

    def clearance(c: Any, point: str, ms: int) -> None:
        tags = {"point_id": point, "community": c.id, "town": c.town_id, "vehicle_id": "trk-1"}
        lines.append(line(schema.CLEARANCE.name, tags, {"fill_before_pct": 80.0}, ms))

    def overflow(c: Any, point: str, opened: int, closed: int, vid: str) -> None:
        tags = {"kind": "bin_overflow", "community": c.id, "town": c.town_id, "subject": point}
        for state, ms in (("open", opened), ("closed", closed)):
            fields = {"state": state, "value": 105.0, "violation_id": vid}
            lines.append(line(schema.VIOLATION.name, tags, fields, ms))

    # d2: three of Guicheng's points (one twice), one of Dali's; d1: one of Guicheng's.
    for point in gc_points[:3]:
        clearance(gc, point, _at(d2, "08:00"))
    clearance(gc, gc_points[0], _at(d2, "15:00"))
    clearance(dl, dl_points[0], _at(d2, "09:00"))
    clearance(gc, gc_points[0], _at(d1, "07:30"))
    # Overflows: 10:00–12:00 on d2; 23:00 on d2 to 00:30 on d1 (counted on both days, opened
    # on d2); 08:00–08:20 on d1 in Dali.
    overflow(gc, gc_points[0], _at(d2, "10:00"), _at(d2, "12:00"), "t-1")
    overflow(gc, gc_points[1], _at(d2, "23:00"), _at(d1, "00:30"), "t-2")
    overflow(dl, dl_points[0], _at(d1, "08:00"), _at(d1, "08:20"), "t-3")
    # A different kind must not count.
    tags = {"kind": "sewer_overflow", "community": gc.id, "town": gc.town_id, "subject": "o-1"}
    lines.append(
        line(
            schema.VIOLATION.name,
            tags,
            {"state": "open", "value": 1.0, "violation_id": "t-4"},
            _at(d1, "10:00"),
        )
    )
    influx.write_lines(lines)
    seed(influx, registry, now - 24 * HOUR)
    return {
        "days": (d2, d1),
        "communities": {"guicheng": gc.id, "dali": dl.id},
        "cleared": {("guicheng", d2): 3, ("guicheng", d1): 1, ("dali", d2): 1},
        "exposed": {("guicheng", d2): 180, ("guicheng", d1): 30, ("dali", d1): 20},
        "overflowed": {("guicheng", d2): 2, ("dali", d1): 1},
    }


def _daily(panel: PanelResult) -> dict[tuple[str, date], Any]:
    """(series name, local day) → value, for the days inside the panel's two weeks."""
    first = local_date(now_ms(), TZ) - timedelta(days=queries.TREND_DAYS - 1)
    out: dict[tuple[str, date], Any] = {}
    for frame in panel.frames:
        for row in frame.rows:
            day = local_date(row["Time"], TZ)
            if day >= first:
                out[(frame.name, day)] = row["Value"]
    return out


def _expect(table: dict[tuple[str, date], int], towns: list[str], last: date) -> dict:
    """Every day of the two weeks per town: the table's value, else 0."""
    days = [last - timedelta(days=i) for i in range(queries.TREND_DAYS)]
    return {(t, d): table.get((t, d), 0) for t in towns for d in days}


@pytest.fixture
def trend(influx_db: InfluxClient, small_district: Registry) -> dict[str, Any]:
    now = now_ms()
    data = _load(influx_db, small_district, now)
    data["now"] = now
    return data


def test_wall_trends_per_town_and_day(influx_db: InfluxClient, trend: dict[str, Any]) -> None:
    """Per town and local day: points cleared, exposed point-minutes (split at midnight) and
    points overflowed are exact, 0 on the other days of the two weeks."""
    now = trend["now"]
    wall = probe_board(
        influx_db, built("district-wall"), TimeRange(now - 6 * HOUR, now), now_ms=now
    )
    today = local_date(now, TZ)
    towns = ["dali", "guicheng"]
    cleared = _daily(wall.panels[CLEARED])
    assert cleared == _expect(trend["cleared"], towns, today)
    assert _daily(wall.panels[EXPOSED]) == _expect(trend["exposed"], towns, today)
    overflowed = _daily(wall.panels[OVERFLOWED])
    # Only towns with an overflow opened in the two weeks have a line.
    assert overflowed == _expect(trend["overflowed"], towns, today)
    query = wall.panels[CLEARED].queries["A"]
    assert "GROUP BY time(1d)" in query
    assert "tz('Asia/Shanghai')" in query


def test_wall_trend_panels_have_their_own_two_weeks(trend: dict[str, Any]) -> None:
    """The trend panels run over the last 14 local days whatever the board's range."""
    board = built("district-wall")
    panels = {p["title"]: p for p in board["panels"]}
    for title in (CLEARED, EXPOSED, OVERFLOWED):
        assert panels[title]["timeFrom"] == f"now-{queries.TREND_DAYS - 1}d/d"
    tr = TimeRange.parse(panels[CLEARED]["timeFrom"], "now", trend["now"])
    assert local_date(tr.from_ms, TZ) == local_date(trend["now"], TZ) - timedelta(days=13)


def test_community_board_trends(influx_db: InfluxClient, trend: dict[str, Any]) -> None:
    """The community board shows its own community's daily cleared points and exposed
    minutes, nothing of another town."""
    now = trend["now"]
    gc = trend["communities"]["guicheng"]
    board = probe_board(
        influx_db,
        built("community"),
        TimeRange(now - 6 * HOUR, now),
        {"town": ["guicheng"], "community": [gc]},
        now_ms=now,
    )
    today = local_date(now, TZ)
    only_gc = {(gc, d): v for (t, d), v in trend["cleared"].items() if t == "guicheng"}
    assert _daily(board.panels["Collection points cleared per day"]) == _expect(
        only_gc, [gc], today
    )
    exposed = {(gc, d): v for (t, d), v in trend["exposed"].items() if t == "guicheng"}
    assert _daily(board.panels[EXPOSED]) == _expect(exposed, [gc], today)
