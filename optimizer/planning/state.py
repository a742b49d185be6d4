"""The latest district state the optimizer plans from.

`DistrictState` is a plain typed object, built from InfluxDB by `read_state` or
directly in tests and demos. Times are epoch milliseconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core import schema
from core.influx import InfluxClient, quote_ident, series_values
from core.localday import DEFAULT_TZ, MS_PER_DAY, MS_PER_HOUR, local_date
from core.schema import ViolationKind
from optimizer.planning.config import PlanningConfig, shape_share

log = logging.getLogger("yiju.optimizer")

# Readings older than this do not describe the bin any more.
FILL_LOOKBACK_MS = 2 * MS_PER_DAY
# The fill rate is taken over the readings of this window before `at_ms`.
RATE_WINDOW_MS = 6 * MS_PER_HOUR
# A point's daily accumulation is measured over its readings and clearances of this window.
HISTORY_MS = 7 * MS_PER_DAY


@dataclass(frozen=True, slots=True)
class BinState:
    """A point's last fill reading, its recent fill rate (percent per hour over the
    last hours, None if unknown) and its history: the fill gained between clearances
    (`history_rise_pct`, % of volume) over how much of a weekday's and a weekend day's
    garbage that time stands for (`history_weekday_days`, `history_weekend_days`: days
    weighted by the hourly shape of garbage, so a night counts little)."""

    fill_pct: float
    ts_ms: int
    rate_pct_per_h: float | None = None
    history_rise_pct: float = 0.0
    history_weekday_days: float = 0.0
    history_weekend_days: float = 0.0
    # The point's last clearance within the history window (epoch ms), if any.
    last_cleared_ms: int | None = None
    # The current span when the bins were emptied today: what it gained and the
    # weekday and weekend days of garbage it stands for; a busy day shows here before
    # it shows in the week's history.
    current_rise_pct: float = 0.0
    current_weekday_days: float = 0.0
    current_weekend_days: float = 0.0
    # The truck of that last clearance (a clearance recorded without one: None): the
    # next morning's plan starts from each truck's round of the day before.
    last_cleared_by: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    lat: float
    lon: float
    ts_ms: int


@dataclass
class DistrictState:
    """What the optimizer knows at `at_ms` beyond the static registry."""

    at_ms: int
    bins: dict[str, BinState] = field(default_factory=dict)
    # Clearances of the planned day so far: point id -> time of its last clearance.
    cleared: dict[str, int] = field(default_factory=dict)
    last_pest_visit: dict[str, int] = field(default_factory=dict)
    open_violations: dict[str, set[ViolationKind]] = field(default_factory=dict)
    vehicle_positions: dict[str, Position] = field(default_factory=dict)

    @classmethod
    def empty(cls, at_ms: int) -> DistrictState:
        return cls(at_ms=at_ms)

    def violations_of(self, community_id: str) -> set[ViolationKind]:
        return self.open_violations.get(community_id, set())


def _last_by(
    client: InfluxClient, query: str, key: str, params: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    rows = series_values(client.query(query, params=params))
    return {str(r[key]): r for r in rows if r.get(key) is not None}


def exposure_days(
    t0_ms: int, t1_ms: int, day_start_ms: int, weekday: int, shape: tuple[float, ...]
) -> tuple[float, float]:
    """How many days of garbage [t0_ms, t1_ms] stands for, on weekdays and on weekend
    days, weighted by the hourly `shape` (local days counted from `day_start_ms`, whose
    day is `weekday`, 0 = Monday)."""
    work = rest = 0.0
    t = t0_ms
    while t < t1_ms:
        day = (t - day_start_ms) // MS_PER_DAY
        midnight = day_start_ms + day * MS_PER_DAY
        end = min(t1_ms, midnight + MS_PER_DAY)
        share = shape_share(shape, (t - midnight) / 1000, (end - midnight) / 1000)
        if (weekday + day) % 7 >= 5:
            rest += share
        else:
            work += share
        t = end
    return work, rest


def history(
    first: tuple[int, float] | None,
    clearances: list[tuple[int, float]],
    last: tuple[int, float],
    *,
    cleared_fill_pct: float,
) -> list[tuple[int, int, float]]:
    """A point's fill rises (from ms, to ms, % gained) between its first reading of the
    window, each clearance (its fill before; the bin then starts again at
    `cleared_fill_pct`) and its last reading. A fall without a recorded clearance (bins
    emptied by hand) ends a span without counting it."""
    spans: list[tuple[int, int, float]] = []
    current = first
    for ts, before in sorted(clearances):
        if current is not None and ts > current[0] and before >= current[1]:
            spans.append((current[0], ts, before - current[1]))
        current = (ts, cleared_fill_pct)
    if current is not None and last[0] > current[0] and last[1] >= current[1]:
        spans.append((current[0], last[0], last[1] - current[1]))
    return spans


def read_state(
    client: InfluxClient,
    at_ms: int,
    day_start_ms: int,
    *,
    config: PlanningConfig | None = None,
    tz: str = DEFAULT_TZ,
) -> DistrictState:
    """The state at `at_ms` from InfluxDB: fills and rates, each point's history of
    the last 7 days (rises between clearances), today's clearances (since
    `day_start_ms`), last pest visits, open violations, truck positions."""
    config = config or PlanningConfig()
    state = DistrictState(at_ms=at_ms)
    since = at_ms - FILL_LOOKBACK_MS
    window = {"at": at_ms * 1_000_000, "since": since * 1_000_000}
    bin_m, clr_m = quote_ident(schema.BIN.name), quote_ident(schema.CLEARANCE.name)
    last = _last_by(
        client,
        f'SELECT last("fill_pct") AS fill FROM {bin_m} '
        'WHERE time >= $since AND time <= $at GROUP BY "point_id"',
        "point_id",
        window,
    )
    rate_since = {"at": at_ms * 1_000_000, "since": (at_ms - RATE_WINDOW_MS) * 1_000_000}
    first = _last_by(
        client,
        f'SELECT first("fill_pct") AS fill FROM {bin_m} '
        'WHERE time >= $since AND time <= $at GROUP BY "point_id"',
        "point_id",
        rate_since,
    )
    cleared = _last_by(
        client,
        f'SELECT last("fill_before_pct") AS fill FROM {clr_m} '
        'WHERE time >= $since AND time <= $at GROUP BY "point_id"',
        "point_id",
        {"at": at_ms * 1_000_000, "since": day_start_ms * 1_000_000},
    )
    hist = {"at": at_ms * 1_000_000, "since": (at_ms - HISTORY_MS) * 1_000_000}
    oldest = _last_by(
        client,
        f'SELECT first("fill_pct") AS fill FROM {bin_m} '
        'WHERE time >= $since AND time <= $at GROUP BY "point_id"',
        "point_id",
        hist,
    )
    clearances: dict[str, list[tuple[int, float]]] = {}
    cleared_by: dict[str, tuple[int, str | None]] = {}
    for row in series_values(
        client.query(
            f'SELECT "fill_before_pct" AS fill FROM {clr_m} '
            'WHERE time >= $since AND time <= $at GROUP BY "point_id", "vehicle_id"',
            params=hist,
        )
    ):
        if row.get("point_id") is not None and row.get("fill") is not None:
            point_id, at = str(row["point_id"]), int(row["time"])
            clearances.setdefault(point_id, []).append((at, float(row["fill"])))
            if point_id not in cleared_by or at >= cleared_by[point_id][0]:
                truck = row.get("vehicle_id")
                cleared_by[point_id] = (at, str(truck) if truck else None)
    weekday = local_date(day_start_ms, tz).weekday()
    shape = config.garbage_shape
    for point_id, row in last.items():
        fill, ts = float(row["fill"]), int(row["time"])
        head_row = oldest.get(point_id)
        spans = history(
            (int(head_row["time"]), float(head_row["fill"])) if head_row else None,
            clearances.get(point_id, []),
            (ts, fill),
            cleared_fill_pct=config.cleared_fill_pct,
        )
        rise = work = rest = 0.0
        current: tuple[float, float, float] = (0.0, 0.0, 0.0)
        for t0, t1, gained in spans:
            w, r = exposure_days(t0, t1, day_start_ms, weekday, shape)
            rise, work, rest = rise + gained, work + w, rest + r
            # Today's pace: the bin's content now, when it was emptied today (a span
            # from yesterday is mostly yesterday's garbage, no guide to today's).
            if t1 == ts and t0 >= day_start_ms:
                current = (gained, w, r)
        rate = None
        head = first.get(point_id)
        clear_ts = int(cleared[point_id]["time"]) if point_id in cleared else None
        if head is not None:
            t0, f0 = int(head["time"]), float(head["fill"])
            # A clearance in between resets the fill: no rate across it.
            if ts - t0 >= 30 * 60_000 and fill >= f0 and (clear_ts is None or clear_ts <= t0):
                rate = (fill - f0) / ((ts - t0) / MS_PER_HOUR)
        last_cleared: int | None = None
        by: str | None = None
        if point_id in cleared_by:
            last_cleared, by = cleared_by[point_id]
        state.bins[point_id] = BinState(
            fill, ts, rate, rise, work, rest, last_cleared, *current, last_cleared_by=by
        )
    state.cleared = {p: int(r["time"]) for p, r in cleared.items()}
    visits = _last_by(
        client,
        f'SELECT last("duration_min") AS d FROM {quote_ident(schema.PEST_VISIT.name)} '
        'WHERE time <= $at GROUP BY "site_id"',
        "site_id",
        {"at": at_ms * 1_000_000},
    )
    state.last_pest_visit = {s: int(r["time"]) for s, r in visits.items()}
    # The last event of each violation tells whether it is still open.
    events = series_values(
        client.query(
            f'SELECT last("state") AS state FROM {quote_ident(schema.VIOLATION.name)} '
            'WHERE time <= $at GROUP BY "kind", "community", "subject"',
            params={"at": at_ms * 1_000_000},
        )
    )
    for row in events:
        if row.get("state") != "open":
            continue
        try:
            kind = ViolationKind(str(row["kind"]))
        except ValueError:
            log.warning("unknown violation kind %r in InfluxDB; ignored", row.get("kind"))
            continue
        state.open_violations.setdefault(str(row["community"]), set()).add(kind)
    positions = _last_by(
        client,
        f'SELECT last("lat") AS lat, last("lon") AS lon '
        f"FROM {quote_ident(schema.VEHICLE_POSITION.name)} "
        'WHERE time >= $since AND time <= $at GROUP BY "vehicle_id"',
        "vehicle_id",
        {"at": at_ms * 1_000_000, "since": day_start_ms * 1_000_000},
    )
    state.vehicle_positions = {
        v: Position(float(r["lat"]), float(r["lon"]), int(r["time"])) for v, r in positions.items()
    }
    log.info(
        "state at %d: %d bins, %d cleared today, %d pest visits, %d communities with open "
        "violations, %d truck positions",
        at_ms,
        len(state.bins),
        len(state.cleared),
        len(state.last_pest_visit),
        len(state.open_violations),
        len(state.vehicle_positions),
    )
    return state
