"""Run every variable, panel and alert-rule query of the built files against InfluxDB,
the way Grafana would, and hand back what each panel would show.

This is how the boards are proven without a Grafana server: `yiju dashboards
probe` against a live database, and the tests against a known scenario.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import YijuError
from core.influx import InfluxClient
from core.localday import now_ms as clock_ms
from dashboards import frames as fr
from dashboards.interpolate import (
    ALL,
    Interpolator,
    TimeRange,
    VariableState,
    leftover_variables,
    panel_interval_ms,
)
from dashboards.model import DASHBOARD_DATASOURCE

log = logging.getLogger("yiju.dashboards")


class ProbeError(YijuError):
    """A board's query failed or was left with an unreplaced variable."""


@dataclass
class PanelResult:
    title: str
    queries: dict[str, str]
    raw: list[fr.Frame]
    frames: list[fr.Frame]
    elapsed_ms: float = 0.0  # time spent in this panel's own queries

    def rows(self) -> list[fr.Row]:
        return [row for f in self.frames for row in f.rows]

    def series(self) -> dict[str, Any]:
        """Time-series frames by name, reduced to their last non-null value."""
        out: dict[str, Any] = {}
        for f in self.frames:
            values = [r["Value"] for r in f.rows if r.get("Value") is not None]
            out[f.name] = values[-1] if values else None
        return out


@dataclass
class BoardResult:
    uid: str
    variables: dict[str, list[str]] = field(default_factory=dict)
    panels: dict[str, PanelResult] = field(default_factory=dict)

    def empty_panels(self) -> list[str]:
        return [t for t, p in self.panels.items() if not any(f.rows for f in p.raw)]


def _run(influx: InfluxClient, query: str, where: str) -> list[dict[str, Any]]:
    left = leftover_variables(query)
    if left:
        raise ProbeError(f"{where}: variables left unreplaced {left} in {query}")
    try:
        return influx.query(query, method="POST")
    except Exception as exc:
        raise ProbeError(f"{where}: {exc}") from exc


def resolve_variables(
    influx: InfluxClient,
    board: Mapping[str, Any],
    time_range: TimeRange,
    selections: Mapping[str, Sequence[str]],
) -> dict[str, VariableState]:
    """Fill each variable's options from its query, in order (later ones see earlier)."""
    states: dict[str, VariableState] = {}
    for var in board.get("templating", {}).get("list", []):
        name = var["name"]
        query = Interpolator(time_range, states).query(var["query"])
        series = _run(influx, query, f"{board['uid']} variable ${name}")
        options = [str(v[-1]) for s in series for v in s.get("values", [])]
        # Grafana's default: All where the variable has it, else its first option.
        default = [ALL] if var.get("includeAll") else options[:1]
        selected = list(selections.get(name, default))
        unknown = [v for v in selected if v != ALL and v not in options]
        if unknown:
            raise ProbeError(f"{board['uid']}: ${name} has no options {unknown} (has {options})")
        states[name] = VariableState(
            name,
            options,
            selected,
            multi=var.get("multi", False),
            include_all=var.get("includeAll", False),
            all_value=var.get("allValue") or None,
        )
    return states


def probe_board(
    influx: InfluxClient,
    board: Mapping[str, Any],
    time_range: TimeRange,
    selections: Mapping[str, Sequence[str]] | None = None,
    *,
    now_ms: int | None = None,
) -> BoardResult:
    """Every panel's frames; a panel with its own relative time (`timeFrom`) runs over that
    range up to `now_ms` (default: the clock), as Grafana does for a relative board range."""
    now = clock_ms() if now_ms is None else now_ms
    states = resolve_variables(influx, board, time_range, selections or {})
    result = BoardResult(board["uid"], {n: list(s.options) for n, s in states.items()})
    interpolator = Interpolator(time_range, states)
    by_id = {panel["id"]: panel for panel in board["panels"]}
    done: dict[int, PanelResult] = {}

    def run_panel(panel: Mapping[str, Any]) -> PanelResult:
        if panel["id"] in done:
            return done[panel["id"]]
        where = f"{board['uid']} panel {panel['title']!r}"
        panel_range, panel_interpolator = time_range, interpolator
        if panel.get("timeFrom"):
            panel_range = TimeRange.parse(panel["timeFrom"], "now", now)
            panel_interpolator = Interpolator(panel_range, states)
        interval = panel_interval_ms(panel_range, panel.get("maxDataPoints"), panel.get("interval"))
        raw: list[fr.Frame] = []
        queries: dict[str, str] = {}
        elapsed = 0.0
        for target in panel.get("targets", []):
            if target.get("hide"):
                continue
            if target.get("datasource", {}).get("uid") == DASHBOARD_DATASOURCE["uid"]:
                # Grafana's Dashboard datasource: another panel's frames, no query.
                source = run_panel(by_id[target["panelId"]])
                raw += source.frames if target.get("withTransforms") else source.raw
                continue
            query = panel_interpolator.query(target["query"], interval)
            queries[target["refId"]] = query
            started = time.perf_counter()
            series = _run(influx, query, f"{where} target {target['refId']}")
            elapsed += (time.perf_counter() - started) * 1000
            if target.get("resultFormat") == "time_series":
                raw += fr.time_series_frames(target.get("alias"), series)
            else:
                raw.append(fr.table_frame(target["refId"], series))
        copies = [fr.Frame(f.name, list(f.fields), list(f.rows), f.labels) for f in raw]
        frames = fr.apply(copies, panel.get("transformations", []))
        done[panel["id"]] = PanelResult(panel["title"], queries, raw, frames, elapsed)
        return done[panel["id"]]

    for panel in board["panels"]:
        result.panels[panel["title"]] = run_panel(panel)
    log.info("probed %s: %d variables, %d panels", board["uid"], len(states), len(result.panels))
    return result


@dataclass(frozen=True)
class AlertInstance:
    rule_uid: str
    labels: tuple[tuple[str, str], ...]
    value: float


def evaluate_rules(influx: InfluxClient, alerting: Mapping[str, Any]) -> list[AlertInstance]:
    """Evaluate provisioned rules: query A, reduce B (last, drop non-numbers),
    threshold C; returns the instances that fire."""
    firing: list[AlertInstance] = []
    for group in alerting["groups"]:
        for rule in group["rules"]:
            nodes = {d["refId"]: d for d in rule["data"]}
            source = next(d for d in rule["data"] if d["datasourceUid"] != "__expr__")
            series = _run(influx, source["model"]["query"], f"alert rule {rule['uid']}")
            reduce = next(d["model"] for d in nodes.values() if d["model"].get("type") == "reduce")
            cond = nodes[rule["condition"]]["model"]
            if reduce.get("reducer") != "last" or cond.get("type") != "threshold":
                raise ProbeError(f"alert rule {rule['uid']}: only last + threshold reproduced")
            evaluator = cond["conditions"][0]["evaluator"]
            for s in series:
                numbers = [v[-1] for v in s.get("values", []) if _is_number(v[-1])]
                if not numbers:
                    continue
                value = float(numbers[-1])
                if _fires(evaluator, value):
                    labels = tuple(sorted((s.get("tags") or {}).items()))
                    firing.append(AlertInstance(rule["uid"], labels, value))
    return firing


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not math.isnan(value)


def _fires(evaluator: Mapping[str, Any], value: float) -> bool:
    kind, params = evaluator["type"], evaluator["params"]
    limit = float(params[0])
    if kind == "gt":
        return value > limit
    if kind == "lt":
        return value < limit
    raise ProbeError(f"threshold {kind!r} is not reproduced here")
