"""Distance and travel-time matrices.

No road network of the district is available offline, so the default provider
is great-circle distance times a detour factor at an urban speed. A routing
engine's table service (OSRM `/table/v1`, Valhalla `/sources_to_targets`) can
replace it by configuration; both answer the same question for a list of
coordinates, and both return `UNREACHABLE` (-1) where no road path exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import httpx
import numpy as np

from optimizer.errors import DistanceError
from optimizer.solver.problem import UNREACHABLE, DistanceMatrixSource

log = logging.getLogger("yiju.optimizer")

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class GreatCircle(DistanceMatrixSource):
    """Haversine distance × `detour` at `speed_kmh` (integer metres and seconds)."""

    detour: float = 1.3
    speed_kmh: float = 22.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.detour <= 3.0:
            raise ValueError(f"detour factor {self.detour} is outside 1.0–3.0")
        if not 1.0 <= self.speed_kmh <= 120.0:
            raise ValueError(f"speed {self.speed_kmh} km/h is outside 1–120")

    def matrices(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        if not points:
            empty = np.zeros((0, 0), dtype=np.int64)
            return empty, empty
        metres = great_circle_m(points, points) * self.detour
        seconds = metres / (self.speed_kmh / 3.6)
        return np.rint(metres).astype(np.int64), np.rint(seconds).astype(np.int64)


def great_circle_m(
    origins: list[tuple[float, float]], targets: list[tuple[float, float]]
) -> np.ndarray:
    """Haversine metres from each (lat, lon) of `origins` (rows) to each of `targets`."""
    a_ = np.radians(np.asarray(origins, dtype=np.float64).reshape(-1, 2))
    b_ = np.radians(np.asarray(targets, dtype=np.float64).reshape(-1, 2))
    lat, lon = a_[:, 0:1], a_[:, 1:2]
    tlat, tlon = b_[:, 0][None, :], b_[:, 1][None, :]
    h = np.sin((lat - tlat) / 2) ** 2 + np.cos(lat) * np.cos(tlat) * np.sin((lon - tlon) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@dataclass(frozen=True, slots=True)
class RoutingEngineTable(DistanceMatrixSource):
    """An OSRM or Valhalla table service over HTTP.

    OSRM: `GET {url}/table/v1/{profile}/{lon,lat;...}?annotations=distance,duration`
    answers `durations` (s) and `distances` (m), `null` where no route exists.
    Valhalla: `POST {url}/sources_to_targets` with `sources`/`targets` answers
    `sources_to_targets[i][j]` with `distance` (km) and `time` (s), `null` likewise.
    Large requests are split into blocks of `block` coordinates per side.
    """

    url: str
    engine: Literal["osrm", "valhalla"] = "osrm"
    profile: str = "driving"
    block: int = 100
    timeout_s: float = 60.0

    def matrices(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        n = len(points)
        distance = np.full((n, n), UNREACHABLE, dtype=np.int64)
        duration = np.full((n, n), UNREACHABLE, dtype=np.int64)
        with httpx.Client(base_url=self.url.rstrip("/"), timeout=self.timeout_s) as http:
            for i0 in range(0, n, self.block):
                for j0 in range(0, n, self.block):
                    src = list(range(i0, min(n, i0 + self.block)))
                    dst = list(range(j0, min(n, j0 + self.block)))
                    dist, dur = self._block(http, points, src, dst)
                    distance[np.ix_(src, dst)] = dist
                    duration[np.ix_(src, dst)] = dur
        log.info("%s table: %d locations", self.engine, n)
        return distance, duration

    def _block(
        self,
        http: httpx.Client,
        points: list[tuple[float, float]],
        src: list[int],
        dst: list[int],
    ) -> tuple[np.ndarray, np.ndarray]:
        try:
            if self.engine == "osrm":
                return self._osrm(http, points, src, dst)
            return self._valhalla(http, points, src, dst)
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            raise DistanceError(
                f"{self.engine} table at {self.url} failed ({type(exc).__name__}: {exc}); "
                "check the engine runs and covers the district, or use the great-circle default"
            ) from exc

    def _osrm(
        self, http: httpx.Client, points: list[tuple[float, float]], src: list[int], dst: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        order = src + [j for j in dst if j not in src]
        pos = {idx: k for k, idx in enumerate(order)}
        coords = ";".join(f"{points[i][1]:.6f},{points[i][0]:.6f}" for i in order)
        resp = http.get(
            f"/table/v1/{self.profile}/{coords}",
            params={
                "sources": ";".join(str(pos[i]) for i in src),
                "destinations": ";".join(str(pos[j]) for j in dst),
                "annotations": "distance,duration",
            },
        )
        resp.raise_for_status()
        body = resp.json()
        if body.get("code") != "Ok":
            raise ValueError(f"OSRM answered code {body.get('code')}: {body.get('message')}")
        return _to_int(body["distances"], 1.0), _to_int(body["durations"], 1.0)

    def _valhalla(
        self, http: httpx.Client, points: list[tuple[float, float]], src: list[int], dst: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        request = {
            "sources": [{"lat": points[i][0], "lon": points[i][1]} for i in src],
            "targets": [{"lat": points[j][0], "lon": points[j][1]} for j in dst],
            "costing": "truck" if self.profile == "driving" else self.profile,
            "units": "kilometers",
        }
        resp = http.post("/sources_to_targets", json=request)
        resp.raise_for_status()
        rows = resp.json()["sources_to_targets"]
        dist = [[(c.get("distance") if c else None) for c in row] for row in rows]
        time = [[(c.get("time") if c else None) for c in row] for row in rows]
        return _to_int(dist, 1000.0), _to_int(time, 1.0)


def _to_int(table: list[list[float | None]], scale: float) -> np.ndarray:
    return np.array(
        [[UNREACHABLE if v is None else round(v * scale) for v in row] for row in table],
        dtype=np.int64,
    )


def provider_from_config(
    kind: str, *, url: str | None = None, detour: float = 1.3, speed_kmh: float = 22.0
) -> DistanceMatrixSource:
    """`greatcircle` (default), `osrm` or `valhalla` (with `url`)."""
    if kind == "greatcircle":
        return GreatCircle(detour=detour, speed_kmh=speed_kmh)
    if kind in ("osrm", "valhalla"):
        if not url:
            raise ValueError(f"distance provider {kind} needs a URL")
        return RoutingEngineTable(url, engine=kind)  # type: ignore[arg-type]
    raise ValueError(f"unknown distance provider {kind!r}: use greatcircle, osrm or valhalla")
