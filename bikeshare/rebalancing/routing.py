"""Truck routes for a set of moves, with OR-Tools routing.

Load-based formulation: every station a move touches becomes one or more visits with a signed
load change (pickups positive, drops negative, at most a truckload each). A capacity dimension
starts at each truck's current load and must stay within [0, capacity] after every visit, so a
truck can drop what it already carries and never drops bikes it does not have. A time dimension
(driving plus handling per bike) bounds each route. Every visit is optional: skipping it costs a
penalty equal to the dissatisfaction it removes, expressed in metres of driving, so the solver
trades kilometres against service. Routes are open: they end wherever the last visit is.
"""

from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from bikeshare.rebalancing.geo import distance_matrix_km
from bikeshare.rebalancing.model import Move, RouteStop, Truck, TruckRoute


@dataclass(frozen=True)
class TruckSettings:
    """How trucks move: speed in town, minutes to load or unload one bike, a route's time limit,
    and how many metres of driving one unit of removed dissatisfaction is worth."""

    speed_kmh: float = 20.0
    handling_min_per_bike: float = 0.5
    max_route_min: float = 60.0
    metres_per_dissatisfaction: float = 2000.0


@dataclass(frozen=True)
class _Visit:
    station: int
    load_change: int
    value: float


def route_trucks(
    *,
    lat,
    lon,
    moves: list[Move],
    trucks: list[Truck],
    settings: TruckSettings,
    time_limit_s: float,
) -> list[TruckRoute]:
    """One route per truck (possibly empty) serving the most valuable visits within limits."""
    visits = _visits_from_moves(moves=moves, truck_capacity=max(t.capacity for t in trucks))
    if not visits or not trucks:
        return [TruckRoute(truck_id=t.truck_id, stops=()) for t in trucks]

    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    # Node layout: one start per truck, then the visits, then a shared free end node.
    stations = [t.station for t in trucks] + [v.station for v in visits]
    n_trucks, n_nodes = len(trucks), len(stations) + 1
    end_node = n_nodes - 1
    km = np.zeros((n_nodes, n_nodes))
    km[:-1, :-1] = distance_matrix_km(lat=lat[stations], lon=lon[stations])
    km[:, end_node] = 0.0
    load_change = np.zeros(n_nodes, dtype=int)
    load_change[n_trucks:end_node] = [v.load_change for v in visits]
    handling_s = np.abs(load_change) * settings.handling_min_per_bike * 60
    travel_s = km / settings.speed_kmh * 3600

    manager = pywrapcp.RoutingIndexManager(n_nodes, n_trucks, list(range(n_trucks)), [end_node] * n_trucks)
    routing = pywrapcp.RoutingModel(manager)
    metres = np.rint(km * 1000).astype(int)
    distance_cb = routing.RegisterTransitMatrix(metres.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(distance_cb)

    time_matrix = np.rint(travel_s + handling_s[:, None]).astype(int)
    time_cb = routing.RegisterTransitMatrix(time_matrix.tolist())
    max_route_s = int(settings.max_route_min * 60)
    routing.AddDimension(time_cb, 0, max_route_s, True, "time")

    load_cb = routing.RegisterUnaryTransitVector(load_change.tolist())
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, [t.capacity for t in trucks], False, "load")
    load_dimension = routing.GetDimensionOrDie("load")
    for vehicle, truck in enumerate(trucks):
        load_dimension.CumulVar(routing.Start(vehicle)).SetValue(int(truck.load))

    for offset, visit in enumerate(visits):
        penalty = max(1, round(visit.value * settings.metres_per_dissatisfaction))
        routing.AddDisjunction([manager.NodeToIndex(n_trucks + offset)], penalty)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return [TruckRoute(truck_id=t.truck_id, stops=()) for t in trucks]

    time_dimension = routing.GetDimensionOrDie("time")
    routes = []
    for vehicle, truck in enumerate(trucks):
        stops, load = [], truck.load
        previous = manager.IndexToNode(routing.Start(vehicle))
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            load += int(load_change[node])
            stops.append(
                RouteStop(
                    station=int(stations[node]),
                    load_change=int(load_change[node]),
                    load_after=load,
                    distance_km=float(km[previous, node]),
                    arrival_min=solution.Value(time_dimension.CumulVar(index)) / 60.0,
                )
            )
            previous = node
            index = solution.Value(routing.NextVar(index))
        routes.append(TruckRoute(truck_id=truck.truck_id, stops=tuple(stops)))
    return routes


def _visits_from_moves(*, moves, truck_capacity):
    """Net each station's pickups and drops, then cut into truckload-sized visits."""
    net, value = {}, {}
    for move in moves:
        net[move.source] = net.get(move.source, 0) + move.bikes
        net[move.target] = net.get(move.target, 0) - move.bikes
        # Half of a move's value is credited to each end; both ends are needed to earn it.
        value[move.source] = value.get(move.source, 0.0) + move.value / 2
        value[move.target] = value.get(move.target, 0.0) + move.value / 2
    visits = []
    for station, change in sorted(net.items()):
        if change == 0:
            continue
        per_bike = value[station] / abs(change)
        remaining = abs(change)
        while remaining > 0:
            chunk = min(remaining, truck_capacity)
            visits.append(
                _Visit(
                    station=station,
                    load_change=int(np.sign(change)) * chunk,
                    value=per_bike * chunk,
                )
            )
            remaining -= chunk
    return visits


def check_routes(*, routes: list[TruckRoute], trucks: list[Truck]) -> None:
    """Raise ValueError if any route overloads its truck or drops bikes it does not carry."""
    by_id = {t.truck_id: t for t in trucks}
    for route in routes:
        truck = by_id[route.truck_id]
        load = truck.load
        for stop in route.stops:
            load += stop.load_change
            if load != stop.load_after or not 0 <= load <= truck.capacity:
                raise ValueError(f"truck {truck.truck_id} has load {load} at station {stop.station}")
