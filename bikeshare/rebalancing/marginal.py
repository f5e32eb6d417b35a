"""Routes by marginal value per minute: the construction heuristic that competes with the solver zone by zone.

The solver serves truckload pairs cut from the flow's moves, so a stop's size is fixed before routing.
Here a stop's size follows each station's dissatisfaction curve F(s): picking k bikes at station i
removes F(s_i) - F(s_i - k), dropping them at j removes F(s_j) - F(s_j + k), and both shrink as the
gap closes. Whichever truck is free earliest takes the pickup-and-drop (i, j, k) with the most
dissatisfaction removed per minute of work (driving there, loading, carrying, unloading) whose drop
it reaches within the route's time; the stock it leaves is what the next truck sees, so two trucks
never serve the same need. A pick-up always travels with its drop, so routes end with what they
held after the truck's own load was dropped (nearest first, whatever the time, as the solver does).
"""

import numpy as np

from bikeshare.rebalancing.geo import distance_matrix_km
from bikeshare.rebalancing.model import RouteStop, Truck, TruckModel, TruckRoute
from bikeshare.rebalancing.routing import LoadDrop, TruckSettings

# Stations a truck considers per step, on each side: the most valuable ones, and sources near the truck
# (a neighbour with little surplus beats a far one with more). Enough for a zone of hundreds of stations.
VALUABLE_STATIONS = 60
NEARBY_SOURCES = 20


class _Route:
    def __init__(self, truck: Truck, row: int, capacity: int):
        self.truck, self.here, self.load, self.stops = truck, row, truck.load, []
        self.capacity = capacity
        self.minutes = truck.busy_min  # a truck finishing its current stop starts late

    def visit(self, *, row: int, station: int, change: int, straight_km: np.ndarray, model: TruckModel) -> None:
        straight = straight_km[self.here, row]
        self.minutes += model.driving_min(straight)
        self.load += change
        self.stops.append(RouteStop(station, change, self.load, float(model.road_km(straight)), float(self.minutes)))
        self.minutes += abs(change) * model.handling_min_per_bike
        self.here = row


def marginal_routes(
    *,
    lat,
    lon,
    members,
    stock,
    dissatisfaction,
    trucks: list[Truck],
    settings: TruckSettings,
    load_drops: list[LoadDrop] = (),
) -> list[TruckRoute]:
    """One route per truck in a zone: its load drops, then the pickups-and-drops worth most per minute.

    `members` are the zone's stations (network indices, every truck and load drop among them),
    `stock` bikes per network station, `dissatisfaction` F per member row and stock (+inf beyond capacity).
    """
    model, members = settings.model, np.asarray(members)
    row_of = {int(station): row for row, station in enumerate(members)}
    straight_km = distance_matrix_km(lat=np.asarray(lat)[members], lon=np.asarray(lon)[members])
    level = np.asarray(stock)[members].astype(int)
    curve = np.asarray(dissatisfaction, dtype=float)
    routes = [_Route(t, row_of[t.station], t.capacity) for t in trucks]
    driving_min = model.driving_min(straight_km)
    handling = model.handling_min_per_bike
    for route in sorted(routes, key=lambda r: r.minutes):
        to_drop = route.load - settings.max_end_load
        while to_drop > 0:
            sizes = np.arange(1, to_drop + 1)
            drop = _best_load_drop(
                drop_gain=_gains(curve, level, sizes), minutes=driving_min[route.here][:, None] + handling * sizes
            )
            if drop is None:  # no room for chained bikes anywhere in the zone: the planner's own drops
                drops = [d for d in load_drops if d.truck_id == route.truck.truck_id]
                row, bikes = row_of[drops[0].station] if drops else route.here, to_drop
            else:
                row, bikes = drop[0], int(sizes[drop[1]])
            route.visit(row=row, station=int(members[row]), change=-bikes, straight_km=straight_km, model=model)
            level[row] += bikes
            to_drop -= bikes

    most_bikes = max((t.capacity for t in trucks), default=0)
    sizes = np.arange(1, most_bikes + 1)
    active = [route for route in routes if route.capacity > route.load]
    while active and most_bikes:
        route = min(active, key=lambda r: r.minutes)
        best = _best_pair(
            route=route,
            pick_gain=_gains(curve, level, -sizes),
            drop_gain=_gains(curve, level, sizes),
            sizes=sizes,
            driving_min=driving_min,
            handling=handling,
            limit_min=settings.max_route_min,
        )
        if best is None:
            active.remove(route)
            continue
        source, target, bikes = best
        for row, change in ((source, bikes), (target, -bikes)):
            route.visit(row=row, station=int(members[row]), change=change, straight_km=straight_km, model=model)
            level[row] -= change
    return [TruckRoute(truck_id=route.truck.truck_id, stops=tuple(route.stops)) for route in routes]


def _best_load_drop(*, drop_gain: np.ndarray, minutes: np.ndarray):
    """(row, size index) for the next part of a truck's own load, whatever the route's time: the most value
    per minute where a drop helps, else the least harm per bike (nearest on a tie); None if no station has room."""
    if np.any(drop_gain > 0):
        score = np.where(drop_gain > 0, drop_gain / np.maximum(minutes, 1e-6), -np.inf)
    else:
        score = drop_gain / np.arange(1, drop_gain.shape[1] + 1) - 1e-6 * minutes
    best = np.unravel_index(int(np.argmax(score)), score.shape)
    return (int(best[0]), int(best[1])) if np.isfinite(score[best]) else None


def _gains(curve: np.ndarray, level: np.ndarray, changes: np.ndarray) -> np.ndarray:
    """F(s) - F(s + change) per station and change: -inf where the new stock is impossible."""
    after = level[:, None] + changes[None, :]
    possible = (after >= 0) & (after < curve.shape[1])
    rows = np.arange(len(level))[:, None]
    now = curve[np.arange(len(level)), np.minimum(level, curve.shape[1] - 1)][:, None]
    later = curve[rows, np.clip(after, 0, curve.shape[1] - 1)]
    gain = np.where(possible & np.isfinite(later) & np.isfinite(now), now - later, -np.inf)
    return gain


def _best_pair(*, route: _Route, pick_gain, drop_gain, sizes, driving_min, handling, limit_min):
    """(source row, target row, bikes) with the most value per minute that the route reaches in time, or None."""
    room = route.capacity - route.load
    sizes = sizes[:room]
    pick_gain, drop_gain = pick_gain[:, :room], drop_gain[:, :room]
    to_source = driving_min[route.here]
    reachable = route.minutes + to_source <= limit_min
    pick_best = np.where(reachable, pick_gain.max(axis=1), -np.inf)
    sources = np.union1d(
        _top(pick_best, VALUABLE_STATIONS),
        _top(np.where(np.isfinite(pick_best), -to_source, -np.inf), NEARBY_SOURCES),
    )
    targets = _top(drop_gain.max(axis=1), VALUABLE_STATIONS)
    if not len(sources) or not len(targets):
        return None
    value = pick_gain[sources][:, None, :] + drop_gain[targets][None, :, :]
    carry = driving_min[np.ix_(sources, targets)]
    at_drop = route.minutes + to_source[sources][:, None, None] + carry[:, :, None] + handling * sizes
    work = at_drop - route.minutes + handling * sizes
    usable = (at_drop <= limit_min) & (value > 0) & (sources[:, None, None] != targets[None, :, None])
    per_minute = np.where(usable, value / np.maximum(work, 1e-6), -np.inf)
    best = np.unravel_index(int(np.argmax(per_minute)), per_minute.shape)
    if not np.isfinite(per_minute[best]):
        return None
    return int(sources[best[0]]), int(targets[best[1]]), int(sizes[best[2]])


def _top(score: np.ndarray, count: int) -> np.ndarray:
    """Rows of the `count` highest finite scores."""
    finite = np.flatnonzero(np.isfinite(score))
    if len(finite) > count:
        finite = finite[np.argpartition(-score[finite], count)[:count]]
    return finite
