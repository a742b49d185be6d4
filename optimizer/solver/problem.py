"""The routing problem the solver is given: typed records and the builder that
assembles them.

Everything inside a `Problem` is an integer: seconds from the problem's time
origin, metres, kilograms. Conversion from clock times, epoch milliseconds and
litres happens once, in the modules that build problems from the registry
(`optimizer.planning.garbage`, `optimizer.planning.pest`), and back in
`optimizer.planning.output`.

The builder follows PyVRP's style: `add_*` return the objects they create and
callers pass those objects back (a vehicle gets its `Depot`, not an index).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from core.dispatch import StopKind
from optimizer.errors import ModelError


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval [open_s, close_s] in seconds from the problem's origin."""

    open_s: int
    close_s: int

    def __post_init__(self) -> None:
        if self.open_s > self.close_s:
            raise ModelError(
                f"time window opens at {self.open_s} s after it closes ({self.close_s} s)"
            )

    def contains(self, t: int) -> bool:
        return self.open_s <= t <= self.close_s

    def clip(self, lo: int, hi: int) -> TimeWindow | None:
        """This window cut to [lo, hi]; None when nothing is left."""
        a, b = max(self.open_s, lo), min(self.close_s, hi)
        return TimeWindow(a, b) if a <= b else None


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the problem's distance matrix."""

    index: int
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Depot:
    id: str
    location: Location


@dataclass(frozen=True, slots=True)
class Station:
    """A transfer station where a truck unloads (multi-trip)."""

    id: str
    location: Location
    unload_s: int


@dataclass(frozen=True, slots=True)
class Stop:
    """A collection point or a pest-control site to visit at most once.

    `windows` are the allowed service-start intervals (one of them); `required`
    stops carry the large drop penalty, optional ones `prize`.
    """

    id: str
    kind: StopKind
    location: Location
    demand_kg: int
    service_s: int
    windows: tuple[TimeWindow, ...]
    required: bool = True
    prize: int = 0
    community_id: str | None = None
    note: str = ""
    # Lower demands for vehicles whose shift ends earlier: (shift end by, kg) ascending.
    # Garbage keeps accumulating, so a truck that can only come early collects less.
    demand_steps: tuple[tuple[int, int], ...] = ()
    # Service should start by this time; a later start inside `windows` is allowed at
    # `SolveParams.late_cost_per_s` a second (None: no due time).
    due_s: int | None = None

    def demand_for(self, vehicle: Vehicle) -> int:
        """The demand this vehicle would collect here (at the latest, its shift end)."""
        for by_s, kg in self.demand_steps:
            if vehicle.shift.close_s <= by_s:
                return kg
        return self.demand_kg


@dataclass(frozen=True, slots=True)
class Break:
    """One break of `duration_s` starting between `earliest_s` and `latest_s`."""

    earliest_s: int
    latest_s: int
    duration_s: int

    def __post_init__(self) -> None:
        if self.duration_s < 0 or self.earliest_s > self.latest_s:
            raise ModelError(f"break {self} has a negative length or an empty start range")


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A truck or a pest-control crew; starts at `start` (its depot, or where it is
    now when re-planning) and ends at its depot."""

    id: str
    depot: Depot
    start: Location
    capacity_kg: int
    shift: TimeWindow
    rest: Break | None = None
    fixed_cost: int = 0
    # The vehicle's usual round: ids of stops of this problem in the order it served
    # them on its last day. A hint for the first solution (crews keep their rounds
    # and the search starts from a plan that worked), never a constraint.
    usual: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A built routing problem: typed records plus integer matrices over locations."""

    name: str
    locations: tuple[Location, ...]
    depots: tuple[Depot, ...]
    stations: tuple[Station, ...]
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray
    station_copies: int = 0
    meta: dict[str, str] = field(default_factory=dict)

    def travel_s(self, a: Location, b: Location) -> int:
        return int(self.duration_s[a.index, b.index])

    def distance(self, a: Location, b: Location) -> int:
        return int(self.distance_m[a.index, b.index])


UNREACHABLE = -1  # a matrix entry the distance provider could not find a path for

# A collection point's second visit of the day is a stop of its own (stop ids are
# unique in a problem) with this suffix; routes and reports name the point itself.
SECOND_VISIT = "~2"


def second_visit_id(point_id: str) -> str:
    return f"{point_id}{SECOND_VISIT}"


def is_second_visit(stop_id: str) -> bool:
    return stop_id.endswith(SECOND_VISIT)


def point_id_of(stop_id: str) -> str:
    """The point a stop visits (its own id unless it is a second visit)."""
    return stop_id[: -len(SECOND_VISIT)] if is_second_visit(stop_id) else stop_id


def rounds_within(vehicles: Sequence[Vehicle], stops: Sequence[Stop]) -> list[tuple[str, ...]]:
    """Each vehicle's usual round cut to `stops` (a point moved to another sector, not
    due today, or left out of a problem cut down after it was built drops out of it),
    a stop kept in the first round that names it."""
    known = {s.id for s in stops}
    claimed: set[str] = set()
    out = []
    for v in vehicles:
        kept = tuple(i for i in dict.fromkeys(v.usual) if i in known and i not in claimed)
        claimed.update(kept)
        out.append(kept)
    return out


class ProblemBuilder:
    """Collects locations, depots, stations, stops and vehicles, then builds a
    `Problem` with the matrices of a distance provider."""

    def __init__(self, name: str = "problem") -> None:
        self.name = name
        self._locations: list[Location] = []
        self._depots: list[Depot] = []
        self._stations: list[Station] = []
        self._stops: list[Stop] = []
        self._vehicles: list[Vehicle] = []
        self._ids: set[str] = set()

    def add_location(self, lat: float, lon: float) -> Location:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ModelError(f"location ({lat}, {lon}) is not a latitude/longitude")
        loc = Location(len(self._locations), lat, lon)
        self._locations.append(loc)
        return loc

    def _claim(self, kind: str, ident: str) -> None:
        key = f"{kind}:{ident}"
        if key in self._ids:
            raise ModelError(f"{kind} {ident!r} was added twice")
        self._ids.add(key)

    def add_depot(self, id: str, lat: float, lon: float) -> Depot:
        self._claim("depot", id)
        depot = Depot(id, self.add_location(lat, lon))
        self._depots.append(depot)
        return depot

    def add_station(self, id: str, lat: float, lon: float, unload_s: int) -> Station:
        self._claim("station", id)
        if unload_s < 0:
            raise ModelError(f"station {id}: negative unload time {unload_s}")
        station = Station(id, self.add_location(lat, lon), unload_s)
        self._stations.append(station)
        return station

    def add_stop(
        self,
        id: str,
        lat: float,
        lon: float,
        *,
        kind: StopKind = StopKind.POINT,
        demand_kg: int = 0,
        service_s: int = 0,
        windows: tuple[TimeWindow, ...] | list[TimeWindow] = (),
        required: bool = True,
        prize: int = 0,
        community_id: str | None = None,
        note: str = "",
        demand_steps: tuple[tuple[int, int], ...] = (),
        due_s: int | None = None,
    ) -> Stop:
        self._claim("stop", id)
        if demand_kg < 0 or service_s < 0 or prize < 0:
            raise ModelError(f"stop {id}: demand, service time and prize must be >= 0")
        wins = tuple(sorted(windows, key=lambda w: w.open_s))
        for a, b in itertools.pairwise(wins):
            if b.open_s <= a.close_s:
                raise ModelError(f"stop {id}: time windows {a} and {b} overlap; merge them")
        stop = Stop(
            id,
            kind,
            self.add_location(lat, lon),
            int(demand_kg),
            int(service_s),
            wins,
            required,
            int(prize),
            community_id,
            note,
            tuple(sorted(demand_steps)),
            due_s,
        )
        self._stops.append(stop)
        return stop

    def add_vehicle(
        self,
        id: str,
        depot: Depot,
        *,
        capacity_kg: int = 0,
        shift: TimeWindow,
        rest: Break | None = None,
        start: tuple[float, float] | None = None,
        fixed_cost: int = 0,
        usual: tuple[str, ...] = (),
    ) -> Vehicle:
        self._claim("vehicle", id)
        if depot not in self._depots:
            raise ModelError(f"vehicle {id}: its depot {depot.id} was not added to this builder")
        if capacity_kg < 0:
            raise ModelError(f"vehicle {id}: negative capacity {capacity_kg}")
        where = self.add_location(*start) if start is not None else depot.location
        vehicle = Vehicle(id, depot, where, int(capacity_kg), shift, rest, fixed_cost, usual)
        self._vehicles.append(vehicle)
        return vehicle

    @property
    def stops(self) -> list[Stop]:
        return list(self._stops)

    def build(self, provider: DistanceMatrixSource, *, station_copies: int = 0) -> Problem:
        """The problem with matrices from `provider`; `station_copies` is how many
        unloading visits each station may get per problem (multi-trip)."""
        if self._stations and station_copies < 1 and any(s.demand_kg for s in self._stops):
            raise ModelError(f"{self.name}: stations given but station_copies < 1")
        distance, duration = provider.matrices([(loc.lat, loc.lon) for loc in self._locations])
        n = len(self._locations)
        if distance.shape != (n, n) or duration.shape != (n, n):
            raise ModelError(f"{self.name}: distance provider returned a matrix of the wrong shape")
        return Problem(
            name=self.name,
            locations=tuple(self._locations),
            depots=tuple(self._depots),
            stations=tuple(self._stations),
            stops=tuple(self._stops),
            vehicles=tuple(
                replace(v, usual=r) if r != v.usual else v
                for v, r in zip(
                    self._vehicles, rounds_within(self._vehicles, self._stops), strict=True
                )
            ),
            distance_m=distance,
            duration_s=duration,
            station_copies=station_copies,
        )


class DistanceMatrixSource:
    """What `ProblemBuilder.build` needs from a distance provider (see `optimizer.distance`)."""

    def matrices(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError
