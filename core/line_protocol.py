"""InfluxDB line protocol, serialized by hand for speed.

Ingest writes tens of thousands of points a second; influxdb-client's `Point`
is correct but slow on that path. This serializer follows the same escaping
rules (tests compare the two on awkward names and values).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

FieldValue = float | int | bool | str
_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': r"\""})


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key."""
    return text.translate(_KEY_ESCAPES)


def _field(value: FieldValue) -> str | None:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None  # InfluxDB cannot store them; the field is left out
        return repr(value)
    return '"' + str(value).translate(_STRING_ESCAPES) + '"'


def line(
    measurement: str,
    tags: Mapping[str, str | None],
    fields: Mapping[str, FieldValue | None],
    ts_ms: int | None = None,
) -> str:
    """One line of line protocol (timestamp in milliseconds; write with precision=ms).

    Tags with empty or None values and fields with None values are left out, as
    InfluxDB does not accept empty tag values. A point must keep one field.
    """
    head = measurement.translate(_MEASUREMENT_ESCAPES)
    tag_text = "".join(f",{escape_key(k)}={escape_key(v)}" for k, v in sorted(tags.items()) if v)
    field_parts = []
    for k, v in fields.items():
        if v is None:
            continue
        rendered = _field(v)
        if rendered is not None:
            field_parts.append(f"{escape_key(k)}={rendered}")
    if not field_parts:
        raise ValueError(f"point of {measurement!r} at {ts_ms} has no field with a value")
    out = f"{head}{tag_text} {','.join(field_parts)}"
    return out if ts_ms is None else f"{out} {int(ts_ms)}"
