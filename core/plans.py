"""Planning jobs and their results, stored as one JSON file per plan.

`POST /plans` creates a record in state `queued`; the planning process moves it
to `running` and then `done` (or `failed` with the error). Files are replaced
atomically, so a reader never sees half a plan.
"""

from __future__ import annotations

import json
import os
import uuid
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.dispatch import PlanKind, RouteDispatch


class PlanState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class UnservedReason(StrEnum):
    CAPACITY = "capacity"  # the fleet cannot carry it
    SHIFT_LENGTH = "shift_length"  # no shift has the time left
    TIME_WINDOW = "time_window"  # no crew can be there inside its window / before overflow
    UNREACHABLE = "unreachable"  # no road path (distance provider)
    NO_VEHICLE = "no_vehicle"  # the town has no truck or crew at all


class UnservedStop(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stop_id: str
    kind: str  # "point" or "site"
    community_id: str | None = None
    reason: UnservedReason
    detail: str


class PlanRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: str
    date: str
    kind: PlanKind
    town_id: str | None = None  # None: every town
    state: PlanState = PlanState.QUEUED
    created_ms: int
    started_ms: int | None = None
    finished_ms: int | None = None
    kpis: dict[str, float] = Field(default_factory=dict)
    routes: list[RouteDispatch] = Field(default_factory=list)
    unserved: list[UnservedStop] = Field(default_factory=list)
    # How many more trucks (garbage) or crew-hours (pest) would serve the unserved stops.
    extra_vehicles_needed: int = 0
    extra_crew_hours_needed: float = 0.0
    error: str | None = None


def new_plan_id(date: str, kind: str) -> str:
    return f"{kind}-{date}-{uuid.uuid4().hex[:8]}"


class PlanStore:
    """Plan records under `<data_dir>/plans/<plan_id>.json`."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "plans"

    def _path(self, plan_id: str) -> Path:
        if not plan_id.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"plan id {plan_id!r} has characters a plan id never has")
        return self.folder / f"{plan_id}.json"

    def save(self, record: PlanRecord) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(record.plan_id)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(record.model_dump_json(), encoding="utf-8")
        tmp.replace(path)

    def get(self, plan_id: str) -> PlanRecord | None:
        try:
            text = self._path(plan_id).read_text(encoding="utf-8")
        except (FileNotFoundError, ValueError):
            return None
        return PlanRecord.model_validate(json.loads(text))

    def list(self, date: str | None = None, kind: str | None = None) -> list[PlanRecord]:
        if not self.folder.exists():
            return []
        records = [
            PlanRecord.model_validate_json(p.read_text(encoding="utf-8"))
            for p in sorted(self.folder.glob("*.json"))
        ]
        return [
            r
            for r in records
            if (date is None or r.date == date) and (kind is None or r.kind == kind)
        ]
