"""Readers for the Seoul data files (paths are arguments) and the station network built from them.

Station numbers appear zero-padded (`00301`) and plain (`301`); everything here joins on the int.
"""

import csv
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND
from bikeshare.rebalancing.geo import neighbour_tree
from bikeshare.rebalancing.model import StationNetwork

OVERFLOW_QUANTILE = 0.75


@dataclass(frozen=True)
class Trips:
    """Trips as parallel arrays; times are minutes after midnight of the trip's start day."""

    rent_station_no: np.ndarray
    rent_min: np.ndarray
    return_station_no: np.ndarray
    return_min: np.ndarray

    @property
    def size(self) -> int:
        return len(self.rent_station_no)


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_station_list(path) -> dict[str, np.ndarray]:
    """The official station list (`seoul_stations.csv`): number, position, docks, district."""
    rows = _rows(path)
    return {
        "station_no": np.array([int(r["station_no"]) for r in rows]),
        "lat": np.array([float(r["lat"]) for r in rows]),
        "lon": np.array([float(r["lon"]) for r in rows]),
        "docks": np.array([int(r["docks"]) for r in rows]),
        "district": np.array([r["district"] for r in rows]),
    }


def read_status_snapshot(path) -> dict[str, np.ndarray]:
    """A live-status snapshot: number, position, docks and bikes parked (chained ones included)."""
    rows = _rows(path)
    return {
        "station_no": np.array([int(r["station_no"]) for r in rows]),
        "lat": np.array([float(r["lat"]) for r in rows]),
        "lon": np.array([float(r["lon"]) for r in rows]),
        "docks": np.array([int(r["rack_total"]) for r in rows]),
        "bikes": np.array([int(r["bikes_parked"]) for r in rows]),
    }


def read_trips(path) -> Trips:
    """Trip records in the open-API or bulk format (`rent_datetime`, `rent_station_no`, ...).

    Rows without both station numbers (a handful of unfinished records) are skipped.
    """
    rows = [r for r in _rows(path) if r["rent_station_no"] and r["return_station_no"]]

    def minutes(text):
        moment = datetime.fromisoformat(text)
        return moment.hour * 60 + moment.minute + moment.second / 60

    rent_min = np.array([minutes(r["rent_datetime"]) for r in rows])
    return_min = np.array([minutes(r["return_datetime"]) for r in rows])
    # A return after midnight belongs to the same trip; keep time increasing.
    return_min = np.where(return_min < rent_min, return_min + 24 * 60, return_min)
    return Trips(
        rent_station_no=np.array([int(r["rent_station_no"]) for r in rows]),
        rent_min=rent_min,
        return_station_no=np.array([int(r["return_station_no"]) for r in rows]),
        return_min=return_min,
    )


def read_hourly_profile(path) -> np.ndarray:
    """Mean rentals per (day type, hour of day) from the UCI file: `WEEKDAY` for working days, `WEEKEND` for
    weekends and holidays."""
    rows = [r for r in _rows(path) if r["Functioning Day"] == "Yes"]
    totals = np.zeros((2, 24))
    days = (set(), set())
    for row in rows:
        day = datetime.strptime(row["Date"], "%d/%m/%Y")
        kind = WEEKEND if day.weekday() >= 5 or row["Holiday"] == "Holiday" else WEEKDAY
        totals[kind, int(row["Hour"])] += float(row["Rented Bike Count"])
        days[kind].add(day)
    return totals / np.maximum([[len(days[WEEKDAY])], [len(days[WEEKEND])]], 1)


def build_network(*, station_no, lat, lon, docks, district, observed_stock) -> StationNetwork:
    """A network whose overflow allowances come from the observed stock.

    A station's allowance is the larger of what it held beyond its docks and the district's
    typical chaining (the `OVERFLOW_QUANTILE` of bikes-beyond-docks per dock, times its docks):
    riders chain bikes wherever neighbours do, not only where they happened to at one moment.
    """
    docks = np.maximum(np.asarray(docks, dtype=int), 1)
    observed_stock = np.asarray(observed_stock, dtype=int)
    district = np.asarray(district)
    excess = np.maximum(observed_stock - docks, 0)
    excess_per_dock = excess / docks
    typical = np.zeros(len(docks))
    for name in np.unique(district):
        members = district == name
        typical[members] = np.quantile(excess_per_dock[members], OVERFLOW_QUANTILE)
    allowance = np.maximum(excess, np.ceil(typical * docks).astype(int))
    return StationNetwork(
        station_ids=np.asarray(station_no),
        lat=np.asarray(lat, dtype=float),
        lon=np.asarray(lon, dtype=float),
        docks=docks,
        overflow_allowance=allowance,
        district=district,
    )


def network_from_snapshot(*, snapshot, station_list) -> tuple[StationNetwork, np.ndarray]:
    """The snapshot's stations with districts from the station list, and their stock.

    Stations installed after the list was made take the district of their nearest listed station.
    """
    listed = {no: i for i, no in enumerate(station_list["station_no"])}
    _, nearest = neighbour_tree(lat=station_list["lat"], lon=station_list["lon"]).query(
        neighbour_tree(lat=snapshot["lat"], lon=snapshot["lon"]).data
    )
    district = np.array(
        [
            station_list["district"][listed.get(no, fallback)]
            for no, fallback in zip(snapshot["station_no"], nearest, strict=True)
        ]
    )
    network = build_network(
        station_no=snapshot["station_no"],
        lat=snapshot["lat"],
        lon=snapshot["lon"],
        docks=snapshot["docks"],
        district=district,
        observed_stock=snapshot["bikes"],
    )
    return network, snapshot["bikes"].copy()


def network_from_station_list(*, station_list, snapshot) -> tuple[StationNetwork, np.ndarray]:
    """The full official list with stock from the snapshot where the station still exists.

    Stations missing from the snapshot start half full, the neutral guess.
    """
    observed = dict(zip(snapshot["station_no"], snapshot["bikes"], strict=True))
    stock = np.array(
        [
            observed.get(no, docks // 2)
            for no, docks in zip(station_list["station_no"], station_list["docks"], strict=True)
        ]
    )
    network = build_network(
        station_no=station_list["station_no"],
        lat=station_list["lat"],
        lon=station_list["lon"],
        docks=station_list["docks"],
        district=station_list["district"],
        observed_stock=stock,
    )
    return network, stock
