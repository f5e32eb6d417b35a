"""Without any demand record the default window still stays put, so plans reuse one demand estimate."""

from tests.bikeshare.helpers import place_network

PLANS = "/api/v1/ops/rebalancing/plans"


def test_plans_on_an_empty_history_share_one_window_and_its_cached_estimate(app, client, operator):
    place_network(app, {101: (10, 0, 9), 102: (10, 0, 1), 103: (10, 0, 5)})
    body = {"truck_count": 1, "horizon_h": 1.0, "time_limit_s": 0.5}
    first, second = (_plan_history(client, operator, body) for _ in range(2))
    if second["until"] != first["until"]:  # the hour turned between the two: the window moves once an hour
        first, second = second, _plan_history(client, operator, body)
    assert first["trips"] == second["trips"] == 0
    assert (second["since"], second["until"]) == (first["since"], first["until"])
    assert second["until"].endswith(":00:00+00:00")  # on the hour
    assert second["estimate_cached"] is True


def _plan_history(client, operator, body) -> dict:
    answer = client.post(PLANS, json=body, headers=operator.headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["history"]
