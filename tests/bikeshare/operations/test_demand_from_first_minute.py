"""A fresh install has demand history: the shipped samples, kept in the window when live rentals arrive."""

from sqlalchemy import select

from bikeshare.stations.models import Station
from core.db import db
from tests.bikeshare.helpers import rent, rider


def busiest_station(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Station.id).where(Station.active).order_by(Station.bikes_parked.desc()))


def test_a_live_rental_keeps_the_imported_history_in_the_window(app, client, operator, city_with_samples):
    station = busiest_station(app)
    before = client.get(f"/api/v1/ops/demand?station_id={station}", headers=operator.headers).get_json()
    assert before["since"] <= "2017-09-01"

    assert rent(client, rider(client), station, buy_day_pass="day_1h").status_code == 201

    after = client.get(f"/api/v1/ops/demand?station_id={station}", headers=operator.headers).get_json()
    assert after["since"] == before["since"]
    assert after["observed_hours"] > before["observed_hours"]


def plan_at_seven(client, operator, **body):
    """A Monday 07:00 plan (the samples hold no 07 h record: the rates come from the profile prior)."""
    return client.post(
        "/api/v1/ops/rebalancing/plans",
        json={"truck_count": 4, "horizon_h": 1.0, "time_limit_s": 1.0, "start_at": "2026-06-15T07:00:00+09:00", **body},
        headers=operator.headers,
    )


def test_a_weekday_seven_am_plan_on_a_fresh_city_moves_bikes_and_says_which_history(
    app, client, operator, city_with_samples
):
    response = plan_at_seven(client, operator, zone="강남구")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["bikes_moved"] > 0
    history = body["history"]
    assert history["since"] <= "2017-09-01" and history["days"] >= 2
    assert history["trips"] > 10_000
    assert 0 < history["prior_share"] < 1
    assert "nothing_moved_because" not in history

    assert rent(client, rider(client), busiest_station(app), buy_day_pass="day_1h").status_code == 201
    after = plan_at_seven(client, operator, zone="강남구").get_json()
    assert after["history"]["days"] == history["days"] + 1 and after["history"]["trips"] == history["trips"] + 1
    assert after["bikes_moved"] > 0


def test_a_plan_without_history_says_why_it_moves_nothing(app, client, operator):
    result = app.test_cli_runner().invoke(args=["bikeshare", "setup-city"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(
        args=["bikeshare", "plan", "--trucks", "2", "--zone", "강남구", "--time-limit", "0.5", "--horizon", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "0 bikes moved" in result.output
    assert "history: 0 trips on 0 days" in result.output
    assert "nothing moved: no demand history" in result.output
