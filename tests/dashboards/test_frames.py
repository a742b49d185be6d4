"""Grafana's frames and transformations as the probe reproduces them."""

from __future__ import annotations

import math

from dashboards import frames as fr
from dashboards import panels as p


def town_frames() -> list[fr.Frame]:
    points = fr.table_frame(
        "A",
        [{"name": "community", "tags": {"town": t}, "columns": ["time", "points"],
          "values": [[0, n]]} for t, n in (("dali", 4), ("jiujiang", 2))],
    )  # fmt: skip
    cleared = fr.table_frame(
        "B",
        [{"name": "clearance", "tags": {"town": "dali"}, "columns": ["time", "cleared"],
          "values": [[0, 3]]}],
    )  # fmt: skip
    return [points, cleared]


def test_table_format_puts_tags_between_time_and_columns() -> None:
    """A table answer has Time, the group-by tags, then the columns, one row per value."""
    frame = town_frames()[0]
    assert frame.fields == ["Time", "town", "points"]
    assert frame.rows == [
        {"Time": 0, "town": "dali", "points": 4},
        {"Time": 0, "town": "jiujiang", "points": 2},
    ]


def test_outer_join_then_divide_leaves_nan_where_a_side_is_missing() -> None:
    """After an outer join a missing cell is undefined, and JavaScript's arithmetic on it
    gives NaN (the panel then shows its no-value text)."""
    out = fr.apply(
        town_frames(), [p.drop_time(), p.join_on("town"), p.divide("cleared", "points", "share")]
    )
    rows = {r["town"]: r for r in out[0].rows}
    assert rows["dali"]["share"] == 0.75
    assert math.isnan(rows["jiujiang"]["share"])


def test_inner_join_keeps_only_keys_in_every_frame() -> None:
    """An inner join drops the town only one frame has."""
    out = fr.apply(town_frames(), [p.drop_time(), p.join_on("town", mode="inner")])
    assert [r["town"] for r in out[0].rows] == ["dali"]


def test_filters_and_counts() -> None:
    """filterByValue keeps matching rows; groupBy counts per key and drops frames that
    have none of the group-by fields, as Grafana does."""
    rows = [{"kind": k, "subject": s} for k, s in (("a", "x"), ("a", "y"), ("b", "z"))]
    frames = [fr.Frame("A", ["kind", "subject"], rows), fr.Frame("B", ["other"], [{"other": 1}])]
    counted = fr.apply(frames, p.count_by("kind", "subject", "open"))
    assert counted[0].rows == [{"kind": "a", "open": 2}, {"kind": "b", "open": 1}]
    assert len(counted) == 1
    kept = fr.apply(frames[:1], [p.keep_equal("kind", "b")])
    assert kept[0].rows == [{"kind": "b", "subject": "z"}]
    behind = fr.Frame("T", ["v", "behind"], [{"v": 1, "behind": 2}, {"v": 2, "behind": None}])
    assert fr.apply([behind], [p.keep_greater_than("behind", 0)])[0].rows == [{"v": 1, "behind": 2}]


def test_time_series_aliases() -> None:
    """`$tag_x` and `$col` in an alias name each series frame as Grafana does."""
    series = [{"name": "sewer", "tags": {"outlet_id": "o1"}, "columns": ["time", "level", "max"],
               "values": [[1, 5.0, 9.0]]}]  # fmt: skip
    names = [f.name for f in fr.time_series_frames("$tag_outlet_id $col", series)]
    assert names == ["o1 level", "o1 max"]
