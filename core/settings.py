"""Settings from the environment (prefix `YIJU_`) and `.env`.

Secrets have no defaults. In development (`YIJU_ENV=development`, the default)
missing secrets are generated once into `<data_dir>/secrets.env`, so a fresh
checkout runs without set-up; in any other environment a missing secret is an
error that names the variable to set.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError
from core.localday import DEFAULT_TZ

SECRET_FIELDS = (
    "mqtt_service_secret",
    "device_secret",
    "influx_admin_password",
    "influx_password",
    "influx_reader_password",
)


class Settings(BaseSettings):
    """Every knob of yiju. See README.md, "Configuration", for each variable."""

    model_config = SettingsConfigDict(
        env_prefix="YIJU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    tz: str = DEFAULT_TZ
    registry_path: Path | None = None

    # MQTT
    mqtt_host: str = "127.0.0.1"
    # Local defaults stay clear of a system broker/database on 1883/8086.
    mqtt_port: int = Field(11883, ge=1, le=65535)
    topic_prefix: str = "yiju/v1"
    mqtt_service_secret: SecretStr | None = None
    device_secret: SecretStr | None = None
    # What a town gateway account may publish: "town" lists each of its town's
    # devices in the broker's ACL; "district" lets it publish for any device (a
    # broker ACL scan of thousands of entries per message is too slow for a
    # simulated day compressed into minutes, not for real traffic).
    mqtt_gateway_scope: Literal["town", "district"] = "town"

    # InfluxDB (v1 HTTP API). `influx_token` switches to token auth (2.x/3.x).
    influx_url: str = "http://127.0.0.1:18086"
    influx_db: str = "yiju"
    influx_retention: str = "400d"
    influx_user: str = "yiju"
    influx_password: SecretStr | None = None
    influx_reader_user: str = "yiju_reader"
    influx_reader_password: SecretStr | None = None
    influx_admin_user: str = "admin"
    influx_admin_password: SecretStr | None = None
    influx_token: SecretStr | None = None
    influx_timeout_s: float = Field(10.0, gt=0)

    # API
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_keys_file: Path | None = None

    # Ingest. A message whose `ts` is further ahead of its arrival, or further behind
    # it, than these is a dead letter (`clock_skew`, `too_old`): a device clock fault.
    ingest_max_ahead_s: int = Field(300, ge=0)
    ingest_late_window_s: int = Field(3 * 86_400, ge=0)
    # False: workers consume with stock paho instead of ingest.fast_paho (slower).
    ingest_fast_client: bool = True

    def secret(self, name: str) -> str:
        """The value of a secret, or a ConfigError naming the variable to set."""
        value = getattr(self, name)
        if value is None:
            raise ConfigError(
                f"secret YIJU_{name.upper()} is not set; set it in the environment or .env"
            )
        return str(value.get_secret_value())

    def with_dev_secrets(self) -> Settings:
        """Fill missing secrets from `<data_dir>/secrets.env`, creating it in development."""
        missing = [name for name in SECRET_FIELDS if getattr(self, name) is None]
        if not missing:
            return self
        if self.env == "production":
            names = ", ".join(f"YIJU_{n.upper()}" for n in missing)
            raise ConfigError(f"production needs these secrets in the environment: {names}")
        stored = ensure_dev_secrets(self.data_dir)
        updates = {name: SecretStr(stored[name]) for name in missing}
        return self.model_copy(update=updates)


def ensure_dev_secrets(data_dir: Path) -> dict[str, str]:
    """Read (or create with random values) the development secrets file."""
    path = data_dir / "secrets.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.startswith("YIJU_"):
                values[key.removeprefix("YIJU_").lower()] = value.strip()
    missing = [name for name in SECRET_FIELDS if name not in values]
    if missing:
        for name in missing:
            values[name] = secrets.token_urlsafe(24)
        data_dir.mkdir(parents=True, exist_ok=True)
        text = "".join(f"YIJU_{k.upper()}={v}\n" for k, v in sorted(values.items()))
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
    return values


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once on first use (not at import)."""
    return Settings().with_dev_secrets()
