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


def test_rules_and_limits_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The standard's figures are settings like any other: one variable sets them for
    the rules, the compliance and the plan alike."""
    monkeypatch.setenv("YIJU_CLEARANCE_CUTOFF", "20:30")
    monkeypatch.setenv("YIJU_BIN_OVERFLOW_PCT", "90")
    monkeypatch.setenv("YIJU_BIN_OVERFLOW_CLEAR_PCT", "80")
    monkeypatch.setenv("YIJU_PEST_PEAK_MONTHS", "6,7,8")
    monkeypatch.setenv("YIJU_TOWN_TARGETS", "0.3,1")
    s = Settings(data_dir=tmp_path)
    rules = s.rule_thresholds()
    assert (rules.clearance_cutoff, rules.bin_overflow_pct, rules.pest_peak_months) == (
        "20:30",
        90.0,
        (6, 7, 8),
    )
    limits = s.compliance_thresholds()
    assert limits.rules == rules
    assert limits.town_targets == (0.3, 1.0)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("YIJU_CLEARANCE_CUTOFF", "25:00", "YIJU_CLEARANCE_CUTOFF"),
        ("YIJU_BIN_OVERFLOW_CLEAR_PCT", "120", "YIJU_BIN_OVERFLOW_CLEAR_PCT"),
        ("YIJU_PEST_PEAK_MONTHS", "May", "YIJU_PEST_PEAK_MONTHS"),
        ("YIJU_TOWN_TARGETS", "half,all", "YIJU_TOWN_TARGETS"),
    ],
)
def test_a_bad_rule_stops_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=named):
        Settings(data_dir=tmp_path)


def test_no_part_reads_yiju_variables_around_the_settings() -> None:
    """Every `YIJU_` variable is read through `Settings`, so no part can disagree."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("core", "simulators", "ingest", "optimizer", "api", "dashboards", "yiju"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if 'environ.get("YIJU_' in text or 'getenv("YIJU_' in text:
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
