"""Compliance tables as CSV (pandas), the format of the monthly assessment sheets."""

from __future__ import annotations

import pandas as pd


def to_csv(frame: pd.DataFrame) -> str:
    """CSV with lists joined by ';' and rates rounded to four places."""
    out = frame.copy()
    for column in ("failing", "failing_daily", "failing_static"):
        if column in out.columns and out[column].map(lambda v: isinstance(v, list)).all():
            out[column] = out[column].map(lambda names: ";".join(names))
    for column in ("clearance_rate", "camera_availability", "share", "share_of_days"):
        if column in out.columns:
            out[column] = out[column].astype(float).round(4)
    return str(out.to_csv(index=False))
