"""The monthly assessment: a month of daily compliance summed up per community and town."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd

MONTH_COMMUNITY_COLUMNS = [
    "community",
    "name",
    "town",
    "days",
    "days_meeting",
    "share_of_days",
    "clearance_rate",
    "exposed_minutes",
    "sewer_overflows",
    "sewer_overflow_minutes",
    "camera_availability",
    "pest_days_on_schedule",
    "static_ok",
    "most_failed",
]


def month_days(month: str, today: date) -> tuple[date, date]:
    """First and last day of `YYYY-MM` (the last is today for the running month);
    ValueError when it is malformed or in the future."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValueError(f"month {month!r} is not YYYY-MM") from None
    if first > today:
        raise ValueError(f"month {month} is in the future")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, min(following - timedelta(days=1), today)


def monthly_summary(daily: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per community: days assessed and meeting the standard, means and sums of the daily
    figures, the criterion failed most often; per town: the share of community-days met."""
    rows = []
    for community, group in daily.groupby("community", sort=True):
        failed = Counter(name for names in group["failing"] for name in names)
        rows.append(
            {
                "community": community,
                "name": group["name"].iloc[0],
                "town": group["town"].iloc[0],
                "days": len(group),
                "days_meeting": int(group["meets_standard"].sum()),
                "share_of_days": float(group["meets_standard"].mean()),
                "clearance_rate": _mean(group["clearance_rate"]),
                "exposed_minutes": float(group["exposed_minutes"].sum()),
                "sewer_overflows": int(group["sewer_overflows"].sum()),
                "sewer_overflow_minutes": float(group["sewer_overflow_minutes"].sum()),
                "camera_availability": _mean(group["camera_availability"]),
                "pest_days_on_schedule": int(
                    (group["pest_sites_on_schedule"] >= group["pest_sites"]).sum()
                ),
                "static_ok": bool(group["static_ok"].all()),
                "most_failed": failed.most_common(1)[0][0] if failed else None,
            }
        )
    communities = pd.DataFrame(rows, columns=MONTH_COMMUNITY_COLUMNS)
    towns = (
        communities.groupby("town", sort=True)
        .agg(
            communities=("community", "size"),
            community_days=("days", "sum"),
            days_meeting=("days_meeting", "sum"),
        )
        .reset_index()
    )
    towns["share_of_days"] = towns["days_meeting"] / towns["community_days"]
    return communities, towns


def _mean(values: pd.Series) -> float | None:
    clean = values.dropna()
    return float(clean.mean()) if len(clean) else None
