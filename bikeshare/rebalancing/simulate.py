"""Event-by-event replay of trips against station stock, with trucks executing a policy's stops.

A rental at an empty station is lost (the rider leaves). A return at a full station (bikes fill
its docks) is chained (an overflow return); at docks + allowance it is refused and the rider rides
to the nearest station with room. Every `replan_every_min` the policy sees the stock and the
trucks and may hand a truck a new list of stops; the stop a truck is already driving to is kept.
Trucks drive and handle bikes by the shared `TruckModel`. The replay stops at the window's end:
what trucks still carry then is reported, and nothing after it is counted.
The replay also records per-station hourly counts and exposure, the input of demand estimation,
with production's meaning of "full" (`model.is_full`): return exposure is the time below the docks.
"""

import heapq
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bikeshare.rebalancing.demand import DemandHistory
from bikeshare.rebalancing.geo import haversine_km, neighbour_tree
from bikeshare.rebalancing.model import StationNetwork, Truck, TruckModel, is_full

# Same-minute order: rentals, returns, truck arrivals, re-planning.
RENT, RETURN, TRUCK_ARRIVAL, REPLAN = 0, 1, 2, 3
REDIRECT_CANDIDATES = 12


class Policy(Protocol):
    name: str

    def decide(self, *, now_min: float, stock: np.ndarray, trucks: list[Truck]) -> dict[int, list[tuple[int, int]]]:
        """New stops per truck id: (station index, load change; + pick up, - drop).

        A truck missing from the answer keeps the stops it still has.
        """


class RiderChoice(Protocol):
    """Where a trip's rider really rents and returns (a station index); `stock` is live, read-only."""

    def rent_at(self, *, trip: int, station: int, now: float, stock: np.ndarray) -> int: ...

    def return_at(self, *, trip: int, station: int, now: float, stock: np.ndarray) -> int: ...


@dataclass(frozen=True)
class TripStream:
    """Trips by station index, times in minutes after midnight, sorted by start."""

    origin: np.ndarray
    start_min: np.ndarray
    destination: np.ndarray
    end_min: np.ndarray


@dataclass
class ReplayMetrics:
    rentals: int = 0
    lost_rentals: int = 0
    overflow_returns: int = 0
    refused_returns: int = 0
    empty_station_min: float = 0.0
    full_station_min: float = 0.0
    truck_km: float = 0.0
    bikes_moved: int = 0
    bikes_on_trucks_at_end: int = 0
    lost_by_hour: dict[int, int] = field(default_factory=dict)


@dataclass
class _TruckState:
    truck_id: int
    station: int
    load: int
    capacity: int
    stops: deque = field(default_factory=deque)
    heading_to: tuple[int, int] | None = None
    ready_at: float = float("-inf")
    arrives_at: float = float("-inf")


def replay(
    *,
    network: StationNetwork,
    initial_stock,
    trips: TripStream,
    policy: Policy,
    trucks: list[Truck],
    start_min: float,
    end_min: float,
    replan_every_min: float,
    fleet: TruckModel,
    day_type: int = 0,
    riders: RiderChoice | None = None,
) -> tuple[ReplayMetrics, DemandHistory]:
    """Replay [start_min, end_min) with the trips starting in it; returns metrics and observed history.

    `riders`, when given, may send a trip's rider to another station to rent or return (incentives).
    """
    run = _Replay(network=network, stock=initial_stock, start_min=start_min, day_type=day_type)
    events = []
    sequence = 0

    def push(moment, kind, payload):
        nonlocal sequence
        heapq.heappush(events, (moment, kind, sequence, payload))
        sequence += 1

    in_window = (trips.start_min >= start_min) & (trips.start_min < end_min)
    for trip in np.flatnonzero(in_window):
        push(float(trips.start_min[trip]), RENT, int(trip))
    tick = start_min
    while tick < end_min:
        push(tick, REPLAN, None)
        tick += replan_every_min
    states = [_TruckState(t.truck_id, t.station, t.load, t.capacity) for t in trucks]

    def dispatch(state, now):
        if state.heading_to is not None or not state.stops:
            return
        station, change = state.stops.popleft()
        km = float(
            haversine_km(
                lat1=network.lat[state.station],
                lon1=network.lon[state.station],
                lat2=network.lat[station],
                lon2=network.lon[station],
            )
        )
        run.metrics.truck_km += fleet.road_km(km)
        state.heading_to = (station, change)
        # A truck still loading or unloading finishes that before driving on.
        departure = max(now, state.ready_at)
        state.arrives_at = departure + fleet.driving_min(km)
        push(state.arrives_at, TRUCK_ARRIVAL, state)

    while events and events[0][0] < end_min:
        now, kind, _, payload = heapq.heappop(events)
        if kind == RENT:
            trip = payload
            origin = int(trips.origin[trip])
            if riders is not None:
                origin = riders.rent_at(trip=trip, station=origin, now=now, stock=run.stock)
            if run.rent(station=origin, now=now):
                push(max(float(trips.end_min[trip]), now), RETURN, (int(trips.destination[trip]), trip))
        elif kind == RETURN:
            destination, trip = payload
            if riders is not None:
                destination = riders.return_at(trip=trip, station=destination, now=now, stock=run.stock)
            run.give_back(station=destination, now=now)
        elif kind == TRUCK_ARRIVAL:
            state = payload
            station, change = state.heading_to
            handled = run.truck_stop(state=state, station=station, change=change, now=now)
            state.station, state.heading_to = station, None
            state.ready_at = now + handled * fleet.handling_min_per_bike
            dispatch(state, now)
        elif kind == REPLAN:
            views = [_truck_view(state, now=now, handling_min_per_bike=fleet.handling_min_per_bike) for state in states]
            decisions = policy.decide(now_min=now, stock=run.stock.copy(), trucks=views)
            for state in states:
                if state.truck_id in decisions:
                    state.stops = deque(decisions[state.truck_id])
                dispatch(state, now)
    # Exposure stops at the window's end too: counting beyond it would dilute the last hour's rates.
    run.finish(now=end_min)
    run.metrics.bikes_on_trucks_at_end = sum(state.load for state in states)
    return run.metrics, run.history


def _truck_view(state: _TruckState, *, now: float, handling_min_per_bike: float) -> Truck:
    """Where and when a truck's next route can start: after the stop it is already driving to, and what
    that stop will change there."""
    if state.heading_to is None:
        return Truck(state.truck_id, state.station, state.load, state.capacity, max(state.ready_at - now, 0.0))
    station, change = state.heading_to
    expected_load = min(max(state.load + change, 0), state.capacity)
    handled = abs(expected_load - state.load)
    busy = state.arrives_at + handled * handling_min_per_bike - now
    return Truck(state.truck_id, station, expected_load, state.capacity, max(busy, 0.0), expected_load - state.load)


class _Replay:
    """Stock, counters and exposure bookkeeping for one replay."""

    def __init__(self, *, network, stock, start_min, day_type):
        self.network = network
        self.stock = np.array(stock, dtype=int)
        self.capacity = network.capacity
        self.day_type = day_type
        self.metrics = ReplayMetrics()
        shape = (network.size, 2, 24)
        self.history = DemandHistory(
            rentals=np.zeros(shape),
            returns=np.zeros(shape),
            minutes_with_bike=np.zeros(shape),
            minutes_with_room=np.zeros(shape),
        )
        self.since = np.full(network.size, float(start_min))
        _, self.nearest = neighbour_tree(lat=network.lat, lon=network.lon).query(
            neighbour_tree(lat=network.lat, lon=network.lon).data,
            k=min(REDIRECT_CANDIDATES, network.size),
        )

    def rent(self, *, station, now) -> bool:
        self._advance(station, now)
        hour = int(now // 60) % 24
        if self.stock[station] == 0:
            self.metrics.lost_rentals += 1
            self.metrics.lost_by_hour[hour] = self.metrics.lost_by_hour.get(hour, 0) + 1
            return False
        self.stock[station] -= 1
        self.metrics.rentals += 1
        self.history.rentals[station, self.day_type, hour] += 1
        return True

    def give_back(self, *, station, now):
        self._advance(station, now)
        if self.stock[station] >= self.capacity[station]:
            self.metrics.refused_returns += 1
            candidates = self.nearest[station].reshape(-1)
            with_room = [c for c in candidates if self.stock[c] < self.capacity[c]]
            # With every nearby station full the rider chains the bike here anyway.
            station = int(with_room[0]) if with_room else station
            self._advance(station, now)
        elif is_full(stock=self.stock[station], docks=self.network.docks[station]):
            self.metrics.overflow_returns += 1
        self.stock[station] += 1
        self.history.returns[station, self.day_type, int(now // 60) % 24] += 1

    def truck_stop(self, *, state, station, change, now) -> int:
        """Pick up or drop as much of `change` as stock, load and room allow; bikes handled."""
        self._advance(station, now)
        if change > 0:
            handled = int(min(change, self.stock[station], state.capacity - state.load))
            self.stock[station] -= handled
            state.load += handled
        else:
            # Crews chain bikes beyond the docks too, up to the station's allowance.
            room = max(self.capacity[station] - self.stock[station], 0)
            handled = int(min(-change, state.load, room))
            self.stock[station] += handled
            state.load -= handled
            self.metrics.bikes_moved += handled
        return int(handled)

    def _advance(self, station, now):
        """Credit the time since the station's last change to its exposure and empty/full time."""
        begin = float(self.since[station])
        if now <= begin:
            return
        self.since[station] = now
        stock = self.stock[station]
        if stock == 0:
            self.metrics.empty_station_min += now - begin
        full = is_full(stock=stock, docks=self.network.docks[station])
        if full:
            self.metrics.full_station_min += now - begin
        has_bike, has_room = stock > 0, not full
        while begin < now:
            hour_end = (np.floor(begin / 60) + 1) * 60
            piece_end = min(hour_end, now)
            hour = int(begin // 60) % 24
            if has_bike:
                self.history.minutes_with_bike[station, self.day_type, hour] += piece_end - begin
            if has_room:
                self.history.minutes_with_room[station, self.day_type, hour] += piece_end - begin
            begin = piece_end

    def finish(self, *, now):
        for station in range(self.network.size):
            self._advance(station, now)
