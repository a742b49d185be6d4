"""Violation events, one record per violation with its open and close times."""

from __future__ import annotations

from pydantic import BaseModel

from core.schema import ViolationKind


class ViolationPublic(BaseModel):
    violation_id: str
    kind: ViolationKind | str
    community: str | None
    town: str | None
    subject: str | None
    status: str
    opened_ms: int
    closed_ms: int | None
    duration_s: float | None
    value: float | None


class ViolationsPublic(BaseModel):
    data: list[ViolationPublic]
    count: int
    next_cursor: str | None
