"""Why a community failed the standard on a day: the injected faults behind each failed
daily criterion, read from the simulator's truth log.

A district officer reading the demo wants every failing community named with its
cause: a recorder that went down, a storm over the town, a blocked outlet, a truck
that broke down. A failed criterion with no fault behind it is the plan's own
shortfall and is said so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from core.localday import local_date
from core.registry import DeviceKind, Registry
from simulators.faults import FaultKind
from simulators.truth import FaultRecord

NO_FAULT = "no injected fault: the plan fell short"
# Which kinds of fault can make each daily criterion fail.
CAUSES: dict[str, tuple[FaultKind, ...]] = {
    "camera": (FaultKind.CAMERA_OUTAGE, FaultKind.NVR_OUTAGE),
    "sewer_overflow": (FaultKind.STORM, FaultKind.BLOCKED_OUTLET),
    "exposed_garbage": (FaultKind.TRUCK_BREAKDOWN, FaultKind.SILENT, FaultKind.FIRE),
    "clearance": (FaultKind.TRUCK_BREAKDOWN,),
    "pest_control": (),
}


class FaultPlaces:
    """Which communities a fault can touch: its device's, its recorder's cameras', its
    truck's town's, or its storm's town's (every community for a district storm)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.by_nvr: dict[str, set[str]] = {}
        for camera in registry.cameras:
            self.by_nvr.setdefault(camera.nvr_id, set()).add(camera.community_id)
        self.by_town = {t.id: {c.id for c in registry.communities_in(t.id)} for t in registry.towns}

    def on_point(self, fault: FaultRecord) -> str | None:
        """The collection point a fault sits on (a bin sensor's), if any."""
        device = self.registry.devices.get(fault.device_id)
        if device is None or device.kind is not DeviceKind.BIN:
            return None
        return device.subject_id

    def communities(self, fault: FaultRecord) -> set[str]:
        reg, subject = self.registry, fault.device_id
        if fault.fault is FaultKind.NVR_OUTAGE:
            return self.by_nvr.get(subject, set())
        if fault.fault is FaultKind.STORM:
            if subject in self.by_town:
                return self.by_town[subject]
            return {c.id for c in reg.communities}
        if fault.fault is FaultKind.TRUCK_BREAKDOWN:
            truck = reg.truck_by_id.get(subject)
            return self.by_town.get(truck.town_id, set()) if truck else set()
        device = reg.devices.get(subject)
        if device is not None and device.community_id is not None:
            return {device.community_id}
        return set()


def explain(
    day: date,
    failing: Mapping[str, str],
    faults: Iterable[FaultRecord],
    registry: Registry,
    overflowed: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, list[str]]:
    """Per failing community of `day`: one line per failed criterion with its causes;
    `overflowed` (community → point → minutes) names the points behind exposed
    garbage."""
    places = FaultPlaces(registry)
    tz = registry.district.tz
    todays = [f for f in faults if local_date(f.ts_ms, tz) == day]
    out: dict[str, list[str]] = {}
    for community, criteria in sorted(failing.items()):
        lines = []
        for criterion in (c.strip() for c in criteria.split(",")):
            kinds = CAUSES.get(criterion)
            if kinds is None:
                lines.append(f"{criterion}: a static criterion of the registry")
                continue
            hits = [f for f in todays if f.fault in kinds and community in places.communities(f)]
            points = (overflowed or {}).get(community, {})
            if criterion == "exposed_garbage" and points:
                # A silent sensor or a fire explains only its own point's overflow.
                hits = [f for f in hits if not places.on_point(f) or places.on_point(f) in points]
            if hits:
                named = "; ".join(f"{f.fault.value} {f.device_id} ({f.detail})" for f in hits[:3])
                more = f" and {len(hits) - 3} more" if len(hits) > 3 else ""
                lines.append(f"{criterion}: {named}{more}")
            else:
                lines.append(f"{criterion}: {NO_FAULT}")
            if criterion == "exposed_garbage" and points:
                worst = sorted(points.items(), key=lambda item: -item[1])[:3]
                named = ", ".join(f"{p} {m:.0f} min" for p, m in worst)
                more = f" and {len(points) - 3} more" if len(points) > 3 else ""
                lines.append(f"  overflowed: {named}{more}")
        out[community] = lines
    return out
