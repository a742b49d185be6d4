"""Fleet sizing: trucks and pest-control crews per town, from the town's work.

A town's trucks are sized for a busy day's garbage, not from a district-wide
total: each collection point's daily kilograms (residents × kg per resident ×
its category's factor) times `busy_day_factor`; a second visit for every point
whose busy-day volume exceeds `second_visit_fill` of its bins; per visit the
plan's service time (per point plus per bin) and a drive from the previous
stop (1.4 × the mean nearest-neighbour distance, the ratio of the
Beardwood–Halton–Hammersley tour constant 0.7124 to the nearest-neighbour mean
0.5 for scattered points, × the road detour at the urban speed); the unloading
trips (busy-day tonnage ÷ the mean truck capacity, each a round trip to the
point's nearest transfer station plus its unloading time); and per truck the
legs from and back to its depot and a last, part-loaded unloading trip.

A truck gives its shift minus its break, but it serves points only inside the
collection windows; trips to unload may fall outside them. With the town's mix
of serving and unloading (serving share σ), a shift gives min(on-duty hours,
window hours ÷ σ) hours of the town's work, less its per-shift legs. The count
leaves `spare_share` (10 %) of those hours idle on a busy day, so one
breakdown can be absorbed: trucks = ceil(needed ÷ (0.9 × hours per truck)).

The shift mix. Every town has early trucks (04:30–12:30) for the morning
rounds and, where the town has points that need a second visit, double-shifted
trucks (two crews on one truck, 04:30–21:00 with a crew change at 12:30):
second visits come after the morning's first and need a truck on shift in the
afternoon and in the evening window (19:00–22:00), which a late-only shift
(13:00–21:00) covers with 5 window hours of its 7.5 while a double truck also
serves the morning. Double trucks are counted first, enough for the second
visits' hours in their afternoon half; early trucks cover the rest. One double
truck replaces an early and a late truck with one vehicle, so a town needs
fewer vehicles (and the optimizer fewer sectors) for the same crew hours.

Pest crews are sized for the peak season: sites ÷ cycle_days_peak visits a
day, each its service time plus a drive between sites (as above), against a
crew day of the shift minus its break and residents' meal times, with the same
10 % spare and at least one crew per town.

The figures of the plan (service seconds, speed, detour, collection and meal
windows) are those of optimizer/planning/config.py::PlanningConfig, copied here
as defaults because `simulators` must not import `optimizer`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.localday import parse_clock
from core.registry import CollectionPoint, Depot, District, PestSite, Shift, TransferStation
from simulators.profiles import CATEGORY_FACTOR

EARLY_SHIFT = Shift(start="04:30", end="12:30", break_start="08:30", break_min=30)
LATE_SHIFT = Shift(start="13:00", end="21:00", break_start="17:00", break_min=30)
# Two crews on one truck; the crew change is the break.
DOUBLE_SHIFT = Shift(start="04:30", end="21:00", break_start="12:30", break_min=30)
# The afternoon-and-evening half of the double shift, where second visits go.
DOUBLE_SHIFT_PM = Shift(start="12:30", end="21:00", break_start="12:30", break_min=0)
PEST_SHIFT = Shift(start="08:30", end="17:30", break_start="12:00", break_min=60)

LARGE_TRUCK = (8000.0, 14.0)  # kg, m³
SMALL_TRUCK = (5000.0, 9.0)

# optimizer/planning/config.py: DEFAULT_COLLECTION_WINDOWS and DEFAULT_MEAL_WINDOWS.
COLLECTION_WINDOWS = (("04:00", "07:00"), ("09:00", "16:00"), ("19:00", "22:00"))
MEAL_WINDOWS = (("11:30", "13:00"), ("17:30", "19:00"))
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQUATOR = 111.320
# Tour leg over the mean nearest-neighbour distance (0.7124 / 0.5, see above).
LEG_PER_NEAREST = 1.4


@dataclass(frozen=True, slots=True)
class SizingFigures:
    """The figures the sizing works from (plan figures as in optimizer/planning/config.py)."""

    # A busy day's garbage over an average day: weekends bring 1.12× at residential
    # points (1.25× at markets, 2 % of points), the per-point day factor (lognormal
    # of mean 1, σ 0.15) leaves a town's total where it is and puts one point 15 % up
    # at one σ; 1.15 covers a weekend with margin and is the per-point busy day of the
    # second-visit test.
    busy_day_factor: float = 1.15
    # A point whose busy-day garbage exceeds this share of its bins gets two visits.
    second_visit_fill: float = 0.85
    spare_share: float = 0.10
    # Routed days take longer than the sum of the parts estimated here: waits for
    # the windows and the steady rounds' bands, trucks crossing a sector to a point
    # whose band opens, unloading trips made part-loaded before a window closes. The
    # serving and unloading hours are multiplied by this. Measured on day 2 of a
    # scale-1 run (30 Nov 2026): the morning plan's routes held 363 h of service,
    # 262 h of unloading, 421 h of driving and 118 h of waiting, 1,164 h for 11,348
    # visits, where this estimate for a mean day without the factor (and without
    # second visits) gives 947 h for as many: 1.23×. With 1.0 the fleet was 145
    # trucks and that morning plan left 874 points unserved.
    plan_overhead: float = 1.2
    # Spare morning hours kept for a breakdown (one that strikes early loses a whole
    # morning), as a share of one early shift's hours.
    breakdown_reserve: float = 1.0
    # Double-shifted trucks per town at least: the evening window keeps a truck when
    # one of them breaks down.
    min_double_trucks: int = 2
    min_trucks: int = 2
    min_crews: int = 1
    large_truck_share: float = 0.45
    service_s_per_point: int = 20
    service_s_per_bin: int = 30
    speed_kmh: float = 22.0
    detour: float = 1.3
    unload_min_default: int = 15
    collection_windows: tuple[tuple[str, str], ...] = COLLECTION_WINDOWS
    meal_windows: tuple[tuple[str, str], ...] = MEAL_WINDOWS

    def __post_init__(self) -> None:
        if not 1.0 <= self.busy_day_factor <= 3.0:
            raise ValueError(f"busy-day factor {self.busy_day_factor} is outside 1–3")
        if not 0 < self.second_visit_fill <= 1.5:
            raise ValueError(f"second-visit fill {self.second_visit_fill} is outside (0, 1.5]")
        if not 1.0 <= self.plan_overhead <= 3.0:
            raise ValueError(f"plan overhead {self.plan_overhead} is outside 1–3")
        if not 0 <= self.spare_share < 0.9:
            raise ValueError(f"spare share {self.spare_share} is outside [0, 0.9)")
        if self.min_trucks < 1 or self.min_crews < 1:
            raise ValueError("a town needs at least one truck and one crew")
        if not 0 <= self.large_truck_share <= 1:
            raise ValueError(f"large-truck share {self.large_truck_share} is outside 0–1")
        if self.speed_kmh <= 0 or self.detour < 1:
            raise ValueError("speed must be > 0 and detour >= 1")

    @property
    def mean_capacity_kg(self) -> float:
        """Capacity of the truck mix (`truck_sizes` gives at least this share of 8 t)."""
        share = self.large_truck_share
        return share * LARGE_TRUCK[0] + (1 - share) * SMALL_TRUCK[0]

    @property
    def h_per_km(self) -> float:
        """Hours to drive one great-circle kilometre on the roads."""
        return self.detour / self.speed_kmh

    def drive_h(self, km: float) -> float:
        """Hours to drive a great-circle distance on the roads."""
        return km * self.h_per_km


@dataclass(frozen=True, slots=True)
class ShiftHours:
    """What one shift gives: hours on duty (less the break) and in the windows."""

    on_duty_h: float
    window_h: float

    def work_h(self, serving_share: float) -> float:
        """Hours of a town's work a shift takes on, when `serving_share` of that work
        must fall inside the windows and the rest (unloading) may fall anywhere."""
        if serving_share <= 0:
            return self.on_duty_h
        return min(self.on_duty_h, self.window_h / serving_share)


@dataclass(frozen=True, slots=True)
class TownFleet:
    """A town's sized fleet and the figures it rests on (hours on a busy day)."""

    town_id: str
    points: int
    tonnage_t: float  # busy day
    visits: int  # point visits, second visits included
    second_visits: int
    serving_h: float  # service at the points and the drives between them
    unloading_trips: float
    unloading_h: float
    hours_needed: float  # serving, unloading and every truck's depot legs
    hours_per_truck: float  # mean over the town's trucks, after their depot legs
    double_trucks: int
    early_trucks: int
    spare_share: float  # share of the fleet's hours left idle on a busy day
    pest_visits_per_day: float
    crew_hours_needed: float
    crew_hours_per_crew: float
    crews: int
    crew_spare_share: float

    @property
    def trucks(self) -> int:
        return self.double_trucks + self.early_trucks

    def truck_shifts(self) -> list[Shift]:
        """Each truck's shift, double-shifted trucks first."""
        return [DOUBLE_SHIFT] * self.double_trucks + [EARLY_SHIFT] * self.early_trucks


def _minutes(text: str) -> int:
    t = parse_clock(text)
    return t.hour * 60 + t.minute


def _overlap_min(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def shift_hours(shift: Shift, windows: Sequence[tuple[str, str]]) -> ShiftHours:
    """A shift's hours on duty less its break, and its hours inside `windows` less the
    part of its break (at its nominal time) that falls inside them."""
    span = (_minutes(shift.start), _minutes(shift.end))
    brk = (_minutes(shift.break_start), _minutes(shift.break_start) + shift.break_min)
    spans = [(_minutes(a), _minutes(b)) for a, b in windows]
    inside = sum(_overlap_min(span, w) for w in spans)
    break_inside = sum(_overlap_min(_clip(brk, span), w) for w in spans)
    on_duty = span[1] - span[0] - shift.break_min
    return ShiftHours(on_duty / 60, (inside - break_inside) / 60)


def _clip(a: tuple[int, int], to: tuple[int, int]) -> tuple[int, int]:
    return max(a[0], to[0]), min(a[1], to[1])


def free_hours(shift: Shift, blocked: Sequence[tuple[str, str]]) -> float:
    """A shift's hours outside its break and the `blocked` clock windows (merged)."""
    span = (_minutes(shift.start), _minutes(shift.end))
    cuts = [(_minutes(shift.break_start), _minutes(shift.break_start) + shift.break_min)]
    cuts += [(_minutes(a), _minutes(b)) for a, b in blocked]
    cuts = sorted(_clip(c, span) for c in cuts if _overlap_min(c, span) > 0)
    lost, reach = 0, span[0]
    for a, b in cuts:
        a = max(a, reach)
        if b > a:
            lost += b - a
            reach = b
    return (span[1] - span[0] - lost) / 60


def _xy_km(coords: Sequence[tuple[float, float]]) -> np.ndarray:
    """Local plane coordinates (km) of (lat, lon) pairs; good to ~0.1 % over a town."""
    arr = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    lat0 = float(arr[:, 0].mean()) if len(arr) else 0.0
    x = arr[:, 1] * KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    return np.column_stack((x, arr[:, 0] * KM_PER_DEG_LAT))


def nearest_neighbour_km(coords: Sequence[tuple[float, float]], chunk: int = 512) -> np.ndarray:
    """Each point's distance to its nearest other point, km (0 for a lone point)."""
    xy = _xy_km(coords)
    n = len(xy)
    out = np.zeros(n)
    if n < 2:
        return out
    for lo in range(0, n, chunk):
        block = xy[lo : lo + chunk]
        d = np.hypot(block[:, None, 0] - xy[None, :, 0], block[:, None, 1] - xy[None, :, 1])
        d[np.arange(len(block)), np.arange(lo, lo + len(block))] = np.inf
        out[lo : lo + chunk] = d.min(axis=1)
    return out


def nearest_km(
    coords: Sequence[tuple[float, float]], targets: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Each point's distance to the nearest of `targets`, km."""
    both = _xy_km(list(coords) + list(targets))
    xy, t = both[: len(coords)], both[len(coords) :]
    d = np.hypot(xy[:, None, 0] - t[None, :, 0], xy[:, None, 1] - t[None, :, 1])
    return np.asarray(d.min(axis=1))


def truck_sizes(count: int, large_share: float) -> list[tuple[float, float]]:
    """(capacity kg, volume m³) of each of `count` trucks: 8 t trucks spread evenly at
    `large_share` (rounded up, the first truck large), the rest 5 t."""
    return [
        LARGE_TRUCK
        if math.ceil((i + 1) * large_share) > math.ceil(i * large_share)
        else SMALL_TRUCK
        for i in range(count)
    ]


def size_town(
    town_id: str,
    points: Sequence[CollectionPoint],
    stations: Sequence[TransferStation],
    depots: Sequence[Depot],
    sites: Sequence[PestSite],
    district: District,
    figures: SizingFigures = SizingFigures(),
) -> TownFleet:
    """The trucks and pest crews one town needs (see the module docstring)."""
    if not depots:
        raise ValueError(f"town {town_id} has no depot: trucks and crews need a base")
    f = figures
    coords = [(p.lat, p.lon) for p in points]
    busy_kg = np.array(
        [
            p.served_population
            * district.kg_per_resident_day
            * CATEGORY_FACTOR[p.category]
            * f.busy_day_factor
            for p in points
        ]
    )
    volume_l = np.array([max(1, p.volume_l) for p in points], dtype=np.float64)
    twice = busy_kg / district.garbage_density_kg_per_l > f.second_visit_fill * volume_l
    visits = 1 + twice.astype(np.int64)
    bins = np.array([sum(b.count for b in p.bins) for p in points], dtype=np.float64)
    service_h = visits * (f.service_s_per_point + f.service_s_per_bin * bins) / 3600
    legs_h = LEG_PER_NEAREST * nearest_neighbour_km(coords) * f.h_per_km * visits if points else 0
    serving = service_h + legs_h
    serving_h = float(np.sum(serving))
    second_h = float(np.sum(np.where(twice, serving / 2, 0.0)))

    bases = [(s.lat, s.lon) for s in stations] or [(d.lat, d.lon) for d in depots]
    unload_h = [s.unload_min / 60 for s in stations] or [f.unload_min_default / 60]
    if points:
        station_km = nearest_km(coords, bases)
        trip_h = 2 * station_km * f.h_per_km + min(unload_h)
        tonnage_kg = float(busy_kg.sum())
        mean_trip_h = float(np.dot(trip_h, busy_kg) / max(1.0, tonnage_kg))
        depot_km = float(nearest_km(coords, [(d.lat, d.lon) for d in depots]).mean())
    else:
        tonnage_kg, mean_trip_h, depot_km = 0.0, 0.0, 0.0
    trips = tonnage_kg / f.mean_capacity_kg
    unloading_h = trips * mean_trip_h
    # Per shift: out from and back to the depot, and half a trip for the last part load.
    per_shift_h = 2 * f.drive_h(depot_km) + 0.5 * mean_trip_h
    base_h = serving_h + unloading_h
    work_h = base_h * f.plan_overhead
    serving_share = serving_h / base_h if base_h > 0 else 1.0
    keep = 1 - f.spare_share
    double_h = shift_hours(DOUBLE_SHIFT, f.collection_windows).work_h(serving_share)
    early_h = shift_hours(EARLY_SHIFT, f.collection_windows).work_h(serving_share)
    pm_h = shift_hours(DOUBLE_SHIFT_PM, f.collection_windows).work_h(serving_share)
    if keep * early_h <= per_shift_h:
        raise ValueError(f"town {town_id}: the depot legs alone fill a shift; check its depots")
    # Every truck serves the morning rounds (its early shift, or a double truck's
    # morning half): each point's first visit stays there day after day, because a
    # point served at a time today must be served about then tomorrow, before it
    # fills, and cannot drift later. So the first visits alone size the mornings.
    second_work_h = second_h * f.plan_overhead / serving_share
    first_work_h = work_h - second_work_h
    morning_h = keep * early_h - per_shift_h
    trucks = max(f.min_trucks, math.ceil(first_work_h / morning_h))
    # A truck that breaks down early in the morning leaves its whole round: the
    # others' spare must take it (at a small town 10 % of a few trucks would not).
    while trucks * (early_h - per_shift_h) - first_work_h < f.breakdown_reserve * early_h:
        trucks += 1
    # Double-shifted trucks for the second visits (their afternoon and evening half),
    # at least `min_double_trucks` per town for the evening window and the re-plans
    # after a breakdown; the rest work the early shift.
    doubles = math.ceil(second_work_h / (keep * pm_h)) if second_work_h > 0 else 0
    doubles = min(max(doubles, f.min_double_trucks), trucks)
    earlies = trucks - doubles
    needed_h = work_h + trucks * per_shift_h
    offered_h = doubles * double_h + earlies * early_h

    pest = _size_crews(sites, depots, f)
    return TownFleet(
        town_id=town_id,
        points=len(points),
        tonnage_t=round(tonnage_kg / 1000, 1),
        visits=int(visits.sum()) if points else 0,
        second_visits=int(twice.sum()) if points else 0,
        serving_h=round(serving_h, 1),
        unloading_trips=round(trips, 1),
        unloading_h=round(unloading_h, 1),
        hours_needed=round(needed_h, 1),
        hours_per_truck=round((offered_h - trucks * per_shift_h) / trucks, 2),
        double_trucks=doubles,
        early_trucks=earlies,
        spare_share=round(1 - needed_h / offered_h, 3),
        pest_visits_per_day=round(pest[0], 2),
        crew_hours_needed=round(pest[1], 1),
        crew_hours_per_crew=round(pest[2], 2),
        crews=pest[3],
        crew_spare_share=round(1 - pest[1] / (pest[3] * pest[2]), 3),
    )


def _size_crews(
    sites: Sequence[PestSite], depots: Sequence[Depot], f: SizingFigures
) -> tuple[float, float, float, int]:
    """(visits a day, crew hours needed, hours a crew gives, crews) in the peak season."""
    if not sites:
        return 0.0, 0.0, free_hours(PEST_SHIFT, f.meal_windows), f.min_crews
    coords = [(s.lat, s.lon) for s in sites]
    per_day = np.array([1 / s.cycle_days_peak for s in sites])
    leg_h = LEG_PER_NEAREST * nearest_neighbour_km(coords) * f.h_per_km
    visit_h = np.array([s.service_min / 60 for s in sites]) + leg_h
    visits = float(per_day.sum())
    needed = float(np.dot(per_day, visit_h))
    depot_km = float(nearest_km(coords, [(d.lat, d.lon) for d in depots]).mean())
    day_h = free_hours(PEST_SHIFT, f.meal_windows) - 2 * f.drive_h(depot_km)
    crews = max(f.min_crews, math.ceil(needed / ((1 - f.spare_share) * day_h)))
    return visits, needed, day_h, crews
