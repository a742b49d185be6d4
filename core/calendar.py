"""The district's garbage calendar: days on which points put out more or less than
on an ordinary day of their kind.

A district knows these days in advance (its markets meet on fixed days; festivals
are public holidays), so the field's simulation and the plan's forecast read the
same table here. Figures are estimates (EST) from how such days go in the Pearl
River Delta; a district running yiju replaces them with its own.
"""

from __future__ import annotations

from datetime import date

from core.registry import PointCategory

# Market days (墟日): rural and town markets in Guangdong meet on fixed days of a
# three-day cycle (days 1, 4, 7, … of the month here, EST); a market point then
# takes about half as much again.
MARKET_DAY_FACTOR = 1.5
MARKET_CYCLE_DAYS = 3

# Festival days and their garbage relative to an ordinary day (EST): family meals
# and visits raise household waste around Dragon Boat, Mid-Autumn and the National
# Day week; at Spring Festival many migrant workers leave Foshan and it falls.
FESTIVALS: dict[str, float] = {
    "2026-06-19": 1.2,  # Dragon Boat Festival
    "2026-09-25": 1.3,  # Mid-Autumn Festival
    **{f"2026-10-0{d}": 1.2 for d in range(1, 8)},  # National Day week
    "2026-12-31": 1.15,
    "2027-01-01": 1.15,
    **{f"2027-02-{d:02d}": 0.8 for d in range(6, 13)},  # Spring Festival
}


def is_market_day(day: date) -> bool:
    return day.day % MARKET_CYCLE_DAYS == 1


def festival_factor(day: date) -> float:
    return FESTIVALS.get(day.isoformat(), 1.0)


def calendar_factor(category: PointCategory, day: date) -> float:
    """The day's garbage at a point of `category` over an ordinary day of its kind."""
    factor = festival_factor(day)
    if category is PointCategory.MARKET and is_market_day(day):
        factor *= MARKET_DAY_FACTOR
    return factor


def mean_calendar_factor(category: PointCategory) -> float:
    """The calendar's factor averaged over a market cycle (festivals are too rare to
    move a week's mean): a rate measured over past days stands for this much."""
    if category is not PointCategory.MARKET:
        return 1.0
    return (MARKET_CYCLE_DAYS - 1 + MARKET_DAY_FACTOR) / MARKET_CYCLE_DAYS
