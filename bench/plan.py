"""Time a full-city rebalancing plan through the planner's entry point (`build_plan`).

The network is the shipped station list with the 05:29 stock snapshot; the demand rates are a
SYNTHETIC weekday profile (~120,000 rides a day, the morning and evening rush carrying half) spread
over stations by docks with random per-station imbalance. The rates only set the problem's shape
for the timing: a real deployment feeds the rates estimated from its trip records.
"""

import time
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TRUCKS, TRUCK_CAPACITY = 30, 20
RIDES_PER_DAY = 120_000
# Share of a weekday's rides per hour of day (peaks 07-09 and 17-19).
WEEKDAY_PROFILE = np.array(
    [
        1.0,
        0.6,
        0.4,
        0.3,
        0.3,
        0.8,
        2.5,
        7.5,
        11.0,
        5.0,
        3.2,
        3.3,
        3.6,
        3.6,
        3.7,
        4.0,
        5.0,
        7.5,
        11.5,
        8.0,
        5.5,
        4.4,
        3.3,
        2.0,
    ]
)


PLAN_TIME_LIMIT_S = 20.0  # the planner's own limit; the design's figure is 30 s for the whole plan


def synthetic_rates(network, seed: int = 7):
    from bikeshare.rebalancing.demand import DemandRates

    rng = np.random.default_rng(seed)
    hourly = RIDES_PER_DAY * WEEKDAY_PROFILE / WEEKDAY_PROFILE.sum()
    weight = network.docks * rng.gamma(2.0, 0.5, network.size)
    weight = weight / weight.sum()
    # Mornings drain residential stations and fill business ones; evenings the reverse.
    skew = rng.normal(0.0, 0.35, network.size)
    direction = np.where(np.arange(24) < 13, 1.0, -1.0)
    rent = np.clip(1 + np.outer(skew, direction), 0.1, None) * np.outer(weight, hourly)
    back = np.clip(1 - np.outer(skew, direction), 0.1, None) * np.outer(weight, hourly)
    both = lambda per_hour: np.repeat(per_hour[:, None, :], 2, axis=1)  # noqa: E731 - weekday = weekend here
    return DemandRates(rent_per_h=both(rent), return_per_h=both(back))


def time_full_city_plan() -> dict:
    """Seconds to build a plan for every station with 30 trucks of 20, from data loading excluded."""
    try:
        from bikeshare.operations.network import truck_settings
        from bikeshare.rebalancing import data
        from bikeshare.rebalancing.demand import WEEKDAY
        from bikeshare.rebalancing.planner import PlanSettings, build_plan
        from bikeshare.rebalancing.zones import place_trucks
        from config import BaseConfig
    except ImportError as error:
        return {"status": "not available", "reason": str(error)}
    station_list = data.read_station_list(DATA_DIR / "seoul_stations.csv")
    snapshot = data.read_status_snapshot(DATA_DIR / "seoul_station_status_snapshot_20260612.csv")
    network, stock = data.network_from_station_list(station_list=station_list, snapshot=snapshot)
    rates = synthetic_rates(network)
    trucks = place_trucks(network=network, count=TRUCKS, capacity=TRUCK_CAPACITY)
    # The configured (conservative) trucks, as the product plans with them.
    settings = PlanSettings(trucks=truck_settings(BaseConfig.from_environment()))
    started = time.perf_counter()
    plan = build_plan(
        stations=network,
        stock=stock,
        rates=rates,
        trucks=trucks,
        start_hour=7.0,
        day_type=WEEKDAY,
        horizon_h=3.0,
        settings=settings,
        deadline=started + PLAN_TIME_LIMIT_S,
    )
    return {
        "status": "measured",
        "seconds": time.perf_counter() - started,
        "stations": network.size,
        "trucks": TRUCKS,
        "capacity": TRUCK_CAPACITY,
        "bikes_moved": int(plan.bikes_moved),
        "truck_km": float(plan.truck_km),
        "dissatisfaction_before": float(plan.dissatisfaction_before),
        "dissatisfaction_after": float(plan.dissatisfaction_after),
        "demand": "synthetic weekday profile (timing only)",
        "zones": [f"{z.outcome}: {z.reason}" for z in plan.zones],
    }
