from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import staff


def _rent_and_age(app, client, me, kind, seconds):
    rental = rent(client, me, 101, buy_day_pass=kind).get_json()
    sql(app, "UPDATE bike_rentals SET started_at = now() - make_interval(secs => :s) WHERE id = :id",
        s=seconds, id=rental["id"])  # fmt: skip
    return rental


def _bike_status(app, bike_id):
    return sql(app, "SELECT status FROM bikes WHERE id = :id", id=bike_id)[0][0]


def test_a_bike_out_past_four_hours_is_flagged_missing_by_the_periodic_command(app, client, network):
    network({101: (10, 2, 3)})
    late, on_time = rider(client), rider(client)
    overdue = _rent_and_age(app, client, late, "day_1h", 4 * 3600 + 1)
    fine = _rent_and_age(app, client, on_time, "day_1h", 4 * 3600 - 60)
    result = app.test_cli_runner().invoke(args=["bikeshare", "mark-missing"])
    assert result.exit_code == 0 and "flagged missing: 1" in result.output
    assert _bike_status(app, overdue["bike_id"]) == "missing"
    assert _bike_status(app, fine["bike_id"]) == "rented"
    operator = staff(app, client, "operator")
    listed = client.get("/api/v1/ops/bikes?status=missing", headers=operator.headers).get_json()
    assert [b["id"] for b in listed] == [overdue["bike_id"]]
    mine = client.get("/api/v1/rentals/me", headers=late.headers).get_json()
    assert mine[0]["missing_since"] is not None


def test_two_hour_passes_get_six_hours_before_the_bike_is_missing(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = _rent_and_age(app, client, me, "day_2h", 5 * 3600)
    app.test_cli_runner().invoke(args=["bikeshare", "mark-missing"])
    assert _bike_status(app, rental["bike_id"]) == "rented"
    sql(app, "UPDATE bike_rentals SET started_at = now() - interval '6 hours 1 second'")
    app.test_cli_runner().invoke(args=["bikeshare", "mark-missing"])
    assert _bike_status(app, rental["bike_id"]) == "missing"


def test_the_rider_looking_at_their_rentals_flags_an_overdue_bike_without_the_command(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = _rent_and_age(app, client, me, "day_1h", 5 * 3600)
    assert client.get("/api/v1/rentals/me", headers=me.headers).get_json()[0]["missing_since"] is not None
    assert _bike_status(app, rental["bike_id"]) == "missing"


def test_a_missing_bike_brought_back_is_parked_again_and_pays_capped_overtime(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = _rent_and_age(app, client, me, "day_1h", 14 * 3600)  # 13 h over: ₩31,200 before the cap
    app.test_cli_runner().invoke(args=["bikeshare", "mark-missing"])
    returned = give_back(client, me, rental["id"], 101).get_json()
    assert returned["fare"]["overtime_won"] == 30_000
    assert _bike_status(app, rental["bike_id"]) == "available"
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 101") == [(3, 3)]
