"""Rider incentives in the replay: nothing, trucks only, incentives only (pilot, ours), both.

Built on the rebalancing evaluation's pieces (synthetic trip streams calibrated on the real files,
the real 05:29 stock, trucks placed and driven by the conservative truck model, the planner
re-planning every 30 minutes on rates from held-out training mornings) and the stated rider-response
model of `riders`. The quick mode keeps one district, as `flask bikeshare evaluate --quick` does.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from bikeshare.incentives.riders import IncentiveRiders, PilotSchedule, PlannerSchedule, RiderResponse, TruckWatch
from bikeshare.incentives.riders import __doc__ as RIDER_ASSUMPTIONS
from bikeshare.incentives.rules import PilotRules, PlannerRules
from bikeshare.operations.evaluation import FILES, QUICK_OPTIONS, _one_district
from bikeshare.rebalancing import data
from bikeshare.rebalancing.demand import WEEKDAY
from bikeshare.rebalancing.evaluate import (
    RUSH_END_MIN,
    RUSH_START_MIN,
    SYNTHETIC_NOTICE,
    estimated_rates,
    place_trucks,
)
from bikeshare.rebalancing.planner import PlanSettings, zone_labels
from bikeshare.rebalancing.policies import DoNothing, PlannerPolicy
from bikeshare.rebalancing.routing import TruckSettings
from bikeshare.rebalancing.simulate import replay
from bikeshare.rebalancing.tripgen import TripModelSettings, calibrate_trip_model, generate_trips
from bikeshare.stations.city import DATA_DIR

FIGURES = ("lost_rentals", "refused_returns", "overflow_returns", "points_paid", "rides_paid", "moved", "truck_km")


def assumptions(*, shares, trucks: TruckSettings, truck_count: int, truck_capacity: int, quick: bool) -> list[str]:
    pilot, ours = PilotRules(), PlannerRules()
    lines = [
        SYNTHETIC_NOTICE,
        "Window: weekday morning 05:30-10:30, replayed event by event; offers are published every half hour from "
        "the stock at its start and hold for the half hour.",
        f"Pilot rules: {pilot.points} points for renting at >= {pilot.crowded_percent} % of docks or returning at "
        f"<= {pilot.sparse_percent} %, weekdays 07-09 (and 17-19), at most {pilot.stations_per_band} stations per "
        "list, most extreme first; no coordination with trucks.",
        f"Our rules: points = {ours.points_per_unit:g} x the drop in the planner's expected dissatisfaction over "
        f"{ours.horizon_h:g} h when one bike leaves (rent) or arrives (return), in steps of {ours.step}, offered from "
        f"{ours.min_points} to {ours.max_points}, at most {ours.stations_per_band} stations per direction, all day; "
        "none at stations on a truck's current route (about to be fixed, or fixed within the last 30 minutes).",
        f"Trucks: {truck_count} x {truck_capacity}, speed {trucks.model.speed_kmh:g} km/h, "
        f"road factor {trucks.model.road_factor:g}, "
        f"{trucks.model.handling_min_per_bike:g} min per bike at each end; the planner re-plans every 30 min.",
        f"Rider response shares evaluated: {', '.join(f'{s:.0%}' for s in shares)}.",
        *(" ".join(line.split()) for line in RIDER_ASSUMPTIONS.split("\n- ")[1:]),
        "Mean +- sample sd over the held-out mornings (seeds).",
    ]
    if quick:
        lines.append("QUICK MODE: one district, few trucks, short time limits: a smoke test, not the city's figures.")
    return lines


def run(
    *,
    data_dir=DATA_DIR,
    quick: bool = True,
    district: str = "강남구",
    seeds: int = 5,
    seed: int = 2026,
    shares=(0.1, 0.3),
    trucks: TruckSettings,
    training_mornings: int,
    progress=None,
) -> dict:
    """Replay every scenario on `seeds` held-out mornings; per scenario the mean and sd of each figure.

    The planner and the incentive rules learn demand from `training_mornings` mornings (2 in quick mode)."""
    paths = {name: Path(data_dir) / file for name, file in FILES.items()}
    options = {"truck_count": 30, "truck_capacity": 20, "policy_time_limit_s": 4.0}
    options["training_mornings"] = training_mornings
    with tempfile.TemporaryDirectory() as folder:
        daily_rides = TripModelSettings.daily_rides
        if quick:
            paths, share = _one_district(paths, district, Path(folder))
            daily_rides *= share
            options.update({k: QUICK_OPTIONS[k] for k in ("truck_count", "policy_time_limit_s", "training_mornings")})
        profile = data.read_hourly_profile(paths["hourly_profile_path"])
        network, stock = data.network_from_snapshot(
            snapshot=data.read_status_snapshot(paths["snapshot_path"]),
            station_list=data.read_station_list(paths["stations_path"]),
        )
        model = calibrate_trip_model(
            network=network,
            trips=data.read_trips(paths["trips_path"]),
            hourly_profile=profile[WEEKDAY],
            settings=TripModelSettings(daily_rides=daily_rides),
        )
    fleet = place_trucks(network=network, count=options["truck_count"], capacity=options["truck_capacity"])
    zones = zone_labels(stations=network, count=6)
    rates = estimated_rates(
        network=network,
        stock=stock,
        model=model,
        seed=seed,
        mornings=options["training_mornings"],
        fleet=trucks.model,
        hourly_profile=profile,
    )

    def truck_policy():
        return PlannerPolicy(
            network=network,
            rates=rates,
            zones=zones,
            time_limit_s=options["policy_time_limit_s"],
            settings=PlanSettings(trucks=trucks),
            shift_end_min=RUSH_END_MIN,
        )

    runs: dict[str, list[dict]] = {}
    for morning in range(seed, seed + seeds):
        trips = generate_trips(model=model, start_min=RUSH_START_MIN, end_min=RUSH_END_MIN, seed=morning)
        scenarios = [("nothing", DoNothing(), None, None), ("trucks only", truck_policy(), None, None)]
        for share in shares:
            for with_trucks in (False, True):
                for rules in ("pilot", "ours"):
                    policy = TruckWatch(truck_policy(), network.size) if with_trucks else DoNothing()
                    schedule = (
                        PilotSchedule(network=network, day_type=WEEKDAY)
                        if rules == "pilot"
                        else PlannerSchedule(
                            network=network,
                            rates=rates,
                            day_type=WEEKDAY,
                            trucks=policy if with_trucks else None,
                        )
                    )
                    label = f"{'trucks + ' if with_trucks else ''}{rules} incentives, {share:.0%} respond"
                    scenarios.append((label, policy, schedule, RiderResponse(share=share)))
        for label, policy, schedule, response in scenarios:
            riders = (
                IncentiveRiders(network=network, trips=trips, schedule=schedule, response=response, seed=morning)
                if schedule
                else None
            )
            started = time.perf_counter()
            metrics, _ = replay(
                network=network,
                initial_stock=stock,
                trips=trips,
                policy=policy,
                trucks=fleet if not isinstance(policy, DoNothing) else [],
                start_min=RUSH_START_MIN,
                end_min=RUSH_END_MIN,
                replan_every_min=30.0,
                day_type=WEEKDAY,
                fleet=trucks.model,
                riders=riders,
            )
            runs.setdefault(label, []).append(
                {
                    "lost_rentals": metrics.lost_rentals,
                    "refused_returns": metrics.refused_returns,
                    "overflow_returns": metrics.overflow_returns,
                    "points_paid": riders.points_paid if riders else 0,
                    "rides_paid": riders.rides_paid if riders else 0,
                    "moved": (riders.moved_rentals + riders.moved_returns) if riders else 0,
                    "truck_km": metrics.truck_km,
                    "seconds": time.perf_counter() - started,
                }
            )
        if progress:
            progress(f"morning {morning}: {len(trips.origin):,} trips, {len(scenarios)} scenarios replayed")
    return {
        "assumptions": assumptions(
            shares=shares,
            trucks=trucks,
            truck_count=options["truck_count"],
            truck_capacity=options["truck_capacity"],
            quick=quick,
        ),
        "stations": network.size,
        "seeds": list(range(seed, seed + seeds)),
        "scenarios": summarise(runs),
    }


def summarise(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """Mean and sample sd of every figure; the lost rentals avoided against nothing, per morning."""
    baseline = np.array([run["lost_rentals"] for run in runs["nothing"]], dtype=float)
    summary = {}
    for label, values in runs.items():
        series = {key: np.array([v[key] for v in values], dtype=float) for key in FIGURES}
        series["avoided"] = baseline - series["lost_rentals"]
        summary[label] = {
            key: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0) for key, v in series.items()
        }
    return summary


def table(results: dict) -> str:
    """The scenarios as fixed-width text: mean ± sd per figure."""
    columns = [
        ("lost rentals", "lost_rentals"),
        ("avoided", "avoided"),
        ("refused ret.", "refused_returns"),
        ("overflow ret.", "overflow_returns"),
        ("points paid", "points_paid"),
        ("rides paid", "rides_paid"),
        ("riders moved", "moved"),
        ("truck-km", "truck_km"),
    ]
    width = max(len(label) for label in results["scenarios"]) + 2
    lines = [f"{'scenario':<{width}}" + "".join(f"{title:>17}" for title, _ in columns)]
    for label, figures in results["scenarios"].items():
        cells = "".join(f"{figures[key][0]:>10,.0f} ±{figures[key][1]:>5,.0f}" for _, key in columns)
        lines.append(f"{label:<{width}}{cells}")
    return "\n".join(lines)
