"""The hand-written line-protocol serializer agrees with influxdb-client's `Point`."""

from __future__ import annotations

import pytest
from influxdb_client import Point, WritePrecision

from core.line_protocol import line


@pytest.mark.parametrize(
    ("measurement", "tags", "fields"),
    [
        ("bin", {"device_id": "bin-gc-c001-p01", "town": "guicheng"}, {"fill_pct": 42.5}),
        ("weird name,x", {"ta g": "v,a=l ue", "k=1": "桂城"}, {"f 1": 1.0, "s": 'say "hi" \\'}),
        (
            "violation",
            {"kind": "bin_overflow", "community": "gc-c001"},
            {"state": "open", "value": 101.0, "violation_id": "abc"},
        ),
        ("camera", {"device_id": "cam-1"}, {"online": 1, "recording": 0}),
        ("flags", {"a": "b"}, {"ok": True, "bad": False}),
    ],
)
def test_matches_influxdb_client_point(
    measurement: str, tags: dict[str, str], fields: dict[str, float | int | bool | str]
) -> None:
    """Escaping of names, tags and string fields, and typing of values, match `Point`."""
    ts = 1_795_622_400_123
    reference = Point(measurement)
    for k, v in sorted(tags.items()):
        reference = reference.tag(k, v)
    for k, v in fields.items():
        reference = reference.field(k, v)
    reference = reference.time(ts, WritePrecision.MS)
    ours = line(measurement, tags, fields, ts)
    assert _normalised(ours) == _normalised(reference.to_line_protocol())


def _normalised(text: str) -> tuple[str, frozenset[str], str]:
    """Field order differs between serializers; compare fields as a set."""
    head, _, rest = text.partition(" ")
    while head.endswith("\\"):  # an escaped space inside the measurement or a tag
        more, _, rest = rest.partition(" ")
        head = f"{head} {more}"
    fields, _, ts = rest.rpartition(" ")
    return head, frozenset(_canonical(f) for f in _split_fields(fields)), ts


def _canonical(field: str) -> str:
    """1 and 1.0 are the same float in line protocol."""
    key, _, value = field.partition("=")
    if value and value[0] != '"' and value[-1] != "i" and value not in ("true", "false"):
        return f"{key}={float(value)!r}"
    return field


def _split_fields(text: str) -> list[str]:
    parts, current, in_string, escaped = [], "", False, False
    for ch in text:
        if escaped:
            current += ch
            escaped = False
            continue
        if ch == "\\":
            current += ch
            escaped = True
            continue
        if ch == '"':
            in_string = not in_string
        if ch == "," and not in_string:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return parts


def test_empty_tags_and_missing_fields_are_left_out() -> None:
    """None values are dropped; a point with no field at all is refused."""
    assert (
        line("bin", {"a": "x", "b": "", "c": None}, {"f": 1.0, "g": None}, 5) == "bin,a=x f=1.0 5"
    )
    with pytest.raises(ValueError, match="no field"):
        line("bin", {"a": "x"}, {"f": None}, 5)


def test_non_finite_floats_are_dropped() -> None:
    """NaN and infinity cannot be stored; the field is left out instead of failing the batch."""
    assert line("m", {}, {"a": float("nan"), "b": 2.0}) == "m b=2.0"
