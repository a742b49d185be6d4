"""The figures a district officer reads after a day, computed from InfluxDB."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from core import schema
from core.compliance.daily import compute_compliance
from core.influx import InfluxClient, quote_ident
from core.localday import LocalDay
from core.registry import Registry
from core.schema import ViolationKind, ViolationState
from core.standard import DEFAULT_COMPLIANCE, ComplianceThresholds


@dataclass
class DayFigures:
    clearance: pd.DataFrame  # per town: points, cleared, rate
    violations: pd.DataFrame  # per town (rows) and kind (columns): violations opened
    not_cleared: set[str]  # subjects of bin_not_cleared
    opened: dict[tuple[str, str], int]  # (kind, subject) -> times opened
    communities: pd.DataFrame  # compliance per community
    towns: pd.DataFrame  # share of communities meeting the standard per town


def _window(day: LocalDay) -> dict[str, int]:
    return {"start": day.start_ms * 1_000_000, "end": day.end_ms * 1_000_000}


def cleared_points(influx: InfluxClient, day: LocalDay) -> set[str]:
    """Collection points with a clearance between the day's start and its cut-off."""
    m = quote_ident(schema.CLEARANCE.name)
    series = influx.query(
        f'SELECT count("fill_before_pct") FROM {m} WHERE time >= $start AND time <= $cut '
        'GROUP BY "point_id"',
        params={"start": day.start_ms * 1_000_000, "cut": day.cutoff_ms * 1_000_000},
    )
    return {s["tags"]["point_id"] for s in series if s.get("tags")}


def opened_violations(influx: InfluxClient, day: LocalDay) -> list[dict[str, str]]:
    """Every violation opened during the day: kind, town, community, subject."""
    m = quote_ident(schema.VIOLATION.name)
    series = influx.query(
        f'SELECT "violation_id", "state" FROM {m} WHERE time >= $start AND time < $end '
        'GROUP BY "kind", "town", "community", "subject"',
        params=_window(day),
    )
    rows = []
    for s in series:
        tags = s.get("tags") or {}
        state_at = s["columns"].index("state")
        rows += [dict(tags) for v in s.get("values", []) if v[state_at] == ViolationState.OPEN]
    return rows


def day_figures(
    influx: InfluxClient,
    registry: Registry,
    day: LocalDay,
    limits: ComplianceThresholds = DEFAULT_COMPLIANCE,
) -> DayFigures:
    cleared = cleared_points(influx, day)
    per_town = Counter(registry.town_of(p.community_id) for p in registry.collection_points)
    done = Counter(
        registry.town_of(registry.point_by_id[p].community_id)
        for p in cleared
        if p in registry.point_by_id
    )
    clearance = pd.DataFrame(
        [
            {
                "town": t.id,
                "name": t.name,
                "points": per_town[t.id],
                "cleared": done[t.id],
                "rate": done[t.id] / per_town[t.id] if per_town[t.id] else 1.0,
            }
            for t in registry.towns
        ]
    )
    opened = opened_violations(influx, day)
    kinds = [k.value for k in ViolationKind]
    per_town_kind = Counter((row.get("town"), row.get("kind")) for row in opened)
    table = pd.DataFrame(
        [[per_town_kind[(t.id, k)] for k in kinds] for t in registry.towns],
        index=[t.id for t in registry.towns],
        columns=kinds,
    )
    not_cleared = {r["subject"] for r in opened if r["kind"] == ViolationKind.BIN_NOT_CLEARED}
    counts = Counter((r["kind"], r["subject"]) for r in opened)
    # The simulated day may lie ahead of the wall clock: judge it as a whole day.
    communities, towns = compute_compliance(
        influx, registry, day.day, at_ms=day.end_ms, limits=limits
    )
    return DayFigures(clearance, table, not_cleared, dict(counts), communities, towns)


def format_summary(figures: DayFigures, registry: Registry) -> str:
    """The day's summary as text for a district officer."""
    lines = ["Daily clearance (日产日清) per town:"]
    for row in figures.clearance.itertuples():
        lines.append(f"  {row.name} {row.town:10} {row.cleared:>6}/{row.points:<6} {row.rate:7.1%}")
    total_points = int(figures.clearance["points"].sum())
    total_cleared = int(figures.clearance["cleared"].sum())
    lines.append(
        f"  district        {total_cleared:>6}/{total_points:<6} "
        f"{total_cleared / max(1, total_points):7.1%}"
    )
    lines.append("")
    lines.append("Violations opened, by kind and town:")
    header = "  " + f"{'town':10}" + "".join(f"{k[:15]:>16}" for k in figures.violations.columns)
    lines.append(header)
    for town, counts in figures.violations.iterrows():
        lines.append("  " + f"{town!s:10}" + "".join(f"{int(v):>16}" for v in counts))
    lines.append(
        "  " + f"{'district':10}" + "".join(f"{int(v):>16}" for v in figures.violations.sum(axis=0))
    )
    lines.append("")
    lines.append("Communities meeting the livable-community standard:")
    for row in figures.towns.itertuples():
        lines.append(
            f"  {row.name} {row.town:10} {row.meeting:>4}/{row.communities:<4} {row.share:6.1%}"
        )
    meeting = int(figures.towns["meeting"].sum())
    total = int(figures.towns["communities"].sum())
    lines.append(f"  district        {meeting:>4}/{total:<4} {meeting / max(1, total):6.1%}")
    reasons = Counter(r for failed in figures.communities["failing"] for r in failed)
    if reasons:
        lines.append(
            "  failing criteria: "
            + ", ".join(f"{name} {count}" for name, count in reasons.most_common())
        )
    return "\n".join(lines)
