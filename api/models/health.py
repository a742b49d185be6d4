"""Liveness and the state of the services behind the API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ServiceHealth(BaseModel):
    ok: bool
    detail: str


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    influxdb: ServiceHealth
    mosquitto: ServiceHealth


class KeyPublic(BaseModel):
    name: str
    role: str


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int
