"""Violation events from InfluxDB, paired into violations with open and close times.

Ingest writes one `violation` point when a violation opens (`state` "open")
and one when it closes ("closed"), sharing a `violation_id`. A violation is
listed when it opened inside the asked range; its close may come later.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from core import schema
from core.influx import InfluxClient, quote_ident


@dataclass(frozen=True, slots=True)
class ViolationFilter:
    start_ms: int
    end_ms: int
    town: str | None = None
    community: str | None = None
    kind: str | None = None
    status: str | None = None  # "open" or "closed"


@dataclass(frozen=True, slots=True)
class Violation:
    violation_id: str
    kind: str
    community: str | None
    town: str | None
    subject: str | None
    opened_ms: int
    closed_ms: int | None
    value: float | None

    @property
    def status(self) -> str:
        return "open" if self.closed_ms is None else "closed"

    @property
    def duration_s(self) -> float | None:
        return None if self.closed_ms is None else (self.closed_ms - self.opened_ms) / 1000

    @property
    def order_key(self) -> tuple[int, str]:
        return (self.opened_ms, self.violation_id)


def encode_cursor(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The position a cursor stands for; ValueError when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ms, _, violation_id = text.partition(":")
        return int(ms), violation_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"cursor {cursor[:40]!r} is not a cursor this API gave out") from None


def list_violations(
    influx: InfluxClient, where: ViolationFilter, *, limit: int, cursor: tuple[int, str] | None
) -> tuple[list[Violation], str | None]:
    """Violations newest first, one page of `limit`, and the cursor of the next page."""
    found = (
        _open_violations(influx, where) if where.status == "open" else _violations(influx, where)
    )
    items = [
        v
        for v in found
        if where.start_ms <= v.opened_ms < where.end_ms
        and (where.status is None or v.status == where.status)
        and (cursor is None or v.order_key < cursor)
    ]
    items.sort(key=lambda v: v.order_key, reverse=True)
    page = items[:limit]
    more = len(items) > limit
    return page, (encode_cursor(page[-1].order_key) if more and page else None)


def _where(where: ViolationFilter) -> tuple[str, dict[str, Any]]:
    clause = f"time >= {int(where.start_ms)}ms"
    params: dict[str, Any] = {}
    for tag in ("town", "community", "kind"):
        value = getattr(where, tag)
        if value is not None:
            clause += f' AND "{tag}" = ${tag}'
            params[tag] = value
    return clause, params


def _open_violations(influx: InfluxClient, where: ViolationFilter) -> list[Violation]:
    """Violations open now: the last event of each (kind, subject) series is an open.

    InfluxDB picks the last event per series itself, so this stays cheap over a long
    look-back where pairing every event would not."""
    clause, params = _where(where)
    series = influx.query(
        'SELECT last("state") AS state, "value", "violation_id" '
        f"FROM {quote_ident(schema.VIOLATION.name)} WHERE {clause} "
        'GROUP BY "kind", "community", "town", "subject"',
        params=params,
    )
    out = []
    for s in series:
        tags = s.get("tags") or {}
        for values in s.get("values", []):
            row = dict(zip(s["columns"], values, strict=True))
            if row.get("state") != schema.ViolationState.OPEN or not row.get("violation_id"):
                continue
            value = row.get("value")
            out.append(
                Violation(
                    violation_id=str(row["violation_id"]),
                    kind=str(tags.get("kind") or ""),
                    community=tags.get("community") or None,
                    town=tags.get("town") or None,
                    subject=tags.get("subject") or None,
                    opened_ms=int(row["time"]),
                    closed_ms=None,
                    value=float(value) if isinstance(value, int | float) else None,
                )
            )
    return out


def _violations(influx: InfluxClient, where: ViolationFilter) -> list[Violation]:
    clause, params = _where(where)
    series = influx.query(
        'SELECT "state", "value", "violation_id", "kind", "community", "town", "subject" '
        f"FROM {quote_ident(schema.VIOLATION.name)} WHERE {clause}",
        params=params,
    )
    opened: dict[str, dict[str, Any]] = {}
    closed: dict[str, int] = {}
    for s in series:
        columns = s["columns"]
        for values in s.get("values", []):
            row = dict(zip(columns, values, strict=True))
            violation_id = row.get("violation_id")
            if not violation_id:
                continue
            if row.get("state") == schema.ViolationState.OPEN:
                opened.setdefault(str(violation_id), row)
            elif row.get("state") == schema.ViolationState.CLOSED:
                closed.setdefault(str(violation_id), int(row["time"]))
    out = []
    for violation_id, row in opened.items():
        value = row.get("value")
        out.append(
            Violation(
                violation_id=violation_id,
                kind=str(row.get("kind") or ""),
                community=row.get("community"),
                town=row.get("town"),
                subject=row.get("subject"),
                opened_ms=int(row["time"]),
                closed_ms=closed.get(violation_id),
                value=float(value) if isinstance(value, int | float) else None,
            )
        )
    return out
