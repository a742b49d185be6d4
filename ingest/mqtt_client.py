"""The paho client a worker consumes with, chosen here and nowhere else.

`ingest.fast_paho.IngestClient` costs a fraction of stock paho per message, but it
overrides paho's private methods, so it runs only on the paho release it is tested
with (pyproject.toml pins that release; this check covers an install that
bypassed the pin). Where it cannot run, or with `YIJU_INGEST_FAST_CLIENT=false`,
workers consume with stock paho: slower, with the same guarantees (QoS 1, a
persistent session, each message acknowledged only once it is stored).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable

import paho.mqtt.client as mqtt

log = logging.getLogger("yiju.ingest")


class ConsumerClient(mqtt.Client):
    """Stock paho, plus the batch acknowledgement the consumer calls after a write."""

    def ack_many(self, mids: Iterable[int]) -> int:
        """Acknowledge QoS 1 messages by packet id, one PUBACK each; returns how many."""
        count = 0
        for mid in mids:
            self.ack(mid, 1)
            count += 1
        return count


FAST_CLIENT_MODULE = "ingest.fast_paho"


def fast_client_problem(
    paho_version: str | None = None, module: str = FAST_CLIENT_MODULE
) -> str | None:
    """Why the fast client (`module`) cannot run on paho `paho_version` (default: the
    installed one), or None when it can."""
    try:
        fast_paho = importlib.import_module(module)
    except (ImportError, AttributeError) as exc:  # a paho without a module or name it uses
        return f"{module} does not load: {exc}"
    reason: str | None = fast_paho.unsupported_reason(paho_version)
    return reason


def consumer_client_class(
    fast: bool, paho_version: str | None = None, module: str = FAST_CLIENT_MODULE
) -> type[ConsumerClient]:
    """The fast client when `fast` is asked for and paho supports it (the installed
    paho, or `paho_version`); otherwise stock paho, with a warning when the fast one
    was asked for."""
    if not fast:
        log.info("consuming with stock paho (YIJU_INGEST_FAST_CLIENT=false)")
        return ConsumerClient
    problem = fast_client_problem(paho_version, module)
    if problem is not None:
        log.warning(
            "the fast MQTT client cannot run here (%s); consuming with stock paho: "
            "slower, the same guarantees",
            problem,
        )
        return ConsumerClient
    from ingest.fast_paho import IngestClient
    from ingest.paho_speedups import install as install_paho_speedups

    install_paho_speedups()
    log.info("consuming with the fast MQTT client (ingest.fast_paho)")
    return IngestClient
