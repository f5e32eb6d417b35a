"""`flask bikeshare plan --state FILE --json`: an outside simulator's state in, a plan out, nothing stored."""

import json

from sqlalchemy import func, select

from bikeshare.operations.models import Plan, Truck
from core.db import db
from tests.bikeshare.operations.test_plans_and_tasks import CROWDED_AND_EMPTY, busy_mornings


def plan_state(app, tmp_path, state) -> tuple[int, str]:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["bikeshare", "plan", "--state", str(path), "--json"])
    return result.exit_code, result.output


STATE = {
    "time": "2025-09-08T07:30:00+09:00",
    "horizon_h": 2,
    "time_limit_s": 2,
    # The stored network holds 15 and 14 at stations 1 and 2; the simulator's stock differs.
    "stock": {"1": 15, "ST-2": 14, "3": 0, "4": 0},
    "trucks": [
        {"id": 1, "station_id": 5, "load": 0, "capacity": 12},
        {"id": 2, "lat": 37.5641, "lon": 126.9741, "load": 6, "capacity": 12},
    ],
}


def test_a_state_from_outside_is_planned_as_json_and_nothing_is_stored(app, network, tmp_path):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    code, output = plan_state(app, tmp_path, STATE)
    assert code == 0, output
    plan = json.loads(output)
    assert plan["bikes_moved"] > 0 and plan["stations_from_state"] == 4
    assert {z["outcome"] for z in plan["zones"]} <= {"solved", "fallback"}
    routes = {route["truck_id"]: route["stops"] for route in plan["routes"]}
    assert set(routes) == {1, 2}
    # The loaded truck (nearest station 4) drops its 6 bikes; every route ends empty.
    assert sum(s["bikes"] for s in routes[2] if s["action"] == "dropoff") >= 6
    for truck, stops in routes.items():
        load = {1: 0, 2: 6}[truck]
        for stop in stops:
            load += stop["bikes"] if stop["action"] == "pickup" else -stop["bikes"]
            assert stop["load_after"] == load and 0 <= load <= 12
            assert stop["station_code"] == f"ST-{stop['station_id']}"
        assert load == 0
    assert all(m["target"]["station_id"] in (3, 4) for m in plan["moves"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 0
        assert db.session.scalar(select(func.count()).select_from(Truck)) == 0


def test_a_state_naming_an_unknown_station_or_a_bad_truck_is_refused(app, network, tmp_path):
    network(CROWDED_AND_EMPTY)
    code, output = plan_state(app, tmp_path, {**STATE, "stock": {"999": 3}})
    assert code != 0 and "999" in output
    overloaded = {"id": 1, "station_id": 5, "load": 13, "capacity": 12}
    code, output = plan_state(app, tmp_path, {**STATE, "trucks": [overloaded]})
    assert code != 0 and "cannot carry 13" in output
    code, output = plan_state(app, tmp_path, {**STATE, "time": "07:30"})
    assert code != 0 and "ISO 8601" in output
