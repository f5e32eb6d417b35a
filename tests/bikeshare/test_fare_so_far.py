"""A running ride shows its fare so far (what returning now would cost); a returned one does not."""

from tests.bikeshare.helpers import give_back, place_network, rent, rider


def test_a_running_ride_shows_its_fare_so_far_and_a_returned_one_does_not(any_database_app):
    app, client = any_database_app, any_database_app.test_client()
    place_network(app, {101: (10, 0, 2), 102: (10, 0, 0)})
    session = rider(client)
    rental = rent(client, session, 101, buy_day_pass="day_2h").get_json()

    running = client.get(f"/api/v1/rentals/{rental['id']}", headers=session.headers).get_json()
    assert running["fare_so_far"]["ride_limit_minutes"] == 120
    assert running["fare_so_far"]["total_won"] == 0 and running["fare_so_far"]["duration_seconds"] < 60
    assert rental["fare_so_far"]["ride_limit_minutes"] == 120  # the rent answer shows it too

    give_back(client, session, rental["id"], 102)
    returned = client.get("/api/v1/rentals/me", headers=session.headers).get_json()
    assert returned[0]["returned_at"] is not None and "fare_so_far" not in returned[0]
