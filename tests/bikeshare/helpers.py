"""Bike share test helpers, acting through the API like a phone would."""

from tests.helpers import citizen


def rider(client, **overrides):
    """A logged-in citizen (riders are citizens)."""
    return citizen(client, **overrides)


def rent(client, session, station_id, **body):
    return client.post("/api/v1/rentals", json={"station_id": station_id, **body}, headers=session.headers)


def give_back(client, session, rental_id, station_id, **headers):
    return client.post(
        f"/api/v1/rentals/{rental_id}/return", json={"station_id": station_id}, headers={**session.headers, **headers}
    )
