"""The simulated district: every model stepped together, with the referee watching.

`DistrictSim` knows nothing about MQTT connections: it turns simulated time
into outbound messages (sorted by publish time within each step) and learns
from `delivered()` which of them reached the broker, so the truth log follows
what was actually published.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

from pydantic import ValidationError

from core.dispatch import RouteDispatch
from core.registry import DeviceKind, Registry
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from core.topics import Topics
from simulators.bins import BinField
from simulators.cameras import CameraField
from simulators.faults import FaultConfig
from simulators.fleet import Fleet
from simulators.linknames import device_link, gateway_link
from simulators.messages import Outbound
from simulators.profiles import LocalTime
from simulators.referee import Referee
from simulators.sensors import FieldRun
from simulators.sewers import SewerField
from simulators.truth import ViolationRecord

log = logging.getLogger("yiju.simulators")


class DistrictSim:
    def __init__(
        self,
        registry: Registry,
        *,
        start_ms: int,
        end_ms: int,
        seed: int,
        faults: FaultConfig,
        topics: Topics,
        direct_devices: frozenset[str] = frozenset(),
        thresholds: RuleThresholds = DEFAULT_THRESHOLDS,
        position_interval_s: int = 60,
        pest_history: Mapping[str, int] | None = None,
    ) -> None:
        self.registry, self.topics = registry, topics
        self.start_ms, self.end_ms = start_ms, end_ms
        self.referee = Referee(registry, thresholds, start_ms, pest_history)
        report = self.referee.fault
        devices = registry.devices
        self.links = {
            d: device_link(d) if d in direct_devices else gateway_link(ref.town_id)
            for d, ref in devices.items()
        }

        clock = LocalTime(registry.district.tz, start_ms)
        points = [p for p in registry.collection_points if p.sensor is not None]
        bin_ids = [p.sensor.device_id for p in points if p.sensor is not None]
        run = FieldRun(topics, start_ms, end_ms, seed, faults, thresholds, report)
        self.bins = BinField(
            points, registry.district, [self.links[d] for d in bin_ids], clock, run
        )
        outlets = [o for o in registry.sewage_outlets if o.sensor is not None]
        sewer_ids = [o.sensor.device_id for o in outlets if o.sensor is not None]
        self.sewers = SewerField(outlets, registry, [self.links[d] for d in sewer_ids], clock, run)
        links = [self.links[c.id] for c in registry.cameras]
        self.cameras = CameraField(registry.cameras, links, run)
        self.fleet = Fleet(registry, self.links, topics, seed, faults, position_interval_s, report)
        self.published: Counter[str] = Counter()
        self.dispatch_rejected = 0

    @property
    def min_interval_ms(self) -> int:
        intervals = [r.interval_s for r in self.registry.devices.values() if r.interval_s]
        return min(intervals, default=60) * 1000

    def opening(self) -> list[Outbound]:
        return self.cameras.opening()

    def step(self, t0: int, t1: int) -> list[Outbound]:
        """Every message with a publish time in [t0, t1), in publish order."""
        out = self.fleet.step(t1, self.bins.clear)
        out += self.bins.step(t0, t1)
        out += self.sewers.step(t0, t1)
        out += self.cameras.step(t0, t1)
        out.sort(key=_publish_time)
        return out

    def leftovers(self) -> list[Outbound]:
        """Held-back (out-of-order) messages still unsent when a run stops early."""
        out = self.bins.faults.held + self.sewers.faults.held + self.cameras.faults.held
        self.bins.faults.held, self.sewers.faults.held, self.cameras.faults.held = [], [], []
        return sorted(out, key=_publish_time)

    def delivered(self, messages: list[Outbound]) -> None:
        observe = self.referee.observe
        counts = self.published
        for msg in messages:
            counts[msg.family] += 1
            if msg.fact is not None:
                observe(msg.fact)

    def dispatch(self, topic: str, payload: bytes, now: int) -> None:
        """A message on a dispatch topic: a new route (or an empty one: withdrawn)."""
        agent_id = topic.rsplit("/", 1)[-1]
        if not payload:
            self.fleet.assign(agent_id, None, now)
            return
        try:
            route = RouteDispatch.model_validate_json(payload)
        except ValidationError as exc:
            self.dispatch_rejected += 1
            log.error("dispatch on %s is not a RouteDispatch; ignored: %s", topic, exc)
            return
        if route.vehicle_id != agent_id:
            self.dispatch_rejected += 1
            log.error("dispatch on %s names vehicle %s; ignored", topic, route.vehicle_id)
            return
        self.fleet.assign(agent_id, route, now)

    def finish(self, end_ms: int) -> list[ViolationRecord]:
        return self.referee.finish(end_ms)

    def devices_of(self, kind: DeviceKind) -> list[str]:
        return [d for d, ref in self.registry.devices.items() if ref.kind is kind]


def _publish_time(msg: Outbound) -> int:
    return msg.at
