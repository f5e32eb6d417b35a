"""Target stock per station: the chain's least-dissatisfaction interval, or a quick one when time is short.

The chain (`chain.expected_dissatisfaction`) prices every starting stock by expected lost rentals and bad
returns over the horizon; it is the planner's real objective and costs about half a second for the
city on a quiet machine. When a zone's share of the time limit cannot pay for it, the zone gets
quick targets from the horizon's expected net demand (a fluid approximation: enough bikes for the
expected net outflow, room for the expected net inflow), and every bike outside them counts the same.
"""

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bikeshare.rebalancing.chain import expected_dissatisfaction, target_intervals
from bikeshare.rebalancing.model import HorizonRates


class TargetMethod(StrEnum):
    CHAIN = "chain"
    QUICK = "quick"  # the fallback when the chain does not fit the time
    RULE = "rule"  # a rule of thumb's own targets (the baseline policies)


@dataclass(frozen=True)
class Targets:
    """F(s) per station and stock (+inf where impossible), the target interval, and how they were found.

    Only chain targets are in units of expected dissatisfaction (lost rentals and weighted returns).
    """

    dissatisfaction: np.ndarray
    low: np.ndarray
    high: np.ndarray
    method: TargetMethod


def chain_targets(
    *,
    docks,
    capacity,
    rates: HorizonRates,
    overflow_weight: float,
    refused_weight: float,
    tolerance: float,
    deadline: float | None = None,
) -> Targets:
    """The chain's targets; raises TimeoutError when they cannot be computed before `deadline`."""
    dissatisfaction = expected_dissatisfaction(
        docks=docks,
        capacity=capacity,
        rates=rates,
        overflow_weight=overflow_weight,
        refused_weight=refused_weight,
        deadline=deadline,
    )
    low, high = target_intervals(dissatisfaction=dissatisfaction, tolerance=tolerance)
    return Targets(dissatisfaction, low, high, TargetMethod.CHAIN)


def quick_targets(*, docks, capacity, rates: HorizonRates) -> Targets:
    """Targets from the expected net demand over the horizon, in milliseconds."""
    docks, capacity = np.asarray(docks, dtype=int), np.asarray(capacity, dtype=int)
    rentals = rates.rent_per_h @ rates.segment_hours
    returns = rates.return_per_h @ rates.segment_hours
    low = np.minimum(np.ceil(np.maximum(rentals - returns, 0.0)), docks).astype(int)
    high = np.maximum(low, docks - np.ceil(np.maximum(returns - rentals, 0.0)).astype(int))
    return Targets(gap_dissatisfaction(low=low, high=high, capacity=capacity), low, high, TargetMethod.QUICK)


def gap_dissatisfaction(*, low, high, capacity) -> np.ndarray:
    """F(s) = bikes below `low` or above `high` (+inf beyond capacity): every bike of gap counts the same."""
    capacity = np.asarray(capacity, dtype=int)
    levels = np.arange(capacity.max(initial=0) + 1)[None, :]
    gap = np.maximum(np.asarray(low)[:, None] - levels, 0) + np.maximum(levels - np.asarray(high)[:, None], 0)
    return np.where(levels <= capacity[:, None], gap.astype(float), np.inf)
