"""The live Seoul network: stations and docks from the newest shipped source, and a fleet placed like it.

The 2026-06-12 live snapshot is the newest source: its stations are the ones in service, with their
positions and dock counts. The December 2023 list gives names, districts and addresses where its
station number matches; a live station the list does not know takes its name from the snapshot and
the district of its nearest listed station. A listed station absent from the snapshot is kept (trips
and rentals refer to it) but inactive, and gets no bikes. Station ids are the official station
numbers, so re-importing updates rows in place and never renumbers. Both steps are idempotent and
use bulk statements, so `make run` can call them every time.
"""

import csv
import math
import os
from datetime import date
from typing import NamedTuple

from sqlalchemy import func, insert, select, update

from bikeshare.gbfs import services as gbfs_services
from bikeshare.stations import services as stations_services
from bikeshare.stations.models import Bike, BikeStatus, Station
from core.db import db, utcnow

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data")
STATIONS_FILE = os.path.join(DATA_DIR, "seoul_stations.csv")
SNAPSHOT_FILE = os.path.join(DATA_DIR, "seoul_station_status_snapshot_20260612.csv")
# One bike in 31 is a small "sprout" bike, as in the 2025-10-01 trip records (385 of 12,000).
SPROUT_EVERY = 31


def _read(path: str) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def overflow_allowance(*, docks: int, observed: int) -> int:
    """Bikes a station may hold beyond its docks: what riders were seen chaining, plus headroom.

    Chained parking is large in Seoul (677 stations held more than docks + 50 % at 05:29), so the
    allowance follows the observed excess; the headroom (a quarter of the docks, at least 2) keeps
    a station that was at its peak from refusing the next rider at once.
    """
    return max(0, observed - docks) + max(2, math.ceil(docks / 4))


def _listed_row(row: dict) -> dict:
    return {
        "id": int(row["station_no"]),
        "code": row["station_id"] or None,
        "name": row["name"],
        "district": row["district"],
        "address": row["address"],
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
        "docks": int(row["docks"]),
        "operation_type": row["operation_type"] or "QR",
        "installed_on": date.fromisoformat(row["installed_date"]) if row["installed_date"] else None,
        "active": False,
    }


def _nearest_district(listed: list[dict]):
    """A function giving the district of the listed station nearest to a point."""
    from bikeshare.rebalancing.geo import local_plane_km, neighbour_tree  # SciPy: only the import needs it

    tree = neighbour_tree(lat=[row["lat"] for row in listed], lon=[row["lon"] for row in listed])

    def district(lat: float, lon: float) -> str:
        _, at = tree.query(local_plane_km(lat=[lat], lon=[lon])[0])
        return listed[int(at)]["district"]

    return district


class LiveNetwork(NamedTuple):
    """Every station row (live ones active), the bikes the snapshot saw at each live station, and the
    live stations the list does not know."""

    rows: list[dict]
    observed: dict[int, int]
    unlisted: int


def live_network(*, stations_path: str = STATIONS_FILE, snapshot_path: str = SNAPSHOT_FILE) -> LiveNetwork:
    """The network as the newest source shows it, named from the list where the numbers match."""
    listed = [_listed_row(row) for row in _read(stations_path)]
    rows = {row["id"]: row for row in listed}
    district_near = _nearest_district(listed)
    listed_ids, observed = set(rows), {}
    for live in _read(snapshot_path):
        number, docks, bikes = int(live["station_no"]), int(live["rack_total"]), int(live["bikes_parked"])
        lat, lon = float(live["lat"]), float(live["lon"])
        known = rows.get(number) or {
            "id": number,
            "name": live["name"],
            "district": district_near(lat, lon),
            "address": "",
            "operation_type": "QR",
            "installed_on": None,
        }
        rows[number] = {
            **known,
            "code": live["station_id"] or known.get("code"),
            "lat": lat,
            "lon": lon,
            "docks": docks,
            "overflow_allowance": overflow_allowance(docks=docks, observed=bikes),
            "active": True,
        }
        observed[number] = bikes
    rows = sorted(rows.values(), key=lambda row: row["id"])
    return LiveNetwork(rows=rows, observed=observed, unlisted=len(set(observed) - listed_ids))


def import_stations(*, stations_path: str = STATIONS_FILE, snapshot_path: str = SNAPSHOT_FILE) -> dict:
    """Upsert the live network; every station the snapshot lacks becomes inactive. Stock counters are
    never touched; bikes still parked at a station that went out of service are counted for collection."""
    network = live_network(stations_path=stations_path, snapshot_path=snapshot_path)
    rows = network.rows
    existing = set(db.session.scalars(select(Station.id)))
    live = {row["id"] for row in rows if row["active"]}
    new = [row for row in rows if row["id"] not in existing]
    known = [row for row in rows if row["id"] in existing]
    now = utcnow()
    if new:
        db.session.execute(
            insert(Station),
            [
                {"overflow_allowance": 0, **row, "bikes_parked": 0, "bikes_available": 0, "counted_at": now}
                for row in new
            ],
        )
    if known:
        db.session.execute(update(Station), [{**row, "updated_at": now} for row in known])
    # Stations in neither file (built by hand, say) are not in service either.
    db.session.execute(update(Station).where(Station.id.not_in(live), Station.active).values(active=False))
    stranded = db.session.scalar(select(func.coalesce(func.sum(Station.bikes_parked), 0)).where(~Station.active))
    db.session.commit()
    _publish_network_change()
    return {
        "added": len(new),
        "updated": len(known),
        "active": len(live),
        "inactive": len(rows) - len(live) + len(existing - {row["id"] for row in rows}),
        "unlisted": network.unlisted,
        "bikes_at_inactive_stations": int(stranded),
    }


def _publish_network_change() -> None:
    """Positions or counts changed: rebuild the location index and drop the cached GBFS station files."""
    gbfs_services.invalidate()
    stations_services.reindex()


def setup_city(*, stations_path: str = STATIONS_FILE, snapshot_path: str = SNAPSHOT_FILE) -> dict:
    """Bring the network up to the newest source, then place the fleet once (never a second fleet):
    the snapshot's bikes at each station in service, none anywhere else."""
    summary = {**import_stations(stations_path=stations_path, snapshot_path=snapshot_path), "bikes_placed": 0}
    if db.session.scalar(select(func.count()).select_from(Bike)):
        return summary
    observed = live_network(stations_path=stations_path, snapshot_path=snapshot_path).observed
    now = utcnow()
    bikes, counters, number = [], [], 0
    for station_id, placed in sorted(observed.items()):
        for _ in range(placed):
            number += 1
            kind = "sprout" if number % SPROUT_EVERY == 0 else "standard"
            bikes.append(
                {
                    "id": f"SPB-{number:05d}",
                    "kind": kind,
                    "status": BikeStatus.AVAILABLE,
                    "station_id": station_id,
                    "last_moved_at": now,
                    "needs_repair": False,
                }
            )
        counters.append({"id": station_id, "bikes_parked": placed, "bikes_available": placed, "counted_at": now})
    if bikes:
        db.session.execute(insert(Bike), bikes)
        db.session.execute(update(Station), counters)
    db.session.commit()
    _publish_network_change()
    summary["bikes_placed"] = len(bikes)
    return summary
