"""Garbage trucks and pest-control crews driving the routes they are dispatched.

Without a route an agent does nothing. When a route arrives (the retained
`RouteDispatch` on its dispatch topic) the agent plans its day from it: it
leaves at the route's start (or now, for a route that arrives mid-day: then
only the stops not yet due are driven, from where the agent is), drives each
leg with travel-time noise, keeps the waits the plan has (a stop starts no
earlier than planned after one), serves each stop for about the planned service
time and moves on. Trucks publish positions while driving and
a `cleared` event when a collection point is emptied (the point's bins drop to
near zero at that moment); crews publish `visited` with the visit's length. A
new route replaces the rest of the old one. A truck that breaks down stops
where it is and drives nothing more that day; it is repaired overnight and takes
the next day's route. Several breakdowns may be scheduled for one truck (one a day).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.dispatch import RouteDispatch, StopKind
from core.localday import MS_PER_DAY
from core.registry import Registry
from core.topics import Topics
from simulators.faults import FaultConfig, FaultKind
from simulators.messages import Fact, Outbound
from simulators.seeding import stream, unit
from simulators.sensors import FaultReporter

log = logging.getLogger("yiju.simulators")

# How long a leg's drive is, as the plan's default distance model has it
# (optimizer/planning/config.py: great circle × 1.3 at 22 km/h). The rest of a planned
# leg is a wait (for a collection window to open, for the break), which traffic cannot
# stretch.
DETOUR = 1.3
DRIVE_KMH = 22.0
KM_PER_DEG = 111.2
# A planned leg longer than its drive by less than this holds no wait worth keeping
# (the plan's rounding): the truck goes on as soon as it arrives.
MIN_WAIT_MS = 60_000

# Timeline entries: (ts, kind, a, b, value): position (lat, lon), cleared (point,
# route), visited (site, route, minutes), breakdown.
Entry = tuple[int, str, object, object, float]


@dataclass
class Agent:
    id: str
    kind: str  # "vehicle" or "crew"
    link: str
    topic: str
    lat: float
    lon: float
    route: RouteDispatch | None = None
    timeline: list[Entry] = field(default_factory=list)
    broken_at: int | None = None


class Fleet:
    def __init__(
        self,
        registry: Registry,
        links: dict[str, str],
        topics: Topics,
        seed: int,
        faults: FaultConfig,
        position_interval_s: int,
        report: FaultReporter,
    ) -> None:
        self.seed, self.faults, self.report = seed, faults, report
        self.position_ms = position_interval_s * 1000
        self.agents: dict[str, Agent] = {}
        for truck in registry.trucks:
            depot = registry.depot_by_id.get(truck.depot_id)
            self.agents[truck.id] = Agent(
                truck.id,
                "vehicle",
                links[truck.id],
                topics.vehicle_events(truck.id),
                depot.lat if depot else 0.0,
                depot.lon if depot else 0.0,
            )
        for crew in registry.pest_crews:
            depot = registry.depot_by_id.get(crew.depot_id)
            self.agents[crew.id] = Agent(
                crew.id,
                "crew",
                links[crew.id],
                topics.crew_events(crew.id),
                depot.lat if depot else 0.0,
                depot.lon if depot else 0.0,
            )
        self.scheduled: dict[str, list[int]] = {}
        for b in sorted(faults.breakdowns, key=lambda b: b.at_ms):
            self.scheduled.setdefault(b.truck_id, []).append(b.at_ms)
        self.offset_ms = _utc_offset_ms(registry.district.tz)
        self.routes_taken = 0

    def assign(self, agent_id: str, route: RouteDispatch | None, now: int) -> bool:
        """Give an agent a new route (None: withdraw it); False when nothing changes."""
        agent = self.agents.get(agent_id)
        if agent is None:
            log.warning("dispatch for %s, which is not a truck or crew of this district", agent_id)
            return False
        if route == agent.route:
            return False
        agent.route = route
        agent.timeline = []
        if route is not None and agent.broken_at is not None and self._repaired(agent, route):
            agent.broken_at = None
        if route is None or agent.broken_at is not None:
            return route is None
        if route.end_ms <= now:
            log.info(
                "route %s for %s ended before the simulated now; ignored", route.route_id, agent_id
            )
            return False
        agent.timeline = self._plan(agent, route, now)
        self.routes_taken += 1
        log.info(
            "%s takes route %s (%d stops) at %d", agent_id, route.route_id, len(route.stops), now
        )
        return True

    def _plan(self, agent: Agent, route: RouteDispatch, now: int) -> list[Entry]:
        rng = stream(self.seed, "route", agent.id, route.route_id)
        if route.start_ms >= now:
            stops, t, planned_prev = route.stops, route.start_ms, route.start_ms
        else:  # a re-plan mid-day: the stops not yet due, from where the agent is
            stops = [s for s in route.stops if s.depart_ms >= now]
            t, planned_prev = now, now
        timeline: list[Entry] = []
        lat, lon = agent.lat, agent.lon
        for stop in stops:
            planned_leg = max(0, stop.eta_ms - planned_prev)
            moved = abs(stop.lat - lat) + abs(stop.lon - lon) > 1e-6
            drive = min(planned_leg, _drive_ms(lat, lon, stop.lat, stop.lon)) if moved else 0
            leg = int(drive * rng.lognormal(0, 0.12))
            if agent.kind == "vehicle" and leg > 0:
                for k in range(1, leg // self.position_ms + 1):
                    f = k * self.position_ms / leg
                    timeline.append(
                        (
                            t + k * self.position_ms,
                            "position",
                            lat + (stop.lat - lat) * f,
                            lon + (stop.lon - lon) * f,
                            0.0,
                        )
                    )
            arrive = t + leg
            if agent.kind == "vehicle" and moved:
                timeline.append((arrive, "position", stop.lat, stop.lon, 0.0))
            # A planned wait is kept: the stop starts no earlier than planned (not
            # before its window opens), and a truck running late makes up time in it.
            begin = max(arrive, stop.eta_ms) if planned_leg - drive >= MIN_WAIT_MS else arrive
            planned_service = max(0, stop.depart_ms - stop.eta_ms)
            noise = rng.uniform(0.85, 1.2) if stop.kind in (StopKind.POINT, StopKind.SITE) else 1.0
            done = begin + int(planned_service * noise)
            if stop.kind is StopKind.POINT and agent.kind == "vehicle":
                timeline.append((done, "cleared", stop.stop_id, route.route_id, 0.0))
            elif stop.kind is StopKind.SITE and agent.kind == "crew":
                minutes = round((done - begin) / 60_000, 1)
                timeline.append((done, "visited", stop.stop_id, route.route_id, minutes))
            t, planned_prev, lat, lon = done, stop.depart_ms, stop.lat, stop.lon
        at = self._breakdown_time(agent, route, now)
        if at is not None:
            undone = sum(1 for e in timeline if e[0] > at and e[1] in ("cleared", "visited"))
            timeline = [e for e in timeline if e[0] <= at]
            timeline.append((at, "breakdown", route.route_id, undone, 0.0))
        return timeline

    def _repaired(self, agent: Agent, route: RouteDispatch) -> bool:
        """A truck that broke down is back the next local day (repaired overnight)."""
        assert agent.broken_at is not None
        local_day = (agent.broken_at + self.offset_ms) // MS_PER_DAY
        return (route.start_ms + self.offset_ms) // MS_PER_DAY > local_day

    def _breakdown_time(self, agent: Agent, route: RouteDispatch, now: int) -> int | None:
        if agent.kind != "vehicle":
            return None
        begin = max(now, route.start_ms)
        for at in self.scheduled.get(agent.id, ()):
            if begin <= at < route.end_ms:
                return at
        span = route.end_ms - max(now, route.start_ms)
        chance = self.faults.breakdowns_per_day * span / MS_PER_DAY
        if span > 0 and unit(self.seed, "breakdown", agent.id, route.route_id) < chance:
            return max(now, route.start_ms) + int(unit(self.seed, "when", agent.id) * span)
        return None

    def step(self, t1: int, clear: Callable[[str, int], bool]) -> list[Outbound]:
        """The agents' events before `t1`; `clear(point_id, ts)` empties a point's bins."""
        out: list[Outbound] = []
        for agent in self.agents.values():
            timeline = agent.timeline
            k = 0
            while k < len(timeline) and timeline[k][0] < t1:
                self._event(agent, timeline[k], clear, out)
                k += 1
            if k:
                del timeline[:k]
        return out

    def _event(
        self, agent: Agent, entry: Entry, clear: Callable[[str, int], bool], out: list[Outbound]
    ) -> None:
        ts, kind, a, b, value = entry
        if kind == "position":
            agent.lat, agent.lon = float(a), float(b)  # type: ignore[arg-type]
            out.append(self._position(agent, ts))
        elif kind == "cleared":
            if not clear(str(a), ts):
                log.warning("%s: route %s names unknown point %s; not cleared", agent.id, b, a)
                return
            cleared = _event_json(ts, "cleared", point_id=a, route_id=b)
            out.append(
                Outbound(
                    ts,
                    agent.link,
                    agent.topic,
                    cleared,
                    False,
                    "vehicle",
                    Fact("cleared", str(a), ts, 0.0),
                )
            )
        elif kind == "visited":
            visited = _event_json(ts, "visited", site_id=a, route_id=b, duration_min=value)
            out.append(
                Outbound(
                    ts,
                    agent.link,
                    agent.topic,
                    visited,
                    False,
                    "crew",
                    Fact("visited", str(a), ts, value),
                )
            )
        elif kind == "breakdown":
            agent.broken_at = ts
            agent.timeline = []
            self.report(
                FaultKind.TRUCK_BREAKDOWN,
                agent.id,
                ts,
                f"broke down on route {a}; {b} stops undone",
            )
            out.append(self._position(agent, ts))  # where it stands

    @staticmethod
    def _position(agent: Agent, ts: int) -> Outbound:
        payload = f'{{"ts":{ts},"type":"position","lat":{agent.lat:.6f},"lon":{agent.lon:.6f}}}'
        return Outbound(ts, agent.link, agent.topic, payload.encode(), False, "vehicle", None)


def _utc_offset_ms(tz: str) -> int:
    """The zone's offset from UTC (the district's zone has no daylight saving)."""
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds() * 1000) if offset else 0


def _event_json(ts: int, kind: str, **fields: object) -> bytes:
    return json.dumps({"ts": ts, "type": kind, **fields}, separators=(",", ":")).encode()


def _drive_ms(lat0: float, lon0: float, lat1: float, lon1: float) -> int:
    """The drive between two places in the plan's default distance model."""
    dy = (lat1 - lat0) * KM_PER_DEG
    dx = (lon1 - lon0) * KM_PER_DEG * math.cos(math.radians((lat0 + lat1) / 2))
    return int(math.hypot(dx, dy) * DETOUR / DRIVE_KMH * 3_600_000)
