"""The mileage's loop and publication rules on SQLite (`make run`), where a return runs in steps (`in_steps`)."""

from datetime import timedelta

import pytest

from bikeshare.incentives.offers import current_offers
from core.db import utcnow
from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, place_network, rent, rider
from tests.bikeshare.test_incentives import ALL_DAY, CROWDED, ORDINARY, SPARSE, SPEC


@pytest.fixture
def app(sqlite_app):
    sqlite_app.config.update(BIKESHARE_INCENTIVE_POLICY="pilot", BIKESHARE_INCENTIVE_PILOT_WINDOWS=ALL_DAY)
    place_network(sqlite_app, SPEC)
    return sqlite_app


def publish(app):
    """This slot's offers and the last one's (rides are moved back into it)."""
    with app.app_context():
        current_offers(now=utcnow() - timedelta(minutes=5))
        current_offers()


def five_minutes_ago(app, rental_id):
    sql(app, "UPDATE bike_rentals SET started_at = datetime(started_at, '-5 minutes') WHERE id = :id", id=rental_id)


def test_touch_and_go_at_a_sparse_station_takes_its_return_points_back(app, client):
    publish(app)
    sql(app, "UPDATE incentive_slots SET published_at = datetime(published_at, '-1 hour')")
    me = rider(client)
    first = rent(client, me, ORDINARY, buy_day_pass="day_1h").get_json()
    five_minutes_ago(app, first["id"])
    assert give_back(client, me, first["id"], SPARSE).get_json()["mileage"]["points"] == 100
    # Rented again at SPARSE right after returning there, and ridden on to a station without an offer.
    second = rent(client, me, SPARSE).get_json()
    mileage = give_back(client, me, second["id"], ORDINARY).get_json()["mileage"]
    assert mileage["points"] == -100 and mileage["withheld_because"] == ["return-and-rent-loop"]
    assert client.get("/api/v1/me/mileage", headers=me.headers).get_json()["balance"] == 0


def test_a_rent_offer_published_after_the_rental_began_pays_nothing(app, client):
    me = rider(client)
    rental = rent(client, me, CROWDED, buy_day_pass="day_1h").get_json()
    publish(app)
    five_minutes_ago(app, rental["id"])
    mileage = give_back(client, me, rental["id"], SPARSE).get_json()["mileage"]
    assert [(r["reason"], r["points"]) for r in mileage["reasons"]] == [("return-at-sparse-station", 100)]
