"""The district generator: a deterministic Nanhai-like registry at any scale.

Scale 1.0 models the whole district (~290 communities, ~12,000 collection
points, ~10,000 cameras); small scales (0.01–0.1) keep the same structure (seven
towns, their stations and depots, every kind of record) with fewer communities
and vehicles, for tests. Each town's trucks and pest crews are sized from its
work (`simulators.fleet_sizing`): at scale 1 ~170 trucks, ~45 of them
double-shifted (two crews), and ~27 pest crews.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field

from core.registry import (
    BinSize,
    Camera,
    CollectionPoint,
    Community,
    CommunityKind,
    Depot,
    District,
    FillSensor,
    LevelSensor,
    PestCrew,
    PestSite,
    PointCategory,
    Registry,
    SewageOutlet,
    Town,
    TransferStation,
    Truck,
)
from simulators import nanhai
from simulators.fleet_sizing import SizingFigures, TownFleet, size_town, truck_sizes
from simulators.nanhai import TownFacts

log = logging.getLogger("yiju.simulators")

KM_PER_DEG_LAT = 110.574


# District scales the generator makes (1.0 = all of Nanhai); the command line checks
# --scale by them.
MIN_SCALE = 0.001
MAX_SCALE = 5.0


@dataclass(frozen=True, slots=True)
class GeneratorOptions:
    scale: float = 1.0
    seed: int = 1
    sizing: SizingFigures = field(default_factory=SizingFigures)

    def __post_init__(self) -> None:
        if not MIN_SCALE <= self.scale <= MAX_SCALE:
            raise ValueError(f"scale {self.scale} is outside {MIN_SCALE:g}–{MAX_SCALE:g}")


def _offset(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly distributed in a disc of `radius_km` around (lat, lon)."""
    r = radius_km * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    dlat = r * math.cos(angle) / KM_PER_DEG_LAT
    dlon = r * math.sin(angle) / (111.320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _split(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Integers proportional to `weights` that add up to max(total, minimum × len)."""
    total = max(total, minimum * len(weights))
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    out = [max(minimum, int(x)) for x in raw]
    order = sorted(range(len(weights)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(out) < total:
        out[order[i % len(order)]] += 1
        i += 1
    return out


class DistrictGenerator:
    """Builds the registry town by town from one seeded random stream."""

    def __init__(self, options: GeneratorOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.names_used: set[str] = set()
        scale_pop = nanhai.DISTRICT_POPULATION_2020 / sum(t.population for t in nanhai.TOWNS)
        self.town_population = {
            t.id: round(t.population * scale_pop * options.scale) for t in nanhai.TOWNS
        }

    def generate(self) -> Registry:
        s = self.options.scale
        towns, communities, points, outlets, cameras = [], [], [], [], []
        stations, depots, trucks, sites, crews = [], [], [], [], []
        fleets: list[TownFleet] = []
        for facts in nanhai.TOWNS:
            town = Town(
                id=facts.id,
                name=facts.name,
                name_en=facts.name_en,
                population=self.town_population[facts.id],
                area_km2=facts.area_km2,
                lat=facts.lat,
                lon=facts.lon,
            )
            towns.append(town)
            town_communities = self._communities(facts, town)
            communities += town_communities
            town_points, town_sites = [], []
            for community in town_communities:
                town_points += self._points(facts, community)
                outlets += self._outlets(community)
                cameras += self._cameras(community)
                town_sites += self._pest_sites(community)
            points += town_points
            sites += town_sites
            town_stations = self._stations(facts)
            stations += town_stations
            town_depots = self._depots(facts)
            depots += town_depots
            fleet = size_town(
                facts.id,
                town_points,
                town_stations,
                town_depots,
                town_sites,
                District(),
                self.options.sizing,
            )
            fleets.append(fleet)
            trucks += self._trucks(facts, town_depots, fleet)
            crews += [
                PestCrew(
                    id=f"crew-{facts.code}-{i + 1:02d}",
                    town_ids=[facts.id],
                    depot_id=town_depots[i % len(town_depots)].id,
                )
                for i in range(fleet.crews)
            ]
            log.info(
                "generated %s: %d communities, %d trucks (%d double-shifted, %.0f %% spare), "
                "%d pest crews",
                facts.name_en,
                len(town_communities),
                fleet.trucks,
                fleet.double_trucks,
                100 * fleet.spare_share,
                fleet.crews,
            )
        district = District(
            generator={
                "scale": s,
                "seed": self.options.seed,
                "basis": "Nanhai 2020 census; see README",
                "fleet_basis": "sized from each town's busy-day work; simulators/fleet_sizing.py",
                "trucks": sum(f.trucks for f in fleets),
                "double_shift_trucks": sum(f.double_trucks for f in fleets),
                "pest_crews": sum(f.crews for f in fleets),
                "busy_day_factor": self.options.sizing.busy_day_factor,
                "truck_spare_share_min": min(f.spare_share for f in fleets),
                "crew_spare_share_min": min(f.crew_spare_share for f in fleets),
            }
        )
        return Registry(
            district=district,
            towns=towns,
            communities=communities,
            collection_points=points,
            sewage_outlets=outlets,
            cameras=cameras,
            transfer_stations=stations,
            depots=depots,
            trucks=trucks,
            pest_sites=sites,
            pest_crews=crews,
        )

    # --- records -------------------------------------------------------------

    def _name(self, kind: CommunityKind) -> str:
        suffix = "社区" if kind is CommunityKind.COMMUNITY else "村"
        while True:
            base = self.rng.choice(nanhai.NAME_FIRST) + self.rng.choice(nanhai.NAME_SECOND)
            if base not in self.names_used:
                self.names_used.add(base)
                return base + suffix
            if len(self.names_used) > 0.9 * len(nanhai.NAME_FIRST) * len(nanhai.NAME_SECOND):
                base += str(len(self.names_used))
                self.names_used.add(base)
                return base + suffix

    def _communities(self, facts: TownFacts, town: Town) -> list[Community]:
        rng = self.rng
        count = max(1, round(facts.units * self.options.scale))
        weights = [rng.lognormvariate(0, 0.45) for _ in range(count)]
        populations = _split(town.population, weights, minimum=300)
        radius = 0.85 * math.sqrt(facts.area_km2 / math.pi)
        out = []
        for i, population in enumerate(populations):
            kind = (
                CommunityKind.VILLAGE
                if rng.random() < facts.village_share
                else CommunityKind.COMMUNITY
            )
            # Urban communities cluster near the town centre, villages spread out.
            spread = radius * (0.55 if kind is CommunityKind.COMMUNITY else 1.0)
            lat, lon = _offset(rng, facts.lat, facts.lon, spread)
            is_new = kind is CommunityKind.COMMUNITY and rng.random() < 0.3
            # Static criteria: realistic shares fail (no class-II toilet ~8 %, green
            # space under the 25 %/30 % bar ~15 %, service centre under 80 m² ~10 %).
            green = min(0.6, max(0.08, rng.gauss(0.33 if is_new else 0.31, 0.05)))
            out.append(
                Community(
                    id=f"{facts.code}-c{i + 1:03d}",
                    name=self._name(kind),
                    town_id=facts.id,
                    kind=kind,
                    population=population,
                    households=round(population / 2.8),
                    is_new=is_new,
                    class2_toilets=0 if rng.random() < 0.08 else rng.randint(1, 4),
                    green_space_ratio=round(green, 3),
                    service_centre_m2=round(max(30.0, rng.lognormvariate(math.log(160), 0.45)), 1),
                    lat=lat,
                    lon=lon,
                )
            )
        return out

    def _points(self, facts: TownFacts, community: Community) -> list[CollectionPoint]:
        rng = self.rng
        count = max(1, round(community.population / nanhai.RESIDENTS_PER_POINT))
        served = _split(community.population, [rng.uniform(0.7, 1.3) for _ in range(count)])
        radius = 0.35 + 0.25 * math.sqrt(count / 40)
        district = District()
        points = []
        for i, residents in enumerate(served):
            roll = rng.random()
            category = (
                PointCategory.MARKET
                if roll < 0.02
                else PointCategory.SCHOOL
                if roll < 0.04
                else PointCategory.RESIDENTIAL
            )
            heavy = (
                2.5
                if category is PointCategory.MARKET
                else (1.6 if category is PointCategory.SCHOOL else 1.0)
            )
            daily_l = (
                residents
                * district.kg_per_resident_day
                * heavy
                / (district.garbage_density_kg_per_l)
            )
            # Bins sized for ~1.3 days of garbage: a once-a-day clearance keeps up.
            need_l = 1.3 * daily_l
            large = int(need_l // 660)
            small = math.ceil(max(0.0, need_l - large * 660) / 240)
            if small > 2:
                large, small = large + 1, 0
            bins = [BinSize(volume_l=660, count=large)] if large else []
            if small:
                bins.append(BinSize(volume_l=240, count=small))
            point_id = f"{community.id}-p{i + 1:02d}"
            lat, lon = _offset(rng, community.lat, community.lon, radius)
            points.append(
                CollectionPoint(
                    id=point_id,
                    community_id=community.id,
                    category=category,
                    served_population=residents,
                    bins=bins,
                    lat=lat,
                    lon=lon,
                    sensor=FillSensor(device_id=f"bin-{point_id}", interval_s=900),
                )
            )
        return points

    def _outlets(self, community: Community) -> list[SewageOutlet]:
        rng = self.rng
        scale = community.population / 12_600  # the district's mean community size
        count = max(1, round(nanhai.OUTLETS_PER_COMMUNITY * scale * rng.uniform(0.7, 1.3)))
        out = []
        for i in range(count):
            outlet_id = f"{community.id}-o{i + 1}"
            lat, lon = _offset(rng, community.lat, community.lon, 0.6)
            normal = round(rng.uniform(15, 45), 1)
            out.append(
                SewageOutlet(
                    id=outlet_id,
                    community_id=community.id,
                    lat=lat,
                    lon=lon,
                    normal_level_cm=normal,
                    overflow_level_cm=round(normal + rng.uniform(50, 110), 1),
                    sensor=LevelSensor(device_id=f"sew-{outlet_id}", interval_s=300),
                )
            )
        return out

    def _cameras(self, community: Community) -> list[Camera]:
        rng = self.rng
        count = max(2, round(community.population / nanhai.RESIDENTS_PER_CAMERA))
        cameras = []
        for i in range(count):
            lat, lon = _offset(rng, community.lat, community.lon, 0.5)
            cameras.append(
                Camera(
                    id=f"cam-{community.id}-{i + 1:03d}",
                    community_id=community.id,
                    nvr_id=f"nvr-{community.id}-{i // 16 + 1}",
                    heartbeat_s=300,
                    lat=lat,
                    lon=lon,
                )
            )
        return cameras

    def _pest_sites(self, community: Community) -> list[PestSite]:
        rng = self.rng
        count = 1 + (community.population > 8000) + (community.population > 20_000)
        sites = []
        for i in range(count):
            lat, lon = _offset(rng, community.lat, community.lon, 0.4)
            sites.append(
                PestSite(
                    id=f"{community.id}-s{i + 1}",
                    community_id=community.id,
                    lat=lat,
                    lon=lon,
                    cycle_days_peak=7,
                    cycle_days_normal=14,
                    service_min=rng.choice((60, 90, 90, 120, 150, 180)),
                )
            )
        return sites

    def _stations(self, facts: TownFacts) -> list[TransferStation]:
        total_pop = sum(self.town_population.values())
        capacity = (
            nanhai.TRANSFER_CAPACITY_T_PER_DAY
            * self.town_population[facts.id]
            / max(1, total_pop)
            * self.options.scale
        )
        radius = 0.6 * math.sqrt(facts.area_km2 / math.pi)
        out = []
        for i in range(facts.transfer_stations):
            lat, lon = _offset(self.rng, facts.lat, facts.lon, radius)
            out.append(
                TransferStation(
                    id=f"ts-{facts.code}-{i + 1}",
                    town_id=facts.id,
                    name=f"{facts.name}垃圾中转站{i + 1}号",
                    lat=lat,
                    lon=lon,
                    capacity_t_per_day=round(max(50.0, capacity / facts.transfer_stations), 1),
                )
            )
        return out

    def _depots(self, facts: TownFacts) -> list[Depot]:
        radius = 0.4 * math.sqrt(facts.area_km2 / math.pi)
        out = []
        for i in range(facts.depots):
            lat, lon = _offset(self.rng, facts.lat, facts.lon, radius)
            out.append(
                Depot(
                    id=f"dep-{facts.code}-{i + 1}",
                    town_id=facts.id,
                    name=f"{facts.name}环卫车队{i + 1}",
                    lat=lat,
                    lon=lon,
                )
            )
        return out

    def _trucks(self, facts: TownFacts, depots: list[Depot], fleet: TownFleet) -> list[Truck]:
        """The town's sized fleet: double-shifted trucks first, 8 t and 5 t spread evenly."""
        sizes = truck_sizes(fleet.trucks, self.options.sizing.large_truck_share)
        return [
            Truck(
                id=f"trk-{facts.code}-{i + 1:02d}",
                town_id=facts.id,
                depot_id=depots[i % len(depots)].id,
                capacity_kg=capacity,
                volume_m3=volume,
                shift=shift,
            )
            for i, (shift, (capacity, volume)) in enumerate(
                zip(fleet.truck_shifts(), sizes, strict=True)
            )
        ]


def generate_district(scale: float = 1.0, seed: int = 1) -> Registry:
    """The reference district at `scale`; the same (scale, seed) gives the same registry."""
    return DistrictGenerator(GeneratorOptions(scale=scale, seed=seed)).generate()
