"""Stored messages handed from worker processes to the rule engine, compactly.

Pickling slotted dataclasses runs Python code per object; tuples of their
fields pickle in C. At tens of thousands of messages a second this halves the
cost of the hand-over (measured: ~9 µs → ~2 µs a message, both ends together).
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any

from core.contract import (
    BinReading,
    CameraHeartbeat,
    DeviceStatus,
    Message,
    PointCleared,
    SewerReading,
    SiteVisited,
    VehiclePosition,
)

FACT_TYPES: tuple[type[Any], ...] = (
    BinReading,
    SewerReading,
    CameraHeartbeat,
    DeviceStatus,
    PointCleared,
    SiteVisited,
    VehiclePosition,
)
_INDEX = {cls: i for i, cls in enumerate(FACT_TYPES)}
_GETTERS = [attrgetter(*(f.name for f in fields(cls))) for cls in FACT_TYPES]


def encode(messages: list[Message]) -> list[tuple[Any, ...]]:
    out = []
    for m in messages:
        i = _INDEX[type(m)]
        out.append((i, *_GETTERS[i](m)))
    return out


def decode(rows: list[tuple[Any, ...]]) -> list[Message]:
    return [FACT_TYPES[row[0]](*row[1:]) for row in rows]
