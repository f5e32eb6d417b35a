"""Where points are on offer, as pure NumPy over a network's stock: Seoul's pilot rules and ours.

Offers hold for a half-hour slot (Seoul time), published from the stock at the slot's start: a rider
sees them in the app and acts on them for the rest of the slot, as the pilot's published station
lists worked. No Flask and no database here, so the replay evaluation uses the same rules.
"""

from dataclasses import dataclass, field

import numpy as np

from bikeshare.rebalancing.chain import expected_dissatisfaction
from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND, DemandRates, horizon_rates
from bikeshare.rebalancing.model import StationNetwork
from bikeshare.rebalancing.planner import PlanSettings

SLOT_MIN = 30


@dataclass(frozen=True)
class Offers:
    """Points per station for renting there and for returning there (0: nothing on offer)."""

    rent_points: np.ndarray
    return_points: np.ndarray

    @classmethod
    def none(cls, size: int) -> "Offers":
        return cls(np.zeros(size, dtype=int), np.zeros(size, dtype=int))


@dataclass(frozen=True)
class PilotRules:
    """Seoul's 2023-2024 pilot: 100 points for renting where bikes are >= 130 % of the racks or
    returning where they are <= 30 %, in rush windows, on at most 110 stations per band (we read
    "band" as each of the two lists, crowded and sparse, the most extreme stations first)."""

    points: int = 100
    crowded_percent: int = 130
    sparse_percent: int = 30
    stations_per_band: int = 110
    # (start hour, end hour) in Seoul time, per day type; the end hour itself is outside.
    windows: dict = field(default_factory=lambda: {WEEKDAY: ((7, 9), (17, 19)), WEEKEND: ((15, 18),)})

    def in_window(self, *, day_type: int, minute_of_day: float) -> bool:
        return any(start * 60 <= minute_of_day < end * 60 for start, end in self.windows[day_type])


@dataclass(frozen=True)
class PlannerRules:
    """Ours: a station earns points in the direction that lowers its expected dissatisfaction over the
    horizon (the planner's F), in proportion to how much one bike moved lowers it."""

    # Points for removing one unit of F (one expected lost rental), at most the pilot's 100 per offer.
    # Chosen on replay mornings 2026-2027 (quick mode) among 150/300 per unit, floors 50/100, ceilings
    # 100/200 and 20/110 stations: the fewest points per bad event avoided; evaluated on other mornings.
    points_per_unit: float = 150.0
    min_points: int = 50  # smaller offers are not worth a detour: none
    max_points: int = 100
    step: int = 10
    stations_per_band: int = 110
    horizon_h: float = 2.0


def pilot_offers(*, stock, docks, day_type: int, minute_of_day: float, rules: PilotRules) -> Offers:
    """The pilot's offers for the slot starting at `minute_of_day` (Seoul time)."""
    stock, docks = np.asarray(stock, dtype=int), np.asarray(docks, dtype=int)
    if not rules.in_window(day_type=day_type, minute_of_day=minute_of_day):
        return Offers.none(len(stock))
    fill = np.divide(stock, docks, out=np.zeros(len(stock)), where=docks > 0)
    # Integer comparisons: 13 bikes on 10 docks is exactly 130 %, whatever floating point says.
    crowded = (docks > 0) & (stock * 100 >= rules.crowded_percent * docks)
    sparse = (docks > 0) & (stock * 100 <= rules.sparse_percent * docks)
    return Offers(
        rent_points=_top(crowded, -fill, rules.stations_per_band) * rules.points,
        return_points=_top(sparse, fill, rules.stations_per_band) * rules.points,
    )


def station_dissatisfaction(
    *, network: StationNetwork, rates: DemandRates, day_type: int, start_hour: float, rules: PlannerRules
) -> np.ndarray:
    """The planner's F(s) per station and starting stock over the horizon (+inf where impossible)."""
    # The planner's own weights (its class defaults), so points and trucks chase the same F.
    return expected_dissatisfaction(
        docks=network.docks,
        capacity=network.capacity,
        rates=horizon_rates(rates=rates, day_type=day_type, start_hour=start_hour, horizon_h=rules.horizon_h),
        overflow_weight=PlanSettings.overflow_weight,
        refused_weight=PlanSettings.refused_weight,
    )


def planner_offers(*, dissatisfaction, stock, no_rent, no_return, rules: PlannerRules) -> Offers:
    """Points where one bike fewer (rent) or more (return) lowers F, except where trucks work.

    `no_rent` / `no_return` mark stations the trucks are about to fix or have just fixed: points
    there would pay riders for what a truck does anyway, or for undoing it.
    """
    f = np.asarray(dissatisfaction, dtype=float)
    rows = np.arange(f.shape[0])
    s = np.clip(np.asarray(stock, dtype=int), 0, f.shape[1] - 1)
    here = f[rows, s]
    one_fewer = np.where(s > 0, f[rows, np.maximum(s - 1, 0)], np.inf)
    one_more = np.where(s + 1 < f.shape[1], f[rows, np.minimum(s + 1, f.shape[1] - 1)], np.inf)
    with np.errstate(invalid="ignore"):
        rent_gain = np.where(np.isfinite(here) & np.isfinite(one_fewer), here - one_fewer, 0.0)
        return_gain = np.where(np.isfinite(here) & np.isfinite(one_more), here - one_more, 0.0)
    return Offers(
        rent_points=_points(rent_gain, np.asarray(no_rent, dtype=bool), rules),
        return_points=_points(return_gain, np.asarray(no_return, dtype=bool), rules),
    )


def _points(gain, blocked, rules: PlannerRules) -> np.ndarray:
    points = np.round(gain * rules.points_per_unit / rules.step) * rules.step
    points = np.minimum(points, rules.max_points).astype(int)
    eligible = (points >= rules.min_points) & ~blocked
    return _top(eligible, -gain, rules.stations_per_band) * points


def _top(eligible, order_key, limit: int) -> np.ndarray:
    """1 for at most `limit` eligible stations, those with the lowest `order_key` first."""
    chosen = np.zeros(len(eligible), dtype=int)
    candidates = np.flatnonzero(eligible)
    ranked = candidates[np.argsort(np.asarray(order_key)[candidates], kind="stable")][:limit]
    chosen[ranked] = 1
    return chosen
