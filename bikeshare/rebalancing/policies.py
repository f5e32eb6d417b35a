"""Rebalancing policies for the replay: do nothing, two rules of thumb, and the planner.

All of them drive the same trucks through the same flow and routing machinery; they differ only in
what they consider a good stock, so the comparison measures the targets, not the logistics.
With a `shift_end_min`, routes are cut to end a margin before then, so trucks are empty when the shift ends.
"""

import time
from dataclasses import dataclass, replace

import numpy as np

from bikeshare.rebalancing.demand import DemandRates
from bikeshare.rebalancing.model import StationNetwork
from bikeshare.rebalancing.planner import PlanSettings, after_committed_stops, build_plan
from bikeshare.rebalancing.targets import TargetMethod, Targets, gap_dissatisfaction
from bikeshare.rebalancing.zones import plan_zones


@dataclass
class DoNothing:
    name: str = "do nothing"

    def decide(self, *, now_min, stock, trucks):
        return {}


@dataclass
class RuleOfThumb:
    """Move stock into [low, high] per station, every bike of gap counting the same.

    `high_when` and `low_when` say which stations the rule acts on at all.
    """

    name: str
    network: StationNetwork
    zones: np.ndarray
    low_when: float
    low_to: float
    high_when: float
    high_to: float
    settings: PlanSettings
    time_limit_s: float = 5.0
    shift_end_min: float | None = None

    def decide(self, *, now_min, stock, trucks):
        docks, capacity = self.network.docks, self.network.capacity
        stock = after_committed_stops(stock=stock, trucks=trucks, capacity=capacity)
        low = np.where(stock < self.low_when * docks, np.ceil(self.low_to * docks), 0).astype(int)
        high = np.where(stock > self.high_when * docks, np.floor(self.high_to * docks), capacity).astype(int)

        def targets(members, _chain_deadline):
            dissatisfaction = gap_dissatisfaction(low=low[members], high=high[members], capacity=capacity[members])
            return Targets(dissatisfaction, low[members], high[members], TargetMethod.RULE)

        _, routes, _ = plan_zones(
            stations=self.network,
            stock=stock,
            targets=targets,
            trucks=trucks,
            zones=self.zones,
            deadline=time.perf_counter() + self.time_limit_s,
            settings=until_shift_end(self.settings, now_min=now_min, shift_end_min=self.shift_end_min),
        )
        return {r.truck_id: [(s.station, s.load_change) for s in r.stops] for r in routes}


def fill_to_half(*, network, zones, **options) -> RuleOfThumb:
    """Every station toward half its docks."""
    return RuleOfThumb(
        name="fill to half",
        network=network,
        zones=zones,
        low_when=0.5,
        low_to=0.5,
        high_when=0.5,
        high_to=0.5,
        **options,
    )


def seoul_thresholds(*, network, zones, **options) -> RuleOfThumb:
    """Seoul's rule: clear stations above 130 % of docks down to 100 %, fill those below 30 % to
    50 % (the upper levels are our reading; the city publishes only the thresholds)."""
    return RuleOfThumb(
        name="Seoul thresholds",
        network=network,
        zones=zones,
        low_when=0.3,
        low_to=0.5,
        high_when=1.3,
        high_to=1.0,
        **options,
    )


@dataclass
class PlannerPolicy:
    """Re-plan from the observed stock with the chain targets each time it is called."""

    network: StationNetwork
    rates: DemandRates
    zones: np.ndarray
    settings: PlanSettings
    day_type: int = 0
    horizon_h: float = 2.0
    time_limit_s: float = 5.0
    shift_end_min: float | None = None
    name: str = "planner (re-planning)"

    def decide(self, *, now_min, stock, trucks):
        plan = build_plan(
            stations=self.network,
            stock=stock,
            rates=self.rates,
            trucks=trucks,
            start_hour=now_min / 60,
            day_type=self.day_type,
            horizon_h=self.horizon_h,
            zone=self.zones,
            deadline=time.perf_counter() + self.time_limit_s,
            settings=until_shift_end(self.settings, now_min=now_min, shift_end_min=self.shift_end_min),
        )
        return {r.truck_id: [(s.station, s.load_change) for s in r.stops] for r in plan.routes}


# Routes are planned to end this long before the shift does, so trucks slower than the planner believes
# still drop their last bikes in time. Measured on the replay (full city, 30 trucks of 20, re-planning every
# 30 min, tuning mornings 3001-3004): a planner believing 0.5 min per bike against trucks taking 1 left
# 146/163/114/131 bikes aboard at 10:30 without it, 10/13/13/10 with 15 minutes; with the true handling time
# it cost 0.2 points of lost rentals avoided on average over six paired mornings, within the noise.
SHIFT_END_MARGIN_MIN = 15.0


def until_shift_end(settings: PlanSettings, *, now_min: float, shift_end_min: float | None) -> PlanSettings:
    """The settings with routes cut to end SHIFT_END_MARGIN_MIN before the shift's end (a truck's own load is
    dropped even after it)."""
    if shift_end_min is None:
        return settings
    minutes = max(min(settings.trucks.max_route_min, shift_end_min - now_min - SHIFT_END_MARGIN_MIN), 0.0)
    return replace(settings, trucks=replace(settings.trucks, max_route_min=minutes))


@dataclass
class DawnPlanPolicy:
    """One plan at the first call from expected demand, then executed without re-planning.

    The reference point for re-planning: it shows what observing the stock during the rush adds.
    """

    planner: PlannerPolicy
    name: str = "planner (one dawn plan)"
    planned: bool = False

    def decide(self, *, now_min, stock, trucks):
        if self.planned:
            return {}
        self.planned = True
        return self.planner.decide(now_min=now_min, stock=stock, trucks=trucks)
