"""MQTT topic names of the contract, built and taken apart in one place."""

from __future__ import annotations

from dataclasses import dataclass

from core.registry.models import DeviceKind

DEFAULT_PREFIX = "yiju/v1"
TELEMETRY_KINDS = (DeviceKind.BIN, DeviceKind.SEWER, DeviceKind.CAMERA)


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic builder for one prefix (configurable per deployment)."""

    prefix: str = DEFAULT_PREFIX

    def telemetry(self, kind: DeviceKind | str, device_id: str) -> str:
        return f"{self.prefix}/telemetry/{kind}/{device_id}"

    def status(self, kind: DeviceKind | str, device_id: str) -> str:
        return f"{self.prefix}/status/{kind}/{device_id}"

    def vehicle_events(self, vehicle_id: str) -> str:
        return f"{self.prefix}/vehicles/{vehicle_id}/events"

    def crew_events(self, crew_id: str) -> str:
        return f"{self.prefix}/crews/{crew_id}/events"

    def dispatch(self, vehicle_or_crew_id: str) -> str:
        return f"{self.prefix}/dispatch/{vehicle_or_crew_id}"

    def alerts(self, community_id: str) -> str:
        return f"{self.prefix}/alerts/{community_id}"

    def all_inbound(self) -> list[str]:
        """Filters covering everything devices, trucks and crews publish."""
        p = self.prefix
        return [
            f"{p}/telemetry/#",
            f"{p}/status/#",
            f"{p}/vehicles/+/events",
            f"{p}/crews/+/events",
        ]


@dataclass(frozen=True, slots=True)
class TopicParts:
    """A device topic taken apart: family ('telemetry', 'status', 'vehicles', 'crews'),
    the declared kind and the device id."""

    family: str
    kind: DeviceKind
    device_id: str


def split_topic(topic: str, prefix: str = DEFAULT_PREFIX) -> TopicParts | None:
    """Take an inbound device topic apart; None when it is not one of the contract's."""
    if not topic.startswith(prefix + "/"):
        return None
    parts = topic[len(prefix) + 1 :].split("/")
    if len(parts) == 3 and parts[0] in ("telemetry", "status") and parts[2]:
        try:
            kind = DeviceKind(parts[1])
        except ValueError:
            return None
        if parts[0] == "telemetry" and kind not in TELEMETRY_KINDS:
            return None
        return TopicParts(parts[0], kind, parts[2])
    if len(parts) == 3 and parts[2] == "events" and parts[1]:
        if parts[0] == "vehicles":
            return TopicParts("vehicles", DeviceKind.VEHICLE, parts[1])
        if parts[0] == "crews":
            return TopicParts("crews", DeviceKind.CREW, parts[1])
    return None
