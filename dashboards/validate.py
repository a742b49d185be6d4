"""Checks of the built boards beyond what Grafana would silently accept.

- each board against `dashboard.schema.json` (a strict JSON Schema of Grafana's
  documented dashboard model: no unknown keys, required keys and types);
- dashboard uids, panel ids, target refIds and alert-rule uids unique;
- every `$variable` a query uses is defined (and defined before a variable
  whose query uses it); Grafana's own macros are known;
- every datasource reference (panels, targets, variables, alert rules) names the
  provisioned datasource, by uid and type;
- panels inside the 24-column grid without overlaps; links to existing boards;
- transformations among those the probe reproduces (so what is tested is what
  is shown);
- with the dev tools installed, each board round-trips through Grafana's own
  generated types (grafana-foundation-sdk, the Grafana 11.6 build): a panel option
  or field-config key those types do not know is lost on the way and reported.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from dashboards.frames import TRANSFORMS
from dashboards.interpolate import VARIABLE
from dashboards.model import DASHBOARD_DATASOURCE

SCHEMA_PATH = Path(__file__).with_name("dashboard.schema.json")
# Replaced by Grafana itself, never defined on a board.
MACROS = frozenset(
    {"timeFilter", "__timeFilter", "interval", "__interval", "__interval_ms", "__from", "__to"}
)
EXPRESSIONS = "__expr__"


@cache
def dashboard_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def schema_errors(board: Mapping[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(dashboard_schema())
    return [
        f"{board.get('uid', '?')}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(board), key=lambda e: list(e.absolute_path))
    ]


def _variables_used(text: str) -> set[str]:
    names = set()
    for m in VARIABLE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(4)
        if name not in MACROS:
            names.add(name)
    return names


def _datasource_refs(board: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for var in board["templating"]["list"]:
        if "datasource" in var:
            yield f"variable ${var['name']}", var["datasource"]
    for panel in board["panels"]:
        yield f"panel {panel['title']!r}", panel["datasource"]
        for t in panel["targets"]:
            if "datasource" in t:
                yield f"panel {panel['title']!r} target {t['refId']}", t["datasource"]


def board_errors(board: Mapping[str, Any], datasources: Mapping[str, str]) -> list[str]:
    """Everything wrong with one board; `datasources` maps provisioned uid → type."""
    uid = board.get("uid", "?")
    errors = schema_errors(board)
    if errors:
        return errors  # the checks below assume the documented structure
    defined: list[str] = []
    for var in board["templating"]["list"]:
        missing = _variables_used(str(var.get("query", ""))) - set(defined)
        if missing:
            errors.append(f"{uid}: ${var['name']} uses {sorted(missing)} not defined before it")
        defined.append(var["name"])
    dupes = [n for n, c in Counter(defined).items() if c > 1]
    if dupes:
        errors.append(f"{uid}: variables defined twice: {dupes}")
    ids = Counter(p["id"] for p in board["panels"])
    errors += [f"{uid}: panel id {i} used {c} times" for i, c in ids.items() if c > 1]
    taken: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        where = f"{uid} panel {panel['title']!r}"
        refs = Counter(t["refId"] for t in panel["targets"])
        errors += [f"{where}: refId {r} used {c} times" for r, c in refs.items() if c > 1]
        for t in panel["targets"]:
            missing = _variables_used(t.get("query", "")) - set(defined)
            if missing:
                errors.append(f"{where} target {t['refId']}: undefined variables {sorted(missing)}")
        for step in panel.get("transformations", []):
            if step["id"] not in TRANSFORMS:
                errors.append(f"{where}: transformation {step['id']!r} is not reproduced by probe")
        g = panel["gridPos"]
        if g["x"] + g["w"] > 24:
            errors.append(f"{where}: extends past the 24-column grid")
        cells = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        if cells & taken:
            errors.append(f"{where}: overlaps another panel")
        taken |= cells
    shared = {p["id"] for p in board["panels"] if p["datasource"] == DASHBOARD_DATASOURCE}
    for where, ref in _datasource_refs(board):
        if ref == DASHBOARD_DATASOURCE:
            continue
        if datasources.get(ref.get("uid", "")) != ref.get("type"):
            errors.append(f"{uid} {where}: datasource {dict(ref)} is not provisioned")
    for panel in board["panels"]:
        for t in panel["targets"]:
            if t.get("datasource") != DASHBOARD_DATASOURCE:
                continue
            source = t.get("panelId")
            if source not in ids or source in shared:
                errors.append(
                    f"{uid} panel {panel['title']!r}: shares results of panel {source}, "
                    "which is not a panel with its own queries"
                )
    return errors


# Keys Grafana writes that the SDK's generated types lack (they survive in Grafana).
SDK_UNMODELLED = (re.compile(r"^templating/list/\d+/definition$"),)


def _lost_keys(original: Any, copy: Any, path: str = "") -> Iterator[str]:
    if isinstance(original, dict):
        for key, value in original.items():
            where = f"{path}/{key}" if path else str(key)
            if not isinstance(copy, dict) or key not in copy:
                yield where
            else:
                yield from _lost_keys(value, copy[key], where)
    elif isinstance(original, list) and isinstance(copy, list):
        for i, (a, b) in enumerate(zip(original, copy, strict=False)):
            yield from _lost_keys(a, b, f"{path}/{i}")


def sdk_round_trip_errors(board: Mapping[str, Any]) -> list[str]:
    """Keys of the board that Grafana's generated types (grafana-foundation-sdk) drop."""
    from grafana_foundation_sdk.cog import encoder, plugins
    from grafana_foundation_sdk.models.dashboard import Dashboard

    plugins.register_default_plugins()
    typed = Dashboard.from_json(dict(board))
    copy = json.loads(json.dumps(typed, cls=encoder.JSONEncoder))
    return [
        f"{board.get('uid', '?')}: {path} is unknown to Grafana's dashboard types"
        for path in _lost_keys(board, copy)
        if not any(p.match(path) for p in SDK_UNMODELLED)
    ]


def alerting_errors(alerting: Mapping[str, Any], datasources: Mapping[str, str]) -> list[str]:
    errors = []
    uids: Counter[str] = Counter()
    for group in alerting["groups"]:
        for rule in group["rules"]:
            uids[rule["uid"]] += 1
            refs = {d["refId"] for d in rule["data"]}
            if rule["condition"] not in refs:
                errors.append(f"alert {rule['uid']}: condition {rule['condition']} is no query")
            for d in rule["data"]:
                ds = d["datasourceUid"]
                if ds != EXPRESSIONS and ds not in datasources:
                    errors.append(f"alert {rule['uid']} {d['refId']}: datasource {ds} unknown")
                used = _variables_used(str(d["model"].get("query", "")))
                if used:
                    errors.append(f"alert {rule['uid']}: alert queries cannot use {sorted(used)}")
    errors += [f"alert uid {u} used {c} times" for u, c in uids.items() if c > 1]
    return errors


def all_errors(
    boards: Mapping[str, Mapping[str, Any]],
    datasource_file: Mapping[str, Any],
    alerting: Mapping[str, Any],
) -> list[str]:
    """Check every board, their uids and links, and the alert rules."""
    datasources = {d["uid"]: d["type"] for d in datasource_file["datasources"]}
    errors: list[str] = []
    uids = Counter(b.get("uid") for b in boards.values())
    errors += [f"dashboard uid {u} used {c} times" for u, c in uids.items() if c > 1]
    for board in boards.values():
        errors += board_errors(board, datasources)
        for link in board.get("links", []):
            target = link.get("url", "").removeprefix("/d/").split("?")[0]
            if target not in uids:
                errors.append(f"{board['uid']}: link {link['title']!r} to unknown board {target}")
    return errors + alerting_errors(alerting, datasources)
