"""Small typed builders for Grafana dashboard JSON (the classic model, schemaVersion 39).

Only what yiju's boards use is modelled; each builder renders to the plain dict
Grafana stores, so the built files read like any dashboard exported from Grafana.
Panels are laid out by `Row`s of fixed height, so no board hand-places grid cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboards.provisioning import DATASOURCE_TYPE, DATASOURCE_UID

SCHEMA_VERSION = 39
GRID_WIDTH = 24
Json = dict[str, Any]


# Grafana's built-in datasource that hands a panel another panel's query results.
DASHBOARD_DATASOURCE = {"type": "datasource", "uid": "-- Dashboard --"}


def datasource_ref() -> Json:
    """The reference every panel, target and variable carries."""
    return {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID}


@dataclass(frozen=True)
class Target:
    """One raw InfluxQL query of a panel; `fmt` is Grafana's resultFormat."""

    ref_id: str
    query: str
    fmt: str = "table"
    alias: str | None = None

    def __post_init__(self) -> None:
        if self.fmt not in ("table", "time_series", "logs"):
            raise ValueError(f"target {self.ref_id}: unknown result format {self.fmt!r}")
        if not self.query.strip():
            raise ValueError(f"target {self.ref_id}: empty query")

    def to_json(self) -> Json:
        out: Json = {
            "refId": self.ref_id,
            "datasource": datasource_ref(),
            "query": " ".join(self.query.split()),
            "rawQuery": True,
            "resultFormat": self.fmt,
        }
        if self.alias:
            out["alias"] = self.alias
        return out


@dataclass(frozen=True)
class SharedResult:
    """Another panel's results (by its title), so one costly query serves several panels."""

    source: str
    with_transforms: bool = False
    ref_id: str = "A"

    def to_json(self, panel_ids: dict[str, int]) -> Json:
        if self.source not in panel_ids:
            raise ValueError(f"no panel titled {self.source!r} to share results from")
        return {
            "refId": self.ref_id,
            "datasource": dict(DASHBOARD_DATASOURCE),
            "panelId": panel_ids[self.source],
            "withTransforms": self.with_transforms,
        }


@dataclass(frozen=True)
class Threshold:
    color: str
    value: float | None = None


def thresholds(*steps: Threshold) -> Json:
    """Absolute thresholds; the first step is the base (Grafana stores it with value null)."""
    if not steps or steps[0].value is not None:
        raise ValueError("thresholds need a base step without a value first")
    return {"mode": "absolute", "steps": [{"color": s.color, "value": s.value} for s in steps]}


@dataclass
class Panel:
    """A panel: visualisation type, title, queries, options and field config."""

    type: str
    title: str
    targets: Sequence[Target] | SharedResult
    description: str = ""
    width: int = 12
    options: Json = field(default_factory=dict)
    defaults: Json = field(default_factory=dict)
    overrides: list[Json] = field(default_factory=list)
    transformations: list[Json] = field(default_factory=list)
    max_data_points: int | None = None
    interval: str | None = None
    # The panel's own relative time (Grafana's "Relative time"), e.g. `now-13d/d`.
    time_from: str | None = None

    def to_json(self, panel_ids: dict[str, int], x: int, y: int, height: int) -> Json:
        if isinstance(self.targets, SharedResult):
            datasource, targets = dict(DASHBOARD_DATASOURCE), [self.targets.to_json(panel_ids)]
        else:
            datasource, targets = datasource_ref(), [t.to_json() for t in self.targets]
        out: Json = {
            "id": panel_ids[self.title],
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "datasource": datasource,
            "gridPos": {"h": height, "w": self.width, "x": x, "y": y},
            "targets": targets,
            "fieldConfig": {"defaults": self.defaults, "overrides": self.overrides},
            "options": self.options,
            "transformations": self.transformations,
        }
        if self.max_data_points is not None:
            out["maxDataPoints"] = self.max_data_points
        if self.interval is not None:
            out["interval"] = self.interval
        if self.time_from is not None:
            out["timeFrom"] = self.time_from
        return out


@dataclass(frozen=True)
class Row:
    """Panels side by side at one height; their widths must add up to at most 24."""

    height: int
    panels: Sequence[Panel]

    def __post_init__(self) -> None:
        total = sum(p.width for p in self.panels)
        if total > GRID_WIDTH:
            raise ValueError(f"row of {[p.title for p in self.panels]} is {total} wide (max 24)")


@dataclass(frozen=True)
class QueryVariable:
    """A template variable filled by an InfluxQL `SHOW TAG VALUES` query."""

    name: str
    label: str
    query: str
    multi: bool = True
    include_all: bool = True

    def to_json(self) -> Json:
        return {
            "type": "query",
            "name": self.name,
            "label": self.label,
            "datasource": datasource_ref(),
            "query": self.query,
            "definition": self.query,
            "refresh": 2,  # on time range change: new communities appear without a reload
            "multi": self.multi,
            "includeAll": self.include_all,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}
            if self.include_all
            else {},
            "options": [],
            "regex": "",
            "sort": 1,
            "hide": 0,
            "skipUrlSync": False,
        }


@dataclass(frozen=True)
class Link:
    title: str
    url: str

    def to_json(self) -> Json:
        return {
            "title": self.title,
            "type": "link",
            "url": self.url,
            "icon": "dashboard",
            "targetBlank": False,
            "keepTime": True,
            "includeVars": True,
            "asDropdown": False,
            "tags": [],
            "tooltip": "",
        }


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    rows: Sequence[Row]
    variables: Sequence[QueryVariable] = ()
    tags: Sequence[str] = ("yiju",)
    time_from: str = "now/d"
    time_to: str = "now"
    refresh: str = "30s"
    links: Sequence[Link] = ()

    def panels(self) -> list[Panel]:
        return [p for row in self.rows for p in row.panels]

    def to_json(self) -> Json:
        titles = [p.title for p in self.panels()]
        if len(set(titles)) != len(titles):
            raise ValueError(f"{self.uid}: panel titles must be unique: {titles}")
        panel_ids = {title: i for i, title in enumerate(titles, start=1)}
        panels: list[Json] = []
        y = 0
        for row in self.rows:
            x = 0
            for panel in row.panels:
                panels.append(panel.to_json(panel_ids, x, y, row.height))
                x += panel.width
            y += row.height
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            # The district's local day: "today" in the time picker is Asia/Shanghai's day.
            "timezone": "Asia/Shanghai",
            "weekStart": "monday",
            "editable": False,
            "graphTooltip": 1,
            "liveNow": False,
            "fiscalYearStartMonth": 0,
            "refresh": self.refresh,
            "time": {"from": self.time_from, "to": self.time_to},
            "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m", "15m"]},
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "annotations": {"list": []},
            "links": [link.to_json() for link in self.links],
            "templating": {"list": [v.to_json() for v in self.variables]},
            "panels": panels,
        }
