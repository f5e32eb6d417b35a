"""The offer rules on tiny networks: Seoul's pilot at its boundaries, and ours from the planner's F."""

from datetime import UTC, datetime

import numpy as np
import pytest

from bikeshare.incentives.offers import slot_of
from bikeshare.incentives.rules import PilotRules, PlannerRules, pilot_offers, planner_offers
from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND

PILOT = PilotRules()


@pytest.mark.parametrize(
    ("day_type", "clock", "offered"),
    [
        (WEEKDAY, "06:59", False),
        (WEEKDAY, "07:00", True),
        (WEEKDAY, "08:59", True),
        (WEEKDAY, "09:00", False),
        (WEEKDAY, "12:00", False),
        (WEEKDAY, "17:00", True),
        (WEEKDAY, "18:59", True),
        (WEEKDAY, "19:00", False),
        (WEEKEND, "07:30", False),
        (WEEKEND, "14:59", False),
        (WEEKEND, "15:00", True),
        (WEEKEND, "17:59", True),
        (WEEKEND, "18:00", False),
    ],
)
def test_pilot_pays_only_inside_its_rush_windows(day_type, clock, offered):
    hours, minutes = map(int, clock.split(":"))
    offers = pilot_offers(
        stock=[13, 3], docks=[10, 10], day_type=day_type, minute_of_day=hours * 60 + minutes, rules=PILOT
    )
    assert offers.rent_points.tolist() == ([100, 0] if offered else [0, 0])
    assert offers.return_points.tolist() == ([0, 100] if offered else [0, 0])


def test_pilot_thresholds_are_130_percent_to_rent_and_30_percent_to_return():
    offers = pilot_offers(
        stock=[13, 12, 3, 4, 0, 5], docks=[10, 10, 10, 10, 0, 15], day_type=WEEKDAY, minute_of_day=8 * 60, rules=PILOT
    )
    assert offers.rent_points.tolist() == [100, 0, 0, 0, 0, 0]
    # A station without docks is in neither list; 5 of 15 docks is 33 %, above the line.
    assert offers.return_points.tolist() == [0, 0, 100, 0, 0, 0]


def test_pilot_offers_at_most_110_stations_per_list_the_most_extreme_first():
    stock = np.array([20] * 150 + [30] * 50 + [0] * 130)
    offers = pilot_offers(stock=stock, docks=np.full(len(stock), 10), day_type=WEEKDAY, minute_of_day=450, rules=PILOT)
    assert (offers.rent_points > 0).sum() == 110
    assert (offers.rent_points[150:200] == 100).all()  # the 300 % stations all made the list
    assert (offers.return_points > 0).sum() == 110


def test_ours_pays_where_one_bike_moved_lowers_dissatisfaction_and_not_where_trucks_work():
    # F(s) per station and stock: station 0 is over-stocked (fewer is better), 1 short (more is better), 2 at its best.
    dissatisfaction = np.array(
        [
            [3.0, 2.0, 1.0, 0.5, 0.0, 1.0],
            [2.0, 1.0, 0.5, 0.4, 0.3, 0.3],
            [1.0, 0.5, 0.0, 0.5, 1.0, 2.0],
        ]
    )
    rules = PlannerRules(points_per_unit=300, min_points=50, max_points=200)
    free = np.zeros(3, dtype=bool)
    offers = planner_offers(dissatisfaction=dissatisfaction, stock=[5, 1, 2], no_rent=free, no_return=free, rules=rules)
    assert offers.rent_points.tolist() == [200, 0, 0]  # 1.0 x 300, capped at 200
    assert offers.return_points.tolist() == [0, 150, 0]  # 0.5 x 300
    held = np.array([True, True, False])
    offers = planner_offers(dissatisfaction=dissatisfaction, stock=[5, 1, 2], no_rent=held, no_return=held, rules=rules)
    assert offers.rent_points.sum() == offers.return_points.sum() == 0


def test_small_gains_are_not_worth_an_offer():
    dissatisfaction = np.array([[0.1, 0.0, 0.1, 0.2]])
    none = np.zeros(1, dtype=bool)
    offers = planner_offers(
        dissatisfaction=dissatisfaction, stock=[2], no_rent=none, no_return=none, rules=PlannerRules(min_points=50)
    )
    assert offers.rent_points.tolist() == [0]  # 0.1 x 300 = 30 points, under the 50 floor


def test_slots_are_seoul_half_hours():
    starts, ends = slot_of(datetime(2026, 6, 11, 22, 44, tzinfo=UTC))  # 07:44 in Seoul
    assert (starts, ends) == (datetime(2026, 6, 11, 22, 30, tzinfo=UTC), datetime(2026, 6, 11, 23, 0, tzinfo=UTC))
