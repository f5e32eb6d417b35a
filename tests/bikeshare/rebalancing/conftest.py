"""Tiny hand-made station networks for the rebalancing tests."""

import time

import numpy as np
import pytest

from bikeshare.rebalancing.demand import WEEKDAY
from bikeshare.rebalancing.model import StationNetwork, TruckModel
from bikeshare.rebalancing.planner import PlanSettings, build_plan
from bikeshare.rebalancing.routing import TruckSettings

# The design's conservative trucks (the product reads the same figures from its configuration).
TRUCK_MODEL = TruckModel(speed_kmh=20.0, road_factor=1.4, handling_min_per_bike=1.0)
TRUCKS = TruckSettings(model=TRUCK_MODEL, max_end_load=0)
PLAN_SETTINGS = PlanSettings(trucks=TRUCKS)
KM_PER_DEGREE_LON_AT_SEOUL = 88.2  # roughly; tests only rely on the ordering of distances


def line_network(*, km_positions, docks, allowance=None, district=None) -> StationNetwork:
    """Stations on an east-west line through Seoul at the given km offsets."""
    count = len(km_positions)
    return StationNetwork(
        station_ids=np.arange(101, 101 + count),
        lat=np.full(count, 37.55),
        lon=126.98 + np.asarray(km_positions, dtype=float) / KM_PER_DEGREE_LON_AT_SEOUL,
        docks=np.asarray(docks),
        overflow_allowance=np.zeros(count, dtype=int) if allowance is None else np.asarray(allowance),
        district=np.array(district if district is not None else ["Jongno-gu"] * count),
    )


@pytest.fixture
def make_line_network():
    return line_network


def morning_plan(network, stock, rates, trucks, *, seconds: float = 2.0, settings=PLAN_SETTINGS, **options):
    """A weekday 07:00 plan within `seconds`."""
    return build_plan(
        stations=network,
        stock=stock,
        rates=rates,
        trucks=trucks,
        start_hour=7.0,
        day_type=WEEKDAY,
        deadline=time.perf_counter() + seconds,
        settings=settings,
        **options,
    )
