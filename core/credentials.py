"""MQTT account names and passwords.

Passwords are derived, not stored: a device's password is an HMAC of its id
under the device provisioning secret, a service account's an HMAC of its name
under the service secret. Whoever holds a secret (the provisioning tool, the
simulators) can hand a device its password; the broker only ever sees hashes.
Rotate a secret and every derived password changes with it.
"""

from __future__ import annotations

import hashlib
import hmac

from core.settings import Settings

# Service accounts and what they do; the broker's ACL is generated from this.
INGEST = "svc-ingest"
OPTIMIZER = "svc-optimizer"
SIMULATOR = "svc-simulator"
API = "svc-api"
SERVICE_ACCOUNTS = (INGEST, OPTIMIZER, SIMULATOR, API)


def gateway_account(town_id: str) -> str:
    """The per-town gateway account (a LoRaWAN network server or NVR platform)."""
    return f"gw-{town_id}"


def _derive(secret: str, label: str) -> str:
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).hexdigest()[:32]


def device_password(settings: Settings, device_id: str) -> str:
    return _derive(settings.secret("device_secret"), f"device:{device_id}")


def service_password(settings: Settings, account: str) -> str:
    return _derive(settings.secret("mqtt_service_secret"), f"service:{account}")
