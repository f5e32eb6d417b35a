"""One entry point from stock and demand to a routed rebalancing plan: targets -> flow -> routes."""

import time
from dataclasses import dataclass

import numpy as np

from bikeshare.rebalancing.demand import DemandRates, horizon_rates
from bikeshare.rebalancing.model import HorizonRates, Move, StationNetwork, Truck, TruckRoute
from bikeshare.rebalancing.routing import TruckSettings
from bikeshare.rebalancing.targets import chain_targets, quick_targets
from bikeshare.rebalancing.zones import ZoneReport, apply_routes, plan_zones, zone_labels


@dataclass(frozen=True)
class PlanSettings:
    """Weights and limits of the planner.

    `overflow_weight` / `refused_weight` price a chained / refused return against a lost rental;
    `target_tolerance` is how far above its minimum F may be inside the target interval;
    `truckloads_per_route` sizes the flow's bike budget (the router then keeps what fits).
    """

    trucks: TruckSettings
    overflow_weight: float = 0.2
    refused_weight: float = 1.0
    target_tolerance: float = 0.1
    radius_km: float = 3.0
    cost_per_km: float = 0.02
    truckloads_per_route: float = 3.0
    zone_count: int = 6


@dataclass(frozen=True)
class RebalancingPlan:
    """Moves and truck routes, with what happened per zone and the expected dissatisfaction over the horizon
    (summed over the zones whose targets came from the chain)."""

    moves: list[Move]
    routes: list[TruckRoute]
    zones: list[ZoneReport]
    stock_after: np.ndarray
    elapsed_s: float

    @property
    def bikes_moved(self) -> int:
        return sum(route.bikes_dropped for route in self.routes)

    @property
    def truck_km(self) -> float:
        return sum(route.distance_km for route in self.routes)

    @property
    def dissatisfaction_before(self) -> float:
        return sum(z.dissatisfaction_before for z in self.zones if z.dissatisfaction_before is not None)

    @property
    def dissatisfaction_after(self) -> float:
        return sum(z.dissatisfaction_after for z in self.zones if z.dissatisfaction_after is not None)


def build_plan(
    *,
    stations: StationNetwork,
    stock,
    rates: DemandRates,
    trucks: list[Truck],
    start_hour: float,
    day_type: int,
    settings: PlanSettings,
    horizon_h: float = 3.0,
    zone=None,
    deadline: float,
) -> RebalancingPlan:
    """Plan truck routes that move stock toward each station's least-dissatisfaction interval by `deadline`
    (`time.perf_counter()`).

    `stock` is bikes per station now (planned as the stops trucks are committed to will leave it);
    `trucks` start at a station index with a load; `zone`
    optionally labels each station with a zone (k-means on coordinates otherwise) and each zone
    is planned separately with the trucks that start in it.
    """
    started = time.perf_counter()
    stock = after_committed_stops(stock=stock, trucks=trucks, capacity=stations.capacity)
    horizon = horizon_rates(rates=rates, day_type=day_type, start_hour=start_hour, horizon_h=horizon_h)

    def targets(members, chain_deadline):
        docks, capacity = stations.docks[members], stations.capacity[members]
        zone_rates = HorizonRates(horizon.rent_per_h[members], horizon.return_per_h[members], horizon.segment_hours)
        try:
            return chain_targets(
                docks=docks,
                capacity=capacity,
                rates=zone_rates,
                overflow_weight=settings.overflow_weight,
                refused_weight=settings.refused_weight,
                tolerance=settings.target_tolerance,
                deadline=chain_deadline,
            )
        except TimeoutError:
            return quick_targets(docks=docks, capacity=capacity, rates=zone_rates)

    zones = zone if zone is not None else zone_labels(stations=stations, count=settings.zone_count)
    moves, routes, reports = plan_zones(
        stations=stations,
        stock=stock,
        targets=targets,
        trucks=trucks,
        zones=np.asarray(zones),
        deadline=deadline,
        settings=settings,
    )
    return RebalancingPlan(
        moves=moves,
        routes=routes,
        zones=reports,
        stock_after=apply_routes(stock=stock, routes=routes),
        elapsed_s=time.perf_counter() - started,
    )


def after_committed_stops(*, stock, trucks: list[Truck], capacity) -> np.ndarray:
    """The stock as the stops trucks are committed to will leave it, within each station's capacity.

    Planned from the stock now, a truck about to take a station's bikes left them there for the next
    route to take again (the crew then found fewer), and a station about to be filled drew more bikes.
    Measured with the replay (full city, 30 trucks of 20, conservative trucks, re-planning every 30 min),
    tuning mornings beside main's cfc4f85: see the README's rebalancing figures.
    """
    after = np.array(stock, dtype=int)
    for truck in trucks:
        after[truck.station] -= truck.committed_change
    return np.clip(after, 0, capacity)
