"""Censoring-corrected demand rates per station, day type (weekday, weekend) and hour of day.

A station that sat empty for half an hour recorded no rentals in that half hour although riders
came, so rentals are divided by the minutes the station had a bike, and returns by the minutes it
had room. Stations with little history are pulled toward their neighbourhood: the prior is the
pooled rate (total events / total exposure) of the k nearest stations and of the district, and
the estimate is the Gamma-Poisson posterior mean (events + m * prior) / (exposure + m), so a
station's own data outweigh the prior once its exposure exceeds `prior_strength_h`.

Where the neighbourhood itself saw little of an hour (a shipped sample covers only a few hours of
one day), the neighbourhood prior is in turn shrunk toward a profile prior: the city-wide hourly
profile (e.g. the UCI Seoul counts) times the station's share, its events per profile-weighted
exposure hour over every hour it was observed, itself shrunk toward its neighbours and district.
So a station seen only at 08-09 h still gets a 07 h rate, in proportion to the city's 07 h.
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
    """Rates per hour, (stations, 2 day types, 24 hours); `prior_share` of the expected rentals came
    from the priors rather than the stations' own records."""

    rent_per_h: np.ndarray
    return_per_h: np.ndarray
    prior_share: float = 0.0


def estimate_rates(
    *,
    network: StationNetwork,
    history: DemandHistory,
    neighbours: int = 8,
    prior_strength_h: float = 2.0,
    hourly_profile: np.ndarray | None = None,
) -> DemandRates:
    """Shrunken, censoring-corrected rental and return rates for every station.

    `hourly_profile` (2 day types, 24 hours; any scale) is the city-wide shape of demand over the day.
    """
    profile = None
    if hourly_profile is not None and np.sum(hourly_profile) > 0:
        profile = np.asarray(hourly_profile, dtype=float) / np.mean(hourly_profile)
    common = {"network": network, "neighbours": neighbours, "prior_strength_h": prior_strength_h, "profile": profile}
    rent, rent_from_prior = _shrunken_rate(
        events=history.rentals, exposure_h=history.minutes_with_bike / 60.0, **common
    )
    returns, _ = _shrunken_rate(events=history.returns, exposure_h=history.minutes_with_room / 60.0, **common)
    total = rent.sum()
    return DemandRates(
        rent_per_h=rent, return_per_h=returns, prior_share=float(rent_from_prior.sum() / total) if total > 0 else 0.0
    )


def _shrunken_rate(*, network, events, exposure_h, neighbours, prior_strength_h, profile):
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
    if profile is not None:
        district_size = np.bincount(district_index)[district_index][:, None, None]
        district_mean_exposure_h = district_exposure[district_index] / district_size
        area_exposure_h = 0.5 * exposure_h[nearby].mean(axis=1) + 0.5 * district_mean_exposure_h
        profile_rate = _profile_rate(
            events=events,
            exposure_h=exposure_h,
            profile=profile,
            nearby=nearby,
            district_index=district_index,
            prior_strength_h=prior_strength_h,
        )
        prior = (prior * area_exposure_h + prior_strength_h * profile_rate) / (area_exposure_h + prior_strength_h)
    weight = exposure_h + prior_strength_h
    # Without exposure and without a prior weight there is nothing but the prior to go on.
    from_prior = np.divide(prior_strength_h * prior, weight, out=prior.copy(), where=weight > 0)
    return np.divide(events, weight, out=np.zeros_like(events), where=weight > 0) + from_prior, from_prior


def _profile_rate(*, events, exposure_h, profile, nearby, district_index, prior_strength_h):
    """Each station's share (events per profile-weighted exposure hour), shrunk toward its neighbours
    and district, times the profile: a rate for every hour, observed or not."""
    station_events = events.sum(axis=(1, 2))
    station_exposure = (exposure_h * profile[None]).sum(axis=(1, 2))
    neighbour_share = _pooled(station_events[nearby].sum(axis=1), station_exposure[nearby].sum(axis=1))
    district_events = np.bincount(district_index, weights=station_events)
    district_exposure = np.bincount(district_index, weights=station_exposure)
    district_share = _pooled(district_events, district_exposure)[district_index]
    area_share = 0.5 * neighbour_share + 0.5 * district_share
    share = (station_events + prior_strength_h * area_share) / (station_exposure + prior_strength_h)
    return share[:, None, None] * profile[None]


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
