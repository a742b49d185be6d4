"""What a community must achieve to meet the livable-community standard.

The violation rules' own thresholds are `core.thresholds.RuleThresholds`; these are
the figures the compliance is judged against. Both are configured through
`core.settings.Settings`, so every part judges by the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
