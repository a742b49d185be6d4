"""The community board: one community (or a few) in detail, chosen by `$town` and
`$community`."""

from __future__ import annotations

from core import schema
from core.settings import Settings
from dashboards import panels as p
from dashboards import queries as qb
from dashboards.model import (
    Dashboard,
    Link,
    Panel,
    QueryVariable,
    Row,
    Target,
    Threshold,
    thresholds,
)
from dashboards.wall import TOWN_VARIABLE

UID = "yiju-community"
TOWN = qb.matches("town", "town")
COMMUNITY = qb.matches("community", "community")
PLACE = [TOWN, COMMUNITY]

# One community at a time: the board is its detail view (and at district scale "All"
# would be 12,000 bars and 10,000 camera rows).
COMMUNITY_VARIABLE = QueryVariable(
    "community",
    "Community",
    qb.show_tag_values(schema.COMMUNITY, "community", [TOWN]),
    multi=False,
    include_all=False,
)
# Orange this many points before the overflow level of the rules.
FILL_WARNING_MARGIN_PCT = 10.0


def point_fill() -> Panel:
    # The boards are built for the configured rules, so the red band of a bin is the
    # fill at which ingest opens its overflow.
    overflow = Settings().rule_thresholds().bin_overflow_pct
    warning = overflow - FILL_WARNING_MARGIN_PCT
    b = schema.BIN
    fill = qb.col(b, "fill_pct")
    query = (
        f'SELECT last({fill}) AS {fill} FROM "{b.name}" '
        f"WHERE {qb.where([*PLACE, qb.TIME_FILTER])} GROUP BY {qb.col(b, 'point_id')}"
    )
    return p.bar_gauge(
        "Fill of each collection point (last reading)",
        [Target("A", query, fmt="time_series", alias="$tag_point_id")],
        steps=thresholds(
            Threshold(p.GREEN), Threshold(p.ORANGE, warning), Threshold(p.RED, overflow)
        ),
        unit="percent",
        minimum=0,
        maximum=120,
        width=12,
        description=(
            f"Orange from {warning:g} %, red from {overflow:g} % (garbage beside a full bin)."
        ),
    )


def sewer_levels() -> Panel:
    s = schema.SEWER
    level, overflow = qb.col(s, "level_cm"), qb.col(s, "overflow_level_cm")
    query = (
        f'SELECT mean({level}) AS "level", max({overflow}) AS "overflow level" '
        f'FROM "{s.name}" WHERE {qb.where([*PLACE, qb.TIME_FILTER])} '
        f"GROUP BY time($__interval), {qb.col(s, 'outlet_id')} fill(none)"
    )
    return p.time_series(
        "Sewer levels against their overflow level",
        [Target("A", query, fmt="time_series", alias="$tag_outlet_id $col")],
        unit="lengthcm",
        width=12,
    )


def camera_timeline() -> Panel:
    c = schema.CAMERA
    online = qb.col(c, "online")
    query = (
        f'SELECT last({online}) AS {online} FROM "{c.name}" '
        f"WHERE {qb.where([*PLACE, qb.TIME_FILTER])} "
        f"GROUP BY time($__interval), {qb.col(c, 'device_id')} fill(previous)"
    )
    return p.state_timeline(
        "Cameras online",
        [Target("A", query, fmt="time_series", alias="$tag_device_id")],
        interval="1m",
        width=12,
    )


def clearance_share() -> Panel:
    return p.bar_gauge(
        "Collection points cleared today",
        [
            Target("A", qb.points_per(PLACE, "community")),
            Target("B", qb.points_cleared_per(PLACE, "community")),
        ],
        rows="share",
        unit="percentunit",
        minimum=0,
        maximum=1,
        steps=thresholds(Threshold(p.RED), Threshold(p.ORANGE, 0.5), Threshold(p.GREEN, 0.95)),
        no_value="0%",
        transformations=[
            p.drop_time(),
            p.join_on("community"),
            p.divide("cleared", "points", "share"),
        ],
        width=12,
    )


def open_now() -> Panel:
    return p.table(
        "Open violations now",
        [Target("A", qb.open_violations(PLACE))],
        transformations=[p.rename({"Time": "since"})],
        width=12,
    )


def violation_log() -> Panel:
    columns = ["kind", "subject", "state", "value", "violation_id"]
    return p.table(
        "Violation log",
        [Target("A", qb.recent_rows(schema.VIOLATION, columns, PLACE, 500))],
        width=12,
    )


def clearances() -> Panel:
    columns = ["point_id", "vehicle_id", "fill_before_pct"]
    return p.table(
        "Clearances",
        [Target("A", qb.recent_rows(schema.CLEARANCE, columns, PLACE, 500))],
        width=12,
    )


def pest_visits() -> Panel:
    columns = ["site_id", "crew_id", "duration_min"]
    return p.table(
        "Pest-control visits",
        [Target("A", qb.recent_rows(schema.PEST_VISIT, columns, PLACE, 200))],
        width=12,
    )


def trends() -> list[Panel]:
    """The community's daily clearance and exposed garbage over the last two weeks."""
    return [
        p.daily_trend(
            "Collection points cleared per day",
            qb.daily_points_cleared(PLACE, "community"),
            by="community",
            unit="none",
            width=12,
            description="Distinct collection points with a clearance in the local day.",
        ),
        p.daily_trend(
            "Exposed garbage per day, point-minutes",
            qb.daily_exposed_minutes(PLACE, "community"),
            by="community",
            unit="m",
            width=12,
            description="Minutes of the day inside bin-overflow violations, summed over "
            f"points, sampled every {qb.EXPOSED_SAMPLE_MIN} min.",
        ),
    ]


def build() -> Dashboard:
    return Dashboard(
        uid=UID,
        title="yiju · community",
        description="A community's collection points, sewers, cameras, violations and visits.",
        variables=[TOWN_VARIABLE, COMMUNITY_VARIABLE],
        rows=[
            Row(10, [point_fill(), clearance_share()]),
            Row(9, [sewer_levels(), camera_timeline()]),
            Row(9, [open_now(), violation_log()]),
            Row(9, [clearances(), pest_visits()]),
            Row(8, trends()),
        ],
        links=[
            Link("District wall", "/d/yiju-district-wall"),
            Link("Dispatch board", "/d/yiju-dispatch"),
        ],
    )
