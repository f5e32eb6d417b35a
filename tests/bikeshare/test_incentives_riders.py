"""The stated rider-response model in the replay, on a three-station network."""

import numpy as np
import pytest

from bikeshare.incentives.riders import IncentiveRiders, PilotSchedule, RiderResponse
from bikeshare.rebalancing.demand import WEEKDAY
from bikeshare.rebalancing.model import StationNetwork
from bikeshare.rebalancing.policies import DoNothing
from bikeshare.rebalancing.simulate import TripStream, replay
from tests.bikeshare.rebalancing.conftest import TRUCK_MODEL

# HOME and CROWDED are ~110 m apart (a walk); WORK is ~2 km away. CROWDED holds 15 bikes on 10 docks.
NETWORK = StationNetwork(
    station_ids=np.array([1, 2, 3]),
    lat=np.array([37.5600, 37.5610, 37.5780]),
    lon=np.array([126.9700, 126.9700, 126.9700]),
    docks=np.array([10, 10, 40]),
    overflow_allowance=np.array([5, 5, 0]),
    district=np.array(["중구"] * 3, dtype=object),
)
HOME, CROWDED, WORK = 0, 1, 2
TRIPS = TripStream(
    origin=np.full(5, HOME),
    start_min=8 * 60 + np.arange(5, dtype=float),
    destination=np.full(5, WORK),
    end_min=8 * 60 + 10 + np.arange(5, dtype=float),
)


def run(share: float):
    riders = IncentiveRiders(
        network=NETWORK,
        trips=TRIPS,
        schedule=PilotSchedule(network=NETWORK, day_type=WEEKDAY),
        response=RiderResponse(share=share),
        seed=1,
    )
    metrics, _ = replay(
        network=NETWORK,
        initial_stock=[5, 15, 0],
        trips=TRIPS,
        policy=DoNothing(),
        trucks=[],
        start_min=8 * 60,
        end_min=9 * 60,
        replan_every_min=30,
        day_type=WEEKDAY,
        fleet=TRUCK_MODEL,
        riders=riders,
    )
    return metrics, riders


@pytest.mark.parametrize(("share", "moved"), [(0.0, 0), (1.0, 5)])
def test_riders_who_respond_walk_to_the_station_with_points_and_are_paid(share, moved):
    metrics, riders = run(share)
    assert metrics.rentals == 5
    assert riders.moved_rentals == moved
    # WORK is empty (<= 30 %), so every return there earns too: windfalls are paid like the rest.
    assert riders.points_paid == 5 * 100 + moved * 100
