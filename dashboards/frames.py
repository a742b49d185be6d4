"""InfluxDB results as Grafana's data frames, and the transformations the boards use.

Grafana turns an InfluxQL answer into frames by the target's result format:
`table` makes one table per query (Time, the group-by tags, the columns);
`time_series` makes one frame per series and column, named by the alias. The
boards' transformations (organize, joinByField, calculateField binary,
filterByValue, groupBy) are reproduced with Grafana's semantics, including
JavaScript's arithmetic: a value missing after an outer join is `undefined`
there, and any sum with it is NaN, which the panel shows as its "no value" text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass
class Frame:
    """A table: ordered field names and rows; `labels` for time-series frames."""

    name: str
    fields: list[str]
    rows: list[Row]
    labels: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> list[Any]:
        return [row.get(name) for row in self.rows]


def table_frame(ref_id: str, series: Sequence[dict[str, Any]]) -> Frame:
    fields: list[str] = []
    rows: list[Row] = []
    for s in series:
        tags = s.get("tags") or {}
        columns = ["Time" if c == "time" else c for c in s["columns"]]
        for name in [columns[0], *sorted(tags), *columns[1:]]:
            if name not in fields:
                fields.append(name)
        for values in s.get("values", []):
            row = dict(zip(columns, values, strict=True))
            row.update(tags)
            rows.append(row)
    return Frame(ref_id, fields, rows)


def _alias(alias: str, measurement: str, column: str, tags: dict[str, str]) -> str:
    def tag(match: re.Match[str]) -> str:
        key = match.group(1) or match.group(2)
        return tags.get(key, match.group(0))

    text = re.sub(r"\$tag_(\w+)|\[\[tag_(\w+)\]\]", tag, alias)
    return text.replace("$col", column).replace("$m", measurement)


def time_series_frames(alias: str | None, series: Sequence[dict[str, Any]]) -> list[Frame]:
    frames = []
    for s in series:
        tags = s.get("tags") or {}
        for i, column in enumerate(s["columns"][1:], start=1):
            if alias:
                name = _alias(alias, s.get("name", ""), column, tags)
            else:
                tag_text = ", ".join(f"{k}: {v}" for k, v in sorted(tags.items()))
                name = f"{s.get('name', '')}.{column}" + (f" {{{tag_text}}}" if tag_text else "")
            rows = [{"Time": v[0], "Value": v[i]} for v in s.get("values", [])]
            frames.append(Frame(name, ["Time", "Value"], rows, dict(tags)))
    return frames


# --- transformations ---------------------------------------------------------


def organize(frames: list[Frame], options: dict[str, Any]) -> list[Frame]:
    exclude = {k for k, v in (options.get("excludeByName") or {}).items() if v}
    names = options.get("renameByName") or {}
    out = []
    for f in frames:
        kept = [n for n in f.fields if n not in exclude]
        rows = [{names.get(k, k): v for k, v in r.items() if k not in exclude} for r in f.rows]
        out.append(Frame(f.name, [names.get(n, n) for n in kept], rows, f.labels))
    return out


def join_by_field(frames: list[Frame], options: dict[str, Any]) -> list[Frame]:
    key = options["byField"]
    mode = options.get("mode", "outer")
    joinable = [f for f in frames if key in f.fields]
    if not joinable:
        return frames
    fields: list[str] = [key]
    for f in joinable:
        fields += [n for n in f.fields if n not in fields]
    merged: dict[Any, Row] = {}
    seen_in: dict[Any, int] = {}
    for f in joinable:
        for row in f.rows:
            target = merged.setdefault(row.get(key), {key: row.get(key)})
            target.update({k: v for k, v in row.items() if k != key})
            seen_in[row.get(key)] = seen_in.get(row.get(key), 0) + 1
    rows = list(merged.values())
    if mode == "inner":
        rows = [r for r in rows if seen_in[r[key]] >= len(joinable)]
    elif mode not in ("outer", "outerTabular"):
        raise ValueError(f"joinByField mode {mode!r} is not reproduced here")
    return [Frame("joined", fields, [{n: r.get(n) for n in fields} for r in rows])]


def _js_number(value: Any) -> float:
    """JavaScript's Number(): undefined (a missing cell) is NaN."""
    if value is None:
        return math.nan
    return float(value)


_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: (
        a / b if b != 0 else (math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a))
    ),
}


def calculate_field(frames: list[Frame], options: dict[str, Any]) -> list[Frame]:
    if options.get("mode") != "binary":
        raise ValueError(f"calculateField mode {options.get('mode')!r} is not reproduced here")
    binary = options["binary"]
    left = binary["left"]["matcher"]["options"]
    right = binary["right"]["matcher"]["options"]
    operation = _OPERATORS[binary["operator"]]
    alias = options.get("alias") or f"{left} {binary['operator']} {right}"
    out = []
    for f in frames:
        if left not in f.fields or right not in f.fields:
            out.append(f)
            continue
        rows = [
            {**r, alias: operation(_js_number(r.get(left)), _js_number(r.get(right)))}
            for r in f.rows
        ]
        out.append(Frame(f.name, [*f.fields, alias], rows, f.labels))
    return out


def filter_by_value(frames: list[Frame], options: dict[str, Any]) -> list[Frame]:
    tests: list[tuple[str, str, Any]] = []
    for spec in options["filters"]:
        matcher = spec["config"]
        if matcher["id"] not in ("greater", "equal"):
            raise ValueError(f"filterByValue matcher {matcher['id']!r} is not reproduced here")
        tests.append((spec["fieldName"], matcher["id"], matcher["options"]["value"]))

    def hit(value: Any, matcher: str, expected: Any) -> bool:
        if matcher == "greater":
            return _js_number(value) > float(expected)
        return bool(value == expected)

    def passes(row: Row) -> bool:
        hits = [hit(row.get(name), matcher, expected) for name, matcher, expected in tests]
        return any(hits) if options.get("match", "any") == "any" else all(hits)

    include = options.get("type", "include") == "include"
    return [
        Frame(f.name, f.fields, [r for r in f.rows if passes(r) == include], f.labels)
        for f in frames
    ]


def _reduce(calc: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if calc == "count":
        return len(values)
    if calc == "uniqueValues":
        return sorted(set(present))
    if calc in ("min", "max", "sum", "last"):
        if not present:
            return None
        reducers: dict[str, Callable[[list[Any]], Any]] = {
            "min": min,
            "max": max,
            "sum": sum,
            "last": lambda v: v[-1],
        }
        return reducers[calc](present)
    raise ValueError(f"groupBy calculation {calc!r} is not reproduced here")


def group_by(frames: list[Frame], options: dict[str, Any]) -> list[Frame]:
    """Grafana's groupBy: per frame, group on the configured fields it has (in the
    frame's order), aggregate the configured ones; a frame with none is dropped."""
    specs = options["fields"]
    wanted = {n for n, s in specs.items() if s["operation"] == "groupby"}
    if not wanted:
        return frames
    out = []
    for f in frames:
        keys = [n for n in f.fields if n in wanted]
        if not keys:
            continue
        groups: dict[tuple[Any, ...], list[Row]] = {}
        for row in f.rows:
            groups.setdefault(tuple(row.get(k) for k in keys), []).append(row)
        fields = list(keys)
        aggregated = [
            (n, specs[n]["aggregations"])
            for n in f.fields
            if specs.get(n, {}).get("operation") == "aggregate" and specs[n]["aggregations"]
        ]
        fields += [f"{n} ({calc})" for n, calcs in aggregated for calc in calcs]
        rows = []
        for key, members in groups.items():
            row = dict(zip(keys, key, strict=True))
            for name, calcs in aggregated:
                for calc in calcs:
                    row[f"{name} ({calc})"] = _reduce(calc, [m.get(name) for m in members])
            rows.append(row)
        out.append(Frame(f.name, fields, rows, f.labels))
    return out


TRANSFORMS: dict[str, Callable[[list[Frame], dict[str, Any]], list[Frame]]] = {
    "organize": organize,
    "joinByField": join_by_field,
    "calculateField": calculate_field,
    "filterByValue": filter_by_value,
    "groupBy": group_by,
}


def apply(frames: list[Frame], transformations: Sequence[dict[str, Any]]) -> list[Frame]:
    for step in transformations:
        if step.get("disabled"):
            continue
        try:
            transform = TRANSFORMS[step["id"]]
        except KeyError:
            raise ValueError(f"transformation {step['id']!r} is not reproduced here") from None
        frames = transform(frames, step.get("options") or {})
    return frames
