"""The value-per-minute router against the solver, zone by zone, through the planner."""

import re

import numpy as np
import pytest

from bikeshare.rebalancing.demand import WEEKDAY, DemandRates
from bikeshare.rebalancing.model import Truck
from tests.bikeshare.rebalancing.conftest import morning_plan


def _city(make_line_network, seed=7):
    """Two clusters of stations 30 km apart: morning renters drain some stations, returns fill others."""
    rng = np.random.default_rng(seed)
    positions = np.concatenate([np.sort(rng.uniform(0, 4, 12)), 30 + np.sort(rng.uniform(0, 4, 12))])
    network = make_line_network(km_positions=positions, docks=[15] * 24, allowance=[3] * 24)
    rent, ret = np.zeros((24, 2, 24)), np.zeros((24, 2, 24))
    rent[:, WEEKDAY, 7:10] = rng.choice([0.5, 6.0], size=24)[:, None]
    ret[:, WEEKDAY, 7:10] = rng.choice([0.5, 6.0], size=24)[:, None]
    return network, DemandRates(rent, ret), rng.integers(0, 16, size=24)


@pytest.mark.parametrize("seed", [7, 8])
def test_each_zone_keeps_the_routes_that_remove_more_and_reports_both(make_line_network, seed):
    network, rates, stock = _city(make_line_network, seed)
    trucks = [Truck(1, 0, 0, 20), Truck(2, 5, 0, 20), Truck(3, 12, 0, 20)]
    plan = morning_plan(network, stock, rates, trucks, zone=np.repeat([0, 1], 12), seconds=3.0)
    for zone in plan.zones:
        removed = {by: float(value) for by, value in re.findall(r"(\w+) routes (-?[\d.]+)", zone.reason)}
        assert set(removed) == {"solver", "marginal"}, zone.reason
        winner = "marginal" if removed["marginal"] > removed["solver"] else "solver"
        assert zone.routes == winner
        # What the zone reports it removed is what the kept routes remove.
        assert zone.dissatisfaction_before - zone.dissatisfaction_after == pytest.approx(removed[winner], abs=0.06)
    assert plan.dissatisfaction_after < plan.dissatisfaction_before


@pytest.mark.parametrize("seconds", [0.0, 3.0])  # the solver skipped (greedy fallback) or given time
def test_a_loaded_truck_drops_its_load_first_and_every_route_ends_empty(make_line_network, seconds):
    network, rates, stock = _city(make_line_network)
    trucks = [Truck(1, 3, 9, 20), Truck(2, 8, 0, 20), Truck(3, 14, 20, 20, busy_min=4.0)]
    plan = morning_plan(network, stock, rates, trucks, zone=np.repeat([0, 1], 12), seconds=seconds)
    routes = {route.truck_id: route for route in plan.routes}
    for truck in trucks:
        stops = routes[truck.truck_id].stops
        assert stops and stops[-1].load_after == 0
        first_pickup = next((n for n, stop in enumerate(stops) if stop.load_change > 0), len(stops))
        assert -sum(stop.load_change for stop in stops[:first_pickup]) == truck.load
        assert stops[0].arrival_min >= truck.busy_min
        # Every pickup is dropped before the truck picks again: nothing rides along unplanned.
        for stop in stops[first_pickup:]:
            assert stop.load_change < 0 or stop.load_after == stop.load_change
    assert plan.stock_after.sum() == stock.sum() + 29
    assert all(zone.routes in ("solver", "greedy", "marginal") for zone in plan.zones)


def test_trucks_share_a_zone_without_serving_the_same_need_twice(make_line_network):
    # One full station between two empty ones with the same demand: the drops follow diminishing returns.
    network = make_line_network(km_positions=[0, 1, 2], docks=[15] * 3, allowance=[3] * 3)
    rent, ret = np.zeros((3, 2, 24)), np.zeros((3, 2, 24))
    rent[[0, 2], WEEKDAY, 7:10], ret[1, WEEKDAY, 7:10] = 4.0, 8.0
    stock = np.array([0, 18, 0])
    plan = morning_plan(network, stock, DemandRates(rent, ret), [Truck(1, 1, 0, 20), Truck(2, 1, 0, 20)])
    assert plan.stock_after[0] > 0 and plan.stock_after[2] > 0
    assert abs(int(plan.stock_after[0]) - int(plan.stock_after[2])) <= 2
    assert plan.stock_after[1] >= 0 and all(route.stops[-1].load_after == 0 for route in plan.routes if route.stops)
