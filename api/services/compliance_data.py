"""The InfluxDB reads behind compliance: small, server-side aggregated where possible.

Each function returns a DataFrame with a `date` column (the local day) where it
applies; an empty result is an empty frame with the same columns.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from api.services.scope import Scope
from core import schema
from core.influx import InfluxClient, quote_ident, quote_literal
from core.localday import day_start_ms


def _local_dates(times: pd.Series, tz: str) -> pd.Series:
    return times.dt.tz_convert(tz).dt.date


def _daily(scope: Scope) -> str:
    return f"GROUP BY time(1d), {{tag}} fill(none) tz({quote_literal(scope.tz)})"


def clearances(influx: InfluxClient, scope: Scope) -> pd.DataFrame:
    """Every clearance in the scope: `point_id`, `time` (UTC), `date`, `clock` (local)."""
    where, params = scope.where()
    frame = influx.query_df(
        f'SELECT "fill_before_pct", "point_id" FROM {quote_ident(schema.CLEARANCE.name)} '
        f"WHERE {where}",
        params=params,
    )
    if frame.empty:
        return pd.DataFrame(columns=["point_id", "time", "date", "clock"])
    local = frame["time"].dt.tz_convert(scope.tz)
    frame["date"] = local.dt.date
    frame["clock"] = local.dt.time
    return frame[["point_id", "time", "date", "clock"]]


def overflow_readings(influx: InfluxClient, scope: Scope, overflow_pct: float) -> pd.DataFrame:
    """Per point and day, how many fill readings were at or above `overflow_pct`."""
    where, params = scope.where()
    params["overflow"] = float(overflow_pct)
    query = (
        f'SELECT count("fill_pct") AS readings FROM {quote_ident(schema.BIN.name)} '
        f'WHERE {where} AND "fill_pct" >= $overflow ' + _daily(scope).format(tag='"point_id"')
    )
    return _dated(influx.query_df(query, params=params), scope, ["point_id", "readings"])


def sewer_daily_max(influx: InfluxClient, scope: Scope) -> pd.DataFrame:
    """Per outlet and day, the highest level seen (to find the days worth a closer look)."""
    where, params = scope.where()
    query = (
        f'SELECT max("level_cm") AS max_level FROM {quote_ident(schema.SEWER.name)} '
        f"WHERE {where} " + _daily(scope).format(tag='"outlet_id"')
    )
    return _dated(influx.query_df(query, params=params), scope, ["outlet_id", "max_level"])


def sewer_levels(influx: InfluxClient, scope: Scope, outlet_ids: list[str]) -> pd.DataFrame:
    """Every level reading of the given outlets in the scope's range, in time order."""
    if not outlet_ids:
        return pd.DataFrame(columns=["outlet_id", "time", "level_cm", "date"])
    where, params = scope.where()
    names = []
    for i, outlet_id in enumerate(outlet_ids):
        params[f"o{i}"] = outlet_id
        names.append(f'"outlet_id" = $o{i}')
    query = (
        f'SELECT "level_cm" FROM {quote_ident(schema.SEWER.name)} '
        f'WHERE {where} AND ({" OR ".join(names)}) GROUP BY "outlet_id"'
    )
    frame = influx.query_df(query, params=params)
    if frame.empty:
        return pd.DataFrame(columns=["outlet_id", "time", "level_cm", "date"])
    frame["date"] = _local_dates(frame["time"], scope.tz)
    return frame[["outlet_id", "time", "level_cm", "date"]].sort_values(["outlet_id", "time"])


def camera_online(influx: InfluxClient, scope: Scope) -> pd.DataFrame:
    """Per camera and day, the number of heartbeats that said online (online is 0/1)."""
    where, params = scope.where()
    query = (
        f'SELECT sum("online") AS online FROM {quote_ident(schema.CAMERA.name)} '
        f"WHERE {where} " + _daily(scope).format(tag='"device_id"')
    )
    return _dated(influx.query_df(query, params=params), scope, ["device_id", "online"])


def pest_visits(influx: InfluxClient, scope: Scope, lookback_days: int) -> pd.DataFrame:
    """Visits from `lookback_days` before the first day to the end of the last: `site_id`,
    `date`."""
    start = day_start_ms(scope.first - timedelta(days=lookback_days), scope.tz)
    where, params = scope.where_from(start)
    frame = influx.query_df(
        f'SELECT "duration_min", "site_id" FROM {quote_ident(schema.PEST_VISIT.name)} '
        f"WHERE {where}",
        params=params,
    )
    if frame.empty:
        return pd.DataFrame(columns=["site_id", "date"])
    frame["date"] = _local_dates(frame["time"], scope.tz)
    return frame[["site_id", "date"]].drop_duplicates()


def _dated(frame: pd.DataFrame, scope: Scope, columns: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*columns, "date"])
    frame["date"] = _local_dates(frame["time"], scope.tz)
    return frame[[*columns, "date"]]
