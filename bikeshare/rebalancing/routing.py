"""Truck routes for a set of moves, with OR-Tools routing.

Pickup-and-delivery formulation: every move is cut into truckload-sized pairs, a pickup at its
source and a drop at its target, served by one truck with the pickup first. The router chooses a
pair's size: a third, two thirds or all of its bikes (`size_alternatives`), at most one of them,
and skipping the pair costs a penalty equal to the dissatisfaction it removes,
expressed in metres of driving, so a pick-up earns nothing unless its bikes reach the station that
needs them. Bikes a truck already carries are planned as mandatory drops for that truck
(`LoadDrop`). Pairs are balanced and the mandatory drops sum to the load minus what may stay
aboard, so every route ends with at most `max_end_load` bikes; `check_routes` verifies it.

(A hard bound on the end load in the capacity dimension would say the same, but OR-Tools'
insertion heuristics then find no first solution: a route holding its start load is infeasible
until its last drop is inserted.)

A capacity dimension starts at each truck's current load and stays within [0, capacity]; a time
dimension (road driving plus handling per bike, from the shared `TruckModel`) bounds each route.
Routes are open: they end wherever the last visit is.
"""

import math
import time
from dataclasses import dataclass, replace

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from bikeshare.rebalancing.geo import distance_matrix_km, haversine_km
from bikeshare.rebalancing.model import Move, RouteStop, Truck, TruckModel, TruckRoute

MIN_SOLVER_MS = 20  # below this the solver rarely finds a first solution: the caller's fallback is better
SIZE_SHARES = (1 / 3, 2 / 3, 1.0)  # of a pair's bikes: the sizes the router may serve it with
# Pairs per truck offered in every size; the rest only whole (a dawn plan's hundreds of pairs in three sizes
# made a model too big to solve in a zone's share of the time).
SIZED_PAIRS_PER_TRUCK = 10


@dataclass(frozen=True)
class TruckSettings:
    """How the router plans: the truck model, a route's time limit, how many metres of driving one
    unit of removed dissatisfaction is worth, how many bikes a route may end with, and how many
    pickup-and-delivery pairs per truck the solver considers (the most valuable per minute of a truck's
    time; a route of an hour serves a handful, and a small model finds its first solution in time)."""

    model: TruckModel
    max_end_load: int
    max_route_min: float = 60.0
    # An expected lost rental saved is worth 20 km of road: the route's hours bound the work, and driving
    # should only break ties (at 2 km the full-city planner left trucks idle, moving 644 bikes to the rules' 2,180).
    metres_per_dissatisfaction: float = 20000.0
    pairs_per_truck: int = 10


def route_until_next_round(settings: TruckSettings, *, every_min: float) -> TruckSettings:
    """Routes for a fleet re-planned every `every_min` minutes: each as long as the time to the next round.

    A longer route is cut by the next plan halfway through: its pick-ups are made for drops that the new
    plan replaces with the nearest stations short of bikes (the load must go somewhere), and its first
    stops were chosen for a second half that never comes. Measured on the replay of the city (30 trucks of
    20, the conservative trucks, re-planning every 30 minutes, two mornings that are not the evaluation's):
    routes of 60 minutes 28.6 % fewer lost rentals than doing nothing, 30 minutes 31.4 %, 35 minutes 32.2 %,
    20 minutes 22.5 % (trucks idle until the next round), 90 minutes 27.1 %.
    """
    return replace(settings, max_route_min=every_min)


@dataclass(frozen=True)
class LoadDrop:
    """Part of what a truck already carries, to be dropped at `station` on its next route."""

    truck_id: int
    station: int
    bikes: int


@dataclass(frozen=True)
class _Visit:
    station: int
    load_change: int


def route_trucks(
    *,
    lat,
    lon,
    moves: list[Move],
    trucks: list[Truck],
    settings: TruckSettings,
    deadline: float,
    load_drops: list[LoadDrop] = (),
) -> list[TruckRoute] | None:
    """One route per truck (possibly empty) serving the most valuable moves within limits, or None when
    the solver finds no route before `deadline` (`time.perf_counter()`; building the model counts).

    Every `load_drops` entry is served by its truck.
    """
    if not trucks:
        return []
    pairs = truckload_pairs(moves=moves, truck_capacity=pair_bikes(settings=settings, trucks=trucks))
    pairs = _most_valuable_per_minute(pairs, lat=lat, lon=lon, model=settings.model)
    pairs = pairs[: settings.pairs_per_truck * len(trucks)]
    if not pairs and not load_drops:
        return [TruckRoute(truck_id=t.truck_id, stops=()) for t in trucks]

    model = settings.model
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    # Node layout: one start per truck, the load drops, each pair's size alternatives (pickup, drop), a free end.
    # Only the first pairs get smaller sizes: a dawn plan's hundreds of pairs in three sizes are too big a model.
    alternatives = [
        (number, pair)
        for number, whole in enumerate(pairs)
        for pair in (size_alternatives(whole) if number < SIZED_PAIRS_PER_TRUCK * len(trucks) else [whole])
    ]
    visits = [_Visit(d.station, -d.bikes) for d in load_drops]
    for _, pair in alternatives:
        visits += [_Visit(pair.source, pair.bikes), _Visit(pair.target, -pair.bikes)]
    stations = [t.station for t in trucks] + [v.station for v in visits]
    n_trucks, n_nodes = len(trucks), len(stations) + 1
    end_node = n_nodes - 1
    road_km = np.zeros((n_nodes, n_nodes))
    road_km[:-1, :-1] = model.road_km(distance_matrix_km(lat=lat[stations], lon=lon[stations]))
    road_km[:, end_node] = 0.0
    load_change = np.zeros(n_nodes, dtype=int)
    load_change[n_trucks:end_node] = [v.load_change for v in visits]
    handling_s = np.abs(load_change) * model.handling_min_per_bike * 60
    travel_s = road_km / model.speed_kmh * 3600

    manager = pywrapcp.RoutingIndexManager(n_nodes, n_trucks, list(range(n_trucks)), [end_node] * n_trucks)
    routing = pywrapcp.RoutingModel(manager)
    # A pair's alternatives share one disjunction, whose penalty is the whole pair's value; a smaller
    # alternative pays what it falls short of that on the arc leaving its pickup, so it earns its own value.
    first_pair_node = n_trucks + len(load_drops)
    shortfall_m = np.zeros(n_nodes)
    for offset, (number, pair) in enumerate(alternatives):
        shortfall_m[first_pair_node + 2 * offset] = (
            pairs[number].value - pair.value
        ) * settings.metres_per_dissatisfaction
    distance_cb = routing.RegisterTransitMatrix(np.rint(road_km * 1000 + shortfall_m[:, None]).astype(int).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(distance_cb)

    time_cb = routing.RegisterTransitMatrix(np.rint(travel_s + handling_s[:, None]).astype(int).tolist())
    routing.AddDimension(time_cb, 0, int(settings.max_route_min * 60), False, "time")
    time_dimension = routing.GetDimensionOrDie("time")

    load_cb = routing.RegisterUnaryTransitVector(load_change.tolist())
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, [t.capacity for t in trucks], False, "load")
    load_dimension = routing.GetDimensionOrDie("load")
    for vehicle, truck in enumerate(trucks):
        load_dimension.CumulVar(routing.Start(vehicle)).SetValue(int(truck.load))
        # A truck still finishing its current stop starts its route that much later (never past the limit).
        busy_s = min(round(truck.busy_min * 60), int(settings.max_route_min * 60))
        time_dimension.CumulVar(routing.Start(vehicle)).SetValue(busy_s)

    vehicle_of = {t.truck_id: vehicle for vehicle, t in enumerate(trucks)}
    for offset, drop in enumerate(load_drops):
        # Mandatory (no disjunction) and tied to the truck that carries the bikes.
        routing.VehicleVar(manager.NodeToIndex(n_trucks + offset)).SetValue(vehicle_of[drop.truck_id])

    solver = routing.solver()
    pickups_of = [[] for _ in pairs]
    for offset, (number, _) in enumerate(alternatives):
        pickup = manager.NodeToIndex(first_pair_node + 2 * offset)
        drop = manager.NodeToIndex(first_pair_node + 2 * offset + 1)
        routing.AddPickupAndDelivery(pickup, drop)
        solver.Add(routing.ActiveVar(pickup) == routing.ActiveVar(drop))
        solver.Add(routing.VehicleVar(pickup) == routing.VehicleVar(drop))
        solver.Add(time_dimension.CumulVar(pickup) <= time_dimension.CumulVar(drop))
        routing.AddDisjunction([drop], 0)
        pickups_of[number].append(pickup)
    for pickups, pair in zip(pickups_of, pairs, strict=True):
        # The pair's value is charged once, on its pickups (at most one size); the drops follow in or out.
        routing.AddDisjunction(pickups, max(1, round(pair.value * settings.metres_per_dissatisfaction)), 1)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    milliseconds = int((deadline - time.perf_counter()) * 1000)
    if milliseconds < MIN_SOLVER_MS:
        return None
    parameters.time_limit.FromMilliseconds(milliseconds)
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return None

    routes = []
    for vehicle, truck in enumerate(trucks):
        stops, load = [], truck.load
        previous = manager.IndexToNode(routing.Start(vehicle))
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            load += int(load_change[node])
            change = int(load_change[node])
            if stops and stops[-1].station == stations[node] and (stops[-1].load_change > 0) == (change > 0):
                # Two pairs served back to back at one station are one stop for the crew.
                stops[-1] = replace(stops[-1], load_change=stops[-1].load_change + change, load_after=load)
            else:
                stops.append(
                    RouteStop(
                        station=int(stations[node]),
                        load_change=change,
                        load_after=load,
                        distance_km=float(road_km[previous, node]),
                        arrival_min=solution.Value(time_dimension.CumulVar(index)) / 60.0,
                    )
                )
            previous = node
            index = solution.Value(routing.NextVar(index))
        routes.append(TruckRoute(truck_id=truck.truck_id, stops=tuple(stops)))
    return routes


def pair_bikes(*, settings: TruckSettings, trucks: list[Truck]) -> int:
    """The most bikes in one pickup-and-delivery pair: a truckload, or what a route has time to handle at
    both ends in half its minutes (the rest for driving), so a short route can still carry part of a big move."""
    handled_in_half_route = settings.max_route_min / 2 / (2 * max(settings.model.handling_min_per_bike, 1e-9))
    return max(1, min(max((t.capacity for t in trucks), default=1), int(handled_in_half_route)))


def size_alternatives(pair: Move) -> list[Move]:
    """The sizes the router may serve a pair with (a third, two thirds or all of its bikes), each worth its
    share of the pair's value: a route with ten minutes left can still carry part of a big move."""
    sizes = sorted({max(1, math.ceil(share * pair.bikes)) for share in SIZE_SHARES})
    return [Move(pair.source, pair.target, size, pair.value * size / pair.bikes) for size in sizes]


def truckload_pairs(*, moves: list[Move], truck_capacity: int) -> list[Move]:
    """Each move cut into truckloads, its value shared pro rata, most valuable first."""
    pairs = []
    for move in moves:
        remaining = move.bikes
        while remaining > 0:
            chunk = min(remaining, truck_capacity)
            pairs.append(Move(move.source, move.target, chunk, move.value * chunk / move.bikes))
            remaining -= chunk
    return sorted(pairs, key=lambda pair: -pair.value)


def _most_valuable_per_minute(pairs: list[Move], *, lat, lon, model: TruckModel) -> list[Move]:
    """The pairs by value per minute of carrying them (handling at both ends and the drive between), best first:
    a far pair of high value costs a route more of its minutes than a near one."""
    if not pairs:
        return pairs
    sources = np.array([p.source for p in pairs])
    targets = np.array([p.target for p in pairs])
    straight = haversine_km(
        lat1=np.asarray(lat)[sources],
        lon1=np.asarray(lon)[sources],
        lat2=np.asarray(lat)[targets],
        lon2=np.asarray(lon)[targets],
    )
    minutes = model.driving_min(straight) + 2 * model.handling_min_per_bike * np.array([p.bikes for p in pairs])
    rate = np.array([p.value for p in pairs]) / np.maximum(minutes, 1e-6)
    return [pairs[i] for i in np.argsort(-rate, kind="stable")]


def check_routes(*, routes: list[TruckRoute], trucks: list[Truck], max_end_load: int = 0) -> None:
    """Raise ValueError if a route overloads its truck, drops bikes it does not carry, or ends with
    more than `max_end_load` bikes aboard."""
    by_id = {t.truck_id: t for t in trucks}
    for route in routes:
        truck = by_id[route.truck_id]
        load = truck.load
        for stop in route.stops:
            load += stop.load_change
            if load != stop.load_after or not 0 <= load <= truck.capacity:
                raise ValueError(f"truck {truck.truck_id} has load {load} at station {stop.station}")
        if load > max_end_load:
            raise ValueError(f"truck {truck.truck_id} ends its route with {load} bikes aboard")
