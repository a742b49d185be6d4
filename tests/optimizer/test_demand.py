"""Fill forecast of a collection point: daily rate, hourly shape, weekend factor,
overflow deadline, and the visits a point needs (release time, second visit)."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import MARKET_DAY_FACTOR, is_market_day
from core.registry import BinSize, CollectionPoint, District, PointCategory
from optimizer.planning.config import PlanningConfig
from optimizer.planning.demand import PointForecast, daily_rate, forecast, registry_rate
from optimizer.planning.garbage import plan_visits
from optimizer.planning.shifts import DAY_S
from optimizer.planning.state import BinState

POINT = CollectionPoint(
    id="p",
    community_id="c",
    served_population=240,
    lat=23.0,
    lon=113.0,
    bins=[BinSize(volume_l=240, count=4)],
)
DISTRICT = District()
CONFIG = PlanningConfig()
HOUR = 3600
PLAN_AT = 3 * HOUR + 1800  # the morning plan, 03:30
FRIDAY, SATURDAY = 4, 5


def _forecast(
    reading: BinState | None,
    *,
    start_s: int = 0,
    point: CollectionPoint = POINT,
    weekday: int | None = None,
    day: date | None = None,
) -> PointForecast:
    return forecast(
        point,
        reading,
        DISTRICT,
        CONFIG,
        start_s=start_s,
        start_ms=start_s * 1000,
        day_end_s=DAY_S,
        weekday=weekday,
        day=day,
    )


def _daily(pct: float) -> float:
    """A hand-set rate (% an hour, the day's mean) for `pct` % a day."""
    return pct / 24


def test_registry_rate() -> None:
    """240 residents × 1.15 kg ÷ 0.3 kg/L = 920 L a day in 960 L: ~4 % an hour."""
    assert registry_rate(POINT, DISTRICT) == pytest.approx(920 / 960 * 100 / 24)


def test_shaped_forecast_integrates_to_the_daily_rate() -> None:
    """Over 24 h the shaped forecast adds the daily rate; a night hour adds far less
    than an evening hour, and the configured shape has a mean of 1."""
    fc = _forecast(BinState(10.0, 0, _daily(60.0)))
    assert fc.accumulated(0, DAY_S) == pytest.approx(60.0)
    assert fc.accumulated(DAY_S, 2 * DAY_S) == pytest.approx(60.0)
    assert fc.fill_at(DAY_S, 0, 130.0) == pytest.approx(70.0)
    night = fc.accumulated(2 * HOUR, 3 * HOUR)
    evening = fc.accumulated(19 * HOUR, 20 * HOUR)
    assert night < 0.1 * 60 / 24 < 2 * 60 / 24 < evening
    assert sum(CONFIG.garbage_shape) == pytest.approx(24)


@pytest.mark.parametrize(
    ("category", "factor"),
    [(PointCategory.RESIDENTIAL, 1.12), (PointCategory.MARKET, 1.25), (PointCategory.SCHOOL, 0.15)],
)
def test_weekend_factor_by_category(category: PointCategory, factor: float) -> None:
    """On a Saturday a point collects its category's weekend factor times a weekday's garbage."""
    point = POINT.model_copy(update={"category": category})
    weekday = _forecast(None, point=point, weekday=FRIDAY).accumulated(0, DAY_S)
    weekend = _forecast(None, point=point, weekday=SATURDAY).accumulated(0, DAY_S)
    assert weekend / weekday == pytest.approx(factor)
    # Friday's forecast already knows tomorrow is Saturday.
    friday = _forecast(None, point=point, weekday=FRIDAY)
    assert friday.accumulated(DAY_S, 2 * DAY_S) == pytest.approx(weekend)


def test_market_days_from_the_calendar() -> None:
    """A market point's measured rate stands for a market cycle's mean; the forecast
    raises it on the district's market days and lowers it between them. Households
    do not follow the market calendar."""
    market_day, off_day = date(2026, 7, 16), date(2026, 7, 15)  # both weekdays
    assert is_market_day(market_day)
    assert not is_market_day(off_day)
    market = POINT.model_copy(update={"category": PointCategory.MARKET})
    reading = BinState(10.0, 0, None, history_rise_pct=7 * 90.0, history_weekday_days=7.0)
    on = _forecast(reading, point=market, day=market_day).accumulated(0, DAY_S)
    off = _forecast(reading, point=market, day=off_day).accumulated(0, DAY_S)
    rate = daily_rate(market, reading, DISTRICT, CONFIG)
    mean = (2 + MARKET_DAY_FACTOR) / 3
    assert on == pytest.approx(rate * MARKET_DAY_FACTOR / mean)
    assert off == pytest.approx(rate / mean)
    # The day before a market day already expects tomorrow's rush.
    eve = _forecast(reading, point=market, day=off_day)
    assert eve.accumulated(DAY_S, 2 * DAY_S) == pytest.approx(on)
    home_on = _forecast(reading, day=market_day).accumulated(0, DAY_S)
    home_off = _forecast(reading, day=off_day).accumulated(0, DAY_S)
    assert home_on == pytest.approx(home_off)


def test_market_without_history_expects_the_registrys_day() -> None:
    """Without readings a market point expects the registry's garbage on an ordinary
    weekday and the market day's factor on a market day: the registry's figure is an
    ordinary day's, not the calendar's mean that a measured rate stands for."""
    market_day, off_day = date(2026, 7, 16), date(2026, 7, 15)  # both weekdays
    market = POINT.model_copy(update={"category": PointCategory.MARKET})
    expected = registry_rate(market, DISTRICT) * 24
    for reading in (None, BinState(10.0, 0)):
        off = _forecast(reading, point=market, day=off_day).accumulated(0, DAY_S)
        on = _forecast(reading, point=market, day=market_day).accumulated(0, DAY_S)
        assert off == pytest.approx(expected)
        assert on == pytest.approx(expected * MARKET_DAY_FACTOR)


def test_history_weighed_against_the_registry() -> None:
    """A week of history mostly decides the rate; a few night hours barely move the
    registry's expectation; a weekend day's rise counts for its factor."""
    prior = registry_rate(POINT, DISTRICT) * 24
    week = BinState(50.0, 0, None, history_rise_pct=7 * 150.0, history_weekday_days=7.0)
    assert daily_rate(POINT, week, DISTRICT, CONFIG) == pytest.approx((1050 + prior) / 8)
    night = BinState(50.0, 0, None, history_rise_pct=0.5, history_weekday_days=0.01)
    assert daily_rate(POINT, night, DISTRICT, CONFIG) == pytest.approx(prior, rel=0.01)
    weekend = BinState(50.0, 0, None, history_rise_pct=112.0, history_weekend_days=1.0)
    # 112 % on a Saturday is 100 % on a weekday, weighed 1.12 : 1 against the prior.
    assert daily_rate(POINT, weekend, DISTRICT, CONFIG) == pytest.approx((112 + prior) / 2.12)


@pytest.mark.parametrize(
    ("reading", "start_s"),
    [
        (BinState(50.0, 0, 10.0), 0),  # 240 %/day
        (BinState(50.0, 0, 10.0), 8 * HOUR),  # projected to the plan's start
        (BinState(20.0, 0, 1.0), 0),  # 24 %/day: not full before the day ends
        (BinState(130.0, 0, None), 0),  # no rate measured: registry's rate, overflowing now
    ],
)
def test_forecast_fill_and_overflow(reading: BinState, start_s: int) -> None:
    """Fill at the start is the reading plus what the shape adds since; the overflow
    time is when the forecast reaches 100 %, None when not today."""
    fc = _forecast(reading, start_s=start_s)
    assert fc.fill_pct == pytest.approx(min(130.0, reading.fill_pct + fc.accumulated(0, start_s)))
    if fc.fill_pct >= 100:
        assert fc.overflow_s == start_s
    elif fc.overflow_s is None:
        assert fc.fill_at(DAY_S, start_s, 200.0) < 100
    else:
        assert fc.fill_at(fc.overflow_s, start_s, 200.0) == pytest.approx(100.0, abs=0.01)


def test_deadline_comes_before_the_overflow() -> None:
    """A deadline fill with a margin (92 %) comes well before the predicted overflow, and
    the visit's windows end by it."""
    margin = PlanningConfig(deadline_fill_pct=92.0)
    fc = _forecast(BinState(60.0, 0, _daily(80.0)), start_s=PLAN_AT)
    deadline = fc.reaches(margin.deadline_fill_pct, PLAN_AT, DAY_S)
    assert fc.overflow_s is not None
    assert deadline is not None
    assert PLAN_AT < deadline < fc.overflow_s - 1800
    ((windows, _),) = plan_visits(fc, margin, PLAN_AT)
    assert windows[-1].close_s <= deadline


def test_forecast_spread_moves_the_deadline_before_the_evening_gap() -> None:
    """A point at 25 % filling 90 % a day reaches the deadline fill at ~19:40, inside
    the evening window; assuming the rest of its day's garbage comes 15 % faster, it
    reaches it at ~18:30, in the gap after 16:00 where no window opens, so its one
    visit ends by 16:00 instead."""
    fc = _forecast(BinState(25.0, 0, _daily(90.0)), start_s=PLAN_AT)
    exact = fc.reaches(CONFIG.deadline_fill_pct, PLAN_AT, DAY_S)
    assert exact is not None
    assert 19 * HOUR < exact < 20 * HOUR
    plain = PlanningConfig(forecast_spread=0.0, second_visits=False)
    ((windows, _),) = plan_visits(fc, plain, PLAN_AT)
    assert windows[-1].open_s == 19 * HOUR
    cautious = PlanningConfig(forecast_spread=0.15, second_visits=False)
    ((windows, _),) = plan_visits(fc, cautious, PLAN_AT)
    assert windows[-1].close_s == 16 * HOUR
    with pytest.raises(ValueError, match="forecast_spread"):
        PlanningConfig(forecast_spread=1.0)


def test_demand_is_capped_and_in_kg() -> None:
    """Demand = fill at the visit × volume × density, piled garbage capped at 130 %."""
    fc = _forecast(BinState(50.0, 0, _daily(48.0)))
    fill = 50 + fc.accumulated(0, 12 * HOUR)
    assert fc.demand_kg(12 * HOUR, 0, 130.0, 0.3) == pytest.approx(fill / 100 * 960 * 0.3, abs=1)
    assert fc.demand_kg(DAY_S + 20 * HOUR, 0, 130.0, 0.3) == 375  # capped at 130 %


def test_slow_point_gets_one_visit_any_time() -> None:
    """A point filling 50 % a day: one visit, from the first window on."""
    fc = _forecast(BinState(20.0, 0, _daily(50.0)), start_s=PLAN_AT)
    ((windows, since),) = plan_visits(fc, CONFIG, PLAN_AT)
    assert since is None
    assert windows[0].open_s == 4 * HOUR


def test_mid_speed_point_gets_a_release_time() -> None:
    """With an overnight bar of 95 %, a point filling 95 % a day and emptied at 05:00
    would be over it by tomorrow 07:00: its one visit may not start before the release,
    which leaves it below then."""
    night = PlanningConfig(overnight_fill_pct=95.0)
    fc = _forecast(BinState(10.0, 0, _daily(95.0)), start_s=PLAN_AT)
    ((windows, _),) = plan_visits(fc, night, PLAN_AT)
    earliest = windows[0].open_s
    assert earliest > 7 * HOUR
    tomorrow = night.next_service_s
    assert night.cleared_fill_pct + fc.accumulated(5 * HOUR, tomorrow) > 95
    assert night.cleared_fill_pct + fc.accumulated(earliest, tomorrow) <= 95 + 0.01
    assert fc.fill_at(windows[-1].close_s, PLAN_AT, 130.0) <= night.deadline_fill_pct + 0.01


def test_fast_point_gets_two_visits() -> None:
    """A point filling 150 % a day: one visit before its deadline, a second at least
    the configured gap later that lasts until tomorrow, in the daytime window (on a
    truck already out) because from there it lasts."""
    fc = _forecast(BinState(40.0, 0, _daily(150.0)), start_s=PLAN_AT)
    (first, since), (second, since2) = plan_visits(fc, CONFIG, PLAN_AT)
    assert since is None
    assert since2 == first[0].open_s
    assert fc.fill_at(first[-1].close_s, PLAN_AT, 130.0) <= CONFIG.deadline_fill_pct + 0.01
    assert second[0].open_s - first[-1].close_s >= CONFIG.second_visit_gap_s
    assert second[0].open_s >= 9 * HOUR
    assert second[-1].close_s == 16 * HOUR
    tomorrow = CONFIG.next_service_s
    night = CONFIG.overnight_fill_pct
    assert CONFIG.cleared_fill_pct + fc.accumulated(second[0].open_s, tomorrow) <= night + 0.01
    # From any earlier start the bin would not last the night: the release rules.
    assert CONFIG.cleared_fill_pct + fc.accumulated(second[0].open_s - 1800, tomorrow) > night


def test_very_fast_point_gets_its_second_visit_in_the_evening() -> None:
    """A point filling 250 % a day would not last the night from any daytime visit:
    its second visit is in the evening window."""
    fc = _forecast(BinState(40.0, 0, _daily(250.0)), start_s=PLAN_AT)
    (first, _), (second, since2) = plan_visits(fc, CONFIG, PLAN_AT)
    assert since2 == first[0].open_s
    assert second[0].open_s >= 19 * HOUR
    tomorrow = CONFIG.next_service_s
    night = CONFIG.overnight_fill_pct
    assert CONFIG.cleared_fill_pct + fc.accumulated(16 * HOUR, tomorrow) > night


def test_evening_clearance_is_not_a_round_to_keep() -> None:
    """A point cleared yesterday at 19:30 (an evening visit) is served in the daytime
    window, not kept in the evening, which would call a truck out for it every day."""
    fc = _forecast(BinState(20.0, 0, _daily(50.0)), start_s=PLAN_AT)
    ((windows, _),) = plan_visits(fc, CONFIG, PLAN_AT, usual_s=19 * HOUR + 1800)
    assert [(w.open_s, w.close_s) for w in windows] == [(9 * HOUR, 16 * HOUR)]


def test_cleared_point_gets_a_second_visit_only_when_needed() -> None:
    """Re-planning at 10:00: a point emptied at 05:00 that would not last the night
    gets one more visit; a slow one none."""
    start = 10 * HOUR
    fast = _forecast(BinState(3.0, 5 * HOUR * 1000, _daily(150.0)), start_s=start)
    ((windows, _),) = plan_visits(fast, CONFIG, start, cleared=True)
    assert windows[0].open_s >= start
    slow = _forecast(BinState(3.0, 5 * HOUR * 1000, _daily(60.0)), start_s=start)
    assert plan_visits(slow, CONFIG, start, cleared=True) == []


def test_fixed_schedule_never_plans_second_visits() -> None:
    """With second visits off a fast point is visited once, before its deadline."""
    fc = _forecast(BinState(40.0, 0, _daily(150.0)), start_s=PLAN_AT)
    fixed = PlanningConfig(second_visits=False)
    assert len(plan_visits(fc, fixed, PLAN_AT)) == 1


def test_steady_round_keeps_near_yesterdays_time() -> None:
    """A slow point cleared yesterday at 12:00 is served today within yesterday's round
    (`keep_round_s` before to `keep_round_late_s` after 12:00), not in the first window
    where any slack truck would take it."""
    fc = _forecast(BinState(20.0, 0, _daily(50.0)), start_s=PLAN_AT)
    ((windows, _),) = plan_visits(fc, CONFIG, PLAN_AT, usual_s=12 * HOUR)
    assert windows[0].open_s == 12 * HOUR - CONFIG.keep_round_s
    assert windows[-1].close_s == 12 * HOUR + CONFIG.keep_round_late_s


def test_steady_round_gives_way_to_the_deadline() -> None:
    """A point that will reach its deadline before yesterday's time is served before
    the deadline, whatever yesterday's round."""
    fc = _forecast(BinState(80.0, PLAN_AT * 1000, _daily(40.0)), start_s=PLAN_AT)
    due = fc.reaches(CONFIG.deadline_fill_pct, PLAN_AT, DAY_S)
    assert due is not None
    assert due < 15 * HOUR
    ((windows, _),) = plan_visits(fc, CONFIG, PLAN_AT, usual_s=15 * HOUR)
    assert windows[-1].close_s <= due


@pytest.mark.parametrize(
    ("rise", "days", "weight"),
    [
        (10.0, 0.1, 0.0),  # too little of a day seen: the week's rate stands
        (60.0, 0.5, 0.5),  # half a day at twice the week's pace: weighed by its days
        (90.0, 1.0, 0.7),  # the weight stops at pace_max_weight
    ],
)
def test_todays_pace_moves_the_rate(rise: float, days: float, weight: float) -> None:
    """Since the bins were emptied today, a pace other than the week's moves the daily
    rate in proportion to how much of a day it has seen."""
    reading = BinState(
        50.0,
        0,
        history_rise_pct=60.0 * 6,
        history_weekday_days=6.0,
        current_rise_pct=rise,
        current_weekday_days=days,
    )
    prior = registry_rate(POINT, DISTRICT) * 24
    weekly = (60.0 * 6 + prior * CONFIG.history_prior_days) / (6.0 + CONFIG.history_prior_days)
    expected = (1 - weight) * weekly + weight * rise / days
    assert daily_rate(POINT, reading, DISTRICT, CONFIG) == pytest.approx(expected)


def test_replan_at_a_windows_end_offers_the_next_window() -> None:
    """Re-planning at 16:00 a point due before 19:00: the 09:00–16:00 window's last
    instant is no window, so the point goes to the evening window (late, but served)."""
    at = 16 * HOUR
    fc = _forecast(BinState(90.0, at * 1000, _daily(80.0)), start_s=at)
    due = fc.reaches(CONFIG.deadline_fill_pct, at, DAY_S)
    assert due is not None
    assert due < 19 * HOUR
    ((windows, _),) = plan_visits(fc, CONFIG, at)
    assert windows[0].open_s == 19 * HOUR


@pytest.mark.parametrize(
    ("usual", "band"),
    [
        # Cleared at 06:30: two hours of collection time on is 10:30, across the
        # 07:00-09:00 gap, not 08:30 in it (which left the point pinned to 04:00-07:00).
        (6 * HOUR + 1800, [(4 * HOUR + 1800, 7 * HOUR), (9 * HOUR, 10 * HOUR + 1800)]),
        # Cleared at 09:30: two hours earlier reaches back to 05:30 in the first window.
        (9 * HOUR + 1800, [(5 * HOUR + 1800, 7 * HOUR), (9 * HOUR, 11 * HOUR + 1800)]),
        # Cleared at 15:00: the band stops at the daytime window's end, never reaching
        # the evening window.
        (15 * HOUR, [(13 * HOUR, 16 * HOUR)]),
    ],
)
def test_steady_round_is_counted_in_collection_time(
    usual: int, band: list[tuple[int, int]]
) -> None:
    """The round's band spans `keep_round_s` and `keep_round_late_s` of collection time,
    so it carries on across the morning's no-collection gap."""
    fc = _forecast(BinState(10.0, 0, _daily(40.0)), start_s=PLAN_AT)
    ((windows, _),) = plan_visits(fc, CONFIG, PLAN_AT, usual_s=usual)
    assert [(w.open_s, w.close_s) for w in windows] == band
