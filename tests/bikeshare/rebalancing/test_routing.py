import pytest

from bikeshare.rebalancing.model import Move, RouteStop, Truck, TruckRoute
from bikeshare.rebalancing.routing import TruckSettings, check_routes, route_trucks


def test_a_move_bigger_than_the_truck_is_served_in_loads_within_capacity(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2], docks=[20] * 3)
    trucks = [Truck(truck_id=7, station=2, load=0, capacity=5)]
    moves = [Move(source=0, target=1, bikes=8, value=80.0)]
    routes = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TruckSettings(),
        time_limit_s=1.0,
    )
    (route,) = routes
    assert route.truck_id == 7
    assert all(0 <= stop.load_after <= 5 for stop in route.stops)
    assert route.bikes_dropped == 8
    assert sum(stop.load_change for stop in route.stops if stop.station == 0) == 8
    check_routes(routes=routes, trucks=trucks)


def test_a_loaded_truck_can_drop_what_it_carries_before_picking_up(make_line_network):
    network = make_line_network(km_positions=[0, 1], docks=[20] * 2)
    trucks = [Truck(truck_id=1, station=0, load=20, capacity=20)]
    # The truck is full and starts at the pickup: it must drive away to drop first, then return.
    moves = [Move(source=0, target=1, bikes=10, value=100.0)]
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TruckSettings(),
        time_limit_s=1.0,
    )
    assert [(s.station, s.load_change) for s in route.stops] == [(1, -10), (0, 10)]


def test_visits_worth_less_than_the_drive_are_skipped(make_line_network):
    network = make_line_network(km_positions=[0, 10, 11], docks=[20] * 3)
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=20)]
    moves = [Move(source=1, target=2, bikes=2, value=0.1)]
    (route,) = route_trucks(
        lat=network.lat,
        lon=network.lon,
        moves=moves,
        trucks=trucks,
        settings=TruckSettings(metres_per_dissatisfaction=1000),
        time_limit_s=1.0,
    )
    assert route.stops == ()


def test_route_check_rejects_an_overloaded_truck():
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=5)]
    stop = RouteStop(station=3, load_change=6, load_after=6, distance_km=1.0, arrival_min=3.0)
    with pytest.raises(ValueError, match="load 6"):
        check_routes(routes=[TruckRoute(truck_id=1, stops=(stop,))], trucks=trucks)
