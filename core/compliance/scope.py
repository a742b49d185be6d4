"""Which part of the district and which local days a question covers.

User input never reaches InfluxQL as text: town and community ids are checked
against the registry first and then passed as bound parameters; times are
integers computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.localday import MS_PER_DAY, day_start_ms, now_ms
from core.registry import Community, Registry


@dataclass(frozen=True, slots=True)
class Scope:
    """Communities (all, a town's, or one) over the local days `first`..`last`."""

    first: date
    last: date
    tz: str
    town_id: str | None = None
    community_id: str | None = None

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError(f"first day {self.first} is after last day {self.last}")

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def start_ms(self) -> int:
        return day_start_ms(self.first, self.tz)

    @property
    def end_ms(self) -> int:
        return day_start_ms(self.last + timedelta(days=1), self.tz)

    def communities(self, registry: Registry) -> list[Community]:
        if self.community_id is not None:
            return [registry.community_by_id[self.community_id]]
        if self.town_id is not None:
            return registry.communities_in(self.town_id)
        return list(registry.communities)

    def where(self) -> tuple[str, dict[str, Any]]:
        """The time range and tag filter as InfluxQL (with bound parameters)."""
        return self.where_from(self.start_ms)

    def where_from(self, start_ms: int) -> tuple[str, dict[str, Any]]:
        clause = f"time >= {int(start_ms)}ms AND time < {int(self.end_ms)}ms"
        params: dict[str, Any] = {}
        if self.community_id is not None:
            clause += ' AND "community" = $community'
            params["community"] = self.community_id
        elif self.town_id is not None:
            clause += ' AND "town" = $town'
            params["town"] = self.town_id
        return clause, params

    def observed_s(self, day: date, at_ms: int | None = None) -> float:
        """Seconds of `day` that have passed (a whole day for past days, 0 for future)."""
        start = day_start_ms(day, self.tz)
        now = now_ms() if at_ms is None else at_ms
        return max(0, min(now, start + MS_PER_DAY) - start) / 1000
