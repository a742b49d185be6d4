"""Figures of the reference district, Nanhai (Foshan), used by the generator.

Sources are public secondary figures (README.md,
"The reference district"); EST marks our estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT_POPULATION_2020 = 3_667_200
RESIDENTS_PER_POINT = 300  # one collection point per 300–500 households' worth of residents
RESIDENTS_PER_CAMERA = 370  # EST: ~10,000 cameras over the district
OUTLETS_PER_COMMUNITY = 3.5  # EST: ~1,000 sewage outlets
FLEET_TRUCKS = 150
FLEET_PEST_CREWS = 20
TRANSFER_CAPACITY_T_PER_DAY = 4000.0


@dataclass(frozen=True, slots=True)
class TownFacts:
    id: str
    code: str  # short prefix of record ids
    name: str
    name_en: str
    units: int  # communities and villages
    village_share: float
    population: int  # as reported, before scaling to the 2020 census
    area_km2: float
    lat: float
    lon: float
    transfer_stations: int
    depots: int


# Lishui and Danzao unit counts are raised from the reported estimates (25, 20) so the
# district totals ~290 units, as the district's own figure suggests (EST).
TOWNS: tuple[TownFacts, ...] = (
    TownFacts("guicheng", "gc", "桂城", "Guicheng", 50, 0.0, 550_000, 84, 23.039, 113.192, 2, 1),
    TownFacts("dali", "dl", "大沥", "Dali", 42, 0.2, 616_000, 92, 23.111, 113.105, 2, 1),
    TownFacts("lishui", "ls", "里水", "Lishui", 40, 0.4, 412_000, 148, 23.20, 113.15, 1, 1),
    TownFacts("shishan", "ss", "狮山", "Shishan", 66, 28 / 66, 665_000, 330, 23.13, 113.00, 2, 2),
    TownFacts("danzao", "dz", "丹灶", "Danzao", 25, 0.6, 175_000, 140, 23.04, 112.93, 1, 1),
    TownFacts("xiqiao", "xq", "西樵", "Xiqiao", 35, 9 / 35, 300_000, 177, 22.93, 112.97, 1, 1),
    TownFacts(
        "jiujiang", "jj", "九江", "Jiujiang", 28, 23 / 28, 170_000, 95, 22.834, 112.988, 1, 1
    ),
)

# Syllables for plausible community names (社区 / 村); combined deterministically.
NAME_FIRST = "东南西北新华宁平安和福兴永丰康乐文昌荣盛联桥沙涌岗塘岭湖江海嘉瑞德祥"
NAME_SECOND = "华安和兴平宁丰乐盛昌隆泰源发景苑庭园涌岗基围洲边头尾心口"
