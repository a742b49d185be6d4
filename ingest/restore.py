"""After a restart: read the rules' state back from InfluxDB.

Open violations stay open (they are not opened a second time), every
violation's last opening or closing time comes back (a late reading older than
it changes nothing), and the last reading, clearance, heartbeat and visit of
every subject come back, so silence, cut-off and cycle checks continue where
they stopped.
"""

from __future__ import annotations

import logging
from typing import Any

from core import schema
from core.influx import InfluxClient, quote_ident
from core.schema import ViolationKind, ViolationState
from ingest.engine import RestoredState
from ingest.rules import ViolationEvent

log = logging.getLogger("yiju.ingest")


def _last_by(client: InfluxClient, field: str, measurement: str, tag: str) -> list[Any]:
    q = (
        f"SELECT last({quote_ident(field)}) FROM {quote_ident(measurement)} "
        f"GROUP BY {quote_ident(tag)}"
    )
    return client.query(q)


def _rows(series: list[dict[str, Any]], tag: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for s in series:
        key = (s.get("tags") or {}).get(tag)
        if not key:
            continue
        for values in s.get("values", []):
            out.append((key, dict(zip(s["columns"], values, strict=True))))
    return out


def load_state(client: InfluxClient) -> RestoredState:
    """Everything the rule engine needs to resume; empty for a new database."""
    state = RestoredState()
    series = client.query(
        f'SELECT last("state") AS state, "violation_id", "value" '
        f'FROM {quote_ident(schema.VIOLATION.name)} GROUP BY "kind", "subject", "community", "town"'
    )
    for s in series:
        tags = s.get("tags") or {}
        for values in s.get("values", []):
            row = dict(zip(s["columns"], values, strict=True))
            try:
                kind = ViolationKind(tags.get("kind", ""))
            except ValueError:
                continue
            state.violation_changed[(kind, tags["subject"])] = int(row["time"])
            if row.get("state") != ViolationState.OPEN.value:
                continue
            state.open_violations.append(
                ViolationEvent(
                    kind,
                    tags["subject"],
                    tags.get("community", ""),
                    tags.get("town", ""),
                    ViolationState.OPEN,
                    int(row["time"]),
                    float(row.get("value") or 0.0),
                    str(row.get("violation_id") or ""),
                )
            )

    for field, measurement in (("fill_pct", schema.BIN.name), ("level_cm", schema.SEWER.name)):
        for device, row in _rows(_last_by(client, field, measurement, "device_id"), "device_id"):
            state.sensor_seen[device] = int(row["time"])
    for point, row in _rows(_last_by(client, "fill_pct", schema.BIN.name, "point_id"), "point_id"):
        state.point_fill[point] = (int(row["time"]), float(row["last"]))
    for point, row in _rows(
        _last_by(client, "fill_before_pct", schema.CLEARANCE.name, "point_id"), "point_id"
    ):
        state.point_cleared[point] = int(row["time"])
    for cam, row in _rows(_last_by(client, "online", schema.CAMERA.name, "device_id"), "device_id"):
        state.camera[cam] = (int(row["time"]), bool(row["last"]))
    for site, row in _rows(
        _last_by(client, "duration_min", schema.PEST_VISIT.name, "site_id"), "site_id"
    ):
        state.site_visit[site] = int(row["time"])

    # The rules' clock resumes from the field's telemetry. Pest visits are left out:
    # they may be records imported from a contractor's books (the running start), and
    # a clock started from those would judge the days before the field reported at all
    # (every point not cleared, every camera silent).
    stamps = [
        *state.sensor_seen.values(),
        *(ts for ts, _ in state.point_fill.values()),
        *state.point_cleared.values(),
        *(ts for ts, _ in state.camera.values()),
    ]
    latest = max(stamps, default=0)
    state.watermark = latest or None
    log.info(
        "restore: %d open violations, %d sensors, %d cameras, %d sites, watermark %s",
        len(state.open_violations),
        len(state.sensor_seen),
        len(state.camera),
        len(state.site_visit),
        state.watermark,
    )
    return state
