"""InfluxQL for the boards, written from the names in `core.schema` only.

"Open now" means: the last `state` of a violation series (kind, community, town,
subject) up to the end of the board's time range is "open". The series' last
event can be old (a camera broken for weeks), so the look-back is the
database's retention, not the board's range.

InfluxQL cannot join measurements, so where a board needs a zero for "nothing
happened" it unions a `count(...) * 0` row from the same measurement over a
look-back window: a town with no clearance today but some this week shows 0,
not a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core import schema
from core.dispatch import StopKind
from core.influx import quote_ident as q
from core.influx import quote_literal
from core.schema import ViolationKind, ViolationState

# How far back the last event of an open violation is looked for (the retention).
OPEN_LOOKBACK = "400d"
# How far back a zero row for "had no event in the range" is looked for.
ZERO_LOOKBACK = "7d"
# A planned stop counts as due this long after its ETA.
DUE_GRACE = "15m"

# Grafana's macros and global variables, as they appear in a query.
TIME_FILTER = "$timeFilter"
RANGE_END = "time <= ${__to}ms"

V = schema.VIOLATION
OPEN = quote_literal(ViolationState.OPEN.value)


def col(measurement: schema.Measurement, name: str) -> str:
    """A tag or field of `measurement`, quoted; a name the schema lacks is a build error."""
    if name not in measurement.tags and name not in measurement.fields:
        raise ValueError(f"{measurement.name} has no tag or field {name!r} (core/schema.py)")
    return q(name)


def matches(tag: str, variable: str) -> str:
    """A tag matched against a multi-value variable (Grafana formats it as a regex)."""
    return f"{q(tag)} =~ /^${variable}$/"


def where(conditions: Iterable[str]) -> str:
    return " AND ".join(c for c in conditions if c)


def lookback(span: str) -> str:
    """From `span` before the end of the board's range up to that end."""
    return f"time > ${{__to}}ms - {span} AND {RANGE_END}"


def kind_is(kinds: Sequence[ViolationKind]) -> str:
    if not kinds:
        return ""
    alternatives = " OR ".join(f"{q('kind')} = {quote_literal(k.value)}" for k in kinds)
    return f"({alternatives})"


def latest_violation_state(
    filters: Sequence[str], kinds: Sequence[ViolationKind] = (), *, as_of_now: bool = False
) -> str:
    """Per violation series, its last state up to the end of the board's range (or now,
    for alert rules); the row's time is that event's time."""
    window = f"time > now() - {OPEN_LOOKBACK}" if as_of_now else lookback(OPEN_LOOKBACK)
    series = ", ".join(q(t) for t in V.tags)
    return (
        f"SELECT last({q('state')}) AS {q('state')} FROM {q(V.name)} "
        f"WHERE {where([*filters, kind_is(kinds), window])} GROUP BY {series}"
    )


OPEN_COLUMNS = ("community", "town", "kind", "subject", "state")


def open_violations(
    filters: Sequence[str],
    kinds: Sequence[ViolationKind] = (),
    columns: Sequence[str] = OPEN_COLUMNS,
) -> str:
    """One row per open violation (no grouping: InfluxDB is several times faster
    returning rows than grouping a subquery); the row's time is since when."""
    selected = ", ".join(col(V, c) for c in columns)
    return (
        f"SELECT {selected} FROM ({latest_violation_state(filters, kinds)}) "
        f"WHERE {q('state')} = {OPEN}"
    )


def open_count_now(kind: ViolationKind) -> str:
    """Per violation series, 1 when it is open now (alert rules: no Grafana variables).

    `GROUP BY *` keeps the inner series' tags (kind, community, town, subject) as the
    alert's labels, and InfluxDB 1.x answers it several times faster than naming them.
    """
    inner = latest_violation_state([], [kind], as_of_now=True)
    return (
        f"SELECT count({q('state')}) AS {q('open')} FROM ({inner}) "
        f"WHERE {q('state')} = {OPEN} GROUP BY *"
    )


def community_info(filters: Sequence[str], fields: Sequence[str], group_by: Sequence[str]) -> str:
    """The registry facts written by `yiju dashboards seed`, last point per community."""
    m = schema.COMMUNITY
    unknown = set(fields) - set(m.fields)
    if unknown:
        raise ValueError(f"{m.name} has no fields {sorted(unknown)}")
    selected = ", ".join(f"last({q(f)}) AS {q(f)}" for f in fields)
    groups = ", ".join(col(m, t) for t in group_by)
    clause = f" WHERE {where(filters)}" if filters else ""
    return f"SELECT {selected} FROM {q(m.name)}{clause} GROUP BY {groups}"


def points_per(filters: Sequence[str], group: str) -> str:
    """Collection points of the registry per `group` (town or community)."""
    inner = community_info(filters, ["collection_points"], ["community", "town"])
    return (
        f"SELECT sum({q('collection_points')}) AS {q('points')} FROM ({inner}) GROUP BY {q(group)}"
    )


def points_cleared_per(filters: Sequence[str], group: str) -> str:
    """Distinct collection points with a clearance in the range, per `group`, 0 when none."""
    c = schema.CLEARANCE
    field = col(c, "fill_before_pct")  # every clearance has it: counting it counts events
    per_point = (
        f"SELECT count({field}) / count({field}) AS {q('cleared')} FROM {q(c.name)} "
        f"WHERE {where([*filters, TIME_FILTER])} GROUP BY {col(c, 'point_id')}, {col(c, group)}"
    )
    zero = (
        f"SELECT count({field}) * 0 AS {q('cleared')} FROM {q(c.name)} "
        f"WHERE {where([*filters, lookback(ZERO_LOOKBACK)])} GROUP BY {q(group)}"
    )
    return (
        f"SELECT sum({q('cleared')}) AS {q('cleared')} FROM ({per_point}), ({zero}) "
        f"GROUP BY {q(group)}"
    )


def show_tag_values(measurement: schema.Measurement, key: str, filters: Sequence[str]) -> str:
    if key not in measurement.tags:
        raise ValueError(f"{measurement.name} has no tag {key!r}")
    clause = f" WHERE {where(filters)}" if filters else ""
    return f"SHOW TAG VALUES FROM {q(measurement.name)} WITH KEY = {q(key)}{clause}"


def recent_rows(
    measurement: schema.Measurement, columns: Sequence[str], filters: Sequence[str], limit: int
) -> str:
    """The newest rows of a measurement in the range (a log table)."""
    return (
        f"SELECT {', '.join(col(measurement, c) for c in columns)} FROM {q(measurement.name)} "
        f"WHERE {where([*filters, TIME_FILTER])} ORDER BY time DESC LIMIT {limit}"
    )


# The stops a plan of each kind serves (depots, stations and breaks are not served).
SERVICE_STOP = {"garbage": StopKind.POINT, "pest": StopKind.SITE}


def service_stops(kinds: Iterable[StopKind] = tuple(SERVICE_STOP.values())) -> str:
    r = schema.ROUTE_STOP
    alternatives = " OR ".join(f"{col(r, 'stop_kind')} = {quote_literal(k.value)}" for k in kinds)
    return f"({alternatives})"


def planned_and_due(filters: Sequence[str], plan_kind: str) -> str:
    """Distinct stops to serve planned in the range per vehicle, and those due by now."""
    r = schema.ROUTE_STOP
    stops = f"count(distinct({col(r, 'stop_id')}))"
    base = [
        *filters,
        f"{col(r, 'plan_kind')} = {quote_literal(plan_kind)}",
        service_stops([SERVICE_STOP[plan_kind]]),
        TIME_FILTER,
    ]
    planned = (
        f"SELECT {stops} AS {q('planned')}, {stops} * 0 AS {q('due')} FROM {q(r.name)} "
        f"WHERE {where(base)} GROUP BY {col(r, 'vehicle_id')}"
    )
    due = (
        f"SELECT {stops} AS {q('due')} FROM {q(r.name)} "
        f"WHERE {where([*base, f'time <= now() - {DUE_GRACE}'])} GROUP BY {q('vehicle_id')}"
    )
    return (
        f"SELECT sum({q('planned')}) AS {q('planned')}, sum({q('due')}) AS {q('due')} "
        f"FROM ({planned}), ({due}) GROUP BY {q('vehicle_id')}"
    )


def served_per(
    measurement: schema.Measurement, by: str, counted: str, filters: Sequence[str]
) -> str:
    """Stops served in the range per vehicle or crew (0 for those active this week);
    `counted` is a field every event of `measurement` has."""
    field = col(measurement, counted)
    by = col(measurement, by)
    # Manual emptying has no vehicle: it is no crew's work.
    filters = [*filters, f"{by} != ''"]
    served = (
        f"SELECT count({field}) AS {q('served')} FROM {q(measurement.name)} "
        f"WHERE {where([*filters, TIME_FILTER])} GROUP BY {by}"
    )
    zero = (
        f"SELECT count({field}) * 0 AS {q('served')} FROM {q(measurement.name)} "
        f"WHERE {where([*filters, lookback(ZERO_LOOKBACK)])} GROUP BY {by}"
    )
    return f"SELECT sum({q('served')}) AS {q('served')} FROM ({served}), ({zero}) GROUP BY {by}"


# --- daily trends ------------------------------------------------------------------
#
# The trend panels show one value per local day over the last two weeks (the panel's
# own time range, `TREND_RANGE`). Days are the district's: `GROUP BY time(1d)
# tz('Asia/Shanghai')`.

TREND_DAYS = 14
# The panels' relative time: from the start of the local day 13 days ago to now.
TREND_RANGE = f"now-{TREND_DAYS - 1}d/d"
DISTRICT_TZ = "Asia/Shanghai"
# How far back an overflow may have opened and still count in the first day (as the API).
OVERFLOW_LOOKBACK = "7d"
# Exposed garbage is sampled at this step: a violation's state per bucket.
EXPOSED_SAMPLE_MIN = 5


def daily(group: str, fill: str = "none") -> str:
    """Local-day buckets per `group` (a tag)."""
    return f"GROUP BY time(1d), {q(group)} fill({fill}) tz({quote_literal(DISTRICT_TZ)})"


def trend_window(span: str) -> str:
    """From `span` before the start of the panel's range up to its end."""
    return f"time > ${{__from}}ms - {span} AND {RANGE_END}"


def daily_points_cleared(filters: Sequence[str], group: str) -> str:
    """Per `group` and local day: distinct collection points with a clearance that day
    (0 on days without one, for places with a clearance in the range)."""
    c = schema.CLEARANCE
    field = col(c, "fill_before_pct")  # every clearance has it
    per_point = (
        f"SELECT count({field}) / count({field}) AS {q('cleared')} FROM {q(c.name)} "
        f"WHERE {where([*filters, TIME_FILTER])} "
        f"GROUP BY time(1d), {col(c, 'point_id')}, {col(c, group)} fill(none) "
        f"tz({quote_literal(DISTRICT_TZ)})"
    )
    return (
        f"SELECT sum({q('cleared')}) AS {q('points_cleared')} FROM ({per_point}) "
        f"WHERE {TIME_FILTER} {daily(group, '0')}"
    )


def daily_points_overflowed(filters: Sequence[str], group: str) -> str:
    """Per `group` and local day: distinct collection points with a `bin_overflow` opened
    that day (0 on days without one, for places with an overflow in the range)."""
    state = col(V, "state")
    opened = [*filters, kind_is([ViolationKind.BIN_OVERFLOW]), f"{state} = {OPEN}", TIME_FILTER]
    per_point = (
        f"SELECT count({state}) / count({state}) AS {q('overflowed')} FROM {q(V.name)} "
        f"WHERE {where(opened)} GROUP BY time(1d), {col(V, 'subject')}, {col(V, group)} "
        f"fill(none) tz({quote_literal(DISTRICT_TZ)})"
    )
    return (
        f"SELECT sum({q('overflowed')}) AS {q('points_overflowed')} FROM ({per_point}) "
        f"WHERE {TIME_FILTER} {daily(group, '0')}"
    )


def daily_exposed_minutes(filters: Sequence[str], group: str) -> str:
    """Per `group` and local day: point-minutes inside `bin_overflow` violations, sampled
    every `EXPOSED_SAMPLE_MIN` minutes (each violation series' last state per step,
    carried forward; one still open runs to the end of the range); 0 on days without,
    for places with an overflow in the window."""
    state = col(V, "state")
    window = trend_window(OVERFLOW_LOOKBACK)
    samples = (
        f"SELECT last({state}) AS {state} FROM {q(V.name)} "
        f"WHERE {where([*filters, kind_is([ViolationKind.BIN_OVERFLOW]), window])} "
        f"GROUP BY time({EXPOSED_SAMPLE_MIN}m), {col(V, 'subject')}, {col(V, group)} "
        f"fill(previous)"
    )
    return (
        f"SELECT count({state}) * {EXPOSED_SAMPLE_MIN} AS {q('exposed_minutes')} "
        f"FROM ({samples}) WHERE {state} = {OPEN} AND {window} {daily(group, '0')}"
    )
