"""The fast fallbacks: greedy routes, quick targets, and a plan whose time ran out still planning every zone."""

import time
from dataclasses import replace

import numpy as np
import pytest

from bikeshare.rebalancing.demand import WEEKDAY, DemandRates
from bikeshare.rebalancing.greedy import greedy_routes
from bikeshare.rebalancing.model import HorizonRates, Move, Truck
from bikeshare.rebalancing.planner import build_plan
from bikeshare.rebalancing.routing import LoadDrop, check_routes
from bikeshare.rebalancing.targets import chain_targets, quick_targets
from bikeshare.rebalancing.zones import ZoneOutcome
from tests.bikeshare.rebalancing.conftest import PLAN_SETTINGS, TRUCKS


def test_greedy_routes_drop_the_load_nearest_first_whatever_the_time_limit(make_line_network):
    network = make_line_network(km_positions=[0, 3, 5], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=12, capacity=20)]
    drops = [LoadDrop(truck_id=1, station=2, bikes=5), LoadDrop(truck_id=1, station=1, bikes=7)]
    (route,) = greedy_routes(
        lat=network.lat,
        lon=network.lon,
        moves=[Move(source=0, target=1, bikes=3, value=50.0)],
        trucks=trucks,
        settings=replace(TRUCKS, max_route_min=5),
        load_drops=drops,
    )
    # Five minutes fit no pickup-and-drop; the load still goes, nearest drop first.
    assert [(s.station, s.load_change, s.load_after) for s in route.stops] == [(1, -7, 5), (2, -5, 0)]
    assert route.stops[0].arrival_min == pytest.approx(3 * 1.4 / 20 * 60, rel=0.02)


def test_greedy_routes_deliver_every_pickup_within_capacity_and_time(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 1, 1.5, 2, 2.5], docks=[20] * 6)
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=10), Truck(truck_id=2, station=5, load=0, capacity=10)]
    moves = [Move(0, 3, 7, 50.0), Move(1, 4, 12, 60.0), Move(2, 5, 4, 30.0)]
    routes = greedy_routes(lat=network.lat, lon=network.lon, moves=moves, trucks=trucks, settings=TRUCKS)
    check_routes(routes=routes, trucks=trucks)
    assert sum(route.bikes_dropped for route in routes) == 23  # an hour is plenty for 23 bikes 1-2 km apart
    for route in routes:
        handling = sum(abs(s.load_change) for s in route.stops[:-1]) * TRUCKS.model.handling_min_per_bike
        assert route.stops[-1].arrival_min - handling <= TRUCKS.max_route_min
        assert route.stops[-1].load_after == 0


def test_quick_targets_cover_the_expected_net_demand(make_line_network):
    rates = HorizonRates(
        rent_per_h=np.array([[6.0, 6.0], [0.0, 0.0]]),
        return_per_h=np.array([[1.0, 1.0], [4.0, 4.0]]),
        segment_hours=np.array([1.0, 0.5]),
    )
    targets = quick_targets(docks=[10, 10], capacity=[12, 10], rates=rates)
    # Station 0 loses 7.5 bikes net over 1.5 h: at least 8 wanted; station 1 gains 6: room for them.
    assert targets.low.tolist() == [8, 0] and targets.high.tolist() == [10, 4]
    assert targets.dissatisfaction[0, 5] == 3 and targets.dissatisfaction[1, 6] == 2
    assert np.isinf(targets.dissatisfaction[1, 11]) and targets.dissatisfaction.shape == (2, 13)


def test_a_plan_out_of_time_still_plans_every_zone_and_says_how(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2, 30, 31, 32, 60, 61], docks=[15] * 8)
    rent, ret = np.zeros((8, 2, 24)), np.zeros((8, 2, 24))
    rent[[0, 3], WEEKDAY, 7:10] = 6.0
    ret[[1, 4], WEEKDAY, 7:10] = 6.0
    trucks = [Truck(1, 2, 0, 20), Truck(2, 5, 6, 20)]
    plan = build_plan(
        stations=network,
        stock=np.array([0, 15, 7, 0, 15, 7, 5, 5]),
        rates=DemandRates(rent, ret),
        trucks=trucks,
        start_hour=7.0,
        day_type=WEEKDAY,
        zone=np.array([0, 0, 0, 1, 1, 1, 2, 2]),
        deadline=time.perf_counter(),  # already past: no solver (the chain still gets its minimum)
        settings=PLAN_SETTINGS,
    )
    zones = {z.zone: z for z in plan.zones}
    assert zones[2].outcome == ZoneOutcome.NOTHING_TO_DO and "no truck" in zones[2].reason
    for zone in (0, 1):
        assert zones[zone].outcome == ZoneOutcome.FALLBACK
        assert zones[zone].routes == "greedy" and zones[zone].bikes_moved > 0
        assert "greedy routes" in zones[zone].reason
    assert all(route.stops[-1].load_after == 0 for route in plan.routes)
    assert plan.stock_after[0] > 0 and plan.stock_after[3] > 0


def test_targets_fall_back_to_quick_ones_when_the_chain_runs_out_of_time(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[15] * 3)
    rates = HorizonRates(np.full((3, 1), 6.0), np.full((3, 1), 1.0), np.array([3.0]))
    with pytest.raises(TimeoutError):
        chain_targets(
            docks=network.docks,
            capacity=network.capacity,
            rates=rates,
            overflow_weight=0.2,
            refused_weight=1.0,
            tolerance=0.1,
            deadline=time.perf_counter() - 1,
        )


def test_a_plan_with_time_solves_its_zones_with_the_chain_and_the_solver(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[15] * 3)
    rent, ret = np.zeros((3, 2, 24)), np.zeros((3, 2, 24))
    rent[0, WEEKDAY, 7:10], ret[1, WEEKDAY, 7:10] = 6.0, 6.0
    plan = build_plan(
        stations=network,
        stock=np.array([0, 15, 7]),
        rates=DemandRates(rent, ret),
        trucks=[Truck(1, 2, 0, 20)],
        start_hour=7.0,
        day_type=WEEKDAY,
        deadline=time.perf_counter() + 5.0,
        settings=PLAN_SETTINGS,
    )
    (zone,) = plan.zones
    assert (zone.outcome, zone.targets, zone.routes) == (ZoneOutcome.SOLVED, "chain", "solver")
    assert plan.dissatisfaction_after < plan.dissatisfaction_before
