"""Prebuilt hot-path statements: a statement that is its service's whole unit of work commits on its own;
joined to work already under way it commits (or rolls back) with that work, as every other statement."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, insert, literal_column, select
from sqlalchemy.exc import DBAPIError

from core.audit import AuditEvent
from core.db import HotStatement, db

RECORD = HotStatement(
    insert(AuditEvent).values(at=func.now(), details=literal_column("'{}'::json")).returning(AuditEvent.id)
)


@pytest.fixture
def one_connection_app(make_app):
    """An app whose pool keeps one connection, so the next unit of work gets the one a statement ran on."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 1})


def _committed(app, event: str) -> int:
    """Rows of `event` that another connection sees: only what has been committed."""
    with db.engine.connect() as elsewhere:
        return elsewhere.scalar(select(func.count()).where(AuditEvent.event == event))


def test_a_statement_that_is_the_whole_unit_of_work_is_committed_by_itself(app):
    with app.app_context():
        RECORD.scalar({"event": "hot.alone"}, own_transaction=True)
        seen_before_the_commit = _committed(app, "hot.alone")
        db.session.commit()

        assert seen_before_the_commit == 1


def test_the_connection_is_back_to_transactions_after_a_statement_on_its_own(one_connection_app):
    app = one_connection_app
    with app.app_context():
        RECORD.scalar({"event": "hot.alone"}, own_transaction=True)
        db.session.commit()
        RECORD.scalar({"event": "hot.then"})
        RECORD.scalar({"event": "hot.then"})
        db.session.rollback()

        assert _committed(app, "hot.then") == 0


@pytest.mark.parametrize("work_under_way", ["a statement ran", "the session holds a new row"])
def test_a_statement_joins_work_under_way_and_is_rolled_back_with_it(app, work_under_way):
    with app.app_context():
        if work_under_way == "a statement ran":
            db.session.scalar(select(func.count()).select_from(AuditEvent))
        else:
            db.session.add(AuditEvent(event="hot.pending"))
        RECORD.scalar({"event": "hot.joined"}, own_transaction=True)
        seen_before_the_commit = _committed(app, "hot.joined")
        db.session.rollback()

        assert (seen_before_the_commit, _committed(app, "hot.joined"), _committed(app, "hot.pending")) == (0, 0, 0)


def test_a_failed_statement_on_its_own_leaves_the_connection_in_transactions(one_connection_app):
    app = one_connection_app
    with app.app_context():
        with pytest.raises(Exception, match="actor_id"):
            RECORD.scalar({"event": "hot.orphan", "actor_id": 999_999}, own_transaction=True)
        db.session.rollback()
        RECORD.scalar({"event": "hot.then"})
        db.session.rollback()

        assert (_committed(app, "hot.orphan"), _committed(app, "hot.then")) == (0, 0)


BACKEND = HotStatement(select(func.pg_backend_pid()))


def test_a_statement_on_its_own_after_its_connection_was_lost_fails_once_and_the_next_reconnects(app):
    with app.app_context():
        lost = BACKEND.scalar({}, own_transaction=True)
        with db.engine.connect() as elsewhere:
            elsewhere.scalar(select(func.pg_terminate_backend(lost)))

        with pytest.raises(DBAPIError) as failure:
            BACKEND.scalar({}, own_transaction=True)
        again = BACKEND.scalar({}, own_transaction=True)

        assert failure.value.connection_invalidated and again not in (None, lost)


def test_statements_on_their_own_reuse_a_kept_connection_until_the_engine_is_disposed(app):
    with app.app_context():
        first = BACKEND.scalar({}, own_transaction=True)
        kept = BACKEND.scalar({}, own_transaction=True)
        db.engine.dispose()
        after_dispose = BACKEND.scalar({}, own_transaction=True)

        assert kept == first and after_dispose != first


SLOW_BACKEND = HotStatement(select(func.pg_backend_pid(), func.pg_sleep(0.3)))


def test_after_a_lost_connection_every_kept_one_is_replaced_before_its_next_statement(app):
    """A restart of PostgreSQL ends every kept connection: one statement fails, not one per kept connection."""
    both_running = threading.Barrier(2)

    def slow_backend() -> int:
        with app.app_context():
            both_running.wait()
            return SLOW_BACKEND.first({}, own_transaction=True)[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        kept = set(pool.map(lambda _: slow_backend(), range(2)))  # two at once: two kept connections
    with app.app_context():
        with db.engine.connect() as elsewhere:  # as a restart of PostgreSQL would
            for pid in kept:
                elsewhere.scalar(select(func.pg_terminate_backend(pid)))
        with pytest.raises(DBAPIError):
            BACKEND.scalar({}, own_transaction=True)
        after = BACKEND.scalar({}, own_transaction=True)

    assert len(kept) == 2 and after not in kept


def test_a_burst_of_threads_opens_no_more_connections_than_the_pool_allows(make_app):
    """A threaded server runs each request on a new thread: kept connections are bounded by the pool's size,
    and statements that find them all busy take the pool's, so PostgreSQL's max_connections is not exhausted."""
    # No overflow: the pool never closes a connection and opens another, so every backend seen is a kept one.
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "max_overflow": 0})
    threads = 30
    start = threading.Barrier(threads)

    def backends() -> set[int]:
        start.wait()
        seen = set()
        with app.app_context():
            for _ in range(20):
                seen.add(BACKEND.scalar({}, own_transaction=True))
                db.session.commit()
        return seen

    with ThreadPoolExecutor(max_workers=threads) as pool:
        used = set().union(*pool.map(lambda _: backends(), range(threads)))

    assert 1 <= len(used) <= 2 + 2  # the kept ones, and the pool's
