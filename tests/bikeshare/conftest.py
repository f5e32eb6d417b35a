"""Bike share fixtures: a small network built through the CLI and the API, as an operator would."""

import pytest
from sqlalchemy import insert, text

from bikeshare.models import Bike, Station
from core.db import db, utcnow


@pytest.fixture
def network(app):
    """Build stations and bikes directly: `{station_id: (docks, overflow, bikes)}` → ids of bikes per station."""

    def build(spec: dict[int, tuple[int, int, int]]) -> dict[int, list[str]]:
        now, number, placed = utcnow(), 0, {}
        with app.app_context():
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
                placed[station_id] = []
                for _ in range(bikes):
                    number += 1
                    bike_id = f"SPB-{number:05d}"
                    placed[station_id].append(bike_id)
                    rows.append({"id": bike_id, "station_id": station_id, "status": "available", "kind": "standard"})
            if rows:
                db.session.execute(insert(Bike), rows)
            db.session.commit()
        return placed

    return build


def sql(app, statement: str, **params):
    """Run SQL against the test database (to move a rental's clock back, honestly, in the data)."""

    with app.app_context():
        result = db.session.execute(text(statement), params)
        rows = result.fetchall() if result.returns_rows else None
        db.session.commit()
        return rows
