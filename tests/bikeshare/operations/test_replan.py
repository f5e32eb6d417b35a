"""The re-planning worker: keeps each truck's current stop, never strands bikes, records its rounds, one at a time."""

import threading

import pytest
from sqlalchemy import func, select

from bikeshare.operations.models import Plan, ReplanRound
from bikeshare.operations.network import truck_settings
from bikeshare.rebalancing.geo import haversine_km
from core.db import db
from tests.bikeshare.operations.test_plans_and_tasks import CROWDED_AND_EMPTY, assert_one_place_each, busy_mornings
from tests.bikeshare.operations.test_plans_and_tasks import plan as plan_over_http

CURRENT = "/api/v1/ops/rebalancing/current"


def loaded_truck(app, client, network, operator, truck_id=3):
    """A planned truck that has done its first pickup: bikes aboard, the rest of its route ahead."""
    placed = network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    body = plan_over_http(client, operator, trucks=[{"truck_id": truck_id, "station_id": 1, "capacity": 20}])
    stops = body.get_json()["routes"][0]["stops"]
    assert stops[0]["kind"] == "pickup" and len(stops) >= 2
    done = client.post(f"/api/v1/ops/tasks/{stops[0]['id']}/pickup", json={}, headers=operator.headers)
    assert done.status_code == 200
    return placed, stops


def test_a_round_keeps_each_trucks_current_stop_and_plans_its_load_to_drops(app, client, network, operator, make_app):
    placed, stops = loaded_truck(app, client, network, operator)
    current = stops[1]  # the stop the crew is driving to now
    worker = make_app(BIKESHARE_REPLAN_TIME_LIMIT_S=1.0)
    result = worker.test_cli_runner().invoke(args=["bikeshare", "replan", "--once"])
    assert result.exit_code == 0, result.output
    assert "planned" in result.output

    body = client.get(CURRENT, headers=operator.headers).get_json()
    assert body["latest_round"]["status"] == "planned"
    assert body["latest_round"]["kept_tasks"] == {"3": current["id"]}
    (truck,) = body["trucks"]
    assert truck["stops"][0]["id"] == current["id"] and truck["stops"][0]["status"] == "open"
    assert all(stop["plan_id"] == body["latest_round"]["plan_id"] for stop in truck["stops"][1:])
    # Whatever is aboard after the kept stop is planned to drops: the route ends empty.
    load = truck["load"]
    for stop in truck["stops"]:
        load += stop["load_change"]
        assert 0 <= load <= truck["capacity"]
    assert load == 0
    # The old route's other stops are superseded; the kept one can still be worked.
    old = client.get(f"/api/v1/ops/rebalancing/plans/{current['plan_id']}", headers=operator.headers).get_json()
    rest = [s for s in old["routes"][0]["stops"] if s["sequence"] > current["sequence"]]
    assert all(s["status"] == "superseded" for s in rest)
    worked = client.post(f"/api/v1/ops/tasks/{current['id']}/{current['kind']}", json={}, headers=operator.headers)
    assert worked.status_code == 200
    assert_one_place_each(app, sum(len(bikes) for bikes in placed.values()))


def test_a_crew_working_its_stop_while_a_round_reads_the_fleet_does_not_fail_the_round(
    app, client, network, operator, make_app, monkeypatch
):
    from bikeshare.operations import replan

    _, stops = loaded_truck(app, client, network, operator)
    current = stops[1]
    read_fleet = replan._fleet

    def fleet_then_a_crew_works_its_stop():
        fleet = read_fleet()
        # Between the round's reading of the fleet and its plan, the crew does part of its current stop.
        done = client.post(
            f"/api/v1/ops/tasks/{current['id']}/{current['kind']}", json={"count": 1}, headers=operator.headers
        )
        assert done.status_code == 200, done.get_json()
        return fleet

    monkeypatch.setattr(replan, "_fleet", fleet_then_a_crew_works_its_stop)
    with make_app(BIKESHARE_REPLAN_TIME_LIMIT_S=1.0).app_context():
        round_ = replan.replan_round()
        assert round_.status == "planned", round_.detail


def test_a_rounds_new_route_starts_once_the_kept_stop_is_done(app, client, network, operator, make_app):
    _, stops = loaded_truck(app, client, network, operator)
    last_worked, current = stops[0], stops[1]  # the crew picked up at the first stop and drives to the second
    worker = make_app(BIKESHARE_REPLAN_TIME_LIMIT_S=1.0)
    assert worker.test_cli_runner().invoke(args=["bikeshare", "replan", "--once"]).exit_code == 0

    (truck,) = client.get(CURRENT, headers=operator.headers).get_json()["trucks"]
    assert truck["stops"][0]["id"] == current["id"] and len(truck["stops"]) >= 2, truck["stops"]
    first_new = truck["stops"][1]
    with app.app_context():
        model = truck_settings().model
    origin, kept = (client.get(f"/api/v1/stations/{s['station_id']}").get_json() for s in (last_worked, current))
    straight_km = haversine_km(lat1=origin["lat"], lon1=origin["lon"], lat2=kept["lat"], lon2=kept["lon"])
    kept_done_min = model.driving_min(straight_km) + current["planned"] * model.handling_min_per_bike
    # The new route's clock starts when the kept stop is done, then drives on to its first stop.
    expected = kept_done_min + first_new["distance_km"] / model.speed_kmh * 60
    assert first_new["arrival_min"] == pytest.approx(expected, abs=0.05)


def test_two_workers_racing_make_one_round(app, client, network, operator, make_app):
    loaded_truck(app, client, network, operator)
    workers = [make_app(BIKESHARE_REPLAN_TIME_LIMIT_S=1.0) for _ in range(2)]
    start = threading.Barrier(len(workers))
    outcomes = []

    def run(worker):
        from bikeshare.operations import replan

        with worker.app_context():
            start.wait()
            round_ = replan.replan_round()
            outcomes.append(None if round_ is None else round_.status)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [None, "planned"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReplanRound)) == 1
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 2  # the first plan and the round's


def test_operators_only_see_the_current_plan(client, operator):
    from tests.helpers import citizen

    assert client.get(CURRENT, headers=operator.headers).get_json() == {"latest_round": None, "trucks": []}
    assert client.get(CURRENT, headers=citizen(client).headers).status_code == 403


def test_a_round_without_trucks_is_recorded_as_failed_and_says_why(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bikeshare", "replan", "--once"])
    assert result.exit_code == 0 and "failed" in result.output and "register trucks" in result.output
    latest = client.get(CURRENT, headers=operator.headers).get_json()["latest_round"]
    assert latest["status"] == "failed" and latest["plan_id"] is None
    bad = runner.invoke(args=["bikeshare", "replan", "--every", "soon"])
    assert bad.exit_code == 2 and "not a period" in bad.output


def test_staff_plans_racing_make_one_plan_and_the_other_is_told_when_to_retry(app, network, operator, make_app):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    instances = [make_app() for _ in range(2)]  # two app instances sharing PostgreSQL and Redis
    start = threading.Barrier(len(instances))
    answers = []

    def run(instance):
        client = instance.test_client()
        start.wait()
        answers.append(plan_over_http(client, operator, trucks=[{"truck_id": 5, "station_id": 1, "capacity": 20}]))

    threads = [threading.Thread(target=run, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [201, 409]
    busy = next(answer for answer in answers if answer.status_code == 409)
    assert busy.get_json()["type"] == "/problems/planning-busy" and int(busy.headers["Retry-After"]) >= 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
    # The lock is free again once the plan is stored.
    again = plan_over_http(app.test_client(), operator, trucks=[{"truck_id": 5, "station_id": 1, "capacity": 20}])
    assert again.status_code == 201, again.get_json()


def test_a_staff_plan_while_a_round_holds_the_planning_lock_waits_its_turn_and_stores_nothing(
    app, client, network, operator, make_app
):
    from bikeshare.operations.planning_lock import holding_the_planner

    network(CROWDED_AND_EMPTY)
    truck = [{"truck_id": 5, "station_id": 1, "capacity": 20}]
    # Another instance's worker is re-planning.
    with make_app().app_context(), holding_the_planner(time_limit_s=30) as held:
        assert held
        refused = plan_over_http(client, operator, trucks=truck)
        assert refused.status_code == 409, refused.get_json()
        assert 1 <= int(refused.headers["Retry-After"]) <= 30
        assert "try again" in refused.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 0
    assert plan_over_http(client, operator, trucks=truck).status_code == 201
