from dataclasses import replace

import numpy as np

from bikeshare.rebalancing.demand import WEEKDAY, DemandRates
from bikeshare.rebalancing.model import Truck
from bikeshare.rebalancing.planner import zone_labels
from bikeshare.rebalancing.routing import route_until_next_round
from tests.bikeshare.rebalancing.conftest import PLAN_SETTINGS, morning_plan


def _rates(size, rent, ret):
    rent_per_h = np.zeros((size, 2, 24))
    return_per_h = np.zeros((size, 2, 24))
    rent_per_h[:, WEEKDAY, 7:10] = np.asarray(rent)[:, None]
    return_per_h[:, WEEKDAY, 7:10] = np.asarray(ret)[:, None]
    return DemandRates(rent_per_h=rent_per_h, return_per_h=return_per_h)


def test_plan_moves_bikes_from_the_filling_station_to_the_draining_one(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[15, 15, 15], allowance=[3, 3, 3])
    rates = _rates(3, rent=[6.0, 0.5, 2.0], ret=[0.5, 6.0, 2.0])
    stock = np.array([1, 15, 7])
    plan = morning_plan(network, stock, rates, [Truck(truck_id=1, station=2, load=0, capacity=20)], horizon_h=3.0)
    assert plan.stock_after[0] > stock[0]
    assert plan.stock_after[1] < stock[1]
    assert plan.stock_after.sum() + sum(r.stops[-1].load_after for r in plan.routes if r.stops) == (stock.sum())
    assert plan.dissatisfaction_after < plan.dissatisfaction_before
    assert plan.bikes_moved > 0


def test_a_zone_without_trucks_is_left_alone(make_line_network):
    network = make_line_network(km_positions=[0, 1, 20, 21], docks=[15] * 4)
    rates = _rates(4, rent=[6.0, 0.5, 6.0, 0.5], ret=[0.5, 6.0, 0.5, 6.0])
    stock = np.array([1, 15, 1, 15])
    plan = morning_plan(
        network, stock, rates, [Truck(truck_id=1, station=0, load=0, capacity=20)], zone=np.array([0, 0, 1, 1])
    )
    assert plan.stock_after[0] > 1
    np.testing.assert_array_equal(plan.stock_after[2:], stock[2:])
    assert all(m.source in (0, 1) and m.target in (0, 1) for m in plan.moves)


def test_zones_split_two_distant_clusters(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 1, 30, 30.5, 31], docks=[10] * 6)
    labels = zone_labels(stations=network, count=2)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1
    assert labels[0] != labels[3]


def test_a_loaded_truck_with_no_other_work_drops_its_load_where_there_is_room(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 1], docks=[10, 10, 10])
    # Demand is balanced and stock mid-range: no move is worth making, but 8 bikes are aboard.
    rates = _rates(3, rent=[1.0, 1.0, 1.0], ret=[1.0, 1.0, 1.0])
    stock = np.array([5, 10, 5])
    truck = Truck(truck_id=4, station=1, load=8, capacity=20)
    plan = morning_plan(network, stock, rates, [truck], seconds=1.0)
    (route,) = plan.routes
    assert route.stops and route.stops[-1].load_after == 0
    assert all(stop.load_change < 0 for stop in route.stops)
    assert plan.stock_after.sum() == stock.sum() + 8
    # The full station (at its docks) gets none of them.
    assert plan.stock_after[1] == 10


def test_planned_routes_end_empty(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2, 3], docks=[15] * 4, allowance=[3] * 4)
    rates = _rates(4, rent=[6.0, 0.5, 6.0, 0.5], ret=[0.5, 6.0, 0.5, 6.0])
    plan = morning_plan(
        network,
        np.array([0, 15, 1, 14]),
        rates,
        [Truck(truck_id=1, station=0, load=3, capacity=5), Truck(truck_id=2, station=3, load=0, capacity=5)],
        seconds=1.0,
    )
    assert plan.bikes_moved > 3
    assert all(route.stops[-1].load_after == 0 for route in plan.routes if route.stops)


def test_a_re_planned_fleets_routes_end_by_the_next_round(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2, 3], docks=[15] * 4, allowance=[3] * 4)
    rates = _rates(4, rent=[8.0, 0.5, 8.0, 0.5], ret=[0.5, 8.0, 0.5, 8.0])
    stock = np.array([0, 15, 0, 15])

    def plan(settings):
        return morning_plan(
            network, stock, rates, [Truck(truck_id=1, station=1, load=0, capacity=20)], horizon_h=2.0, settings=settings
        )

    hour = plan(replace(PLAN_SETTINGS, trucks=replace(PLAN_SETTINGS.trucks, max_route_min=60.0)))
    half = plan(replace(PLAN_SETTINGS, trucks=route_until_next_round(PLAN_SETTINGS.trucks, every_min=30.0)))

    handling = PLAN_SETTINGS.trucks.model.handling_min_per_bike
    (route,) = half.routes
    last = route.stops[-1]
    assert last.arrival_min + abs(last.load_change) * handling <= 30.0
    assert last.load_after == 0
    assert 0 < half.bikes_moved < hour.bikes_moved


def test_a_big_surplus_next_to_a_big_deficit_is_one_large_stop_at_each(make_line_network):
    network = make_line_network(km_positions=[0, 0.3, 2], docks=[20] * 3, allowance=[5] * 3)
    rates = _rates(3, rent=[0.5, 8.0, 1.0], ret=[8.0, 0.5, 1.0])
    stock = np.array([25, 0, 10])
    plan = morning_plan(network, stock, rates, [Truck(truck_id=1, station=2, load=0, capacity=30)], horizon_h=3.0)
    (route,) = plan.routes
    # The move is cut into truckload pairs (15 bikes each in an hour's route); the crew sees one stop per station.
    assert [stop.station for stop in route.stops] == [0, 1]
    pickup, drop = route.stops
    assert pickup.load_change >= 10 and drop.load_change == -pickup.load_change
    assert drop.load_after == 0


def test_bikes_a_committed_stop_is_taking_are_not_planned_again(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[15, 15, 15], allowance=[3, 3, 3])
    rates = _rates(3, rent=[6.0, 0.5, 2.0], ret=[0.5, 6.0, 2.0])
    stock = np.array([1, 15, 7])
    # Truck 1 is on its way to take 12 of station 1's 15 bikes (its load already counts them); truck 2 is free.
    committed = Truck(truck_id=1, station=1, load=12, capacity=20, busy_min=14.0, committed_change=12)
    free = Truck(truck_id=2, station=2, load=0, capacity=20)
    plan = morning_plan(network, stock, rates, [committed, free], horizon_h=3.0)
    picked_at_1 = sum(s.load_change for r in plan.routes for s in r.stops if s.station == 1 and s.load_change > 0)
    assert picked_at_1 <= 3
    assert plan.stock_after[1] >= 0 and plan.stock_after[0] > stock[0]
