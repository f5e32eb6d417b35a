"""The mileage ledger's caps: per Seoul day and month, also when credits for one rider race."""

import threading

import pytest

from bikeshare.incentives.ledger import Award, credit
from bikeshare.incentives.models import OfferKind
from core.db import db, utcnow
from tests.bikeshare.helpers import give_back, place_network, rent, rider


def closed_rentals(app, client, me, count: int) -> list[int]:
    """Rides that earned nothing by themselves (no offers were published): credits are added below."""
    place_network(app, {1: (10, 5, count), 2: (10 + count, 0, 0)})
    ids = []
    for _ in range(count):
        rental = rent(client, me, 1, buy_day_pass="day_1h").get_json()
        assert give_back(client, me, rental["id"], 2).get_json()["mileage"]["points"] == 0
        ids.append(rental["id"])
    return ids


def credit_in_own_transaction(app, user_id, rental_id, points=100):
    with app.app_context():
        credited = credit(user_id=user_id, rental_id=rental_id, awards=[Award(OfferKind.RENT, 1, points)], now=utcnow())
        db.session.commit()
        return credited


def test_racing_credits_for_one_rider_never_pass_the_daily_cap(app, client):
    me = rider(client)
    rentals = closed_rentals(app, client, me, 8)
    start = threading.Barrier(len(rentals))
    results, errors = [], []

    def work(rental_id):
        try:
            start.wait()
            results.append(credit_in_own_transaction(app, me.id, rental_id))
        except Exception as error:  # a thread's failure must fail the test, not vanish
            errors.append(error)

    threads = [threading.Thread(target=work, args=(rental_id,)) for rental_id in rentals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(entry["points"] for credited in results for entry in credited) == 400
    account = client.get("/api/v1/me/mileage", headers=me.headers).get_json()
    assert (account["balance"], account["today"], account["this_month"]) == (400, 400, 400)
    assert sorted(entry["points"] for entry in account["entries"]) == [100, 100, 100, 100]


@pytest.fixture
def small_month(make_app):
    return make_app(BIKESHARE_MILEAGE_MONTHLY_CAP=250)


def test_the_monthly_cap_cuts_the_last_award_to_what_is_left(small_month):
    client = small_month.test_client()
    me = rider(client)
    for rental_id in closed_rentals(small_month, client, me, 3):
        credit_in_own_transaction(small_month, me.id, rental_id)
    account = client.get("/api/v1/me/mileage", headers=me.headers).get_json()
    assert account["balance"] == 250
    assert [(entry["offered"], entry["points"]) for entry in account["entries"]] == [(100, 50), (100, 100), (100, 100)]
