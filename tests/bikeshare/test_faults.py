from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import staff


def _report(client, session, bike_id, kind="brakes"):
    return client.post(f"/api/v1/bikes/{bike_id}/reports", json={"kind": kind}, headers=session.headers)


def _rode(client, bike_id, station_id=101):
    """A new rider who has just ridden `bike_id` from `station_id` and back."""
    me = rider(client)
    rental = rent(client, me, station_id, bike_id=bike_id, buy_day_pass="day_1h").get_json()
    assert give_back(client, me, rental["id"], station_id).status_code == 200
    return me


def test_three_distinct_riders_of_the_bike_reporting_put_it_in_maintenance_and_it_is_never_rented(app, client, network):
    bikes = network({101: (10, 2, 1)})
    bike = bikes[101][0]
    first = _rode(client, bike)
    assert _report(client, first, bike, "chain").status_code == 201
    assert _report(client, first, bike, "chain").status_code == 201  # the same rider again counts once
    assert _report(client, first, bike, "light").status_code == 201
    assert _report(client, _rode(client, bike), bike, "light").status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("available",)]
    assert _report(client, _rode(client, bike), bike, "other").status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("maintenance",)]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(1, 0)]
    assert rent(client, rider(client), 101, buy_day_pass="day_1h").status_code == 409
    scanned = rent(client, rider(client), 101, bike_id=bike, buy_day_pass="day_1h")
    assert scanned.status_code == 409 and scanned.get_json()["type"] == "/problems/bike-not-available"


def test_accounts_that_never_rode_the_bike_cannot_ground_it_but_staff_see_their_reports(app, client, network):
    bikes = network({101: (10, 2, 1)})
    bike = bikes[101][0]
    # One person with throwaway accounts, anywhere in the city, naming a bike by its (sequential) number.
    for kind in ("chain", "brakes", "tyre", "frame"):
        assert _report(client, rider(client), bike, kind).status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("available",)]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(1, 1)]
    operator = staff(app, client, "operator")
    listed = client.get("/api/v1/ops/faults", headers=operator.headers).get_json()
    assert [(entry["bike"]["id"], entry["reporters"]) for entry in listed] == [(bike, 4)]


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


def _ride(client, me, station_id):
    rental = rent(client, me, station_id, buy_day_pass="day_1h").get_json()
    assert give_back(client, me, rental["id"], station_id).status_code == 200
    return rental["bike_id"]


def test_a_brake_report_by_the_last_rider_holds_the_bike_at_once(app, client, network):
    network({101: (10, 2, 2)})
    me = rider(client)
    ridden = _ride(client, me, 101)
    assert _report(client, me, ridden, "brakes").status_code == 201
    assert sql(app, "SELECT status FROM bikes WHERE id = :id", id=ridden) == [("maintenance",)]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(2, 1)]
    picked = rent(client, me, 101).get_json()["bike_id"]  # no bike asked for: the station picks one
    assert picked != ridden
    assert rent(client, rider(client), 101, buy_day_pass="day_1h").status_code == 409


def test_a_safety_report_by_someone_else_or_a_minor_one_by_the_last_rider_waits_for_more_riders(app, client, network):
    bikes = network({101: (10, 2, 1)})
    me = rider(client)
    ridden = _ride(client, me, 101)
    assert _report(client, me, ridden, "light").status_code == 201
    assert _report(client, rider(client), bikes[101][0], "frame").status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("available",)]


def test_one_riders_reports_count_once(app, client, network):
    bikes = network({101: (10, 2, 1)})
    me = rider(client)
    first = _report(client, me, bikes[101][0], "chain").get_json()
    assert _report(client, me, bikes[101][0], "chain").get_json()["id"] == first["id"]
    assert _report(client, me, bikes[101][0], "brakes").status_code == 201
    assert _report(client, me, bikes[101][0], "light").status_code == 201
    assert sql(app, "SELECT status FROM bikes") == [("available",)]


def test_reports_older_than_the_window_do_not_count_towards_a_hold(app, client, network):
    bikes = network({101: (10, 2, 1)})
    bike = bikes[101][0]
    for _ in range(2):
        _report(client, _rode(client, bike), bike, "chain")
    sql(app, "UPDATE bike_fault_reports SET created_at = created_at - interval '8 days'")
    sql(app, "UPDATE bike_rentals SET started_at = started_at - interval '8 days', returned_at = started_at")
    _report(client, _rode(client, bike), bike, "chain")
    assert sql(app, "SELECT status FROM bikes") == [("available",)]
    _report(client, _rode(client, bike), bike, "chain")
    _report(client, _rode(client, bike), bike, "chain")
    assert sql(app, "SELECT status FROM bikes") == [("maintenance",)]


def test_a_rider_reporting_too_often_is_refused(app, client, network):
    bikes = network({101: (20, 0, 11)})
    me = rider(client)
    for bike in bikes[101][:10]:
        assert _report(client, me, bike, "light").status_code == 201
    refused = _report(client, me, bikes[101][10], "light")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"]
    assert sql(app, "SELECT count(*) FROM bike_fault_reports") == [(10,)]
    assert _report(client, rider(client), bikes[101][10], "light").status_code == 201


def test_staff_list_reported_bikes_by_kind_station_and_age(app, client, network):
    bikes = network({101: (10, 0, 2), 102: (10, 0, 1)})
    operator = staff(app, client, "operator")
    _report(client, rider(client), bikes[101][0], "chain")
    _report(client, rider(client), bikes[101][0], "light")
    _report(client, rider(client), bikes[102][0], "brakes")
    sql(
        app,
        "UPDATE bike_fault_reports SET created_at = created_at - interval '2 hours' WHERE bike_id = :b",
        b=bikes[102][0],
    )

    def listed(**query):
        response = client.get("/api/v1/ops/faults", query_string=query, headers=operator.headers)
        assert response.status_code == 200
        return [(row["bike"]["id"], row["kinds"], row["reporters"]) for row in response.get_json()]

    assert listed() == [(bikes[102][0], ["brakes"], 1), (bikes[101][0], ["chain", "light"], 2)]
    assert listed(kind="light") == [(bikes[101][0], ["chain", "light"], 2)]
    assert listed(station_id=102) == [(bikes[102][0], ["brakes"], 1)]
    assert listed(min_age_minutes=60) == [(bikes[102][0], ["brakes"], 1)]
    assert client.get("/api/v1/ops/faults", headers=rider(client).headers).status_code == 403


def test_staff_inspect_a_held_bike_and_return_it_to_service_or_send_it_to_repair(app, client, network):
    network({101: (10, 2, 2)})
    operator = staff(app, client, "operator")
    me = rider(client)
    first, second = _ride(client, me, 101), _ride(client, me, 101)
    for bike in (first, second):
        _report(client, me, bike, "tyre")
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(2, 0)]

    def inspect(bike, outcome, session=operator):
        return client.post(f"/api/v1/ops/bikes/{bike}/inspection", json={"outcome": outcome}, headers=session.headers)

    assert inspect(first, "return_to_service", me).status_code == 403
    returned = inspect(first, "return_to_service")
    assert returned.status_code == 200 and returned.get_json()["status"] == "available"
    assert inspect(second, "send_to_repair").get_json()["status"] == "maintenance"
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations") == [(2, 1)]
    assert client.get("/api/v1/ops/faults", headers=operator.headers).get_json() == []
    again = inspect(first, "send_to_repair")
    assert again.status_code == 409 and again.get_json()["type"] == "/problems/bike-not-reported"
    # A tablet that lost the answer retries with the same key and gets it, not a 409 for its own success.
    _report(client, me, first, "brakes")
    keyed = {**operator.headers, "Idempotency-Key": "inspect-first-brakes"}
    url = f"/api/v1/ops/bikes/{first}/inspection"
    answers = [client.post(url, json={"outcome": "send_to_repair"}, headers=keyed) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200] and answers[0].get_json() == answers[1].get_json()
    audited = sql(
        app, "SELECT subject, details->>'outcome' FROM audit_events WHERE event = 'bike_inspected' ORDER BY id"
    )
    assert audited == [
        (f"bike:{first}", "return_to_service"),
        (f"bike:{second}", "send_to_repair"),
        (f"bike:{first}", "send_to_repair"),
    ]
