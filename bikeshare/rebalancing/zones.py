"""Planning zone by zone under one deadline: targets, flow and routes per zone, and what happened in each.

A zone is planned with the trucks that start in it. The time left is shared among the zones left; a
zone gets at most `CHAIN_SHARE` of its share for the chain, then quick targets; the solver gets what
is left of the share, and a zone it cannot route in time gets greedy routes. The value-per-minute router
(`marginal`) competes in every zone and its routes are kept when they remove more dissatisfaction. Every
zone is reported: solved, fallback (and which part fell back), or nothing to do (and why).
"""

import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from scipy.cluster.vq import kmeans2

from bikeshare.rebalancing.flow import plan_moves
from bikeshare.rebalancing.geo import haversine_km, local_plane_km, neighbour_tree
from bikeshare.rebalancing.greedy import greedy_routes
from bikeshare.rebalancing.marginal import marginal_routes
from bikeshare.rebalancing.model import Move, StationNetwork, Truck, TruckRoute
from bikeshare.rebalancing.routing import MIN_SOLVER_MS, LoadDrop, check_routes, route_trucks
from bikeshare.rebalancing.targets import TargetMethod, Targets

if TYPE_CHECKING:  # the planner imports this module
    from bikeshare.rebalancing.planner import PlanSettings

# The chain may use up to this share of a zone's time (the rest is for the flow and the router), and at
# least MIN_CHAIN_S: a small zone's chain takes milliseconds, and quick targets are a poor trade for them.
CHAIN_SHARE = 0.5
MIN_CHAIN_S = 0.1


class RoutedBy(StrEnum):
    SOLVER = "solver"
    GREEDY = "greedy"  # the solver's fallback
    MARGINAL = "marginal"  # the value-per-minute router, kept when it removes more than the solver's routes


class ZoneOutcome(StrEnum):
    SOLVED = "solved"  # chain targets, routes from the solver
    FALLBACK = "fallback"  # quick targets or greedy routes: time ran short (the reason says which)
    NOTHING_TO_DO = "nothing_to_do"  # the reason says why


@dataclass(frozen=True)
class ZoneReport:
    """What happened in one zone: its outcome and why, how targets and routes were found, the time it took.

    `dissatisfaction_before/after` are expected over the horizon (None unless the targets came from the chain).
    """

    zone: int
    stations: int
    truck_ids: tuple[int, ...]
    outcome: ZoneOutcome
    reason: str
    targets: str | None
    routes: str | None
    bikes_moved: int
    seconds: float
    dissatisfaction_before: float | None = None
    dissatisfaction_after: float | None = None


def plan_zones(
    *,
    stations: StationNetwork,
    stock,
    targets,
    trucks: list[Truck],
    zones,
    deadline: float,
    settings: "PlanSettings",
) -> tuple[list[Move], list[TruckRoute], list[ZoneReport]]:
    """Targets, flow and routes zone by zone, the time left before `deadline` shared among the zones left.

    `targets(members, chain_deadline)` gives a zone's `Targets` (the baseline policies pass their own).
    A zone gets at most half its share (and at least MIN_CHAIN_S) for the chain, then quick targets; the
    solver gets what is left of the share, and a zone it cannot route in time gets greedy routes: never
    silently nothing.
    """
    stock = np.asarray(stock)
    truck_zone = np.array([zones[t.station] for t in trucks], dtype=np.asarray(zones).dtype)
    with_trucks = [z for z in np.unique(zones) if np.any(truck_zone == z)]
    reports = [
        ZoneReport(
            zone=int(z),
            stations=int(np.sum(zones == z)),
            truck_ids=(),
            outcome=ZoneOutcome.NOTHING_TO_DO,
            reason="no truck starts in this zone",
            targets=None,
            routes=None,
            bikes_moved=0,
            seconds=0.0,
        )
        for z in np.unique(zones)
        if z not in with_trucks
    ]
    all_moves, all_routes = [], []
    for position, zone_id in enumerate(with_trucks):
        began = time.perf_counter()
        share = max(deadline - began, 0.0) / (len(with_trucks) - position)
        members = np.flatnonzero(zones == zone_id)
        zone_trucks = [t for t, z in zip(trucks, truck_zone, strict=True) if z == zone_id]
        goal = targets(members, began + max(CHAIN_SHARE * share, MIN_CHAIN_S))
        moves, routes, routed_by, contest = _plan_zone(
            stations=stations,
            members=members,
            stock=stock,
            goal=goal,
            trucks=zone_trucks,
            deadline=began + share,
            settings=settings,
        )
        report = _report(zone_id, members, zone_trucks, goal, moves, routes, routed_by, stock, began)
        reports.append(replace(report, reason=f"{report.reason}; {contest}") if contest else report)
        all_moves += moves
        all_routes += routes
    reports.sort(key=lambda report: report.zone)
    return all_moves, sorted(all_routes, key=lambda route: route.truck_id), reports


def _plan_zone(*, stations, members, stock, goal: Targets, trucks, deadline, settings):
    """A zone's moves and routes, how the routes were found (None when there was nothing to route), and
    what each router's routes removed.

    The marginal router runs first (milliseconds), the solver gets the rest of the time; the zone keeps
    whichever routes remove more of the targets' dissatisfaction (the solver's on a tie).
    """
    budget = sum(t.capacity for t in trucks) * settings.truckloads_per_route
    local_moves = plan_moves(
        lat=stations.lat[members],
        lon=stations.lon[members],
        stock=stock[members],
        dissatisfaction=goal.dissatisfaction,
        target_low=goal.low,
        target_high=goal.high,
        max_bikes=int(budget),
        radius_km=settings.radius_km,
        cost_per_km=settings.cost_per_km,
    )
    moves = [Move(int(members[m.source]), int(members[m.target]), m.bikes, m.value) for m in local_moves]
    low = np.zeros(stations.size, dtype=int)
    low[members] = goal.low
    load_drops = plan_load_drops(
        stations=stations,
        members=members,
        stock=stock,
        target_low=low,
        moves=moves,
        trucks=trucks,
        max_end_load=settings.trucks.max_end_load,
    )
    if not moves and not load_drops:
        return [], [TruckRoute(truck_id=t.truck_id, stops=()) for t in trucks], None, ""
    marginal = marginal_routes(
        lat=stations.lat,
        lon=stations.lon,
        members=members,
        stock=stock,
        dissatisfaction=goal.dissatisfaction,
        trucks=trucks,
        settings=settings.trucks,
        load_drops=load_drops,
    )
    common = {"lat": stations.lat, "lon": stations.lon, "moves": moves, "trucks": trucks, "load_drops": load_drops}
    # Building the solver's model takes time too: with next to none left, go straight to the fallback.
    routes = None
    if deadline - time.perf_counter() > MIN_SOLVER_MS / 1000:
        routes = route_trucks(**common, settings=settings.trucks, deadline=deadline)
    routed_by = RoutedBy.SOLVER
    if routes is None:
        routes = greedy_routes(**common, settings=settings.trucks)
        routed_by = RoutedBy.GREEDY
    removed = {
        str(by): _removed(goal, members=members, stock=stock, routes=planned)
        for by, planned in ((routed_by, routes), (RoutedBy.MARGINAL, marginal))
    }
    if removed[RoutedBy.MARGINAL] > removed[routed_by]:
        routes, routed_by = marginal, RoutedBy.MARGINAL
    check_routes(routes=routes, trucks=trucks, max_end_load=settings.trucks.max_end_load)
    contest = "dissatisfaction removed by " + ", ".join(f"{by} routes {value:.1f}" for by, value in removed.items())
    return moves, routes, routed_by, contest


def _removed(goal: Targets, *, members, stock, routes) -> float:
    """How much of the targets' dissatisfaction the routes remove in the zone."""
    rows, top = np.arange(len(members)), goal.dissatisfaction.shape[1] - 1
    after = apply_routes(stock=stock, routes=routes)[members]
    return float(
        goal.dissatisfaction[rows, np.minimum(stock[members], top)].sum()
        - goal.dissatisfaction[rows, np.minimum(after, top)].sum()
    )


def _report(zone_id, members, trucks, goal: Targets, moves, routes, routed_by, stock, began) -> ZoneReport:
    moved = sum(route.bikes_dropped for route in routes)
    if routed_by is None:
        outcome = ZoneOutcome.NOTHING_TO_DO
        reason = (
            "every station is within its target"
            if np.all((stock[members] >= goal.low) & (stock[members] <= goal.high))
            else "no move is worth its driving within reach"
        )
    elif goal.method != TargetMethod.QUICK and routed_by != RoutedBy.GREEDY:
        outcome, reason = ZoneOutcome.SOLVED, f"{goal.method} targets, {routed_by} routes"
        if moved == 0:
            reason += ": no move's value was worth its driving within the route time"
    else:
        outcome = ZoneOutcome.FALLBACK
        reason = "; ".join(
            part
            for part in (
                "no time for the chain: quick targets from expected net demand"
                if goal.method == TargetMethod.QUICK
                else "",
                "the solver had no time or found no route in the zone's share of the time: greedy routes"
                if routed_by == RoutedBy.GREEDY
                else "",
            )
            if part
        )
    before = after = None
    if goal.method == TargetMethod.CHAIN:
        local = stock[members]
        after_stock = apply_routes(stock=stock, routes=routes)[members]
        rows = np.arange(len(members))
        before = float(goal.dissatisfaction[rows, local].sum())
        after = float(goal.dissatisfaction[rows, np.minimum(after_stock, goal.dissatisfaction.shape[1] - 1)].sum())
    return ZoneReport(
        zone=int(zone_id),
        stations=len(members),
        truck_ids=tuple(t.truck_id for t in trucks),
        outcome=outcome,
        reason=reason,
        targets=str(goal.method),
        routes=str(routed_by) if routed_by else None,
        bikes_moved=moved,
        seconds=time.perf_counter() - began,
        dissatisfaction_before=before,
        dissatisfaction_after=after,
    )


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


def place_trucks(*, network: StationNetwork, count: int, capacity: int, seed: int = 0) -> list[Truck]:
    """Empty trucks spread over the city: one at the station nearest each k-means centre."""
    points = local_plane_km(lat=network.lat, lon=network.lon)
    centres, _ = kmeans2(points, count, seed=seed, minit="++")
    _, stations = neighbour_tree(lat=network.lat, lon=network.lon).query(centres)
    return [Truck(i, int(s), 0, capacity) for i, s in enumerate(stations)]
