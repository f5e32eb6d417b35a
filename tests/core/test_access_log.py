"""The app's access log: every server error and slow answer, one in a hundred of the rest, each with its request id."""

import logging
import time

import pytest

ACCESS = "seoul.access"


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    return lambda: [record for record in caplog.records if record.name == ACCESS]


def test_one_in_a_hundred_fast_answers_is_logged_with_its_request_id(client, access_lines):
    ids = [client.get("/health").headers["X-Request-ID"] for _ in range(200)]
    lines = access_lines()
    assert [(line.status, line.path, line.sampled) for line in lines] == [(200, "/health", True)] * 2
    assert [line.request_id for line in lines] == [ids[0], ids[100]]
    assert all(line.levelno == logging.INFO and line.duration_ms >= 0 for line in lines)


def test_every_server_error_is_logged(app, access_lines):
    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    client = app.test_client()
    ids = [client.get("/boom").headers["X-Request-ID"] for _ in range(5)]
    errors = [line for line in access_lines() if line.status == 500]
    assert [line.request_id for line in errors] == ids
    assert all(line.levelno == logging.ERROR for line in errors)


def test_a_slow_answer_is_logged_whatever_its_status(app, access_lines):
    @app.get("/slow")
    def slow():
        time.sleep(0.55)
        return {"done": True}

    client = app.test_client()
    client.get("/health")  # the first answer is a sampled one
    client.get("/slow")
    slow_lines = [line for line in access_lines() if line.path == "/slow"]
    assert [(line.status, line.levelno, line.sampled) for line in slow_lines] == [(200, logging.WARNING, False)]
    assert slow_lines[0].duration_ms >= 550


def test_shed_answers_are_sampled_not_each_logged(client, access_lines):
    stale = {"X-Request-Start": f"t={time.time() - 1:.3f}"}
    statuses = [client.get("/health", headers=stale).status_code for _ in range(50)]
    assert set(statuses) == {503}
    assert [(line.status, line.sampled) for line in access_lines()] == [(503, True)]
