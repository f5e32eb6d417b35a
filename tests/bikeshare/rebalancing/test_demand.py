import numpy as np
import pytest

from bikeshare.rebalancing.demand import WEEKDAY, DemandHistory, estimate_rates, horizon_rates


def _history(rentals, minutes_with_bike):
    shape = (len(rentals), 2, 24)
    history = DemandHistory(*(np.zeros(shape) for _ in range(4)))
    history.rentals[:, WEEKDAY, 8] = rentals
    history.minutes_with_bike[:, WEEKDAY, 8] = minutes_with_bike
    history.returns[:, WEEKDAY, 8] = rentals
    history.minutes_with_room[:, WEEKDAY, 8] = 60
    return history


def test_rentals_are_divided_by_the_time_a_bike_was_there(make_line_network):
    network = make_line_network(km_positions=[0, 1], docks=[10, 10])
    # Six rentals while the station had a bike for only 30 minutes: demand was 12 per hour.
    history = _history(rentals=[6, 6], minutes_with_bike=[30, 30])
    rates = estimate_rates(network=network, history=history, prior_strength_h=0.0)
    assert rates.rent_per_h[0, WEEKDAY, 8] == pytest.approx(12.0)
    assert rates.return_per_h[0, WEEKDAY, 8] == pytest.approx(6.0)


def test_a_station_without_history_takes_its_neighbourhood_rate(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 1.0], docks=[10, 10, 10])
    history = _history(rentals=[10, 20, 0], minutes_with_bike=[60, 60, 0])
    rates = estimate_rates(network=network, history=history, neighbours=2, prior_strength_h=2.0)
    # Neighbours and district both pool 30 rentals over 2 hours.
    assert rates.rent_per_h[2, WEEKDAY, 8] == pytest.approx(15.0)
    # A station with data is pulled toward the prior in proportion to exposure: (10 + 2*pr) / 3.
    neighbours_of_first = (20 + 0) / 1.0
    district = 30 / 2.0
    prior = 0.5 * neighbours_of_first + 0.5 * district
    assert rates.rent_per_h[0, WEEKDAY, 8] == pytest.approx((10 + 2 * prior) / 3)


def test_horizon_rates_split_at_whole_hours():
    shape = (1, 2, 24)
    rent = np.zeros(shape)
    rent[0, WEEKDAY, 7], rent[0, WEEKDAY, 8] = 5.0, 9.0
    rates = type("Rates", (), {"rent_per_h": rent, "return_per_h": rent})()
    horizon = horizon_rates(rates=rates, day_type=WEEKDAY, start_hour=7.5, horizon_h=1.25)
    np.testing.assert_allclose(horizon.segment_hours, [0.5, 0.75])
    np.testing.assert_allclose(horizon.rent_per_h[0], [5.0, 9.0])
