"""The district wall: every community's state at a glance, for a kiosk screen."""

from __future__ import annotations

from core import schema
from core.schema import ViolationKind
from dashboards import panels as p
from dashboards import queries as qb
from dashboards.model import (
    Dashboard,
    Link,
    Panel,
    QueryVariable,
    Row,
    SharedResult,
    Target,
    Threshold,
    thresholds,
)

UID = "yiju-district-wall"
FLAGGED = "Communities with open violations"
TOWN = qb.matches("town", "town")

TOWN_VARIABLE = QueryVariable(
    "town", "Town", qb.show_tag_values(schema.COMMUNITY, "town", []), multi=True
)


def clearance_share() -> Panel:
    return p.bar_gauge(
        "Collection points cleared today, per town",
        [
            Target("A", qb.points_per([TOWN], "town")),
            Target("B", qb.points_cleared_per([TOWN], "town")),
        ],
        rows="share",
        unit="percentunit",
        minimum=0,
        maximum=1,
        steps=thresholds(Threshold(p.RED), Threshold(p.ORANGE, 0.5), Threshold(p.GREEN, 0.95)),
        no_value="0%",
        transformations=[
            p.drop_time(),
            p.join_on("town"),
            p.divide("cleared", "points", "share"),
        ],
        description="Distinct collection points with a clearance since the local day began, "
        "over the registry's points (`yiju dashboards seed`).",
        width=10,
    )


def open_by_kind() -> Panel:
    return p.stat(
        "Open violations by kind",
        SharedResult(FLAGGED),
        rows="open",
        transformations=p.count_by("kind", "subject", "open"),
        width=14,
        description="Violations whose last event is an opening, per kind.",
    )


def community_map() -> Panel:
    place = ["community", "town", "name", "lat", "lon"]
    return p.geomap(
        "Communities by open violations",
        [
            Target("A", qb.community_info([TOWN], ["name", "lat", "lon"], ["community", "town"])),
            Target("B", qb.open_violations([TOWN], columns=["community", "subject", "state"])),
        ],
        color_field="open",
        transformations=[
            p.drop_time(),
            p.transform(
                "groupBy",
                fields={
                    **{f: {"operation": "groupby", "aggregations": []} for f in place},
                    "subject": {"operation": "aggregate", "aggregations": ["count"]},
                },
            ),
            p.rename({"subject (count)": "open"}),
            p.join_on("community"),
        ],
        width=12,
        description="Green: no open violation (no count); orange from 1, red from 3.",
    )


def communities_flagged() -> Panel:
    """The one query of every open violation; other wall panels reuse its result."""
    return p.table(
        FLAGGED,
        [Target("A", qb.open_violations([TOWN]))],
        transformations=[
            p.rename({"Time": "since"}),
            p.transform(
                "groupBy",
                fields={
                    "community": {"operation": "groupby", "aggregations": []},
                    "town": {"operation": "groupby", "aggregations": []},
                    "kind": {"operation": "aggregate", "aggregations": ["uniqueValues"]},
                    "subject": {"operation": "aggregate", "aggregations": ["count"]},
                    "since": {"operation": "aggregate", "aggregations": ["min"]},
                },
            ),
            p.rename(
                {
                    "kind (uniqueValues)": "kinds",
                    "subject (count)": "open",
                    "since (min)": "open since",
                }
            ),
        ],
        sort_by="open",
        width=12,
        overrides=[
            {
                "matcher": {"id": "byName", "options": "open since"},
                "properties": [{"id": "unit", "value": "dateTimeAsLocal"}],
            }
        ],
    )


def open_of(kind: ViolationKind, title: str, subject: str) -> Panel:
    return p.table(
        title,
        SharedResult(FLAGGED),
        transformations=[
            p.keep_equal("kind", kind.value),
            p.rename({"Time": "since", "subject": subject}),
        ],
        width=9,
    )


def count_of(kind: ViolationKind, title: str) -> Panel:
    return p.stat(
        title,
        SharedResult(FLAGGED),
        rows="open",
        transformations=[p.keep_equal("kind", kind.value), *p.count_by("kind", "subject", "open")],
        width=3,
    )


def trends() -> list[Panel]:
    """Per town, one point per local day over the last two weeks."""
    return [
        p.daily_trend(
            "Collection points cleared per day, per town",
            qb.daily_points_cleared([TOWN], "town"),
            by="town",
            unit="none",
            width=8,
            description="Distinct collection points with a clearance in the local day "
            "(any time of the day; the API's clearance rate counts those by the cut-off).",
        ),
        p.daily_trend(
            "Exposed garbage per day, point-minutes",
            qb.daily_exposed_minutes([TOWN], "town"),
            by="town",
            unit="m",
            width=8,
            description="Minutes of the day inside bin-overflow violations, summed over "
            f"points, sampled every {qb.EXPOSED_SAMPLE_MIN} min.",
        ),
        p.daily_trend(
            "Points overflowed per day, per town",
            qb.daily_points_overflowed([TOWN], "town"),
            by="town",
            unit="none",
            width=8,
            description="Distinct collection points with a bin overflow opened in the day.",
        ),
    ]


def build() -> Dashboard:
    return Dashboard(
        uid=UID,
        title="yiju · district wall",
        description="Nanhai's communities today: clearance, open violations, sewers, cameras.",
        variables=[TOWN_VARIABLE],
        rows=[
            Row(7, [clearance_share(), open_by_kind()]),
            Row(12, [community_map(), communities_flagged()]),
            Row(
                8,
                [
                    count_of(ViolationKind.SEWER_OVERFLOW, "Sewer overflows now"),
                    open_of(ViolationKind.SEWER_OVERFLOW, "Overflowing sewage outlets", "outlet"),
                    count_of(ViolationKind.CAMERA_OFFLINE, "Cameras offline now"),
                    open_of(ViolationKind.CAMERA_OFFLINE, "Cameras offline", "camera"),
                ],
            ),
            Row(8, trends()),
        ],
        links=[
            Link("Community board", "/d/yiju-community"),
            Link("Dispatch board", "/d/yiju-dispatch"),
        ],
    )
