"""Bike share test helpers: a network laid directly in the database, then riders acting through the API."""

from sqlalchemy import func, insert, select

from bikeshare.stations.models import Bike, Station
from core.db import db, utcnow
from tests.helpers import citizen


def place_network(app, spec: dict[int, tuple[int, int, int]]) -> dict[int, list[str]]:
    """Stations `{id: (docks, overflow, bikes)}` with their bikes parked and counters in step; bike ids per station.

    Data set-up only: the network has no API of its own (the real one comes from `import-stations`).
    """
    now, placed = utcnow(), {}
    with app.app_context():
        numbered = db.session.scalar(select(func.count()).select_from(Bike))  # ids stay unique across calls
        db.session.execute(
            insert(Station),
            [
                {
                    "id": station_id,
                    "code": f"ST-{station_id}",
                    "name": f"Test station {station_id}",
                    "district": "중구",
                    "address": "",
                    "lat": 37.56 + station_id * 0.001,
                    "lon": 126.97 + station_id * 0.001,
                    "docks": docks,
                    "overflow_allowance": overflow,
                    "bikes_parked": bikes,
                    "bikes_available": bikes,
                    "counted_at": now,
                }
                for station_id, (docks, overflow, bikes) in spec.items()
            ],
        )
        rows = []
        for station_id, (_, _, bikes) in spec.items():
            placed[station_id] = [f"SPB-{numbered + n:05d}" for n in range(1, bikes + 1)]
            numbered += bikes
            rows += [
                {"id": bike, "station_id": station_id, "status": "available", "kind": "standard"}
                for bike in placed[station_id]
            ]
        if rows:
            db.session.execute(insert(Bike), rows)
        db.session.commit()
    return placed


def rider(client, **overrides):
    """A logged-in citizen (riders are citizens)."""
    return citizen(client, **overrides)


def rent(client, session, station_id, **body):
    return client.post("/api/v1/rentals", json={"station_id": station_id, **body}, headers=session.headers)


def give_back(client, session, rental_id, station_id, **headers):
    return client.post(
        f"/api/v1/rentals/{rental_id}/return", json={"station_id": station_id}, headers={**session.headers, **headers}
    )
