"""Surpluses to deficits as an integral min-cost flow over nearby stations.

Network: a source feeds every surplus station through one arc per surplus bike, each costing
minus the dissatisfaction that removing that bike saves; every deficit station drains to a sink
the same way; station-to-station arcs join stations within `radius_km` and cost the distance. A
zero-cost source->sink arc (the dummy) absorbs whatever the trucks could carry but no move is
worth, so the flow never has to balance surpluses against deficits or against the bike budget,
and it only makes moves whose savings exceed their distance cost.
"""

import numpy as np
from ortools.graph.python import min_cost_flow

from bikeshare.rebalancing.geo import haversine_km, neighbour_tree
from bikeshare.rebalancing.model import Move

COST_SCALE = 1000  # the solver needs integer costs: thousandths of a dissatisfaction unit


def plan_moves(
    *,
    lat,
    lon,
    stock,
    dissatisfaction,
    target_low,
    target_high,
    max_bikes: int,
    radius_km: float = 3.0,
    cost_per_km: float = 0.02,
    partners: int = 12,
) -> list[Move]:
    """Balanced moves (each a source, a target and a bike count) that best close the gaps.

    `dissatisfaction` is F(s) per station and stock (+inf where impossible); stations above
    `target_high` may give bikes down to it and stations below `target_low` receive up to it.
    `cost_per_km` converts distance into dissatisfaction units; at most `max_bikes` move.
    """
    stock = np.asarray(stock, dtype=int)
    surplus = np.maximum(stock - np.asarray(target_high), 0)
    deficit = np.maximum(np.asarray(target_low) - stock, 0)
    givers, takers = np.flatnonzero(surplus), np.flatnonzero(deficit)
    if max_bikes <= 0 or len(givers) == 0 or len(takers) == 0:
        return []

    give_gains = _unit_gains(dissatisfaction=dissatisfaction, stock=stock, units=surplus, step=-1)
    take_gains = _unit_gains(dissatisfaction=dissatisfaction, stock=stock, units=deficit, step=+1)

    n_stations = len(stock)
    source, sink = n_stations, n_stations + 1
    solver = min_cost_flow.SimpleMinCostFlow()
    for station in givers:
        for gain in give_gains[station]:
            solver.add_arc_with_capacity_and_unit_cost(source, station, 1, -_scaled(gain))
    for station in takers:
        for gain in take_gains[station]:
            solver.add_arc_with_capacity_and_unit_cost(station, sink, 1, -_scaled(gain))

    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    taker_tree = neighbour_tree(lat=lat[takers], lon=lon[takers])
    giver_points = neighbour_tree(lat=lat[givers], lon=lon[givers]).data
    nearest_count = min(partners, len(takers))
    _, nearest = taker_tree.query(giver_points, k=nearest_count)
    nearest = nearest.reshape(len(givers), nearest_count)
    pair_arcs = {}
    for giver_row, giver in enumerate(givers):
        partner_stations = takers[nearest[giver_row]]
        distances = haversine_km(
            lat1=lat[giver],
            lon1=lon[giver],
            lat2=lat[partner_stations],
            lon2=lon[partner_stations],
        )
        for taker, km in zip(partner_stations, distances, strict=True):
            if km <= radius_km:
                arc = solver.add_arc_with_capacity_and_unit_cost(
                    giver, taker, int(surplus[giver]), _scaled(cost_per_km * km)
                )
                pair_arcs[arc] = (int(giver), int(taker))

    solver.add_arc_with_capacity_and_unit_cost(source, sink, max_bikes, 0)
    solver.set_node_supply(source, max_bikes)
    solver.set_node_supply(sink, -max_bikes)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")

    flows = {pair: solver.flow(arc) for arc, pair in pair_arcs.items() if solver.flow(arc) > 0}
    given = _units_per_station(flows, end=0, size=n_stations)
    taken = _units_per_station(flows, end=1, size=n_stations)
    return [
        Move(
            source=giver,
            target=taker,
            bikes=bikes,
            value=bikes * (_mean_gain(give_gains[giver], given[giver]) + _mean_gain(take_gains[taker], taken[taker])),
        )
        for (giver, taker), bikes in sorted(flows.items())
    ]


def _unit_gains(*, dissatisfaction, stock, units, step):
    """Saving from each successive bike removed (step -1) or added (+1), best first.

    Sorting makes the per-bike arcs concave even where F has bumps, so the flow cannot take the
    third bike without the first two.
    """
    gains = {}
    for station in np.flatnonzero(units):
        path = stock[station] + step * np.arange(units[station] + 1)
        values = dissatisfaction[station, path]
        gains[int(station)] = np.sort(values[:-1] - values[1:])[::-1]
    return gains


def _units_per_station(flows, *, end, size):
    units = np.zeros(size, dtype=int)
    for pair, bikes in flows.items():
        units[pair[end]] += bikes
    return units


def _mean_gain(gains, used):
    return float(gains[:used].mean()) if used else 0.0


def _scaled(value: float) -> int:
    return round(float(value) * COST_SCALE)
