"""Plain data shared by the rebalancing modules.

Stations are addressed by their position (index) in a `StationNetwork`, never by database id, so
every array in this package lines up with the network's arrays.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StationNetwork:
    """Where the stations are and how many bikes each can hold.

    `overflow_allowance` is how many bikes beyond the docks riders can still chain to a docked bike;
    returns beyond `docks + overflow_allowance` are refused.
    """

    station_ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    docks: np.ndarray
    overflow_allowance: np.ndarray
    district: np.ndarray

    @property
    def size(self) -> int:
        return len(self.station_ids)

    @property
    def capacity(self) -> np.ndarray:
        """Most bikes a station can hold, chained ones included."""
        return self.docks + self.overflow_allowance


@dataclass(frozen=True)
class HorizonRates:
    """Rental and return rates (per hour) for consecutive segments of a planning horizon.

    Arrays are (stations, segments); `segment_hours` holds each segment's length in hours, so a
    horizon starting at 07:40 can have a first segment of 1/3 h.
    """

    rent_per_h: np.ndarray
    return_per_h: np.ndarray
    segment_hours: np.ndarray


@dataclass(frozen=True)
class Truck:
    """A rebalancing truck: where its next route starts and what it already carries.

    `busy_min` is how long it is still busy before that route can start (driving to and serving the
    stop it is committed to), so the route's minutes are counted from now, not from that stop.
    `committed_change` is what that stop is still to take (+) or leave (-) at `station` (`load` already
    counts it): the planner plans with the stock as the stop will leave it.
    """

    truck_id: int
    station: int
    load: int
    capacity: int
    busy_min: float = 0.0
    committed_change: int = 0


@dataclass(frozen=True)
class Move:
    """Bikes to carry from one station to another; `value` is the dissatisfaction it removes."""

    source: int
    target: int
    bikes: int
    value: float


@dataclass(frozen=True)
class RouteStop:
    """One truck visit: `load_change` is positive for a pickup and negative for a drop."""

    station: int
    load_change: int
    load_after: int
    distance_km: float
    arrival_min: float


@dataclass(frozen=True)
class TruckRoute:
    truck_id: int
    stops: tuple[RouteStop, ...]

    @property
    def distance_km(self) -> float:
        return sum(stop.distance_km for stop in self.stops)

    @property
    def bikes_dropped(self) -> int:
        return -sum(stop.load_change for stop in self.stops if stop.load_change < 0)


@dataclass(frozen=True)
class TruckModel:
    """How long trucks take: the one model behind both the planner's times and the replay's.

    Streets are longer than straight lines (`road_factor` × haversine) and every bike costs
    `handling_min_per_bike` at each end (unlocking, lifting, docking). The figures come from the
    configuration (`BIKESHARE_TRUCK_*`), the one place that sets them for planner and evaluation.
    """

    speed_kmh: float
    road_factor: float
    handling_min_per_bike: float

    def road_km(self, straight_km):
        return straight_km * self.road_factor

    def driving_min(self, straight_km):
        return self.road_km(straight_km) / self.speed_kmh * 60


def is_full(*, stock, docks):
    """A station is full once its bikes fill its docks; chained bikes beyond them do not change that.

    Production's demand records use the same rule (`full = bikes_parked >= docks` where the
    station's empty/full minutes are recorded, bikeshare's demand module), so the replay's history
    and metrics mean what production's do.
    """
    return stock >= docks
