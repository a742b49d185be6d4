"""The simulator's MQTT connections: one per town gateway, one per sampled device.

Devices publish through their town's gateway account (`gw-<town>`, as a LoRaWAN
network server or a video platform would) by default; a configurable sample of
devices connects with its own credentials, so the broker's per-device ACL
(`pattern write {prefix}/telemetry/+/%u` and the like) is exercised. Sampled
cameras connect with a Last Will (retained `{"online": false}` on their status
topic), which the broker publishes if the simulator dies without disconnecting.
Malformed traffic a town-scoped broker would refuse from a gateway goes out on a
harness link (the `svc-simulator` account), so ingest still sees it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from core import credentials
from core.registry import DeviceKind, Registry
from core.settings import Settings
from core.topics import Topics
from simulators.linknames import HARNESS_LINK, device_link, gateway_link
from simulators.messages import Outbound
from simulators.seeding import stream
from simulators.wire import Connection, Will

log = logging.getLogger("yiju.simulators")

WILL_OFFLINE = b'{"online":false}'


def sample_devices(registry: Registry, share: float, max_devices: int, seed: int) -> frozenset[str]:
    """Devices that connect on their own: a seeded share, at least one of each kind
    when the share is positive, at most `max_devices`."""
    if share <= 0 or max_devices <= 0:
        return frozenset()
    rng = stream(seed, "direct-devices")
    ids = sorted(registry.devices)
    draws = rng.random(len(ids))
    picked = [d for d, u in zip(ids, draws, strict=True) if u < share]
    for kind in DeviceKind:
        if not any(registry.devices[d].kind is kind for d in picked):
            first = next((d for d in ids if registry.devices[d].kind is kind), None)
            if first is not None:
                picked.append(first)
    return frozenset(sorted(picked)[:max_devices])


class LinkPool:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        direct_devices: Iterable[str],
        window: int = 500,
    ) -> None:
        self.settings = settings
        run = uuid.uuid4().hex[:6]
        topics = Topics(settings.topic_prefix)
        host, port = settings.mqtt_host, settings.mqtt_port
        self.connections: dict[str, Connection] = {}
        for town in registry.towns:
            account = credentials.gateway_account(town.id)
            self.connections[gateway_link(town.id)] = Connection(
                host,
                port,
                client_id=f"yiju-sim-{run}-{account}",
                username=account,
                password=credentials.service_password(settings, account),
                window=window,
            )
        self.connections[HARNESS_LINK] = Connection(
            host,
            port,
            client_id=f"yiju-sim-{run}-harness",
            username=credentials.SIMULATOR,
            password=credentials.service_password(settings, credentials.SIMULATOR),
            window=window,
        )
        for device_id in sorted(direct_devices):
            ref = registry.devices[device_id]
            will = (
                Will(topics.status(ref.kind, device_id), WILL_OFFLINE)
                if ref.kind is DeviceKind.CAMERA
                else None
            )
            self.connections[device_link(device_id)] = Connection(
                host,
                port,
                client_id=f"yiju-sim-{run}-{device_id}",
                username=device_id,
                password=credentials.device_password(settings, device_id),
                window=min(window, 100),
                will=will,
            )

    def open(self) -> None:
        for conn in self.connections.values():
            conn.connect()
        log.info("connected %d links to the broker", len(self.connections))

    def publish(self, messages: Iterable[Outbound]) -> int:
        conns = self.connections
        n = 0
        for msg in messages:
            conns[msg.link].publish(msg.topic, msg.payload, 1, msg.retain)
            n += 1
        return n

    def flush(self) -> None:
        for conn in self.connections.values():
            conn.flush()
            conn.poll()
            conn.keepalive()

    def close(self) -> None:
        """Wait for every acknowledgement, then disconnect cleanly."""
        errors = []
        for conn in self.connections.values():
            try:
                conn.close()
            except ConnectionError as exc:
                errors.append(str(exc))
        if errors:
            log.error("%d links failed to close cleanly: %s", len(errors), errors[0])

    def abort(self) -> None:
        for conn in self.connections.values():
            conn.abort()

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.connections.values())

    @property
    def acknowledged(self) -> int:
        return sum(c.acked for c in self.connections.values())
