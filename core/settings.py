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

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError
from core.localday import DEFAULT_TZ
from core.standard import DEFAULT_COMPLIANCE, ComplianceThresholds
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds

_RULES = DEFAULT_THRESHOLDS
_LIMITS = DEFAULT_COMPLIANCE

SECRET_FIELDS = (
    "mqtt_service_secret",
    "device_secret",
    "influx_admin_password",
    "influx_password",
    "influx_reader_password",
)


def _csv(values: tuple[float, ...] | tuple[int, ...]) -> str:
    return ",".join(f"{v:g}" for v in values)


class Settings(BaseSettings):
    """Every knob of yiju, read by every part alike. docs/configuration.md lists each
    variable, its default and which parts read it."""

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
    # Comma-separated `name:role:key` entries, for deployments that inject keys.
    api_keys: SecretStr | None = None
    # Seconds to keep compliance answers of days that have ended (0: no cache).
    compliance_cache_s: float = Field(300.0, ge=0)

    # Grafana, for `yiju dashboards push`.
    grafana_url: str | None = None
    grafana_token: SecretStr | None = None

    # The violation rules (`RuleThresholds`). The defaults live there; these override
    # them for ingest, the API, the optimizer, the simulators and the dashboards at once.
    clearance_cutoff: str = _RULES.clearance_cutoff
    bin_overflow_pct: float = Field(_RULES.bin_overflow_pct, gt=0)
    bin_overflow_clear_pct: float = Field(_RULES.bin_overflow_clear_pct, gt=0)
    manual_clearance_drop_pct: float = Field(_RULES.manual_clearance_drop_pct, gt=0, le=100)
    camera_missed_heartbeats: int = Field(_RULES.camera_missed_heartbeats, ge=1)
    silent_intervals: int = Field(_RULES.silent_intervals, ge=1)
    sewer_clear_margin_cm: float = Field(_RULES.sewer_clear_margin_cm, ge=0)
    # Months of the peak pest season, comma-separated.
    pest_peak_months: str = _csv(_RULES.pest_peak_months)

    # What a community must achieve on a day (`ComplianceThresholds`).
    compliance_min_clearance_rate: float = Field(_LIMITS.min_clearance_rate, ge=0, le=1)
    compliance_max_exposed_minutes: float = Field(_LIMITS.max_exposed_minutes, ge=0)
    compliance_max_sewer_overflows: int = Field(_LIMITS.max_sewer_overflows, ge=0)
    compliance_min_camera_availability: float = Field(_LIMITS.min_camera_availability, ge=0, le=1)
    compliance_min_green_space_ratio: float = Field(_LIMITS.min_green_space_ratio, ge=0, le=1)
    compliance_min_green_space_ratio_new: float = Field(
        _LIMITS.min_green_space_ratio_new, ge=0, le=1
    )
    compliance_min_service_centre_m2: float = Field(_LIMITS.min_service_centre_m2, ge=0)
    compliance_min_class2_toilets: int = Field(_LIMITS.min_class2_toilets, ge=0)
    # Shares of communities meeting the standard at the plan's stages, comma-separated.
    town_targets: str = _csv(_LIMITS.town_targets)

    # Planning: seconds of search per planning job (default: per kind of job) and the
    # road-distance source (greatcircle, osrm or valhalla at `distance_url`).
    plan_time_limit_s: float | None = Field(None, gt=0)
    distance_provider: str | None = None
    distance_url: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        # Built once here so that a bad figure fails at start-up, naming its variable,
        # rather than in the middle of a day.
        self.rule_thresholds()
        self.compliance_thresholds()
        return self

    def rule_thresholds(self) -> RuleThresholds:
        """The violation rules as configured."""
        try:
            months = tuple(int(m) for m in self.pest_peak_months.split(",") if m.strip())
            return RuleThresholds(
                bin_overflow_pct=self.bin_overflow_pct,
                bin_overflow_clear_pct=self.bin_overflow_clear_pct,
                manual_clearance_drop_pct=self.manual_clearance_drop_pct,
                clearance_cutoff=self.clearance_cutoff,
                camera_missed_heartbeats=self.camera_missed_heartbeats,
                silent_intervals=self.silent_intervals,
                sewer_clear_margin_cm=self.sewer_clear_margin_cm,
                pest_peak_months=months,
            )
        except ValueError as exc:
            raise ConfigError(
                "the rule settings (YIJU_CLEARANCE_CUTOFF, YIJU_BIN_OVERFLOW_PCT, "
                f"YIJU_BIN_OVERFLOW_CLEAR_PCT, YIJU_PEST_PEAK_MONTHS, ...) are invalid: {exc}"
            ) from exc

    def compliance_thresholds(self) -> ComplianceThresholds:
        """What a community must achieve, with the configured rules."""
        try:
            targets = tuple(float(v) for v in self.town_targets.split(","))
            return ComplianceThresholds(
                rules=self.rule_thresholds(),
                min_clearance_rate=self.compliance_min_clearance_rate,
                max_exposed_minutes=self.compliance_max_exposed_minutes,
                max_sewer_overflows=self.compliance_max_sewer_overflows,
                min_camera_availability=self.compliance_min_camera_availability,
                min_class2_toilets=self.compliance_min_class2_toilets,
                min_green_space_ratio=self.compliance_min_green_space_ratio,
                min_green_space_ratio_new=self.compliance_min_green_space_ratio_new,
                min_service_centre_m2=self.compliance_min_service_centre_m2,
                town_targets=targets,
            )
        except ValueError as exc:
            raise ConfigError(
                f"the compliance settings (YIJU_COMPLIANCE_*, YIJU_TOWN_TARGETS) are invalid: {exc}"
            ) from exc

    def registry_file(self) -> Path:
        """`YIJU_REGISTRY_PATH`, or `<data_dir>/district.json`: the district every part
        loads when no file is named."""
        return self.registry_path or self.data_dir / "district.json"

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
