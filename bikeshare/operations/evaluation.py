"""Run the policy evaluation of the pure core on the data files shipped in `data/`.

The quick mode keeps one district: the station list, the snapshot and the city's daily rides cut
down to its share of stations, fewer trucks and training mornings, short time limits. It checks
that everything runs end to end; its figures are not the city's.
"""

import csv
import os
import tempfile
from pathlib import Path

from bikeshare.rebalancing.evaluate import run_evaluation, write_report
from bikeshare.rebalancing.routing import TruckSettings
from bikeshare.rebalancing.tripgen import TripModelSettings
from bikeshare.stations.city import DATA_DIR

FILES = {
    "stations_path": "seoul_stations.csv",
    "snapshot_path": "seoul_station_status_snapshot_20260612.csv",
    "trips_path": "seoul_trips_sample.csv",
    "hourly_profile_path": "SeoulBikeData.csv",
}
QUICK_OPTIONS = {
    "seeds": 2,
    "training_mornings": 2,
    "truck_count": 3,
    "policy_time_limit_s": 0.3,
    "plan_time_limit_s": 2.0,
}


def _copy_rows(source: Path, target: Path, keep) -> int:
    with open(source, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if keep(row)]
        fields = reader.fieldnames
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _one_district(paths: dict, district: str, folder: Path) -> tuple[dict, float]:
    """Copies of the station list and snapshot limited to `district`; its share of the city's stations."""
    numbers = set()

    def in_district(row):
        if row["district"] == district:
            numbers.add(row["station_no"])
            return True
        return False

    listed = _copy_rows(paths["stations_path"], folder / FILES["stations_path"], in_district)
    with open(paths["stations_path"], encoding="utf-8-sig") as handle:
        city = sum(1 for _ in handle) - 1
    _copy_rows(paths["snapshot_path"], folder / FILES["snapshot_path"], lambda row: row["station_no"] in numbers)
    return {
        **paths,
        "stations_path": folder / FILES["stations_path"],
        "snapshot_path": folder / FILES["snapshot_path"],
    }, listed / city


def evaluate(
    *,
    out_dir,
    quick: bool = False,
    district: str = "강남구",
    data_dir=DATA_DIR,
    seed: int = 2026,
    seeds: int | None = None,
    trucks: TruckSettings,
    replan_horizon_h: float,
    training_mornings: int,
    progress=None,
):
    """Replay the morning rush under every policy, write the report; returns (metrics, report path).

    `seeds` held-out mornings (default 5, 2 in quick mode); `trucks` is the truck model of the
    replay and of the planners, and the load routes may end with (the configured ones by default);
    `replan_horizon_h` the re-planning worker's horizon (`BIKESHARE_REPLAN_HORIZON_H`); the planners learn
    demand from `training_mornings` mornings (2 in quick mode).
    """
    paths = {name: Path(data_dir) / file for name, file in FILES.items()}
    options = {
        "seed": seed,
        "trucks": trucks.model,
        "max_end_load": trucks.max_end_load,
        "replan_horizon_h": replan_horizon_h,
        "progress": progress,
    }
    if seeds is not None:
        options["seeds"] = seeds
    if not quick:
        metrics = run_evaluation(**paths, **options, training_mornings=training_mornings)
        return metrics, write_report(metrics, out_dir)
    with tempfile.TemporaryDirectory() as folder:
        small, share = _one_district(paths, district, Path(folder))
        if share == 0:
            raise ValueError(f"no station in district {district!r}")
        metrics = run_evaluation(
            **small, daily_rides=TripModelSettings.daily_rides * share, **{**QUICK_OPTIONS, **options}
        )
    metrics["notice"] += f" QUICK MODE: {district} only, a smoke test, not the city's figures."
    return metrics, write_report(metrics, out_dir)


def table(metrics: dict) -> str:
    """The per-policy figures (mean ± sd over the mornings) as fixed-width text for the terminal."""
    lines = [
        f"{'policy':<34}{'lost rentals':>15}{'vs nothing':>17}{'overflow':>10}{'refused':>9}"
        f"{'empty st-min':>13}{'full st-min':>12}{'truck-km':>10}{'moved':>7}{'aboard at end':>16}"
    ]
    capacity = metrics["truck_capacity_total"]
    for name, v in metrics["policies"].items():
        sd = v["sd"]
        aboard = v["bikes_on_trucks_at_end"]
        lines.append(
            f"{name:<34}{v['lost_rentals']:>9,.0f} ±{sd['lost_rentals']:>4,.0f}"
            f"{v['lost_rentals_reduction']:>10.1%} ±{sd['lost_rentals_reduction']:>5.1%}"
            f"{v['overflow_returns']:>10,.0f}{v['refused_returns']:>9,.0f}{v['empty_station_min']:>13,.0f}"
            f"{v['full_station_min']:>12,.0f}{v['truck_km']:>10,.0f}{v['bikes_moved']:>7,.0f}"
            f"{aboard:>7,.0f} ({aboard / capacity:>4.1%})"
        )
    return os.linesep.join(lines)
