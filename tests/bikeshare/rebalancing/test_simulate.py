import numpy as np
import pytest

from bikeshare.rebalancing.demand import WEEKDAY, DemandRates
from bikeshare.rebalancing.model import Truck
from bikeshare.rebalancing.policies import DoNothing, PlannerPolicy
from bikeshare.rebalancing.simulate import TripStream, replay


def _trips(rows):
    origin, start, destination, end = (np.array(column) for column in zip(*rows, strict=True))
    return TripStream(origin=origin, start_min=start.astype(float), destination=destination, end_min=end.astype(float))


def _replay(network, stock, trips, policy=None, trucks=(), end_min=600.0):
    return replay(
        network=network,
        initial_stock=stock,
        trips=trips,
        policy=policy or DoNothing(),
        trucks=list(trucks),
        start_min=480.0,
        end_min=end_min,
        replan_every_min=30.0,
    )


def test_renting_at_an_empty_station_is_a_lost_rental(make_line_network):
    network = make_line_network(km_positions=[0, 1], docks=[5, 5])
    metrics, history = _replay(network, [0, 3], _trips([(0, 490, 1, 500), (1, 495, 0, 505)]))
    assert metrics.lost_rentals == 1
    assert metrics.rentals == 1
    assert metrics.lost_by_hour == {8: 1}
    assert history.rentals[1, WEEKDAY, 8] == 1
    # Station 0 got a bike back at 08:25 and was empty from 08:00 until then.
    assert history.minutes_with_bike[0, WEEKDAY, 8] == pytest.approx(35.0)


def test_returns_beyond_docks_are_chained_then_refused_and_redirected(make_line_network):
    network = make_line_network(km_positions=[0, 1, 1.2], docks=[5, 2, 5], allowance=[0, 1, 0])
    trips = _trips([(0, 490, 1, 500), (0, 491, 1, 501)])
    metrics, _ = _replay(network, [5, 2, 0], trips)
    assert metrics.overflow_returns == 1
    assert metrics.refused_returns == 1
    assert metrics.lost_rentals == 0


def test_empty_and_full_station_minutes_are_integrated_over_the_window(make_line_network):
    network = make_line_network(km_positions=[0, 1], docks=[4, 4])
    metrics, _ = _replay(network, [0, 4], _trips([(1, 510, 1, 520)]), end_min=540.0)
    # Station 0 empty all 60 minutes; station 1 full except 08:30-08:40.
    assert metrics.empty_station_min == pytest.approx(60.0)
    assert metrics.full_station_min == pytest.approx(50.0)


def _commuter_network(make_line_network):
    """Riders rent at station 1 (empty) and ride to station 0 (full) all morning."""
    network = make_line_network(km_positions=[0, 0.8, 3], docks=[20, 20, 20], allowance=[5, 5, 5])
    starts = np.arange(485.0, 600.0, 5.0)
    trips = _trips([(1, s, 0, s + 8) for s in starts])
    rent = np.zeros((3, 2, 24))
    ret = np.zeros((3, 2, 24))
    rent[1, :, 8:10] = 12.0
    ret[0, :, 8:10] = 12.0
    return network, trips, DemandRates(rent_per_h=rent, return_per_h=ret)


def test_re_planning_reduces_lost_rentals_on_an_imbalanced_network(make_line_network):
    network, trips, rates = _commuter_network(make_line_network)
    stock = [20, 0, 10]
    trucks = [Truck(truck_id=1, station=2, load=0, capacity=10)]
    idle, _ = _replay(network, stock, trips)
    policy = PlannerPolicy(network=network, rates=rates, zones=np.zeros(3, dtype=int), time_limit_s=1.0)
    planned, _ = _replay(network, stock, trips, policy=policy, trucks=trucks)
    assert idle.lost_rentals == len(trips.origin)
    assert planned.lost_rentals < idle.lost_rentals / 2
    assert planned.bikes_moved > 0
    assert planned.truck_km > 0


class _ScriptedPolicy:
    """Hands out fixed stops on its first call only."""

    name = "scripted"

    def __init__(self, stops):
        self.stops = stops

    def decide(self, *, now_min, stock, trucks):
        stops, self.stops = self.stops, {}
        return stops


def test_trucks_spend_driving_and_handling_time_before_bikes_arrive(make_line_network):
    network = make_line_network(km_positions=[0, 1], docks=[10, 10])
    # Pick up 4 at 08:00 (2 min of handling), drive 1 km at 20 km/h (3 min): drop at ~08:05.
    policy = _ScriptedPolicy({1: [(0, 4), (1, -4)]})
    trips = _trips([(1, 484, 0, 490), (1, 486, 0, 490)])
    trucks = [Truck(truck_id=1, station=0, load=0, capacity=10)]
    metrics, _ = _replay(network, [8, 0], trips, policy=policy, trucks=trucks)
    assert metrics.lost_rentals == 1
    assert metrics.rentals == 1
    assert metrics.bikes_moved == 4
    assert metrics.truck_km == pytest.approx(1.0, rel=0.02)
