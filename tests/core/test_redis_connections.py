"""Each request thread sends its Redis commands on its own connection, checked before each command."""

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
