"""One entry point from stock and demand to a routed rebalancing plan: targets -> flow -> routes."""

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.vq import kmeans2

from bikeshare.rebalancing.chain import expected_outcomes, target_intervals
from bikeshare.rebalancing.demand import DemandRates, horizon_rates
from bikeshare.rebalancing.flow import plan_moves
from bikeshare.rebalancing.geo import haversine_km, local_plane_km
from bikeshare.rebalancing.model import Move, StationNetwork, Truck, TruckRoute
from bikeshare.rebalancing.routing import LoadDrop, TruckSettings, check_routes, route_trucks


@dataclass(frozen=True)
class PlanSettings:
    """Weights and limits of the planner.

    `overflow_weight` / `refused_weight` price a chained / refused return against a lost rental;
    `target_tolerance` is how far above its minimum F may be inside the target interval;
    `truckloads_per_route` sizes the flow's bike budget (the router then keeps what fits).
    """

    overflow_weight: float = 0.2
    refused_weight: float = 1.0
    target_tolerance: float = 0.1
    radius_km: float = 3.0
    cost_per_km: float = 0.02
    truckloads_per_route: float = 3.0
    zone_count: int = 6
    trucks: TruckSettings = field(default_factory=TruckSettings)


@dataclass(frozen=True)
class RebalancingPlan:
    """Targets, moves and truck routes, with expected dissatisfaction over the horizon."""

    target_low: np.ndarray
    target_high: np.ndarray
    moves: list[Move]
    routes: list[TruckRoute]
    stock_after: np.ndarray
    dissatisfaction_before: float
    dissatisfaction_after: float
    targets_elapsed_s: float
    elapsed_s: float

    @property
    def bikes_moved(self) -> int:
        return sum(route.bikes_dropped for route in self.routes)

    @property
    def truck_km(self) -> float:
        return sum(route.distance_km for route in self.routes)


def build_plan(
    *,
    stations: StationNetwork,
    stock,
    rates: DemandRates,
    trucks: list[Truck],
    start_hour: float,
    day_type: int,
    horizon_h: float = 3.0,
    zone=None,
    time_limit_s: float = 20.0,
    settings: PlanSettings | None = None,
) -> RebalancingPlan:
    """Plan truck routes that move stock toward each station's least-dissatisfaction interval.

    `stock` is bikes per station now; `trucks` start at a station index with a load; `zone`
    optionally labels each station with a zone (k-means on coordinates otherwise) and each zone
    is planned separately with the trucks that start in it.
    """
    settings = settings or PlanSettings()
    started = time.perf_counter()
    stock = np.minimum(np.asarray(stock, dtype=int), stations.capacity)
    outcomes = expected_outcomes(
        docks=stations.docks,
        capacity=stations.capacity,
        rates=horizon_rates(rates=rates, day_type=day_type, start_hour=start_hour, horizon_h=horizon_h),
    )
    dissatisfaction = outcomes.dissatisfaction(
        overflow_weight=settings.overflow_weight, refused_weight=settings.refused_weight
    )
    low, high = target_intervals(dissatisfaction=dissatisfaction, tolerance=settings.target_tolerance)
    targets_elapsed_s = time.perf_counter() - started
    zones = zone if zone is not None else zone_labels(stations=stations, count=settings.zone_count)
    moves, routes = plan_routes(
        stations=stations,
        stock=stock,
        dissatisfaction=dissatisfaction,
        target_low=low,
        target_high=high,
        trucks=trucks,
        zones=np.asarray(zones),
        deadline=started + time_limit_s,
        settings=settings,
    )
    stock_after = apply_routes(stock=stock, routes=routes)
    rows = np.arange(stations.size)
    return RebalancingPlan(
        target_low=low,
        target_high=high,
        moves=moves,
        routes=routes,
        stock_after=stock_after,
        dissatisfaction_before=float(dissatisfaction[rows, stock].sum()),
        dissatisfaction_after=float(dissatisfaction[rows, stock_after].sum()),
        targets_elapsed_s=targets_elapsed_s,
        elapsed_s=time.perf_counter() - started,
    )


def plan_routes(
    *,
    stations: StationNetwork,
    stock,
    dissatisfaction,
    target_low,
    target_high,
    trucks: list[Truck],
    zones,
    deadline: float,
    settings: PlanSettings,
) -> tuple[list[Move], list[TruckRoute]]:
    """Flow then routing, zone by zone, sharing the time left before `deadline` (perf_counter).

    Also used by the baseline policies, which only differ in their targets and F.
    """
    truck_zone = np.array([zones[t.station] for t in trucks])
    zone_ids = [z for z in np.unique(zones) if np.any(truck_zone == z)]
    all_moves, all_routes = [], []
    for position, zone_id in enumerate(zone_ids):
        members = np.flatnonzero(zones == zone_id)
        zone_trucks = [t for t, z in zip(trucks, truck_zone, strict=True) if z == zone_id]
        budget = sum(t.capacity for t in zone_trucks) * settings.truckloads_per_route
        local_moves = plan_moves(
            lat=stations.lat[members],
            lon=stations.lon[members],
            stock=np.asarray(stock)[members],
            dissatisfaction=dissatisfaction[members],
            target_low=np.asarray(target_low)[members],
            target_high=np.asarray(target_high)[members],
            max_bikes=int(budget),
            radius_km=settings.radius_km,
            cost_per_km=settings.cost_per_km,
        )
        moves = [
            Move(
                source=int(members[m.source]),
                target=int(members[m.target]),
                bikes=m.bikes,
                value=m.value,
            )
            for m in local_moves
        ]
        seconds_left = max(deadline - time.perf_counter(), 0.05)
        routes = route_trucks(
            lat=stations.lat,
            lon=stations.lon,
            moves=moves,
            trucks=zone_trucks,
            settings=settings.trucks,
            time_limit_s=seconds_left / (len(zone_ids) - position),
            load_drops=plan_load_drops(
                stations=stations,
                members=members,
                stock=stock,
                target_low=target_low,
                moves=moves,
                trucks=zone_trucks,
                max_end_load=settings.trucks.max_end_load,
            ),
        )
        check_routes(routes=routes, trucks=zone_trucks, max_end_load=settings.trucks.max_end_load)
        all_moves += moves
        all_routes += routes
    return all_moves, sorted(all_routes, key=lambda route: route.truck_id)


def plan_load_drops(
    *, stations: StationNetwork, members, stock, target_low, moves: list[Move], trucks: list[Truck], max_end_load: int
) -> list[LoadDrop]:
    """Where each truck drops the bikes it already carries (all but `max_end_load`), nearest first.

    Stations still short of their target after the moves come first, then stations with free
    docks, then any station with room for chained bikes, so a load always has somewhere to go.
    """
    expected = np.array(stock, dtype=int)
    for move in moves:
        expected[move.target] += move.bikes
    need = np.maximum(np.asarray(target_low)[members] - expected[members], 0)
    free_docks = np.maximum(stations.docks[members] - expected[members], 0)
    spare = np.maximum(stations.capacity[members] - expected[members], 0)
    drops = []
    for truck in trucks:
        to_drop = truck.load - max_end_load
        if to_drop <= 0:
            continue
        order = np.argsort(
            haversine_km(
                lat1=stations.lat[truck.station],
                lon1=stations.lon[truck.station],
                lat2=stations.lat[members],
                lon2=stations.lon[members],
            ),
            kind="stable",
        )
        placed = np.zeros(len(members), dtype=int)
        for room in (need, free_docks, spare):
            for row in order:
                bikes = int(min(to_drop, room[row] - placed[row]))
                if bikes > 0:
                    placed[row] += bikes
                    to_drop -= bikes
        # A city with no room anywhere is not a real case; the nearest station takes the rest chained.
        placed[order[0]] += max(to_drop, 0)
        for row in np.flatnonzero(placed):
            drops.append(LoadDrop(truck_id=truck.truck_id, station=int(members[row]), bikes=int(placed[row])))
        need, free_docks, spare = (np.maximum(room - placed, 0) for room in (need, free_docks, spare))
    return drops


def apply_routes(*, stock, routes: list[TruckRoute]) -> np.ndarray:
    """Stock after every stop of every route has been served as planned."""
    after = np.array(stock, dtype=int)
    for route in routes:
        for stop in route.stops:
            after[stop.station] -= stop.load_change
    return after


def zone_labels(*, stations: StationNetwork, count: int, seed: int = 0) -> np.ndarray:
    """Split the city into `count` compact zones by k-means on projected coordinates."""
    if count <= 1 or stations.size <= count:
        return np.zeros(stations.size, dtype=int)
    points = local_plane_km(lat=stations.lat, lon=stations.lon)
    _, labels = kmeans2(points, count, seed=seed, minit="++")
    return labels
