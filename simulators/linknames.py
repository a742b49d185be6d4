"""Names of the simulator's broker links: a town gateway, a device's own
connection, and the harness link (the `svc-simulator` account).

Faults that a town-scoped broker ACL refuses from a gateway (a device not in the
registry, a reading on another kind's topic) go out on the harness link, so
ingest's handling of them is still exercised.
"""

from __future__ import annotations

HARNESS_LINK = "harness"


def gateway_link(town_id: str) -> str:
    return f"gw:{town_id}"


def device_link(device_id: str) -> str:
    return f"dev:{device_id}"


def is_device_link(link: str) -> bool:
    return link.startswith("dev:")
