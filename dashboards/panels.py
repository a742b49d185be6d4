"""Panel recipes shared by the boards: stat, bar gauge, table, time series,
state timeline and geomap, with yiju's colours and units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dashboards.model import Json, Panel, SharedResult, Target, Threshold, thresholds
from dashboards.queries import TREND_RANGE

Targets = Sequence[Target] | SharedResult

GREEN, ORANGE, RED, BLUE = "green", "orange", "red", "blue"

FLAG_ANY = thresholds(Threshold(GREEN), Threshold(RED, 1))


def transform(transform_id: str, **options: Any) -> Json:
    return {"id": transform_id, "options": options}


def drop_time() -> Json:
    """Table results carry a Time column; tabular joins need it gone."""
    return transform("organize", excludeByName={"Time": True}, renameByName={})


def rename(names: dict[str, str]) -> Json:
    return transform("organize", excludeByName={}, renameByName=names)


def join_on(field: str, mode: str = "outerTabular") -> Json:
    return transform("joinByField", byField=field, mode=mode)


def divide(left: str, right: str, alias: str) -> Json:
    return _binary(left, "/", right, alias)


def subtract(left: str, right: str, alias: str) -> Json:
    return _binary(left, "-", right, alias)


def _binary(left: str, operator: str, right: str, alias: str) -> Json:
    def by_name(name: str) -> Json:
        return {"matcher": {"id": "byName", "options": name}}

    return transform(
        "calculateField",
        mode="binary",
        binary={"left": by_name(left), "operator": operator, "right": by_name(right)},
        alias=alias,
        replaceFields=False,
    )


def keep_greater_than(field: str, value: float) -> Json:
    return _keep(field, "greater", value)


def keep_equal(field: str, value: str) -> Json:
    return _keep(field, "equal", value)


def _keep(field: str, matcher: str, value: float | str) -> Json:
    return transform(
        "filterByValue",
        type="include",
        match="any",
        filters=[{"fieldName": field, "config": {"id": matcher, "options": {"value": value}}}],
    )


def count_by(key: str, counted: str, alias: str) -> list[Json]:
    """Rows per `key` with how many rows had it, as `alias`."""
    return [
        transform(
            "groupBy",
            fields={
                key: {"operation": "groupby", "aggregations": []},
                counted: {"operation": "aggregate", "aggregations": ["count"]},
            },
        ),
        rename({f"{counted} (count)": alias}),
    ]


def stat(
    title: str,
    targets: Targets,
    *,
    width: int = 4,
    steps: Json = FLAG_ANY,
    rows: str | None = None,
    **kw: Any,
) -> Panel:
    """One value per series, or with `rows` one value per table row of that field."""
    reduce: Json = {"values": False, "calcs": ["lastNotNull"], "fields": ""}
    if rows is not None:
        reduce = {"values": True, "calcs": [], "fields": f"/^{rows}$/"}
    return Panel(
        "stat",
        title,
        targets,
        width=width,
        options={
            "reduceOptions": reduce,
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "value_and_name",
            "justifyMode": "auto",
            "orientation": "auto",
        },
        defaults={"thresholds": steps, "color": {"mode": "thresholds"}, "noValue": "0"},
        **kw,
    )


def bar_gauge(
    title: str,
    targets: Targets,
    *,
    steps: Json,
    unit: str,
    minimum: float,
    maximum: float,
    rows: str | None = None,
    width: int = 12,
    no_value: str = "0",
    **kw: Any,
) -> Panel:
    """One bar per series, or with `rows` one bar per table row showing that field."""
    reduce: Json = {"values": False, "calcs": ["lastNotNull"], "fields": ""}
    if rows is not None:
        reduce = {"values": True, "calcs": [], "fields": f"/^{rows}$/"}
    return Panel(
        "bargauge",
        title,
        targets,
        width=width,
        options={
            "reduceOptions": reduce,
            "orientation": "horizontal",
            "displayMode": "lcd",
            "showUnfilled": True,
            "valueMode": "color",
            "namePlacement": "left",
            "sizing": "auto",
            "minVizHeight": 16,
            "maxVizHeight": 40,
        },
        defaults={
            "unit": unit,
            "min": minimum,
            "max": maximum,
            "thresholds": steps,
            "color": {"mode": "thresholds"},
            "noValue": no_value,
        },
        **kw,
    )


def table(
    title: str,
    targets: Targets,
    *,
    width: int = 12,
    sort_by: str | None = None,
    **kw: Any,
) -> Panel:
    options: Json = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return Panel("table", title, targets, width=width, options=options, **kw)


def time_series(title: str, targets: Targets, *, unit: str, **kw: Any) -> Panel:
    return Panel(
        "timeseries",
        title,
        targets,
        options={
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
        defaults={"unit": unit, "custom": {"lineWidth": 1, "spanNulls": True}},
        **kw,
    )


def daily_trend(title: str, query: str, *, by: str, unit: str, **kw: Any) -> Panel:
    """One line per `by` (a tag), one point per local day over the last two weeks (the
    panel's own relative time, whatever the board's range)."""
    panel = time_series(
        title,
        [Target("A", query, fmt="time_series", alias=f"$tag_{by}")],
        unit=unit,
        time_from=TREND_RANGE,
        **kw,
    )
    panel.defaults["custom"] = {**panel.defaults["custom"], "showPoints": "always"}
    return panel


def state_timeline(title: str, targets: Targets, **kw: Any) -> Panel:
    online = {
        "type": "value",
        "options": {
            "0": {"text": "offline", "color": RED, "index": 0},
            "1": {"text": "online", "color": GREEN, "index": 1},
        },
    }
    return Panel(
        "state-timeline",
        title,
        targets,
        options={
            "showValue": "never",
            "mergeValues": True,
            "rowHeight": 0.8,
            "alignValue": "left",
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "single", "sort": "none"},
        },
        defaults={"mappings": [online], "color": {"mode": "thresholds"}, "thresholds": FLAG_ANY},
        **kw,
    )


def geomap(title: str, targets: Targets, *, color_field: str, **kw: Any) -> Panel:
    """Markers at each row's `lat`/`lon`, coloured by `color_field` (thresholds)."""
    layer = {
        "type": "markers",
        "name": "communities",
        "config": {
            "showLegend": True,
            "style": {
                "size": {"fixed": 8, "min": 6, "max": 18, "field": color_field},
                "color": {"field": color_field, "fixed": GREEN},
                "opacity": 0.8,
                "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
            },
        },
        "location": {"mode": "coords", "latitude": "lat", "longitude": "lon"},
        "tooltip": True,
    }
    return Panel(
        "geomap",
        title,
        targets,
        options={
            "view": {"id": "coords", "lat": 23.03, "lon": 113.05, "zoom": 10, "allLayers": True},
            "controls": {"showZoom": True, "mouseWheelZoom": False, "showAttribution": True},
            "basemap": {"type": "default", "name": "Basemap"},
            "layers": [layer],
            "tooltip": {"mode": "details"},
        },
        defaults={
            "thresholds": thresholds(Threshold(GREEN), Threshold(ORANGE, 1), Threshold(RED, 3)),
            "color": {"mode": "thresholds"},
            "noValue": "0",
            # A community with nothing open has no count after the join: show it as 0.
            "mappings": [
                {
                    "type": "special",
                    "options": {
                        "match": "null+nan",
                        "result": {"text": "0", "color": GREEN, "index": 0},
                    },
                }
            ],
        },
        **kw,
    )
