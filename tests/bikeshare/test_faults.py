from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import staff


def _report(client, session, bike_id, kind="brakes"):
    return client.post(f"/api/v1/bikes/{bike_id}/reports", json={"kind": kind}, headers=session.headers)


def test_three_distinct_riders_reporting_put_a_bike_in_maintenance_and_it_is_never_rented(app, client, network):
    bikes = network({101: (10, 2, 1)})
    bike = bikes[101][0]
    first = rider(client)
    assert _report(client, first, bike).status_code == 201
    assert _report(client, first, bike).status_code == 201  # the same rider again counts once
    assert _report(client, first, bike, "chain").status_code == 201
    assert _report(client, rider(client), bike, "tyre").status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("available",)]
    assert _report(client, rider(client), bike, "light").status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("maintenance",)]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(1, 0)]
    assert rent(client, rider(client), 101, buy_day_pass="day_1h").status_code == 409
    scanned = rent(client, rider(client), 101, bike_id=bike, buy_day_pass="day_1h")
    assert scanned.status_code == 409 and scanned.get_json()["type"] == "/problems/bike-not-available"


def test_an_operator_takes_a_bike_into_maintenance_and_back(app, client, network):
    bikes = network({101: (10, 2, 2)})
    bike = bikes[101][0]
    operator = staff(app, client, "operator")
    _report(client, rider(client), bike)
    response = client.patch(f"/api/v1/ops/bikes/{bike}", json={"status": "maintenance"}, headers=operator.headers)
    assert response.status_code == 200 and response.get_json()["status"] == "maintenance"
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(2, 1)]
    me = rider(client)
    assert rent(client, me, 101, buy_day_pass="day_1h").get_json()["bike_id"] == bikes[101][1]
    response = client.patch(f"/api/v1/ops/bikes/{bike}", json={"status": "available"}, headers=operator.headers)
    assert response.status_code == 200
    assert client.get(f"/api/v1/ops/bikes/{bike}", headers=operator.headers).get_json()["open_reports"] == []
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(1, 1)]


def test_a_bike_reported_while_out_goes_to_maintenance_when_it_is_returned(app, client, network):
    bikes = network({101: (10, 2, 1)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    for reporter in (me, rider(client), rider(client)):
        assert _report(client, reporter, bikes[101][0]).status_code == 201
    give_back(client, me, rental["id"], 101)
    assert sql(app, "SELECT status, needs_repair FROM bikes") == [("maintenance", True)]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(1, 0)]


def test_reporting_an_unknown_bike_is_404(client, network):
    network({101: (10, 2, 1)})
    assert _report(client, rider(client), "SPB-99999").status_code == 404
