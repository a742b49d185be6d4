"""Solomon's VRPTW instances (read with vrplib) and their best-known distances.

The instances are public benchmark data that yiju does not ship: a folder of
Solomon `.txt` files (`R101.txt` or `r101.txt`, any layout below it) is searched.
The best-known distances come from bench/data/solomon_bks.json: those of distance
alone minimised (the objective both solvers use here) and the hierarchical ones
(fewest vehicles first) most tables list.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

# Distances truncated to one decimal, as the exact methods behind the best-known
# values computed them; distances and times ×10 as integers inside both solvers.
SCALE = 10

_BKS_FILE = Path(__file__).resolve().parent / "data" / "solomon_bks.json"
_BKS = json.loads(_BKS_FILE.read_text())
BEST_KNOWN: dict[str, float] = _BKS["distance_only"]
BEST_KNOWN_HIERARCHICAL: dict[str, float] = _BKS["hierarchical"]


@dataclass(frozen=True)
class Solomon:
    """One instance; index 0 is the depot, times in Solomon's units."""

    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: list[int]
    ready: list[int]
    due: list[int]
    service: list[int]
    distance: np.ndarray  # ×SCALE, truncated: integer distance and travel time

    @property
    def horizon(self) -> int:
        """The depot's closing time: every route ends by then."""
        return self.due[0]


def read_solomon(path: Path) -> Solomon:
    data = vrplib.read_instance(path, instance_format="solomon")
    windows = data["time_window"]
    # vrplib gives the exact Euclidean distances; the epsilon keeps a distance whose
    # square root lands a hair below a tenth from losing that tenth.
    distance = np.floor(data["edge_weight"] * SCALE + 1e-9).astype(np.int64)
    return Solomon(
        name=str(data["name"]).upper(),
        vehicles=int(data["vehicles"]),
        capacity=int(data["capacity"]),
        xy=np.asarray(data["node_coord"], dtype=float),
        demand=[int(x) for x in data["demand"]],
        ready=[int(x) for x in windows[:, 0]],
        due=[int(x) for x in windows[:, 1]],
        service=[int(x) for x in data["service_time"]],
        distance=distance,
    )


def solomon_files(folder: Path, only: Collection[str] | None = None) -> list[Path]:
    """The instance files under `folder` with a best-known value, by name; `only`
    keeps those names (upper case)."""
    picked = {}
    for path in folder.rglob("*"):
        name = path.stem.upper()
        if path.suffix.lower() == ".txt" and name in BEST_KNOWN and (not only or name in only):
            picked[name] = path
    return [picked[n] for n in sorted(picked)]
