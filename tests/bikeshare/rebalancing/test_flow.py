import numpy as np

from bikeshare.rebalancing.flow import plan_moves


def _gap_dissatisfaction(*, low, high, capacity):
    """F(s) = bikes outside [low, high]: every bike of gap counts one."""
    levels = np.arange(capacity + 1)[None, :]
    low, high = np.asarray(low)[:, None], np.asarray(high)[:, None]
    return (np.maximum(low - levels, 0) + np.maximum(levels - high, 0)).astype(float)


def _flow(network, stock, low, high, **options):
    return plan_moves(
        lat=network.lat,
        lon=network.lon,
        stock=stock,
        dissatisfaction=_gap_dissatisfaction(low=low, high=high, capacity=20),
        target_low=low,
        target_high=high,
        **options,
    )


def test_givers_are_paired_with_their_near_takers(make_line_network):
    # Givers at 0 km and 3 km, takers at 1 km and 2.5 km: pairing near with near costs 3 bike-km
    # in all, crossing costs 9.
    network = make_line_network(km_positions=[0, 1, 2.5, 3], docks=[20] * 4)
    moves = _flow(network, stock=[8, 3, 3, 8], low=[5, 5, 5, 5], high=[6, 6, 6, 6], max_bikes=100)
    assert {(m.source, m.target, m.bikes) for m in moves} == {(0, 1, 2), (3, 2, 2)}
    assert all(m.value == 2 * m.bikes for m in moves)


def test_the_bike_budget_limits_the_flow_to_the_cheapest_moves(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2.5, 3], docks=[20] * 4)
    moves = _flow(network, stock=[8, 3, 3, 8], low=[5] * 4, high=[6] * 4, max_bikes=2)
    assert [(m.source, m.target, m.bikes) for m in moves] == [(3, 2, 2)]


def test_no_arc_is_longer_than_the_radius(make_line_network):
    network = make_line_network(km_positions=[0, 1, 2.5, 3], docks=[20] * 4)
    moves = _flow(network, stock=[8, 3, 3, 8], low=[5] * 4, high=[6] * 4, max_bikes=100, radius_km=0.8)
    assert [(m.source, m.target, m.bikes) for m in moves] == [(3, 2, 2)]


def test_unbalanced_totals_move_only_what_the_takers_need(make_line_network):
    network = make_line_network(km_positions=[0, 0.5, 1], docks=[20] * 3)
    moves = _flow(network, stock=[15, 4, 5], low=[5] * 3, high=[6] * 3, max_bikes=100)
    assert sum(m.bikes for m in moves) == 1
    assert [(m.source, m.target) for m in moves] == [(0, 1)]


def test_moves_that_cost_more_than_they_save_are_not_made(make_line_network):
    network = make_line_network(km_positions=[0, 2], docks=[20, 20])
    moves = _flow(network, stock=[10, 0], low=[0, 3], high=[6, 20], max_bikes=100, cost_per_km=1.5)
    assert moves == []
