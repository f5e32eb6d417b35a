"""The router's fast fallback: greedy truck routes, for a zone the solver cannot route in time.

Each truck first drops the bikes it carries (its `LoadDrop`s, nearest first, whatever the route's
time limit: bikes are never stranded aboard). Then, repeatedly, the (truck, truckload) pairing with
the most value per minute of work (driving to the pickup, loading, driving to the drop, unloading)
that still fits the truck's time and room is appended to that truck's route, pickup then drop.
Every pair is delivered whole right after its pickup, so routes end with what they started with
after the load drops. Milliseconds for a zone of tens of trucks and hundreds of pairs.
"""

import numpy as np

from bikeshare.rebalancing.geo import haversine_km
from bikeshare.rebalancing.model import Move, RouteStop, Truck, TruckModel, TruckRoute
from bikeshare.rebalancing.routing import LoadDrop, TruckSettings, truckload_pairs


class _Route:
    def __init__(self, truck: Truck):
        self.truck, self.here, self.load, self.minutes, self.stops = truck, truck.station, truck.load, 0.0, []

    def visit(self, *, station: int, change: int, lat, lon, model: TruckModel) -> None:
        straight = float(haversine_km(lat1=lat[self.here], lon1=lon[self.here], lat2=lat[station], lon2=lon[station]))
        self.minutes += model.driving_min(straight)
        self.load += change
        self.stops.append(RouteStop(station, change, self.load, float(model.road_km(straight)), self.minutes))
        self.minutes += abs(change) * model.handling_min_per_bike
        self.here = station


def greedy_routes(
    *, lat, lon, moves: list[Move], trucks: list[Truck], settings: TruckSettings, load_drops: list[LoadDrop] = ()
) -> list[TruckRoute]:
    """One route per truck: its load drops, then the most valuable truckloads per minute that fit."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    model = settings.model
    routes = [_Route(truck) for truck in trucks]
    for route in routes:
        pending = [d for d in load_drops if d.truck_id == route.truck.truck_id]
        while pending:
            straight = haversine_km(
                lat1=lat[route.here],
                lon1=lon[route.here],
                lat2=lat[[d.station for d in pending]],
                lon2=lon[[d.station for d in pending]],
            )
            drop = pending.pop(int(np.argmin(straight)))
            route.visit(station=drop.station, change=-drop.bikes, lat=lat, lon=lon, model=model)

    pairs = truckload_pairs(moves=moves, truck_capacity=max((t.capacity for t in trucks), default=1))
    sources = np.array([p.source for p in pairs], dtype=int)
    targets = np.array([p.target for p in pairs], dtype=int)
    bikes = np.array([p.bikes for p in pairs], dtype=float)
    values = np.array([p.value for p in pairs], dtype=float)
    carry_min = model.driving_min(
        haversine_km(lat1=lat[sources], lon1=lon[sources], lat2=lat[targets], lon2=lon[targets])
    )
    open_pairs = np.ones(len(pairs), dtype=bool)
    while open_pairs.any():
        best = None
        for number, route in enumerate(routes):
            room = route.truck.capacity - route.load
            if room <= 0:
                continue
            taken = np.minimum(bikes, room)
            to_pickup = model.driving_min(
                haversine_km(lat1=lat[route.here], lon1=lon[route.here], lat2=lat[sources], lon2=lon[sources])
            )
            work = to_pickup + carry_min + 2 * taken * model.handling_min_per_bike
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
        routes[number].visit(station=int(sources[pair]), change=taken, lat=lat, lon=lon, model=model)
        routes[number].visit(station=int(targets[pair]), change=-taken, lat=lat, lon=lon, model=model)
        open_pairs[pair] = False
    return [TruckRoute(truck_id=route.truck.truck_id, stops=tuple(route.stops)) for route in routes]
