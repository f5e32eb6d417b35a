"""The stated rider-response model for the replay: who acts on points, how far they walk, who is paid.

Assumptions (the evaluation prints them):
- A fixed share of riders act on points (the table varies it); each trip is a different rider, drawn once per trip.
- A responding rider walks up to 300 m (`walk_m`, straight line) to the station with the most points
  (nearest on ties) to rent there if it has a bike, or to return there if it has a free dock; the
  walk takes no time in the replay.
- Only riders whose own station would have served them respond: a rider at an empty station is lost
  and one at a full station is redirected exactly as without incentives, so the gain measured is the
  rebalancing the riders do, not extra walking to rescue their own trip.
- Everyone who rents or returns at a station with points is paid (windfalls included), at the
  return, if the ride lasted >= 3 minutes and ended >= 300 m from where it began. Per-rider caps are
  not modelled (one ride earns at most twice the largest offer, under the daily cap).
"""

from dataclasses import dataclass

import numpy as np

from bikeshare.incentives.rules import (
    SLOT_MIN,
    Offers,
    PilotRules,
    PlannerRules,
    pilot_offers,
    planner_offers,
    station_dissatisfaction,
)
from bikeshare.rebalancing.demand import DemandRates
from bikeshare.rebalancing.geo import haversine_km, local_plane_km, neighbour_tree
from bikeshare.rebalancing.model import StationNetwork
from bikeshare.rebalancing.simulate import TripStream


@dataclass(frozen=True)
class RiderResponse:
    share: float
    walk_m: float = 300.0
    min_ride_min: float = 3.0
    min_distance_m: float = 300.0


@dataclass
class PilotSchedule:
    """Seoul's pilot rules, published each half hour from the stock at its start."""

    network: StationNetwork
    day_type: int
    rules: PilotRules = PilotRules()
    name: str = "pilot rules"

    def offers(self, *, slot_start_min: float, stock) -> Offers:
        return pilot_offers(
            stock=stock,
            docks=self.network.docks,
            day_type=self.day_type,
            minute_of_day=slot_start_min,
            rules=self.rules,
        )


class TruckWatch:
    """A truck policy passed through, remembering the stations on each truck's current route: the
    stations trucks are about to fix or fixed within the last re-planning interval."""

    def __init__(self, policy, size: int):
        self.policy, self.name = policy, policy.name
        self.routes: dict[int, set[int]] = {}
        self.size = size

    def decide(self, *, now_min, stock, trucks):
        decisions = self.policy.decide(now_min=now_min, stock=stock, trucks=trucks)
        for truck_id, stops in decisions.items():
            self.routes[truck_id] = {station for station, _ in stops}
        return decisions

    def worked(self) -> np.ndarray:
        marked = np.zeros(self.size, dtype=bool)
        for stations in self.routes.values():
            marked[list(stations)] = True
        return marked


@dataclass
class PlannerSchedule:
    """Ours: points from the planner's F over the next hours, none at stations on a truck's route."""

    network: StationNetwork
    rates: DemandRates
    day_type: int
    trucks: TruckWatch | None = None
    rules: PlannerRules = PlannerRules()
    name: str = "our rules"

    def offers(self, *, slot_start_min: float, stock) -> Offers:
        worked = self.trucks.worked() if self.trucks else np.zeros(self.network.size, dtype=bool)
        dissatisfaction = station_dissatisfaction(
            network=self.network,
            rates=self.rates,
            day_type=self.day_type,
            start_hour=slot_start_min / 60,
            rules=self.rules,
        )
        return planner_offers(
            dissatisfaction=dissatisfaction, stock=stock, no_rent=worked, no_return=worked, rules=self.rules
        )


class IncentiveRiders:
    """The replay's `RiderChoice`: moves responding riders to stations with points, counts what is paid."""

    def __init__(self, *, network: StationNetwork, trips: TripStream, schedule, response: RiderResponse, seed: int):
        self.network, self.trips, self.schedule, self.response = network, trips, schedule, response
        self.responds = np.random.default_rng(seed).random(len(trips.origin)) < response.share
        points = local_plane_km(lat=network.lat, lon=network.lon)
        self.walkable = neighbour_tree(lat=network.lat, lon=network.lon).query_ball_point(
            points, r=response.walk_m / 1000
        )
        self.slot, self.current = None, Offers.none(network.size)
        self.rented = {}  # trip -> (station rented at, rent points then on offer there)
        self.points_paid = self.rides_paid = self.moved_rentals = self.moved_returns = 0

    def _offers(self, now: float, stock) -> Offers:
        slot = int(now // SLOT_MIN)
        if slot != self.slot:
            self.slot, self.current = slot, self.schedule.offers(slot_start_min=slot * SLOT_MIN, stock=stock)
        return self.current

    def _best(self, station: int, points: np.ndarray, usable: np.ndarray) -> int | None:
        candidates = [j for j in self.walkable[station] if points[j] > 0 and usable[j]]
        if not candidates:
            return None
        km = haversine_km(
            lat1=self.network.lat[station],
            lon1=self.network.lon[station],
            lat2=self.network.lat[candidates],
            lon2=self.network.lon[candidates],
        )
        return int(candidates[min(range(len(candidates)), key=lambda i: (-points[candidates[i]], km[i]))])

    def rent_at(self, *, trip, station, now, stock) -> int:
        offers = self._offers(now, stock)
        if self.responds[trip] and stock[station] > 0 and offers.rent_points[station] == 0:
            better = self._best(station, offers.rent_points, stock > 0)
            if better is not None:
                station, self.moved_rentals = better, self.moved_rentals + 1
        self.rented[trip] = (station, int(offers.rent_points[station]))
        return station

    def return_at(self, *, trip, station, now, stock) -> int:
        offers = self._offers(now, stock)
        capacity, docks = self.network.capacity, self.network.docks
        if self.responds[trip] and stock[station] < capacity[station] and offers.return_points[station] == 0:
            better = self._best(station, offers.return_points, stock < docks)
            if better is not None:
                station, self.moved_returns = better, self.moved_returns + 1
        origin, rent_points = self.rented.pop(trip)
        earned = rent_points + int(offers.return_points[station])
        ride_min = float(self.trips.end_min[trip] - self.trips.start_min[trip])
        metres = 1000 * float(
            haversine_km(
                lat1=self.network.lat[origin],
                lon1=self.network.lon[origin],
                lat2=self.network.lat[station],
                lon2=self.network.lon[station],
            )
        )
        if earned and ride_min >= self.response.min_ride_min and metres >= self.response.min_distance_m:
            self.points_paid += earned
            self.rides_paid += 1
        return station
