"""Login throttling (per account and address, per account, per address), registration limits, timing."""

import statistics
import time

import pytest

from tests.helpers import login, register

STRANGER, OWNER_PHONE, OWNER_LAPTOP = "203.0.113.66", "198.51.100.7", "198.51.100.8"


def _login_from(client, address: str, email: str, password: str | None = None):
    body = {"email": email, "password": password or "correct horse battery"}
    return client.post("/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("account_exists", [True, False])
def test_failures_from_one_address_wait_longer_and_longer(client, account_exists):
    email = register(client)["email"] if account_exists else "nobody@example.kr"
    statuses = [_login_from(client, STRANGER, email, "wrong password!").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 401]  # three free failures, the fourth starts the delays

    first_wait = _login_from(client, STRANGER, email, "wrong password!")
    assert first_wait.status_code == 429
    assert first_wait.content_type == "application/problem+json"
    assert first_wait.headers["Retry-After"] == "1"

    time.sleep(1.1)
    assert _login_from(client, STRANGER, email, "wrong password!").status_code == 401
    assert _login_from(client, STRANGER, email, "wrong password!").headers["Retry-After"] == "2"


def test_the_owner_logs_in_from_another_address_after_a_strangers_wrong_passwords(client):
    user = register(client)
    for _ in range(8):
        _login_from(client, STRANGER, user["email"], "wrong password!")
    assert _login_from(client, STRANGER, user["email"]).status_code == 429
    assert _login_from(client, OWNER_PHONE, user["email"]).status_code == 200


def test_a_success_forgets_the_failures_from_that_address(client):
    user = register(client)
    statuses = []
    for _ in range(2):
        statuses += [_login_from(client, OWNER_PHONE, user["email"], "typo typo typo").status_code for _ in range(3)]
        statuses.append(_login_from(client, OWNER_PHONE, user["email"]).status_code)
    assert statuses == [401, 401, 401, 200] * 2


def test_past_the_account_ceiling_only_addresses_the_owner_used_before_may_try(make_app):
    client = make_app(LOGIN_FAILURES_PER_ACCOUNT=4).test_client()
    user = register(client)
    assert _login_from(client, OWNER_PHONE, user["email"]).status_code == 200
    for n in range(4):  # a botnet: one failure from each of many addresses
        assert _login_from(client, f"192.0.2.{n + 1}", user["email"], "wrong password!").status_code == 401

    refused = _login_from(client, OWNER_LAPTOP, user["email"])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert _login_from(client, OWNER_PHONE, user["email"]).status_code == 200


def test_the_per_address_limit_applies_across_instances(make_app):
    first = make_app(LOGIN_LIMIT_PER_ADDRESS=3).test_client()
    second = make_app(LOGIN_LIMIT_PER_ADDRESS=3).test_client()
    user = register(first)
    statuses = [login(client, user["email"]).status_code for client in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def test_with_redis_down_logins_work_and_are_throttled_from_the_audit_log(make_app, tmp_path):
    healthy = make_app().test_client()
    user = register(healthy)
    without_redis = make_app(
        REDIS_URL=f"unix://{tmp_path}/no-redis.sock", LOGIN_FREE_FAILURES=1, LOGIN_FIRST_DELAY_SECONDS=60
    ).test_client()

    assert _login_from(without_redis, OWNER_PHONE, user["email"]).status_code == 200
    statuses = [_login_from(without_redis, STRANGER, user["email"], "wrong password!").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert 55 <= int(_login_from(without_redis, STRANGER, user["email"]).headers["Retry-After"]) <= 60
    assert _login_from(without_redis, OWNER_LAPTOP, user["email"]).status_code == 200


def test_registration_is_limited_per_address(make_app):
    client = make_app(REGISTRATIONS_PER_ADDRESS=2).test_client()
    client.environ_base["REMOTE_ADDR"] = STRANGER
    register(client), register(client)
    body = {
        "email": "third@example.kr",
        "password": "correct horse battery",
        "name": "김민수",
        "birth_date": "1990-05-17",
        "district": "강남구",
    }
    refused = client.post("/api/v1/auth/register", json=body, environ_base={"REMOTE_ADDR": STRANGER})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert client.post("/api/v1/auth/register", json=body, environ_base={"REMOTE_ADDR": OWNER_PHONE}).status_code == 201


def test_a_login_takes_as_long_for_an_unknown_account_as_for_a_known_one(make_app):
    # A hash costly enough (tens of ms) to dominate a request, as in production; medians of interleaved
    # runs keep a busy machine's noise out. A second hash (the old fault) or none would double or
    # shrink the unknown account's time.
    client = make_app(PASSWORD_HASH_TIME_COST=2, PASSWORD_HASH_MEMORY_KIB=32768, LOGIN_FREE_FAILURES=100).test_client()
    known = register(client)["email"]
    login(client, "warm-up@example.kr", "wrong password!")  # the dummy hash is made once, here
    durations = {known: [], "unknown@example.kr": []}
    for _ in range(9):
        for email, times in durations.items():
            started = time.perf_counter()
            assert login(client, email, "wrong password!").status_code == 401
            times.append(time.perf_counter() - started)
    ratio = statistics.median(durations["unknown@example.kr"]) / statistics.median(durations[known])
    assert 0.7 < ratio < 1.4, durations
