import numpy as np
import pytest
from scipy.stats import poisson

from bikeshare.rebalancing.chain import expected_dissatisfaction, expected_outcomes, target_intervals
from bikeshare.rebalancing.model import HorizonRates


def _expected_excess(mean, threshold, cap=np.inf):
    """E[min(max(N - threshold, 0), cap)] for N ~ Poisson(mean), by direct summation."""
    counts = np.arange(400)
    return float((np.clip(counts - threshold, 0, cap) * poisson.pmf(counts, mean)).sum())


@pytest.mark.parametrize("stock", [0, 1, 3, 6, 12])
def test_lost_rentals_of_a_rental_only_station_match_the_poisson_excess(stock):
    # Rate 4/h for 1.5 h then 2/h for 1 h: N ~ Poisson(8); riders beyond the stock are lost.
    rates = HorizonRates(
        rent_per_h=np.array([[4.0, 2.0]]),
        return_per_h=np.zeros((1, 2)),
        segment_hours=np.array([1.5, 1.0]),
    )
    outcomes = expected_outcomes(docks=[15], capacity=[15], rates=rates)
    assert outcomes.lost_rentals[0, stock] == pytest.approx(_expected_excess(8.0, stock), abs=1e-7)
    assert outcomes.overflow_returns[0, stock] == 0


@pytest.mark.parametrize("stock", [0, 4, 6, 8])
def test_return_only_station_chains_up_to_its_allowance_then_refuses(stock):
    docks, capacity, mean = 6, 8, 5.0
    rates = HorizonRates(rent_per_h=np.zeros((1, 1)), return_per_h=np.array([[mean]]), segment_hours=np.array([1.0]))
    outcomes = expected_outcomes(docks=[docks], capacity=[capacity], rates=rates)
    free_docks = max(docks - stock, 0)
    chain_room = capacity - max(docks, stock)
    assert outcomes.overflow_returns[0, stock] == pytest.approx(
        _expected_excess(mean, free_docks, chain_room), abs=1e-7
    )
    assert outcomes.refused_returns[0, stock] == pytest.approx(_expected_excess(mean, capacity - stock), abs=1e-7)


def test_stock_beyond_a_stations_capacity_is_impossible():
    rates = HorizonRates(np.ones((2, 1)), np.ones((2, 1)), np.array([1.0]))
    outcomes = expected_outcomes(docks=[3, 5], capacity=[4, 7], rates=rates)
    dissatisfaction = outcomes.dissatisfaction(overflow_weight=0.5, refused_weight=1.0)
    assert np.isinf(dissatisfaction[0, 5:]).all()
    assert np.isfinite(dissatisfaction[1, :8]).all()


def test_dissatisfaction_weighed_before_the_chain_equals_the_weighed_outcomes():
    # Busy and quiet stations of very different capacities (two capacity classes), rates changing per segment.
    rng = np.random.default_rng(7)
    rates = HorizonRates(rng.uniform(0, 12, (4, 3)), rng.uniform(0, 12, (4, 3)), np.array([0.5, 1.0, 1.5]))
    docks, capacity = [3, 10, 12, 40], [4, 13, 12, 55]
    weighed_after = expected_outcomes(docks=docks, capacity=capacity, rates=rates).dissatisfaction(
        overflow_weight=0.2, refused_weight=1.0
    )
    weighed_before = expected_dissatisfaction(
        docks=docks, capacity=capacity, rates=rates, overflow_weight=0.2, refused_weight=1.0
    )
    assert np.array_equal(np.isinf(weighed_before), np.isinf(weighed_after))
    finite = np.isfinite(weighed_after)
    np.testing.assert_allclose(weighed_before[finite], weighed_after[finite], rtol=1e-9, atol=1e-9)


def test_symmetric_station_has_a_symmetric_target_interval_around_half():
    rates = HorizonRates(np.full((1, 3), 3.0), np.full((1, 3), 3.0), np.ones(3))
    outcomes = expected_outcomes(docks=[10], capacity=[10], rates=rates)
    dissatisfaction = outcomes.dissatisfaction(overflow_weight=1.0, refused_weight=1.0)
    np.testing.assert_allclose(dissatisfaction[0], dissatisfaction[0, ::-1], atol=1e-9)
    low, high = target_intervals(dissatisfaction=dissatisfaction, tolerance=0.05)
    assert low[0] + high[0] == 10
    assert low[0] <= 5 <= high[0]
    assert low[0] > 0


def test_a_station_that_mostly_loses_bikes_targets_a_high_stock():
    rates = HorizonRates(np.array([[6.0]]), np.array([[1.0]]), np.array([2.0]))
    outcomes = expected_outcomes(docks=[20], capacity=[20], rates=rates)
    low, _ = target_intervals(
        dissatisfaction=outcomes.dissatisfaction(overflow_weight=1.0, refused_weight=1.0),
        tolerance=0.1,
    )
    assert low[0] >= 10
