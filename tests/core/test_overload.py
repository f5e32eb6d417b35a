"""Load shedding: a request the load balancer stamped too long ago gets a fast 503 with Retry-After."""

import time

import pytest


def _health(client, stamp: str | None):
    return client.get("/health", headers={"X-Request-Start": stamp} if stamp is not None else {})


def test_a_request_that_queued_past_the_budget_is_shed_with_retry_after(client):
    response = _health(client, f"t={time.time() - 1:.3f}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == "/problems/overloaded"


@pytest.mark.parametrize("stamp", [None, "fresh", "t=not-a-time", "1700000000.000"])
def test_fresh_unstamped_or_malformed_requests_are_served(client, stamp):
    if stamp == "fresh":
        stamp = f"t={time.time():.3f}"
    assert _health(client, stamp).status_code == 200
