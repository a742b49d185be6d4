"""What Grafana does to an InfluxQL query before InfluxDB sees it.

Grafana 11 (InfluxQL datasource, backend mode) first replaces template
variables in the browser with the `regex` format: each value regex-escaped, a
multi-value selection as `(a|b)`, "All" as every option's value unless the
variable has a custom all value; `${__from}`/`${__to}` become the range in epoch
milliseconds. Its backend then replaces `$timeFilter` with
`time >= {from}ms and time <= {to}ms` and `$__interval`/`$interval` with the
rounded interval (range / max data points). This module reproduces those rules,
so the tests run the queries exactly as a wall display would send them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ALL = "$__all"
DEFAULT_MAX_DATA_POINTS = 1000

# Grafana's template syntax: $name, [[name]], [[name:fmt]], ${name}, ${name:fmt}.
VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")
REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|\[\]{}/]")


def escape_regex(value: str) -> str:
    return REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), value)


def regex_format(values: Sequence[str]) -> str:
    escaped = [escape_regex(v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


@dataclass(frozen=True)
class TimeRange:
    from_ms: int
    to_ms: int

    def __post_init__(self) -> None:
        if self.from_ms > self.to_ms:
            raise ValueError(f"time range starts after it ends ({self.from_ms} > {self.to_ms})")

    @classmethod
    def parse(cls, start: str, end: str, now_ms: int, tz: str = "Asia/Shanghai") -> TimeRange:
        """Grafana's relative ranges as the boards use them: now, now-6h, now/d, now-1d/d."""
        return cls(_when(start, now_ms, tz, round_up=False), _when(end, now_ms, tz, round_up=True))


_RELATIVE = re.compile(r"^now(?:-(\d+)([smhdw]))?(?:/([dwh]))?$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _when(expr: str, now_ms: int, tz: str, *, round_up: bool) -> int:
    match = _RELATIVE.match(expr)
    if not match:
        raise ValueError(f"unsupported Grafana time {expr!r} (use now, now-Nu, now/d, now-Nd/d)")
    amount, unit, snap = match.groups()
    moment = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(tz))
    if amount:
        moment -= timedelta(**{_UNITS[unit]: int(amount)})
    if snap == "h":
        moment = moment.replace(minute=0, second=0, microsecond=0)
        if round_up:
            moment += timedelta(hours=1) - timedelta(milliseconds=1)
    elif snap in ("d", "w"):
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if snap == "w":
            moment -= timedelta(days=moment.weekday())
        if round_up:
            moment += timedelta(days=7 if snap == "w" else 1) - timedelta(milliseconds=1)
    return int(moment.timestamp() * 1000)


# Grafana's rounding of the raw interval (ms) to a "nice" one.
_NICE = (
    (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000),
    (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000),
    (45000, 30000), (90000, 60000), (210000, 120000), (450000, 300000), (750000, 600000),
    (1050000, 900000), (1500000, 1200000), (2700000, 1800000), (5400000, 3600000),
    (9000000, 7200000), (16200000, 10800000), (27000000, 21600000), (39600000, 43200000),
    (604800000, 86400000), (1814400000, 604800000), (3628800000, 2592000000),
)  # fmt: skip


def round_interval(ms: float) -> int:
    for limit, nice in _NICE:
        if ms < limit:
            return nice
    return 31536000000


def parse_duration_ms(text: str) -> int:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", text)
    if not match:
        raise ValueError(f"not a Grafana interval: {text!r}")
    factor = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000}
    return int(match.group(1)) * factor[match.group(2)]


def format_interval(ms: int) -> str:
    """Grafana backend's gtime.FormatInterval."""
    for unit, size in (("y", 31536000000), ("d", 86400000), ("h", 3600000), ("m", 60000)):
        if ms >= size:
            return f"{ms // size}{unit}"
    if ms >= 1000:
        return f"{ms // 1000}s"
    return f"{max(ms, 1)}ms"


def panel_interval_ms(
    time_range: TimeRange, max_data_points: int | None, min_interval: str | None
) -> int:
    raw = (time_range.to_ms - time_range.from_ms) / (max_data_points or DEFAULT_MAX_DATA_POINTS)
    interval = round_interval(raw)
    if min_interval:
        interval = max(interval, parse_duration_ms(min_interval))
    return interval


@dataclass(frozen=True)
class VariableState:
    """A template variable with its options and the current selection."""

    name: str
    options: Sequence[str]
    selected: Sequence[str] = (ALL,)
    multi: bool = True
    include_all: bool = True
    all_value: str | None = None

    def values(self) -> list[str] | str:
        """The value Grafana formats: a list of values, or a raw custom all value."""
        if ALL in self.selected:
            if not self.include_all:
                raise ValueError(f"${self.name} has no All option")
            return self.all_value if self.all_value is not None else list(self.options)
        if len(self.selected) > 1 and not self.multi:
            raise ValueError(f"${self.name} takes one value, not {list(self.selected)}")
        return list(self.selected)


@dataclass
class Interpolator:
    """Interpolates queries for one time range and a set of variable states."""

    time_range: TimeRange
    variables: Mapping[str, VariableState] = field(default_factory=dict)

    def frontend(self, query: str) -> str:
        """The browser's templateSrv.replace(query, vars, 'regex')."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2) or match.group(4)
            fmt = match.group(3) or match.group(6)
            if name == "__from":
                return str(self.time_range.from_ms)
            if name == "__to":
                return str(self.time_range.to_ms)
            variable = self.variables.get(name)
            if variable is None:
                return match.group(0)  # a macro for the backend, or unknown: left as it is
            if fmt not in (None, "regex"):
                raise ValueError(f"format {fmt!r} of ${name} is not reproduced here")
            values = variable.values()
            if isinstance(values, str):
                return values  # a custom all value goes in raw
            if not values:
                raise ValueError(f"${name} has no values to select")
            return regex_format(values)

        return VARIABLE.sub(replace, query)

    def backend(self, query: str, interval_ms: int) -> str:
        """Grafana's InfluxQL backend: $timeFilter and the interval macros."""
        tr = self.time_range
        text = format_interval(interval_ms)
        query = query.replace("$timeFilter", f"time >= {tr.from_ms}ms and time <= {tr.to_ms}ms")
        query = query.replace("$interval", text)
        query = query.replace("$__interval_ms", str(interval_ms))
        return query.replace("$__interval", text)

    def query(self, query: str, interval_ms: int = 60000) -> str:
        return self.backend(self.frontend(query), interval_ms)


def leftover_variables(query: str) -> list[str]:
    """Anything that still looks like a variable after interpolation (a bug in a board)."""
    return [m.group(0) for m in VARIABLE.finditer(query)]
