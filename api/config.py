"""The API's own configuration: compliance thresholds and key sources.

Read from the environment with the project's `YIJU_` prefix (for example
`YIJU_COMPLIANCE_MIN_CAMERA_AVAILABILITY=0.9`, `YIJU_TOWN_TARGETS=0.2,0.5,1.0`).
Defaults follow the district's livable-community plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds


@dataclass(frozen=True, slots=True)
class ComplianceThresholds:
    """What a community must achieve on a day to meet the standard."""

    rules: RuleThresholds = DEFAULT_THRESHOLDS
    # 日产日清: every collection point cleared by the cut-off.
    min_clearance_rate: float = 1.0
    # No exposed garbage.
    max_exposed_minutes: float = 0.0
    # Sewage into the network with no overflow.
    max_sewer_overflows: int = 0
    # Working video surveillance.
    min_camera_availability: float = 0.95
    # Static criteria of the plan.
    min_class2_toilets: int = 1
    min_green_space_ratio: float = 0.25
    min_green_space_ratio_new: float = 0.30
    min_service_centre_m2: float = 80.0
    # Town targets: share of communities meeting the standard (the plan's stages).
    town_targets: tuple[float, ...] = field(default=(0.2, 0.5, 1.0))

    def __post_init__(self) -> None:
        for name in ("min_clearance_rate", "min_camera_availability"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if not (0 <= self.min_green_space_ratio <= 1 and 0 <= self.min_green_space_ratio_new <= 1):
            raise ValueError("green-space ratios must be between 0 and 1")
        if self.max_exposed_minutes < 0 or self.max_sewer_overflows < 0:
            raise ValueError("maxima must not be negative")
        if not self.town_targets or any(not 0 < t <= 1 for t in self.town_targets):
            raise ValueError("town targets must be shares in (0, 1]")


DEFAULT_COMPLIANCE = ComplianceThresholds()


class ApiConfig(BaseSettings):
    """Environment knobs of the API beyond `core.settings.Settings`."""

    model_config = SettingsConfigDict(
        env_prefix="YIJU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    api_keys: SecretStr | None = None
    compliance_min_clearance_rate: float = Field(1.0, ge=0, le=1)
    compliance_max_exposed_minutes: float = Field(0.0, ge=0)
    compliance_max_sewer_overflows: int = Field(0, ge=0)
    compliance_min_camera_availability: float = Field(0.95, ge=0, le=1)
    compliance_min_green_space_ratio: float = Field(0.25, ge=0, le=1)
    compliance_min_green_space_ratio_new: float = Field(0.30, ge=0, le=1)
    compliance_min_service_centre_m2: float = Field(80.0, ge=0)
    compliance_min_class2_toilets: int = Field(1, ge=0)
    town_targets: str = "0.2,0.5,1.0"
    # Seconds to keep compliance answers of days that have ended (0: no cache).
    compliance_cache_s: float = Field(300.0, ge=0)

    @field_validator("town_targets")
    @classmethod
    def _targets(cls, value: str) -> str:
        try:
            [float(v) for v in value.split(",")]
        except ValueError:
            raise ValueError("YIJU_TOWN_TARGETS must be comma-separated shares") from None
        return value

    def thresholds(self) -> ComplianceThresholds:
        return ComplianceThresholds(
            min_clearance_rate=self.compliance_min_clearance_rate,
            max_exposed_minutes=self.compliance_max_exposed_minutes,
            max_sewer_overflows=self.compliance_max_sewer_overflows,
            min_camera_availability=self.compliance_min_camera_availability,
            min_class2_toilets=self.compliance_min_class2_toilets,
            min_green_space_ratio=self.compliance_min_green_space_ratio,
            min_green_space_ratio_new=self.compliance_min_green_space_ratio_new,
            min_service_centre_m2=self.compliance_min_service_centre_m2,
            town_targets=tuple(float(v) for v in self.town_targets.split(",")),
        )
