"""Prebuilt hot-path statements: a statement that is its service's whole unit of work commits on its own;
joined to work already under way it commits (or rolls back) with that work, as every other statement."""

import pytest
from sqlalchemy import func, insert, literal_column, select

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
