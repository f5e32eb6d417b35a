"""The real Seoul network: load the official station list and place a fleet like the 05:29 snapshot.

Both steps are idempotent and use bulk statements, so `make run` can call them every time.
"""

import csv
import math
import os
from datetime import date

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


def _station_row(row: dict) -> dict:
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
    }


def import_stations(*, path: str = STATIONS_FILE) -> tuple[int, int]:
    """Upsert the station list; returns (inserted, updated). Stock counters are never touched."""
    rows = [_station_row(row) for row in _read(path)]
    existing = set(db.session.scalars(select(Station.id)))
    new = [row for row in rows if row["id"] not in existing]
    known = [row for row in rows if row["id"] in existing]
    now = utcnow()
    if new:
        db.session.execute(
            insert(Station),
            [
                {**row, "bikes_parked": 0, "bikes_available": 0, "overflow_allowance": 0, "counted_at": now}
                for row in new
            ],
        )
    if known:
        db.session.execute(update(Station), [{**row, "updated_at": now} for row in known])
    db.session.commit()
    _publish_network_change()
    return len(new), len(known)


def _publish_network_change() -> None:
    """Positions or counts changed: rebuild the location index and drop the cached GBFS station files."""
    gbfs_services.invalidate()
    stations_services.reindex()


def overflow_allowance(*, docks: int, observed: int) -> int:
    """Bikes a station may hold beyond its docks: what riders were seen chaining, plus headroom.

    Chained parking is large in Seoul (677 stations held more than docks + 50 % at 05:29), so the
    allowance follows the observed excess; the headroom (a quarter of the docks, at least 2) keeps
    a station that was at its peak from refusing the next rider at once.
    """
    return max(0, observed - docks) + max(2, math.ceil(docks / 4))


def _fleet_plan(stations: list[tuple[int, int]], snapshot: list[dict]) -> dict[int, int]:
    """Bikes per station: the snapshot's stock where it knows the station; the snapshot's bikes at
    stations our list lacks are spread over our stations it lacks, in proportion to their docks."""
    observed = {int(row["station_no"]): int(row["bikes_parked"]) for row in snapshot}
    ours = {station_id for station_id, _ in stations}
    unplaced = sum(bikes for station_no, bikes in observed.items() if station_no not in ours)
    unseen = [(station_id, docks) for station_id, docks in stations if station_id not in observed]
    unseen_docks = sum(docks for _, docks in unseen) or 1
    plan = {station_id: observed[station_id] for station_id, _ in stations if station_id in observed}
    for station_id, docks in unseen:
        plan[station_id] = round(unplaced * docks / unseen_docks)
    return plan


def setup_city(*, stations_path: str = STATIONS_FILE, snapshot_path: str = SNAPSHOT_FILE) -> dict:
    """Import the stations if there are none, then place the fleet once (never a second fleet)."""
    summary = {"stations_imported": 0, "bikes_placed": 0}
    if not db.session.scalar(select(func.count()).select_from(Station)):
        summary["stations_imported"], _ = import_stations(path=stations_path)
    if db.session.scalar(select(func.count()).select_from(Bike)):
        return summary
    stations = db.session.execute(select(Station.id, Station.docks).where(Station.active).order_by(Station.id)).all()
    plan = _fleet_plan([tuple(row) for row in stations], _read(snapshot_path))
    now = utcnow()
    bikes, counters, number = [], [], 0
    for station_id, docks in stations:
        placed = plan.get(station_id, 0)
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
        counters.append(
            {
                "id": station_id,
                "bikes_parked": placed,
                "bikes_available": placed,
                "counted_at": now,
                "overflow_allowance": overflow_allowance(docks=docks, observed=placed),
            }
        )
    db.session.execute(insert(Bike), bikes)
    db.session.execute(update(Station), counters)
    db.session.commit()
    _publish_network_change()
    summary["bikes_placed"] = len(bikes)
    return summary
