"""Each request thread sends its Redis commands on its own connection, checked before each command."""

import threading

from core.redis import get_redis


def test_a_connection_the_server_closed_is_replaced_before_the_next_command(app):
    with app.app_context():
        mine = get_redis()
        before = mine.client_id()
        app.extensions["redis"].execute_command("CLIENT", "KILL", "ID", before)

        assert mine.client_id() not in (None, before)


def test_a_thread_keeps_its_connection_between_commands(app):
    with app.app_context():
        first = get_redis().client_id()

        assert get_redis().client_id() == first


def test_request_threads_that_come_and_go_never_run_out_of_connections(app):
    # The development server (make run) serves each request on a new thread: after 100 of them redis-py's pool
    # refused to make connections, and every later request found Redis "unavailable".
    def one_request():
        with app.app_context():
            get_redis().ping()

    with app.app_context():
        before = len(app.extensions["redis"].client_list())  # the server is shared with other tests' apps
    for _ in range(150):
        thread = threading.Thread(target=one_request)
        thread.start()
        thread.join()

    with app.app_context():
        assert get_redis().ping()
        assert len(app.extensions["redis"].client_list()) <= before + 2  # a finished thread's connection is closed
