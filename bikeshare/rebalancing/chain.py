"""Each station as a birth-death chain over its stock: expected dissatisfaction per starting stock.

A station holding s bikes loses a rental when a rider arrives at s = 0, takes a chained
(overflow) return when s >= docks, and refuses a return at s = capacity (docks + allowance).
Rates change every horizon segment. For every starting stock at once we solve the backward
equation with uniformisation: over a segment of length tau with uniformisation rate L and jump
matrix P = I + Q / L,

    V_start = sum_k P^k (sf_k / L * cost_rate + pmf_k * V_end),   k ~ Poisson(L * tau)

which is exact up to the Poisson tail, needs no matrix exponential, and vectorises over stations.
"""

import time
from dataclasses import dataclass

import numpy as np

from bikeshare.rebalancing.model import HorizonRates

POISSON_TAIL = 1e-10
CAPACITY_CLASS_RATIO = 1.5  # stations are computed in groups whose capacities differ by at most about this ratio
OUTCOMES = ("lost_rentals", "overflow_returns", "refused_returns")


@dataclass(frozen=True)
class StockOutcomes:
    """Expected outcomes over the horizon, (stations, stock) each; stock beyond capacity is NaN."""

    lost_rentals: np.ndarray
    overflow_returns: np.ndarray
    refused_returns: np.ndarray

    def dissatisfaction(self, *, overflow_weight: float, refused_weight: float) -> np.ndarray:
        """F(s) = lost rentals + weighted bad returns; +inf where the stock is impossible."""
        weights = _dissatisfaction_weights(overflow_weight=overflow_weight, refused_weight=refused_weight)
        total = sum(weight * getattr(self, outcome) for weight, outcome in zip(weights, OUTCOMES, strict=True))
        return _impossible_is_infinite(total)


def _dissatisfaction_weights(*, overflow_weight: float, refused_weight: float) -> np.ndarray:
    """What each of OUTCOMES counts for in F: a lost rental 1, a bad return its weight."""
    return np.array([1.0, overflow_weight, refused_weight])


def _impossible_is_infinite(total: np.ndarray) -> np.ndarray:
    """F is NaN beyond a station's capacity; +inf there, so no target or move ever chooses such a stock."""
    return np.where(np.isnan(total), np.inf, total)


def expected_outcomes(*, docks, capacity, rates: HorizonRates, deadline: float | None = None) -> StockOutcomes:
    """Expected lost rentals, overflow and refused returns for every station and starting stock.

    Raises TimeoutError once `time.perf_counter()` passes `deadline` (checked between jumps).
    """
    values = _by_capacity_class(
        docks=docks, capacity=capacity, rates=rates, weights=np.eye(len(OUTCOMES)), deadline=deadline
    )
    return StockOutcomes(*values)


def expected_dissatisfaction(
    *,
    docks,
    capacity,
    rates: HorizonRates,
    overflow_weight: float,
    refused_weight: float,
    deadline: float | None = None,
) -> np.ndarray:
    """`expected_outcomes(...).dissatisfaction(...)`, a third of the work: the outcomes are weighed before
    the backward equation (it is linear), so one value per stock is propagated instead of three.

    Raises TimeoutError once `time.perf_counter()` passes `deadline`.
    """
    (total,) = _by_capacity_class(
        docks=docks,
        capacity=capacity,
        rates=rates,
        weights=_dissatisfaction_weights(overflow_weight=overflow_weight, refused_weight=refused_weight)[np.newaxis],
        deadline=deadline,
    )
    return _impossible_is_infinite(total)


def _by_capacity_class(*, docks, capacity, rates: HorizonRates, weights, deadline) -> np.ndarray:
    """(len(weights), stations, stock): each row of `weights` combines the OUTCOMES; NaN beyond capacity."""
    docks = np.asarray(docks, dtype=int)
    capacity = np.asarray(capacity, dtype=int)
    width = capacity.max(initial=0) + 1
    values = np.full((len(weights), len(capacity), width), np.nan)
    # Stations of similar capacity together: one 135-bike station must not widen every row to 136 levels.
    size_class = np.floor(np.log(capacity + 2) / np.log(CAPACITY_CLASS_RATIO)).astype(int)
    for group in np.unique(size_class):
        rows = np.flatnonzero(size_class == group)
        group_rates = HorizonRates(
            rent_per_h=np.asarray(rates.rent_per_h)[rows],
            return_per_h=np.asarray(rates.return_per_h)[rows],
            segment_hours=rates.segment_hours,
        )
        part = _outcomes(
            docks=docks[rows], capacity=capacity[rows], rates=group_rates, weights=weights, deadline=deadline
        )
        values[:, rows, : part.shape[2]] = part
    return values


def _outcomes(*, docks, capacity, rates: HorizonRates, weights, deadline: float | None) -> np.ndarray:
    """(weights, stations, stock) for stations whose capacities are close (the width is the largest)."""
    n_stations = len(capacity)
    stock = np.arange(capacity.max() + 1)
    valid = stock[None, :] <= capacity[:, None]
    can_rent = (stock[None, :] > 0) & valid
    can_return = stock[None, :] < capacity[:, None]
    is_chained = (stock[None, :] >= docks[:, None]) & can_return
    at_capacity = stock[None, :] == capacity[:, None]

    values = np.zeros((len(weights), n_stations, len(stock)))
    for segment in reversed(range(len(rates.segment_hours))):
        rent = np.asarray(rates.rent_per_h[:, segment], dtype=float)
        ret = np.asarray(rates.return_per_h[:, segment], dtype=float)
        cost_rates = np.stack(
            [
                np.where(stock[None, :] == 0, rent[:, None], 0.0),
                np.where(is_chained, ret[:, None], 0.0),
                np.where(at_capacity, ret[:, None], 0.0),
            ]
        )
        values = _uniformised_step(
            values_end=values,
            cost_rates=np.tensordot(weights, cost_rates, axes=1),
            down=np.where(can_rent, rent[:, None], 0.0),
            up=np.where(can_return, ret[:, None], 0.0),
            duration_h=float(rates.segment_hours[segment]),
            deadline=deadline,
        )
    return np.where(valid[None, :, :], values, np.nan)


def _poisson_pmf_sf(mean):
    """P(N = k) and P(N > k) for N ~ Poisson(mean), rows k = 0, 1, ... until every tail is below
    POISSON_TAIL (in NumPy: scipy.stats alone takes seconds to import, on a plan request's clock)."""
    mean = np.asarray(mean, dtype=float)
    # Mean + 8 sd + 30 reaches past a 1e-10 tail for every mean (8 sd is ~1e-15 for large means).
    rows = int(np.ceil(mean.max(initial=0.0) + 8 * np.sqrt(mean.max(initial=0.0)) + 30))
    k = np.arange(rows)[:, None]
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, rows)))))[:, None]
    pmf = np.exp(k * np.log(mean)[None, :] - mean[None, :] - log_factorial)
    # Summed from the far end, so the small tails keep their precision.
    sf = np.concatenate((np.cumsum(pmf[::-1], axis=0)[::-1][1:], np.zeros((1, len(mean)))))
    return pmf, sf


def _uniformised_step(*, values_end, cost_rates, down, up, duration_h, deadline):
    """Propagate expected future outcomes back over one constant-rate segment."""
    uniform_rate = np.maximum((down + up).max(axis=1), 1e-12)
    mean_jumps = uniform_rate * duration_h
    weights_end, weights_cost = _poisson_pmf_sf(mean_jumps)
    # The jumps whose tail P(N > k) is still above POISSON_TAIL, and one more.
    jumps_needed = np.argmax(weights_cost <= POISSON_TAIL, axis=0) + 1
    # Busy stations need more jumps; ordering them first lets step k touch only a prefix: the stations
    # needing more than k jumps ("right": a station with no rate needs one step, to carry V_end back).
    order = np.argsort(-jumps_needed, kind="stable")
    active_count = np.searchsorted(-jumps_needed[order], -np.arange(jumps_needed.max() + 1), "right")
    p_down = (down / uniform_rate[:, None])[order]
    p_up = (up / uniform_rate[:, None])[order]
    p_stay = 1.0 - p_down - p_up
    jump_power_cost = cost_rates[:, order] / uniform_rate[order][None, :, None]
    jump_power_end = values_end[:, order].copy()
    result = np.zeros_like(values_end)
    weights_cost, weights_end = weights_cost[:, order], weights_end[:, order]
    for k in range(jumps_needed.max()):
        active = active_count[k + 1]
        if active == 0:
            break
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeoutError("the chain ran out of time")
        weight_cost = weights_cost[k, :active][None, :, None]
        weight_end = weights_end[k, :active][None, :, None]
        result[:, :active] += weight_cost * jump_power_cost[:, :active] + weight_end * jump_power_end[:, :active]
        jump_power_cost[:, :active] = _apply_jump(
            jump_power_cost[:, :active], p_down[:active], p_up[:active], p_stay[:active]
        )
        jump_power_end[:, :active] = _apply_jump(
            jump_power_end[:, :active], p_down[:active], p_up[:active], p_stay[:active]
        )
    unsorted = np.empty_like(result)
    unsorted[:, order] = result
    return unsorted


def _apply_jump(vector, p_down, p_up, p_stay):
    """(P v)(s) = p_down(s) v(s-1) + p_up(s) v(s+1) + p_stay(s) v(s), per station."""
    out = p_stay * vector
    out[..., 1:] += p_down[:, 1:] * vector[..., :-1]
    out[..., :-1] += p_up[:, :-1] * vector[..., 1:]
    return out


def target_intervals(*, dissatisfaction, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest stock whose F(s) is within `tolerance` of the station's minimum."""
    near_best = dissatisfaction <= dissatisfaction.min(axis=1, keepdims=True) + tolerance
    low = near_best.argmax(axis=1)
    high = near_best.shape[1] - 1 - near_best[:, ::-1].argmax(axis=1)
    return low, high
