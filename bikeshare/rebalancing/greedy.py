"""The router's fast fallback: greedy truck routes, for a zone the solver cannot route in time.

Each truck first drops the bikes it carries (its `LoadDrop`s, nearest first, whatever the route's
time limit: bikes are never stranded aboard). Then, repeatedly, the (truck, truckload) pairing with
the most value per minute of work (driving to the pickup, loading, driving to the drop, unloading)
that still fits the truck's time and room is appended to that truck's route, pickup then drop.
Every pair is delivered whole right after its pickup, so routes end with what they started with
after the load drops. Milliseconds for a zone of tens of trucks and hundreds of pairs.
"""

import numpy as np

from bikeshare.rebalancing.geo import distance_matrix_km
from bikeshare.rebalancing.model import Move, RouteStop, Truck, TruckModel, TruckRoute
from bikeshare.rebalancing.routing import LoadDrop, TruckSettings, pair_bikes, truckload_pairs


class _Route:
    def __init__(self, truck: Truck):
        self.truck, self.here, self.load, self.stops = truck, truck.station, truck.load, []
        self.minutes = truck.busy_min  # a truck finishing its current stop starts late

    def visit(self, *, station: int, change: int, straight_km, model: TruckModel) -> None:
        straight = straight_km.between(self.here, station)
        self.minutes += model.driving_min(straight)
        self.load += change
        self.stops.append(RouteStop(station, change, self.load, float(model.road_km(straight)), self.minutes))
        self.minutes += abs(change) * model.handling_min_per_bike
        self.here = station


class _Distances:
    """Straight-line km between the few stations a zone's routes can visit, indexed by station."""

    def __init__(self, *, lat, lon, stations):
        self.index = {station: row for row, station in enumerate(stations)}
        self.matrix = distance_matrix_km(lat=np.asarray(lat)[stations], lon=np.asarray(lon)[stations])

    def rows(self, stations) -> np.ndarray:
        return np.array([self.index[int(station)] for station in stations], dtype=int)

    def __getitem__(self, pair):
        """km from one station to each of some stations."""
        here, there = pair
        return self.matrix[self.index[here], self.rows(there)]

    def between(self, here: int, there: int) -> float:
        return float(self.matrix[self.index[here], self.index[there]])

    def from_station(self, here: int, rows: np.ndarray) -> np.ndarray:
        return self.matrix[self.index[here], rows]


def greedy_routes(
    *, lat, lon, moves: list[Move], trucks: list[Truck], settings: TruckSettings, load_drops: list[LoadDrop] = ()
) -> list[TruckRoute]:
    """One route per truck: its load drops, then the most valuable truckloads per minute that fit."""
    model = settings.model
    pairs = truckload_pairs(moves=moves, truck_capacity=pair_bikes(settings=settings, trucks=trucks))
    sources = np.array([p.source for p in pairs], dtype=int)
    targets = np.array([p.target for p in pairs], dtype=int)
    visited = {t.station for t in trucks} | {d.station for d in load_drops} | set(sources) | set(targets)
    straight_km = _Distances(lat=lat, lon=lon, stations=sorted(int(s) for s in visited))
    routes = [_Route(truck) for truck in trucks]
    for route in routes:
        pending = [d for d in load_drops if d.truck_id == route.truck.truck_id]
        while pending:
            drop = pending.pop(int(np.argmin(straight_km[route.here, [d.station for d in pending]])))
            route.visit(station=drop.station, change=-drop.bikes, straight_km=straight_km, model=model)

    bikes = np.array([p.bikes for p in pairs], dtype=float)
    values = np.array([p.value for p in pairs], dtype=float)
    source_rows, target_rows = straight_km.rows(sources), straight_km.rows(targets)
    carry_min = model.driving_min(straight_km.matrix[source_rows, target_rows])
    open_pairs = np.ones(len(pairs), dtype=bool)
    while open_pairs.any():
        best = None
        for number, route in enumerate(routes):
            room = route.truck.capacity - route.load
            if room <= 0:
                continue
            taken = np.minimum(bikes, room)
            work = (
                model.driving_min(straight_km[route.here, sources])
                + carry_min
                + 2 * taken * model.handling_min_per_bike
            )
            fits = open_pairs & (route.minutes + work <= settings.max_route_min)
            if not fits.any():
                continue
            per_minute = np.where(fits, values * taken / bikes / np.maximum(work, 1e-6), -np.inf)
            pair = int(np.argmax(per_minute))
            if best is None or per_minute[pair] > best[0]:
                best = (per_minute[pair], number, pair, int(taken[pair]))
        if best is None:
            break
        _, number, pair, taken = best
        routes[number].visit(station=int(sources[pair]), change=taken, straight_km=straight_km, model=model)
        routes[number].visit(station=int(targets[pair]), change=-taken, straight_km=straight_km, model=model)
        open_pairs[pair] = False
    return [TruckRoute(truck_id=route.truck.truck_id, stops=tuple(route.stops)) for route in routes]
