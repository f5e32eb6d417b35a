import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import staff


def _station(client, app, station_id):
    row = sql(app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = :id", id=station_id)[0]
    return tuple(row)


def test_renting_without_a_pass_is_refused_with_a_clear_409(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    response = rent(client, me, 101)
    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/pass-required"


def test_a_day_pass_bought_on_the_spot_rents_a_bike_and_starts_its_24_hours(app, client, network):
    bikes = network({101: (10, 2, 3)})
    me = rider(client)
    response = rent(client, me, 101, buy_day_pass="day_1h")
    assert response.status_code == 201, response.get_json()
    rental = response.get_json()
    assert rental["bike_id"] in bikes[101]
    assert (rental["pass_kind"], rental["ride_minutes"], rental["returned_at"]) == ("day_1h", 60, None)
    assert _station(client, app, 101) == (2, 2)
    [day_pass] = client.get("/api/v1/passes/me", headers=me.headers).get_json()
    assert day_pass["valid_from"] == rental["started_at"]
    assert [
        (c["reason"], c["amount_won"]) for c in client.get("/api/v1/charges/me", headers=me.headers).get_json()
    ] == [("pass_purchase", 1000)]


def test_a_rider_already_riding_gets_409_and_no_second_bike(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    assert rent(client, me, 101, buy_day_pass="day_2h").status_code == 201
    second = rent(client, me, 101)
    assert second.status_code == 409
    assert second.get_json()["type"] == "/problems/already-riding"
    assert _station(client, app, 101) == (2, 2)


def test_a_scanned_bike_is_the_one_rented_and_an_unavailable_one_is_409(app, client, network):
    bikes = network({101: (10, 2, 3), 102: (10, 2, 1)})
    me, other = rider(client), rider(client)
    assert rent(client, me, 101, bike_id=bikes[101][2], buy_day_pass="day_1h").get_json()["bike_id"] == bikes[101][2]
    taken = rent(client, other, 101, bike_id=bikes[101][2], buy_day_pass="day_1h")
    assert taken.status_code == 409
    assert taken.get_json()["type"] == "/problems/bike-not-available"
    elsewhere = rent(client, other, 101, bike_id=bikes[102][0], buy_day_pass="day_1h")
    assert elsewhere.status_code == 409
    # The failed rentals bought nothing.
    assert client.get("/api/v1/charges/me", headers=other.headers).get_json() == []


def test_an_empty_station_answers_409_no_bike(app, client, network):
    network({101: (10, 2, 0)})
    response = rent(client, rider(client), 101, buy_day_pass="day_1h")
    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/no-bike-available"


def test_an_unknown_station_is_404(client, network):
    network({101: (10, 2, 1)})
    assert rent(client, rider(client), 999, buy_day_pass="day_1h").status_code == 404


def test_return_parks_the_bike_updates_counters_and_lists_the_rental(app, client, network):
    bikes = network({101: (10, 2, 3), 102: (10, 2, 0)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    response = give_back(client, me, rental["id"], 102)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["rental"]["end_station_id"] == 102
    assert body["fare"]["overtime_won"] == 0 and body["fare"]["total_won"] == 0
    assert _station(client, app, 101) == (2, 2) and _station(client, app, 102) == (1, 1)
    assert rental["bike_id"] in bikes[101]
    again = give_back(client, me, rental["id"], 102)
    assert again.status_code == 409 and again.get_json()["type"] == "/problems/already-returned"
    mine = client.get("/api/v1/rentals/me", headers=me.headers).get_json()
    assert [r["id"] for r in mine] == [rental["id"]]


def test_only_the_owner_sees_or_returns_a_rental(app, client, network):
    network({101: (10, 2, 3)})
    me, stranger = rider(client), rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    assert client.get(f"/api/v1/rentals/{rental['id']}", headers=stranger.headers).status_code == 404
    assert give_back(client, stranger, rental["id"], 101).status_code == 404
    assert client.get("/api/v1/rentals/me", headers=stranger.headers).get_json() == []
    assert client.get(f"/api/v1/rentals/{rental['id']}", headers=me.headers).status_code == 200


def test_a_full_station_refuses_the_return_and_points_to_the_nearest_with_room(app, client, network):
    # 201 is full (docks 2 + overflow 1, 3 bikes); 202 is nearest but full too; 203, 204 have room.
    network({200: (10, 0, 1), 201: (2, 1, 3), 202: (2, 0, 2), 203: (5, 0, 0), 204: (5, 0, 1)})
    me = rider(client)
    rental = rent(client, me, 200, buy_day_pass="day_1h").get_json()
    response = give_back(client, me, rental["id"], 201)
    assert response.status_code == 409
    body = response.get_json()
    assert body["type"] == "/problems/station-full"
    nearby = body["nearest_stations_with_room"]
    assert [s["id"] for s in nearby] == [200, 203, 204]
    assert nearby[0]["distance_m"] < nearby[1]["distance_m"] < nearby[2]["distance_m"]
    assert give_back(client, me, rental["id"], 203).status_code == 200


def test_an_idempotent_retry_makes_no_second_rental_or_charge(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    headers = {**me.headers, "Idempotency-Key": "rent-1"}
    body = {"station_id": 101, "buy_day_pass": "day_1h"}
    first = client.post("/api/v1/rentals", json=body, headers=headers)
    retry = client.post("/api/v1/rentals", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get("/api/v1/rentals/me", headers=me.headers).get_json()) == 1
    assert len(client.get("/api/v1/charges/me", headers=me.headers).get_json()) == 1
    assert _station(client, app, 101) == (2, 2)
    other_body = client.post("/api/v1/rentals", json={"station_id": 101}, headers=headers)
    assert other_body.status_code == 422
    rental_id = first.get_json()["id"]
    return_headers = {"Idempotency-Key": "return-1"}
    returned = give_back(client, me, rental_id, 101, **return_headers)
    replayed = give_back(client, me, rental_id, 101, **return_headers)
    assert returned.status_code == replayed.status_code == 200
    assert replayed.get_json() == returned.get_json()
    assert _station(client, app, 101) == (3, 3)


@pytest.mark.parametrize(
    ("seconds", "overtime_won"),
    [(0, 0), (3599.5, 0), (3600, 0), (3601, 200), (3900, 200), (3901, 400), (7200, 2400)]
    + [(12 * 3600, 26_400), (24 * 3600, 30_000)],
)
def test_overtime_is_200_won_per_started_5_minutes_past_the_hour(app, client, network, seconds, overtime_won):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    sql(
        app,
        "UPDATE bike_rentals SET started_at = now() - make_interval(secs => :s) WHERE id = :id",
        s=seconds,
        id=rental["id"],
    )
    shown = give_back(client, me, rental["id"], 101).get_json()
    fare = shown["fare"]
    assert fare["overtime_won"] == overtime_won
    # The return's statement stores the fare by the same rule (bikeshare/passes/fares.py) as the one shown.
    stored = sql(app, "SELECT duration_seconds, overtime_won FROM bike_rentals WHERE id = :id", id=rental["id"])
    assert stored == [(fare["duration_seconds"], overtime_won)] and shown["rental"]["overtime_won"] == overtime_won
    # Whole seconds (a fraction never starts a step); the request itself may take up to a second more.
    assert int(seconds) <= fare["duration_seconds"] <= int(seconds) + 1
    overtime = [c for c in client.get("/api/v1/charges/me", headers=me.headers).get_json() if c["reason"] == "overtime"]
    assert [c["amount_won"] for c in overtime] == ([overtime_won] if overtime_won else [])


def test_a_two_hour_pass_rides_two_hours_free(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_2h").get_json()
    sql(app, "UPDATE bike_rentals SET started_at = now() - interval '7200 seconds' WHERE id = :id", id=rental["id"])
    assert give_back(client, me, rental["id"], 101).get_json()["fare"]["overtime_won"] == 0


def test_operators_list_bikes_by_status_and_station(app, client, network):
    bikes = network({101: (10, 2, 3), 102: (10, 2, 1)})
    operator = staff(app, client, "operator")
    listed = client.get("/api/v1/ops/bikes?station_id=101&status=available", headers=operator.headers).get_json()
    assert [b["id"] for b in listed] == bikes[101]
    one = client.get(f"/api/v1/ops/bikes/{bikes[102][0]}", headers=operator.headers).get_json()
    assert one["bike"]["station_id"] == 102 and one["open_reports"] == []
