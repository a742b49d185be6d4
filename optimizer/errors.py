"""Errors of the optimizer; messages name the offending record and what to do."""

from __future__ import annotations

from core.errors import YijuError


class PlanningError(YijuError):
    """A plan could not be made from the given input."""


class ModelError(PlanningError, ValueError):
    """A routing problem was built with inconsistent data (a builder boundary check)."""


class DistanceError(PlanningError):
    """The distance provider could not answer (e.g. a routing engine is unreachable)."""
