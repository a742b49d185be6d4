"""Settings: environment with the YIJU_ prefix, development secrets, no defaults in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """YIJU_* variables set the fields."""
    monkeypatch.setenv("YIJU_MQTT_PORT", "18830")
    monkeypatch.setenv("YIJU_TOPIC_PREFIX", "city/v1")
    s = Settings(data_dir=tmp_path)
    assert (s.mqtt_port, s.topic_prefix) == (18830, "city/v1")


def test_development_generates_secrets_once(tmp_path: Path) -> None:
    """In development missing secrets are generated into secrets.env and reused."""
    first = Settings(env="development", data_dir=tmp_path).with_dev_secrets()
    second = Settings(env="development", data_dir=tmp_path).with_dev_secrets()
    assert first.secret("device_secret") == second.secret("device_secret")
    assert len(first.secret("device_secret")) >= 24
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0


def test_production_refuses_missing_secrets(tmp_path: Path) -> None:
    """Outside development a missing secret is an error naming the variable."""
    with pytest.raises(ConfigError, match="YIJU_DEVICE_SECRET"):
        Settings(env="production", data_dir=tmp_path).with_dev_secrets()
    assert not (tmp_path / "secrets.env").exists()


def test_secret_accessor_names_the_variable(tmp_path: Path) -> None:
    """Asking for an unset secret says which variable to set."""
    with pytest.raises(ConfigError, match="YIJU_INFLUX_PASSWORD"):
        Settings(data_dir=tmp_path).secret("influx_password")
