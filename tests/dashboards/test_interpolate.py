"""Grafana's variable formatting, time macros and intervals, reproduced."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dashboards.interpolate import (
    ALL,
    Interpolator,
    TimeRange,
    VariableState,
    escape_regex,
    format_interval,
    leftover_variables,
    panel_interval_ms,
)

TOWNS = ["guicheng", "dali", "lishui"]
DAY = TimeRange(1_700_000_000_000, 1_700_086_400_000)


def town(selected: list[str], **kw: object) -> Interpolator:
    state = VariableState("town", TOWNS, selected, **kw)  # type: ignore[arg-type]
    return Interpolator(DAY, {"town": state})


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (["dali"], "dali"),
        (["dali", "lishui"], "(dali|lishui)"),
        ([ALL], "(guicheng|dali|lishui)"),
    ],
)
def test_multi_value_regex_format(selected: list[str], expected: str) -> None:
    """One value as itself, several as `(a|b)`, All as every option."""
    query = town(selected).frontend('"town" =~ /^$town$/ AND "town" =~ /^${town}$/')
    assert query == f'"town" =~ /^{expected}$/ AND "town" =~ /^{expected}$/'


def test_custom_all_value_goes_in_raw() -> None:
    """A variable with a custom all value sends it unescaped."""
    assert town([ALL], all_value=".*").frontend("/^$town$/") == "/^.*$/"


def test_values_are_regex_escaped() -> None:
    """Regex metacharacters and slashes in a value are escaped, hyphens are not."""
    assert escape_regex("a.b/c(d)-e") == r"a\.b\/c\(d\)-e"
    state = VariableState("c", ["x.y", "z"], ["x.y", "z"])
    assert Interpolator(DAY, {"c": state}).frontend("/^$c$/") == r"/^(x\.y|z)$/"


def test_single_value_variable_refuses_two() -> None:
    """A variable that is not multi-value cannot carry two values."""
    with pytest.raises(ValueError, match="takes one value"):
        town(["dali", "lishui"], multi=False).frontend("$town")


def test_time_macros_and_globals() -> None:
    """$timeFilter, ${__from}, ${__to} and $__interval become what Grafana's backend sends."""
    query = town(["dali"]).query(
        "WHERE $timeFilter AND time > ${__to}ms - 1d GROUP BY time($__interval) -- $interval",
        interval_ms=60_000,
    )
    assert query == (
        "WHERE time >= 1700000000000ms and time <= 1700086400000ms AND "
        "time > 1700086400000ms - 1d GROUP BY time(1m) -- 1m"
    )


@pytest.mark.parametrize(
    ("max_points", "min_interval", "expected"),
    [(None, None, "1m"), (100, None, "15m"), (None, "5m", "5m"), (10_000, None, "10s")],
)
def test_interval_follows_grafanas_rounding(
    max_points: int | None, min_interval: str | None, expected: str
) -> None:
    """A day over N points rounds to Grafana's nice intervals, never below the minimum."""
    assert format_interval(panel_interval_ms(DAY, max_points, min_interval)) == expected


def test_today_is_the_local_day() -> None:
    """`now/d` to `now` starts at local midnight in Asia/Shanghai; `now/d` as an end is
    the end of that day."""
    tz = ZoneInfo("Asia/Shanghai")
    now = int(datetime(2026, 5, 12, 9, 30, tzinfo=tz).timestamp() * 1000)
    today = TimeRange.parse("now/d", "now", now)
    assert today.from_ms == int(datetime(2026, 5, 12, tzinfo=tz).timestamp() * 1000)
    assert today.to_ms == now
    whole = TimeRange.parse("now/d", "now/d", now)
    assert whole.to_ms == int(datetime(2026, 5, 13, tzinfo=tz).timestamp() * 1000) - 1
    assert TimeRange.parse("now-6h", "now", now).from_ms == now - 6 * 3_600_000
    with pytest.raises(ValueError, match="unsupported Grafana time"):
        TimeRange.parse("yesterday", "now", now)


def test_unknown_variables_are_left_for_the_validator() -> None:
    """A variable no board defines stays in the query and is reported as left over."""
    query = town(["dali"]).query('"x" =~ /^$point$/ AND "town" = \'$town\'')
    assert leftover_variables(query) == ["$point"]
