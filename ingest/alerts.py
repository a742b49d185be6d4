"""Violation points and the alert payload published on `{prefix}/alerts/{community}`.

Alert payload (JSON, UTF-8, QoS 1, not retained), one per opening or closing:

    {"violation_id": "bin_overflow:gc-c001-p01:1767225600000",
     "kind": "bin_overflow", "subject": "gc-c001-p01",
     "community": "gc-c001", "town": "guicheng",
     "state": "open", "ts": 1767225600000, "value": 104.0}

`ts` is epoch milliseconds of the opening or closing (message time); an opening
and its closing share `violation_id`, which is stable across redelivery.
"""

from __future__ import annotations

import json
from typing import Any

from core import schema
from core.line_protocol import line
from core.schema import ViolationKind, ViolationState
from ingest.rules import ViolationEvent


def violation_line(event: ViolationEvent) -> str:
    return line(
        schema.VIOLATION.name,
        {
            "kind": event.kind.value,
            "community": event.community,
            "town": event.town,
            "subject": event.subject,
        },
        {"state": event.state.value, "value": event.value, "violation_id": event.violation_id},
        event.ts_ms,
    )


def alert_payload(event: ViolationEvent) -> bytes:
    body: dict[str, Any] = {
        "violation_id": event.violation_id,
        "kind": event.kind.value,
        "subject": event.subject,
        "community": event.community,
        "town": event.town,
        "state": event.state.value,
        "ts": event.ts_ms,
        "value": event.value,
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def parse_alert(payload: bytes) -> ViolationEvent:
    """The event an alert carries (for subscribers and tests); ValueError when malformed."""
    try:
        body = json.loads(payload)
        return ViolationEvent(
            ViolationKind(body["kind"]),
            str(body["subject"]),
            str(body["community"]),
            str(body["town"]),
            ViolationState(body["state"]),
            int(body["ts"]),
            float(body["value"]),
            str(body["violation_id"]),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a yiju alert: {exc}") from exc
