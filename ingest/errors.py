"""Exceptions of `ingest`. Messages say what failed and what to do."""

from __future__ import annotations

from core.errors import YijuError


class IngestError(YijuError):
    """Ingest could not start or run (a worker died, the service was misused)."""
