"""What the simulation hands to the publisher: outbound messages with their facts.

Each `Outbound` is one MQTT publish. `fact` is what the message tells the
rules once delivered (a fill reading, a clearance, a camera going offline…);
the referee (`simulators.referee`) reads facts in publish order to write the
truth log. Malformed messages carry no fact: ingest must reject them.
"""

from __future__ import annotations

from typing import NamedTuple


class Fact(NamedTuple):
    kind: str  # "bin", "sewer", "camera", "cleared", "visited"
    subject: str  # device id for readings and heartbeats; point or site id for events
    ts: int
    value: float  # fill %, level cm, 1/0 online, or 0


class Outbound(NamedTuple):
    at: int  # simulated publish time: the order within a step (a held message is late)
    link: str  # which connection publishes it (see simulators.linknames)
    topic: str
    payload: bytes
    retain: bool
    family: str  # what is counted: bin, sewer, camera, status, vehicle, crew
    fact: Fact | None


def fmt1(value: float) -> str:
    """A number as JSON with one decimal."""
    return f"{value:.1f}"
