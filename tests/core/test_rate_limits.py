"""Login is limited per account (failed attempts) and per client address, across instances."""

import time

from tests.helpers import login, register


def test_failed_logins_lock_the_account_with_429_and_retry_after(client):
    user = register(client)
    for _ in range(5):
        assert login(client, user["email"], "wrong password!").status_code == 401
    locked = login(client, user["email"])  # even the right password waits now
    assert locked.status_code == 429
    assert locked.content_type == "application/problem+json"
    assert int(locked.headers["Retry-After"]) > 0


def test_successful_logins_do_not_count_towards_the_account_lock(client):
    user = register(client)
    for _ in range(8):
        assert login(client, user["email"]).status_code == 200


def test_the_account_lock_does_not_block_other_accounts(client):
    victim, other = register(client), register(client)
    for _ in range(5):
        login(client, victim["email"], "wrong password!")
    assert login(client, other["email"]).status_code == 200


def test_the_per_address_limit_applies_across_instances(make_app):
    first = make_app(LOGIN_LIMIT_PER_ADDRESS=3).test_client()
    second = make_app(LOGIN_LIMIT_PER_ADDRESS=3).test_client()
    user = register(first)
    statuses = [login(client, user["email"]).status_code for client in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def _next_window(seconds: int) -> None:
    time.sleep(seconds - time.time() % seconds + 0.01)


def test_the_account_lock_lifts_when_its_window_passes(make_app):
    client = make_app(LOGIN_FAILURES_PER_ACCOUNT=2, LOGIN_FAILURE_WINDOW_SECONDS=2).test_client()
    user = register(client)
    _next_window(2)  # windows are fixed: start at one's beginning
    for _ in range(2):
        assert login(client, user["email"], "wrong password!").status_code == 401
    assert login(client, user["email"]).status_code == 429
    _next_window(2)
    assert login(client, user["email"]).status_code == 200
