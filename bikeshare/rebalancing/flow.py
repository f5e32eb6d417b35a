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

    give_gains = _unit_gains(dissatisfaction=dissatisfaction, stock=stock, units=surplus, stations=givers, step=-1)
    take_gains = _unit_gains(dissatisfaction=dissatisfaction, stock=stock, units=deficit, stations=takers, step=+1)

    n_stations = len(stock)
    source, sink = n_stations, n_stations + 1
    solver = min_cost_flow.SimpleMinCostFlow()
    # One arc per bike a station can give or take, costing minus the saving of that bike.
    for stations, gains, from_source in ((givers, give_gains, True), (takers, take_gains, False)):
        rows, units = np.nonzero(np.isfinite(gains))
        ends = np.full(len(rows), source if from_source else sink)
        tails, heads = (ends, stations[rows]) if from_source else (stations[rows], ends)
        solver.add_arcs_with_capacity_and_unit_cost(
            tails, heads, np.ones(len(rows), dtype=np.int64), -_scaled(gains[rows, units])
        )

    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    taker_tree = neighbour_tree(lat=lat[takers], lon=lon[takers])
    giver_points = neighbour_tree(lat=lat[givers], lon=lon[givers]).data
    nearest_count = min(partners, len(takers))
    _, nearest = taker_tree.query(giver_points, k=nearest_count)
    partner = takers[nearest.reshape(len(givers), nearest_count)]
    giver = np.repeat(givers[:, None], nearest_count, axis=1)
    km = haversine_km(lat1=lat[giver], lon1=lon[giver], lat2=lat[partner], lon2=lon[partner])
    near = km <= radius_km
    giver, partner, km = giver[near], partner[near], km[near]
    first_pair_arc = solver.num_arcs()
    solver.add_arcs_with_capacity_and_unit_cost(giver, partner, surplus[giver], _scaled(cost_per_km * km))

    solver.add_arc_with_capacity_and_unit_cost(source, sink, max_bikes, 0)
    solver.set_node_supply(source, max_bikes)
    solver.set_node_supply(sink, -max_bikes)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")

    flows = solver.flows(np.arange(first_pair_arc, first_pair_arc + len(giver)))
    used = flows > 0
    giver, partner, flows = giver[used], partner[used], flows[used]
    given = np.bincount(giver, weights=flows, minlength=n_stations).astype(int)
    taken = np.bincount(partner, weights=flows, minlength=n_stations).astype(int)
    give_mean = _mean_gains(gains=give_gains, stations=givers, used=given, size=n_stations)
    take_mean = _mean_gains(gains=take_gains, stations=takers, used=taken, size=n_stations)
    order = np.lexsort((partner, giver))
    return [
        Move(
            source=int(giver[i]),
            target=int(partner[i]),
            bikes=int(flows[i]),
            value=float(flows[i] * (give_mean[giver[i]] + take_mean[partner[i]])),
        )
        for i in order
    ]


def _unit_gains(*, dissatisfaction, stock, units, stations, step):
    """Saving from each successive bike removed (step -1) or added (+1), best first, one row per station
    of `stations` (-inf beyond its units).

    Sorting makes the per-bike arcs concave even where F has bumps, so the flow cannot take the
    third bike without the first two.
    """
    width = int(units[stations].max(initial=0))
    steps = np.arange(width + 1)[None, :]
    path = np.clip(stock[stations, None] + step * steps, 0, dissatisfaction.shape[1] - 1)
    values = dissatisfaction[stations[:, None], path]
    with np.errstate(invalid="ignore"):  # inf - inf where a path runs past capacity; masked below
        gains = values[:, :-1] - values[:, 1:]
    gains = np.where(steps[:, 1:] <= units[stations, None], gains, -np.inf)
    return -np.sort(-gains, axis=1)


def _mean_gains(*, gains, stations, used, size):
    """Per station, the mean saving of the first `used` bikes (0 when none)."""
    means = np.zeros(size)
    counts = used[stations]
    sums = np.cumsum(np.where(np.isfinite(gains), gains, 0.0), axis=1)
    has = counts > 0
    means[stations[has]] = sums[has, counts[has] - 1] / counts[has]
    return means


def _scaled(values) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=float) * COST_SCALE).astype(np.int64)
