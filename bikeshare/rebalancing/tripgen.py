"""Synthetic trip streams from a demand model calibrated on the real Seoul files.

The real trip sample is one rush-hour morning and evening, far too thin to replay by itself, so
it calibrates a generator instead:
- how often each station is an origin: its rentals in the morning sample plus a small floor, so
  stations absent from the sample still see the odd rider;
- where riders go: the station's own observed destinations when it has enough of them, otherwise
  a gravity model (destination popularity times exp(-distance / decay)) over nearby stations;
- how many trips per hour: the UCI hourly profile, scaled to a city day of `daily_rides`;
- how long: ride distance (crow-flies times a detour factor) at a cycling speed, with noise.
Everything here is synthetic and must be labelled so wherever its results are shown.
"""

from dataclasses import dataclass

import numpy as np

from bikeshare.rebalancing.data import Trips
from bikeshare.rebalancing.geo import haversine_km, neighbour_tree
from bikeshare.rebalancing.model import StationNetwork
from bikeshare.rebalancing.simulate import TripStream


@dataclass(frozen=True)
class TripModel:
    """Calibrated generator; build it with `calibrate_trip_model`."""

    origin_weight: np.ndarray
    hourly_rides: np.ndarray
    empirical_destinations: list[np.ndarray]
    gravity_candidates: np.ndarray
    gravity_weight: np.ndarray
    own_choice_share: np.ndarray
    lat: np.ndarray
    lon: np.ndarray


@dataclass(frozen=True)
class TripModelSettings:
    daily_rides: float = 120_000
    origin_floor: float = 0.5
    own_choice_trips: float = 3.0
    gravity_neighbours: int = 40
    gravity_decay_km: float = 1.2
    detour_factor: float = 1.3
    speed_kmh: float = 11.0
    round_trip_median_min: float = 20.0
    # Real mornings differ by more than chance: the UCI file's dry weekday mornings (05-10 h) have a log-sd of
    # 0.175 around the mean of the weekdays within two weeks (184 of 238 weekdays; wet mornings, about 0.6x,
    # are left out: operators see the rain coming). Each synthetic morning's volume is scaled by a factor
    # with that spread, so history predicts it no better than it predicts a real dry morning's volume.
    day_to_day_sd: float = 0.175


def calibrate_trip_model(
    *,
    network: StationNetwork,
    trips: Trips,
    hourly_profile,
    morning_only: bool = True,
    settings: TripModelSettings | None = None,
) -> TripModel:
    """Fit origins, destinations and hourly volumes to a trip sample and an hourly profile."""
    settings = settings or TripModelSettings()
    index = {int(no): i for i, no in enumerate(network.station_ids)}
    keep = trips.rent_min < 12 * 60 if morning_only else np.ones(trips.size, dtype=bool)
    pairs = [
        (index[o], index[d])
        for o, d in zip(trips.rent_station_no[keep], trips.return_station_no[keep], strict=True)
        if o in index and d in index
    ]
    origins = np.array([o for o, _ in pairs], dtype=int)
    destinations = np.array([d for _, d in pairs], dtype=int)
    rentals = np.bincount(origins, minlength=network.size).astype(float)
    returns = np.bincount(destinations, minlength=network.size).astype(float)

    by_origin = [destinations[origins == station] for station in range(network.size)]
    candidate_count = min(settings.gravity_neighbours, network.size)
    tree = neighbour_tree(lat=network.lat, lon=network.lon)
    _, candidates = tree.query(tree.data, k=candidate_count)
    candidates = candidates.reshape(network.size, candidate_count)
    km = haversine_km(
        lat1=network.lat[:, None],
        lon1=network.lon[:, None],
        lat2=network.lat[candidates],
        lon2=network.lon[candidates],
    )
    gravity = (returns[candidates] + settings.origin_floor) * np.exp(-km / settings.gravity_decay_km)
    profile = np.asarray(hourly_profile, dtype=float)
    return TripModel(
        origin_weight=(rentals + settings.origin_floor) / (rentals + settings.origin_floor).sum(),
        hourly_rides=settings.daily_rides * profile / profile.sum(),
        empirical_destinations=by_origin,
        gravity_candidates=candidates,
        gravity_weight=gravity / gravity.sum(axis=1, keepdims=True),
        own_choice_share=rentals / (rentals + settings.own_choice_trips),
        lat=network.lat,
        lon=network.lon,
    )


def generate_trips(
    *,
    model: TripModel,
    start_min: float,
    end_min: float,
    seed: int,
    settings: TripModelSettings | None = None,
) -> TripStream:
    """A seeded stream of trips starting in [start_min, end_min), sorted by start time; the morning's volume
    varies from seed to seed as real mornings' do (`TripModelSettings.day_to_day_sd`)."""
    settings = settings or TripModelSettings()
    rng = np.random.default_rng(seed)
    sd = settings.day_to_day_sd
    volume = rng.lognormal(-sd * sd / 2, sd)  # mean one
    starts = []
    for hour in range(int(start_min // 60), int(np.ceil(end_min / 60))):
        begin, end = max(hour * 60, start_min), min((hour + 1) * 60, end_min)
        expected = volume * model.hourly_rides[hour % 24] * (end - begin) / 60
        starts.append(rng.uniform(begin, end, rng.poisson(expected)))
    start = np.sort(np.concatenate(starts))
    origin = rng.choice(len(model.origin_weight), size=len(start), p=model.origin_weight)

    destination = np.empty_like(origin)
    own_choice = rng.random(len(start)) < model.own_choice_share[origin]
    for trip in np.flatnonzero(own_choice):
        destination[trip] = rng.choice(model.empirical_destinations[origin[trip]])
    gravity_trips = np.flatnonzero(~own_choice)
    cumulative = np.cumsum(model.gravity_weight[origin[gravity_trips]], axis=1)
    picks = (cumulative < rng.random(len(gravity_trips))[:, None]).sum(axis=1)
    picks = np.minimum(picks, cumulative.shape[1] - 1)
    destination[gravity_trips] = model.gravity_candidates[origin[gravity_trips], picks]

    ride_km = settings.detour_factor * haversine_km(
        lat1=model.lat[origin],
        lon1=model.lon[origin],
        lat2=model.lat[destination],
        lon2=model.lon[destination],
    )
    noise = rng.lognormal(0.0, 0.3, len(start))
    duration = 2.0 + ride_km / settings.speed_kmh * 60 * noise
    round_trip = origin == destination
    duration[round_trip] = settings.round_trip_median_min * noise[round_trip] ** 2
    return TripStream(origin=origin, start_min=start, destination=destination, end_min=start + duration)
