"""Dock supply against demand, pure NumPy: expected riders turned away on a typical day, and where
moving a limited number of docks turns fewest away (Freund et al. 2017, "Minimizing multimodular
functions and allocating capacity in bike-sharing systems", the approach Citi Bike used).

Each station is the birth-death chain of `bikeshare.rebalancing.chain` over a whole service day from
its starting stock. A rider is turned away when renting at an empty station (a lost rental) or
returning to a full one (a return beyond the docks is chained to a docked bike or, beyond the chained
parking allowance, refused): the issue's "empty or full minutes × the rate riders arrive". For a dock
count d, G(d) is the fewest riders turned away over the best starting stock (that stock is the
station's target); a typical week weighs five weekdays and two weekend days.

The reallocation is a greedy marginal exchange: move one dock from the station that loses least by
giving it to the station that gains most by receiving it, while the gain exceeds the loss, at most N
times. For G convex in d (Freund et al. show the structure that makes such exchanges sound) this
reaches the best allocation within the move budget; we do not prove convexity for every station.
Only screened candidates are evaluated beyond ±0 docks (the stations that turn most returns away
as recipients, those that turn fewest away as donors), extended a few docks at a time while the
exchange keeps pushing a station to the edge of what was evaluated.
"""

from dataclasses import dataclass

import numpy as np

from bikeshare.rebalancing.chain import StockOutcomes, expected_outcomes
from bikeshare.rebalancing.model import HorizonRates

# Every turned-away rider counts once, whether a rental or a return (chained or refused).
TURNED_AWAY_WEIGHTS = {"overflow_weight": 1.0, "refused_weight": 1.0}
# Rows per chain call: grouping stations of similar capacity keeps the stock axis short (CPU for one
# Seoul weekday: 150 rows 5.2 s, 300 4.0 s, 500 3.0 s, 1000 4.8 s).
ROWS_PER_CALL = 500
# A station keeps at least this many docks, loses at most LOSS_LIMIT and gains at most GAIN_LIMIT
# (street space is finite; bigger changes are a new station, not a reallocation).
MIN_DOCKS = 3
LOSS_LIMIT = 10
GAIN_LIMIT = 15
EXTEND_BY = 3
# Stations screened on each side per dock to move (half as many found the same allocation as one per
# dock on the Seoul network, in 60 % of the chain evaluations).
CANDIDATES_PER_MOVE = 0.5
MIN_CANDIDATES = 20
IMPROVEMENT_EPSILON = 1e-9


@dataclass(frozen=True)
class TypicalDay:
    """The rates of a typical day of one kind and its share of days (5/7 weekday, 2/7 weekend)."""

    name: str
    rates: HorizonRates
    weight: float


def station_outcomes(*, docks, capacity, rates: HorizonRates) -> StockOutcomes:
    """The chain's expected outcomes for every station and starting stock, computed in groups of
    similar capacity (one call would run every station over the largest station's stock axis)."""
    docks, capacity = np.asarray(docks, dtype=int), np.asarray(capacity, dtype=int)
    shape = (len(capacity), int(capacity.max(initial=0)) + 1)
    result = [np.full(shape, np.nan) for _ in range(3)]
    order = np.argsort(capacity, kind="stable")
    for rows in np.array_split(order, max(1, -(-len(order) // ROWS_PER_CALL))):
        if rows.size == 0:
            continue
        part = expected_outcomes(
            docks=docks[rows],
            capacity=capacity[rows],
            rates=HorizonRates(rates.rent_per_h[rows], rates.return_per_h[rows], rates.segment_hours),
        )
        width = part.lost_rentals.shape[1]
        for target, values in zip(
            result, (part.lost_rentals, part.overflow_returns, part.refused_returns), strict=True
        ):
            target[rows, :width] = values
    return StockOutcomes(*result)


def turned_away(outcomes: StockOutcomes) -> np.ndarray:
    """Riders turned away per station and starting stock (+inf where the stock does not fit)."""
    return outcomes.dissatisfaction(**TURNED_AWAY_WEIGHTS)


@dataclass(frozen=True)
class Reallocation:
    """The recommended docks and, per typical day, each station's target stock and turned-away riders.

    `before` is at today's docks, `after` at the recommended ones, both from each station's target
    stock: the difference is what the docks alone change. Arrays are (day types, stations).
    """

    docks: np.ndarray
    target_before: np.ndarray
    target_after: np.ndarray
    turned_away_before: np.ndarray
    turned_away_after: np.ndarray
    docks_moved: int
    evaluated_rows: int


def reallocate_docks(
    *, docks, allowance, days: list[TypicalDay], base: list[StockOutcomes], max_moves: int
) -> Reallocation:
    """Move at most `max_moves` docks between stations to turn the fewest riders away in a typical week.

    `base` holds each day's outcomes at today's docks (from `station_outcomes`); chained parking
    beyond the docks (`allowance`) stays what riders do at each station.
    """
    docks, allowance = np.asarray(docks, dtype=int), np.asarray(allowance, dtype=int)
    size = len(docks)
    table = _OffsetTable(docks=docks, allowance=allowance, days=days)
    table.store(np.arange(size), np.zeros(size, dtype=int), [turned_away(o) for o in base])
    return_side = sum(day.weight * _return_side_at_best(outcomes) for day, outcomes in zip(days, base, strict=True))
    candidates = min(size, max(MIN_CANDIDATES, int(max_moves * CANDIDATES_PER_MOVE)))
    recipients = np.argsort(-return_side, kind="stable")[:candidates]
    donors = np.argsort(return_side, kind="stable")[:candidates]
    # One dock either way first: most candidates stop there, the exchange's favourites are extended.
    table.extend(recipients, [1])
    table.extend(donors, [-1])
    while True:
        offsets = _exchange(table.combined(), lowest=table.lowest, max_moves=max_moves)
        at_top = np.flatnonzero((offsets > 0) & (offsets == table.highest_known) & (offsets < GAIN_LIMIT))
        at_bottom = np.flatnonzero((offsets < 0) & (offsets == table.lowest_known) & (offsets > table.lowest))
        if at_top.size == 0 and at_bottom.size == 0:
            break
        for stations, step in ((at_top, 1), (at_bottom, -1)):
            if stations.size:
                edge = offsets[stations]
                table.extend_each(stations, [edge + step * k for k in range(1, EXTEND_BY + 1)])
    rows = np.arange(size)
    zero = np.zeros(size, dtype=int)
    return Reallocation(
        docks=docks + offsets,
        target_before=table.target(rows, zero),
        target_after=table.target(rows, offsets),
        turned_away_before=table.value(rows, zero),
        turned_away_after=table.value(rows, offsets),
        docks_moved=int(offsets[offsets > 0].sum()),
        evaluated_rows=table.evaluated_rows,
    )


def _return_side_at_best(outcomes: StockOutcomes) -> np.ndarray:
    """Returns turned away (chained or refused) at each station's best starting stock."""
    best = np.argmin(turned_away(outcomes), axis=1)
    rows = np.arange(len(best))
    return outcomes.overflow_returns[rows, best] + outcomes.refused_returns[rows, best]


class _OffsetTable:
    """G(d + offset) and its best stock per station, day type and evaluated offset (NaN: not evaluated)."""

    def __init__(self, *, docks, allowance, days):
        self.docks, self.allowance, self.days = docks, allowance, days
        self.lowest = np.maximum(np.minimum(MIN_DOCKS - docks, 0), -LOSS_LIMIT)
        width = LOSS_LIMIT + GAIN_LIMIT + 1
        self.values = np.full((len(days), len(docks), width), np.nan)
        self.targets = np.zeros((len(days), len(docks), width), dtype=int)
        self.evaluated_rows = 0

    def _column(self, offsets):
        return np.asarray(offsets) + LOSS_LIMIT

    def store(self, stations, offsets, values_per_day):
        for day, values in enumerate(values_per_day):
            self.values[day, stations, self._column(offsets)] = values.min(axis=1)
            self.targets[day, stations, self._column(offsets)] = values.argmin(axis=1)

    def extend(self, stations, offsets):
        self.extend_each(stations, [np.full(len(stations), offset) for offset in offsets])

    def extend_each(self, stations, offsets_list):
        """Evaluate station `stations[k]` at each `offsets_list[j][k]` that is allowed and not yet known."""
        pairs = [
            (station, offset)
            for offsets in offsets_list
            for station, offset in zip(stations, np.asarray(offsets), strict=True)
            if self.lowest[station] <= offset <= GAIN_LIMIT and np.isnan(self.values[0, station, self._column(offset)])
        ]
        if not pairs:
            return
        rows, offsets = (np.array(column) for column in zip(*pairs, strict=True))
        docks = self.docks[rows] + offsets
        capacity = docks + self.allowance[rows]
        values = []
        for day in self.days:
            rates = HorizonRates(day.rates.rent_per_h[rows], day.rates.return_per_h[rows], day.rates.segment_hours)
            values.append(turned_away(station_outcomes(docks=docks, capacity=capacity, rates=rates)))
        self.store(rows, offsets, values)
        self.evaluated_rows += len(rows) * len(self.days)

    def combined(self) -> np.ndarray:
        """The week's G per station and offset column: the day types weighted by their share of days."""
        return sum(day.weight * self.values[index] for index, day in enumerate(self.days))

    @property
    def highest_known(self):
        known = ~np.isnan(self.values[0])
        return known.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1) - LOSS_LIMIT

    @property
    def lowest_known(self):
        return np.argmax(~np.isnan(self.values[0]), axis=1) - LOSS_LIMIT

    def value(self, stations, offsets):
        return self.values[:, stations, self._column(offsets)]

    def target(self, stations, offsets):
        return self.targets[:, stations, self._column(offsets)]


def _exchange(combined, *, lowest, max_moves) -> np.ndarray:
    """Greedy marginal exchange over the evaluated offsets; a station only gives or only receives."""
    size = combined.shape[0]
    rows = np.arange(size)
    offsets = np.zeros(size, dtype=int)
    last = combined.shape[1] - 1
    for _ in range(max_moves):
        column = offsets + LOSS_LIMIT
        gain = np.full(size, -np.inf)
        can_grow = (column < last) & (offsets >= 0)
        gain[can_grow] = combined[rows[can_grow], column[can_grow]] - combined[rows[can_grow], column[can_grow] + 1]
        loss = np.full(size, np.inf)
        can_shrink = (offsets > lowest) & (offsets <= 0)
        loss[can_shrink] = (
            combined[rows[can_shrink], column[can_shrink] - 1] - combined[rows[can_shrink], column[can_shrink]]
        )
        gain = np.nan_to_num(gain, nan=-np.inf, posinf=np.inf, neginf=-np.inf)
        loss = np.nan_to_num(loss, nan=np.inf, posinf=np.inf, neginf=-np.inf)
        receiver = int(np.argmax(gain))
        loss[receiver] = np.inf
        giver = int(np.argmin(loss))
        if not np.isfinite(gain[receiver]) or not np.isfinite(loss[giver]):
            break
        if gain[receiver] - loss[giver] <= IMPROVEMENT_EPSILON:
            break
        offsets[receiver] += 1
        offsets[giver] -= 1
    return offsets
