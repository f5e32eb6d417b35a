"""Censoring-corrected demand rates per station, day type (weekday, weekend) and hour of day.

A station that sat empty for half an hour recorded no rentals in that half hour although riders
came, so rentals are divided by the minutes the station had a bike, and returns by the minutes it
had room. Stations with little history are pulled toward their neighbourhood: the prior is the
pooled rate (total events / total exposure) of the k nearest stations and of the district, and
the estimate is the Gamma-Poisson posterior mean (events + m * prior) / (exposure + m), so a
station's own data outweigh the prior once its exposure exceeds `prior_strength_h`.
"""

from dataclasses import dataclass

import numpy as np

from bikeshare.rebalancing.geo import neighbour_tree
from bikeshare.rebalancing.model import HorizonRates, StationNetwork

WEEKDAY, WEEKEND = 0, 1


@dataclass(frozen=True)
class DemandHistory:
    """Observed counts and exposure, each (stations, 2 day types, 24 hours).

    `minutes_with_bike` is the time a rider could have rented; `minutes_with_room` the time a
    rider could have returned.
    """

    rentals: np.ndarray
    returns: np.ndarray
    minutes_with_bike: np.ndarray
    minutes_with_room: np.ndarray


@dataclass(frozen=True)
class DemandRates:
    """Rates per hour, (stations, 2 day types, 24 hours)."""

    rent_per_h: np.ndarray
    return_per_h: np.ndarray


def estimate_rates(
    *,
    network: StationNetwork,
    history: DemandHistory,
    neighbours: int = 8,
    prior_strength_h: float = 2.0,
) -> DemandRates:
    """Shrunken, censoring-corrected rental and return rates for every station."""
    return DemandRates(
        rent_per_h=_shrunken_rate(
            network=network,
            events=history.rentals,
            exposure_h=history.minutes_with_bike / 60.0,
            neighbours=neighbours,
            prior_strength_h=prior_strength_h,
        ),
        return_per_h=_shrunken_rate(
            network=network,
            events=history.returns,
            exposure_h=history.minutes_with_room / 60.0,
            neighbours=neighbours,
            prior_strength_h=prior_strength_h,
        ),
    )


def _shrunken_rate(*, network, events, exposure_h, neighbours, prior_strength_h):
    events = np.asarray(events, dtype=float)
    exposure_h = np.asarray(exposure_h, dtype=float)
    count = min(neighbours + 1, network.size)
    nearest = _nearest_indices(network=network, count=count)
    # Column 0 is the station itself; the prior must come from the others.
    nearby = nearest[:, 1:] if count > 1 else nearest
    neighbour_rate = _pooled(events[nearby].sum(axis=1), exposure_h[nearby].sum(axis=1))

    _, district_index = np.unique(network.district, return_inverse=True)
    district_events = np.zeros((district_index.max() + 1,) + events.shape[1:])
    district_exposure = np.zeros_like(district_events)
    np.add.at(district_events, district_index, events)
    np.add.at(district_exposure, district_index, exposure_h)
    district_rate = _pooled(district_events, district_exposure)[district_index]

    prior = 0.5 * neighbour_rate + 0.5 * district_rate
    weight = exposure_h + prior_strength_h
    # Without exposure and without a prior weight there is nothing but the prior to go on.
    return np.divide(events + prior_strength_h * prior, weight, out=prior.copy(), where=weight > 0)


def _nearest_indices(*, network, count):
    tree = neighbour_tree(lat=network.lat, lon=network.lon)
    _, nearest = tree.query(tree.data, k=count)
    return nearest.reshape(network.size, count)


def _pooled(events, exposure_h):
    return np.divide(events, exposure_h, out=np.zeros_like(events), where=exposure_h > 0)


def horizon_rates(*, rates: DemandRates, day_type: int, start_hour: float, horizon_h: float) -> HorizonRates:
    """Cut the hourly rates into segments covering [start_hour, start_hour + horizon_h)."""
    boundaries = [start_hour]
    next_whole_hour = np.floor(start_hour) + 1
    while next_whole_hour < start_hour + horizon_h:
        boundaries.append(next_whole_hour)
        next_whole_hour += 1
    boundaries.append(start_hour + horizon_h)
    hours = np.floor(np.array(boundaries[:-1])).astype(int) % 24
    return HorizonRates(
        rent_per_h=rates.rent_per_h[:, day_type, hours],
        return_per_h=rates.return_per_h[:, day_type, hours],
        segment_hours=np.diff(boundaries),
    )
