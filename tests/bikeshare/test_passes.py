from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from core.eligibility import Eligibility
from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import staff

PRICES = {
    "day_1h": 1000, "day_2h": 2000, "7d_1h": 3000, "7d_2h": 4000, "30d_1h": 5000,
    "30d_2h": 7000, "180d_1h": 15000, "180d_2h": 20000, "365d_1h": 30000, "365d_2h": 40000,
}  # fmt: skip


@pytest.mark.parametrize(("kind", "price"), PRICES.items())
def test_every_pass_costs_the_real_ttareungyi_price_and_is_charged_once(client, kind, price):
    me = rider(client)
    response = client.post("/api/v1/passes", json={"kind": kind}, headers=me.headers)
    assert response.status_code == 201, response.get_json()
    bought = response.get_json()
    assert (bought["price_won"], bought["list_price_won"], bought["discount_percent"]) == (price, price, 0)
    assert bought["ride_minutes"] == (120 if kind.endswith("2h") else 60)
    charges = client.get("/api/v1/charges/me", headers=me.headers).get_json()
    assert [(c["reason"], c["amount_won"], c["pass_id"]) for c in charges] == [("pass_purchase", price, bought["id"])]


def test_a_season_pass_runs_from_purchase_and_a_day_pass_from_its_first_rental(client):
    me = rider(client)
    season = client.post("/api/v1/passes", json={"kind": "7d_1h"}, headers=me.headers).get_json()
    start, end = (datetime.fromisoformat(season[k]) for k in ("valid_from", "valid_until"))
    assert end - start == timedelta(days=7)
    day = client.post("/api/v1/passes", json={"kind": "day_1h"}, headers=me.headers).get_json()
    assert day["valid_from"] is None and day["start_by"] is not None


def test_a_two_hour_day_pass_bought_while_a_one_hour_pass_runs_is_the_one_the_next_ride_uses(client, network):
    network({101: (10, 0, 3)})
    me = rider(client)
    season = client.post("/api/v1/passes", json={"kind": "7d_1h"}, headers=me.headers).get_json()
    long_ride = client.post("/api/v1/passes", json={"kind": "day_2h"}, headers=me.headers).get_json()
    ride = rent(client, me, 101).get_json()
    assert (ride["pass_id"], ride["ride_minutes"]) == (long_ride["id"], 120)
    assert give_back(client, me, ride["id"], 101).status_code == 200
    # Of two 1-hour passes the running one goes first: an unstarted day pass keeps its 24 hours for later.
    other = rider(client)
    running = client.post("/api/v1/passes", json={"kind": "7d_1h"}, headers=other.headers).get_json()
    client.post("/api/v1/passes", json={"kind": "day_1h"}, headers=other.headers)
    assert rent(client, other, 101).get_json()["pass_id"] == running["id"] != season["id"]


def test_an_unknown_pass_kind_is_422(client):
    response = client.post("/api/v1/passes", json={"kind": "3d_1h"}, headers=rider(client).headers)
    assert response.status_code == 422


def test_buying_a_pass_with_the_same_idempotency_key_charges_once(client):
    me = rider(client)
    headers = {**me.headers, "Idempotency-Key": "buy-7d"}
    first = client.post("/api/v1/passes", json={"kind": "7d_2h"}, headers=headers)
    retry = client.post("/api/v1/passes", json={"kind": "7d_2h"}, headers=headers)
    assert first.get_json() == retry.get_json()
    assert len(client.get("/api/v1/charges/me", headers=me.headers).get_json()) == 1
    assert client.post("/api/v1/passes", json={"kind": "7d_1h"}, headers=headers).status_code == 422


def test_seniors_get_30_percent_off_passes_once_their_birth_date_is_verified(app, client):
    senior = rider(client, birth_date="1950-03-01")
    self_declared = client.post("/api/v1/passes", json={"kind": "30d_2h"}, headers=senior.headers).get_json()
    assert (self_declared["discount_category"], self_declared["price_won"]) == (None, 7000)
    admin = staff(app, client, "admin")
    verification = client.put(
        f"/api/v1/admin/citizens/{senior.id}/birth-date-verification", json={"verified": True}, headers=admin.headers
    )
    assert verification.status_code == 200
    bought = client.post("/api/v1/passes", json={"kind": "30d_2h"}, headers=senior.headers).get_json()
    assert (bought["discount_category"], bought["discount_percent"], bought["price_won"]) == ("senior", 30, 4900)


def test_the_best_granted_category_applies_and_expired_ones_do_not(app, client):
    me = rider(client)
    with app.app_context():
        past = datetime.now(UTC) - timedelta(days=1)
        db.session.add_all(
            [
                Eligibility(user_id=me.id, category="multi_child", source="admin"),
                Eligibility(user_id=me.id, category="disabled", source="admin", expires_at=past),
            ]
        )
        db.session.commit()
    bought = client.post("/api/v1/passes", json={"kind": "365d_1h"}, headers=me.headers).get_json()
    assert (bought["discount_category"], bought["price_won"]) == ("multi_child", 21000)
    sql(app, "UPDATE eligibilities SET expires_at = NULL WHERE category = 'disabled'")
    bought = client.post("/api/v1/passes", json={"kind": "365d_1h"}, headers=me.headers).get_json()
    assert (bought["discount_category"], bought["price_won"]) == ("disabled", 15000)


def test_an_expired_day_pass_no_longer_rents(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    assert give_back(client, me, rental["id"], 101).status_code == 200
    assert rent(client, me, 101).status_code == 201  # the same day pass, a second ride
    sql(app, "UPDATE bike_rentals SET returned_at = now(), end_station_id = 101, duration_seconds = 60")
    sql(app, "UPDATE bikes SET status = 'available', station_id = 101")
    sql(app, "UPDATE stations SET bikes_parked = 3, bikes_available = 3")
    sql(
        app,
        "UPDATE bike_passes SET valid_from = valid_from - interval '24 hours 1 second',"
        " valid_until = valid_until - interval '24 hours 1 second'",
    )
    response = rent(client, me, 101)
    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/pass-required"


def test_an_expired_season_pass_no_longer_rents_but_a_running_one_does(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    client.post("/api/v1/passes", json={"kind": "7d_1h"}, headers=me.headers)
    sql(app, "UPDATE bike_passes SET valid_from = now() - interval '8 days', valid_until = now() - interval '1 day'")
    assert rent(client, me, 101).status_code == 409
    client.post("/api/v1/passes", json={"kind": "30d_2h"}, headers=me.headers)
    rental = rent(client, me, 101).get_json()
    assert (rental["pass_kind"], rental["ride_minutes"]) == ("30d_2h", 120)


def test_a_day_pass_asked_with_a_rental_is_bought_only_when_no_pass_is_usable(client, network):
    # The ride page keeps its day-pass choice: the day's second ride, and a season-pass holder's ride, asked for
    # one again and were charged 1,000 won each time, the season-pass holder then riding on 1 h instead of 2 h.
    network({101: (10, 2, 5)})
    me = rider(client)
    first = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    assert give_back(client, me, first["id"], 101).status_code == 200
    second = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    assert second["pass_id"] == first["pass_id"]
    assert [c["amount_won"] for c in client.get("/api/v1/charges/me", headers=me.headers).get_json()] == [1000]

    holder = rider(client)
    season = client.post("/api/v1/passes", json={"kind": "30d_2h"}, headers=holder.headers).get_json()
    ride = rent(client, holder, 101, buy_day_pass="day_1h").get_json()
    assert (ride["pass_id"], ride["ride_minutes"]) == (season["id"], 120)
    assert [c["amount_won"] for c in client.get("/api/v1/charges/me", headers=holder.headers).get_json()] == [7000]
