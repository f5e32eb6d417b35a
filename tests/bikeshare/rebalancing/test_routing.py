import time
from dataclasses import replace

import pytest

from bikeshare.rebalancing.model import Move, RouteStop, Truck, TruckRoute
from bikeshare.rebalancing.routing import LoadDrop, check_routes, route_trucks
from tests.bikeshare.rebalancing.conftest import TRUCKS


def test_a_move_bigger_than_the_truck_is_served_in_loads_within_capacity(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[20] * 3)
    trucks = [Truck(truck_id=7, station=2, load=0, capacity=5)]
    moves = [Move(source=0, target=1, bikes=8, value=80.0)]
    routes = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TRUCKS,
        deadline=time.perf_counter() + 1.0,
    )
    (route,) = routes
    assert route.truck_id == 7
    assert all(0 <= stop.load_after <= 5 for stop in route.stops)
    assert route.bikes_dropped == 8
    assert sum(stop.load_change for stop in route.stops if stop.station == 0) == 8
    check_routes(routes=routes, trucks=trucks)


def test_a_full_truck_drops_its_load_before_picking_up(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=20, capacity=20)]
    # The truck is full and starts at the pickup: it must drive away to drop first, then return.
    moves = [Move(source=0, target=1, bikes=10, value=100.0)]
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TRUCKS,
        deadline=time.perf_counter() + 1.0,
        load_drops=[LoadDrop(truck_id=1, station=1, bikes=20)],
    )
    assert [(s.station, s.load_change) for s in route.stops] == [(1, -20), (0, 10), (1, -10)]
    assert route.stops[-1].load_after == 0


def test_routes_end_empty_and_every_pickup_is_dropped_at_its_target(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 1, 1.5, 2, 2.5], docks=[20] * 6)
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=10), Truck(truck_id=2, station=5, load=0, capacity=10)]
    moves = [
        Move(source=0, target=3, bikes=7, value=50.0),
        Move(source=1, target=4, bikes=12, value=60.0),
        Move(source=2, target=5, bikes=4, value=30.0),
    ]
    routes = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TRUCKS,
        deadline=time.perf_counter() + 1.0,
    )
    check_routes(routes=routes, trucks=trucks)
    assert all(route.stops[-1].load_after == 0 for route in routes if route.stops)
    delivered = {}
    for route in routes:
        for stop in route.stops:
            delivered[stop.station] = delivered.get(stop.station, 0) + stop.load_change
    assert delivered == {0: 7, 1: 12, 2: 4, 3: -7, 4: -12, 5: -4}


def test_no_pickup_is_made_when_its_drop_is_out_of_reach(make_line_network):
    network = make_line_network(km_positions=[0, 0.2, 30], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=20)]
    # The pickup is next door but its drop is 42 km of road away, beyond an hour's route.
    moves = [Move(source=1, target=2, bikes=10, value=10_000.0)]
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TRUCKS,
        deadline=time.perf_counter() + 1.0,
    )
    assert route.stops == ()


def test_a_route_may_end_with_the_configured_load(make_line_network):
    network = make_line_network(km_positions=[0, 1], docks=[20] * 2)
    trucks = [Truck(truck_id=1, station=0, load=6, capacity=20)]
    settings = replace(TRUCKS, max_end_load=2)
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=[],
        trucks=trucks,
        settings=settings,
        deadline=time.perf_counter() + 1.0,
        load_drops=[LoadDrop(truck_id=1, station=1, bikes=4)],
    )
    assert [(s.station, s.load_after) for s in route.stops] == [(1, 2)]
    check_routes(routes=[route], trucks=trucks, max_end_load=2)
    with pytest.raises(ValueError, match="ends its route with 2 bikes"):
        check_routes(routes=[route], trucks=trucks)


def test_visits_worth_less_than_the_drive_are_skipped(make_line_network):
    network = make_line_network(km_positions=[0, 10, 11], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=20)]
    moves = [Move(source=1, target=2, bikes=2, value=0.1)]
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=replace(TRUCKS, metres_per_dissatisfaction=1000),
        deadline=time.perf_counter() + 1.0,
    )
    assert route.stops == ()


def test_route_check_rejects_an_overloaded_truck():
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=5)]
    stop = RouteStop(station=3, load_change=6, load_after=6, distance_km=1.0, arrival_min=3.0)
    with pytest.raises(ValueError, match="load 6"):
        check_routes(routes=[TruckRoute(truck_id=1, stops=(stop,))], trucks=trucks)


def test_the_solver_answers_none_when_no_route_fits_the_time_limit(make_line_network):
    network = make_line_network(km_positions=[0, 3, 5], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=12, capacity=20)]
    drops = [LoadDrop(truck_id=1, station=2, bikes=5), LoadDrop(truck_id=1, station=1, bikes=7)]
    # Five minutes of route cannot reach a drop 4.2 km of road away, and the drops are mandatory.
    routes = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=[Move(source=0, target=1, bikes=3, value=50.0)],
        trucks=trucks,
        settings=replace(TRUCKS, max_route_min=5),
        deadline=time.perf_counter() + 0.5,
        load_drops=drops,
    )
    assert routes is None


@pytest.mark.parametrize("route", ["solver", "greedy"])
def test_a_truck_still_busy_at_its_current_stop_has_that_much_less_route_time(make_line_network, route):
    from bikeshare.rebalancing.greedy import greedy_routes

    network = make_line_network(km_positions=[0, 1], docks=[20] * 2)
    # 5 bikes from 0 to 1: 5 + 5 minutes of handling and 1.4 road km, about 14 minutes of a 20-minute route.
    settings = replace(TRUCKS, max_route_min=20.0)
    moves = [Move(source=0, target=1, bikes=5, value=50.0)]

    def served(busy_min):
        truck = Truck(truck_id=1, station=0, load=0, capacity=10, busy_min=busy_min)
        common = {"lat": network.lat, "lon": network.lon, "moves": moves, "trucks": [truck], "settings": settings}
        if route == "greedy":
            (planned,) = greedy_routes(**common)
        else:
            (planned,) = route_trucks(**common, deadline=time.perf_counter() + 1.0)
        return planned

    free = served(0.0)
    assert free.bikes_dropped == 5
    assert free.stops[0].arrival_min == pytest.approx(0.0)
    assert served(4.0).stops[0].arrival_min == pytest.approx(4.0)
    # With 10 minutes left the whole move no longer fits: at most part of it (the solver may carry fewer bikes).
    late = served(10.0)
    assert late.bikes_dropped < 5
    handling = TRUCKS.model.handling_min_per_bike
    assert all(stop.arrival_min + abs(stop.load_change) * handling <= 20.0 for stop in late.stops)


def test_a_route_carries_part_of_a_move_when_the_whole_does_not_fit_its_time(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 2], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=20)]
    # 5 bikes 0 -> 1 take about 12 of the 30 minutes; all 7 bikes 1 -> 2 would take 20 more, 5 of them 16.
    moves = [Move(source=0, target=1, bikes=5, value=100.0), Move(source=1, target=2, bikes=7, value=70.0)]
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=replace(TRUCKS, max_route_min=30.0),
        deadline=time.perf_counter() + 1.0,
    )
    dropped = {stop.station: -stop.load_change for stop in route.stops if stop.load_change < 0}
    assert dropped[1] == 5
    assert 0 < dropped[2] < 7
    last = route.stops[-1]
    assert last.load_after == 0
    assert last.arrival_min + abs(last.load_change) * TRUCKS.model.handling_min_per_bike <= 30.0
