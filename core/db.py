"""The SQLAlchemy session, the declarative base and the column types every package shares."""

import copy
import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import CheckConstraint, DateTime, Index, MetaData, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, scoped_session
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations name (and can drop) them the same on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _Session(Session):
    """Flask-SQLAlchemy's session, whose commit with nothing to commit costs nothing.

    A service ends with its one commit even when its work went out as statements on their own (HotStatement)
    and nothing is left; SQLAlchemy would begin an empty transaction to commit it: ~16 µs of CPU a request.
    """

    def commit(self) -> None:
        if self.in_transaction() or self.new or self.dirty or self.deleted:
            super().commit()


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, whose scoped session is made only when something uses it.

    A request whose statements all ran on their own (HotStatement) never needs a session, but its service's
    commit made one, to commit nothing, and the app context's teardown then closed it: ~40 µs of CPU.
    """

    def _make_scoped_session(self, options):
        scoped = super()._make_scoped_session(options)
        return _LazyScopedSession(scoped.session_factory, scoped.registry.scopefunc)


class _LazyScopedSession(scoped_session):
    def commit(self) -> None:
        if self.registry.has():
            self.registry().commit()


# Objects stay readable after the service's commit, so building the response costs no second SELECT.
db = _SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False, "class_": _Session})


class Database(StrEnum):
    """The databases the app runs on: PostgreSQL in production and tests, SQLite for `make run`.

    Every difference between them is decided through `database()` and the helpers below.
    """

    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"


def database(bind=None) -> Database:
    """The database the session talks to, or the one of `bind` (an engine, a connection or a dialect)."""
    target = db.engine if bind is None else bind  # the one engine (no binds), without making a session
    return Database(getattr(target, "dialect", target).name)


def insert_on_conflict(table, *, on: Database | None = None):
    """An INSERT that takes `on_conflict_do_update/do_nothing` (the same API on both databases)."""
    dialects = {Database.POSTGRESQL: postgresql, Database.SQLITE: sqlite}
    return dialects[on or database()].insert(table)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index over the rows matching `where` only, on both databases."""
    condition = text(where)
    return Index(name, *columns, unique=unique, postgresql_where=condition, sqlite_where=condition)


def sql_in(column: str, values: Iterable[str]) -> str:
    """`column IN ('a', 'b')` for a check constraint's text, from an enum (or a subset of its members)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


def enum_check(column: str, values: Iterable[str], *, name: str) -> CheckConstraint:
    """The check constraint that keeps `column` to an enum's values (the enum is the one list of them)."""
    return CheckConstraint(sql_in(column, values), name=name)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no zone and returns naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
            if database(dialect) == Database.SQLITE:
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


@event.listens_for(Engine, "connect")
def _configure_connection(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys and let writers wait for each other instead of failing.

    PostgreSQL: timestamps come back in UTC whatever the server's zone, as they go in.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()
        dbapi_connection.rollback = partial(_rollback_keeping_prepared, dbapi_connection)


def _rollback_keeping_prepared(connection) -> None:
    """Roll back without psycopg's `DEALLOCATE ALL`.

    psycopg forgets every prepared statement at each rollback and has the server drop them, in case
    the transaction created or dropped the objects they read; the app changes its schema only in
    migrations. Forgetting them made each refused request (a 409, a health check) cost the next
    hot statements on that connection a new parse and five custom plans: ~1 ms of PostgreSQL CPU per
    rent + return pair in the bench.
    """
    import psycopg  # loaded already by the PostgreSQL engine

    pgconn = connection.pgconn
    if pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    result = pgconn.exec_(b"ROLLBACK")
    if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
        raise psycopg.OperationalError(pgconn.get_error_message())


class HotStatement:
    """A prebuilt statement that a hot path (verification, rent, return) runs many times a second.

    SQLAlchemy's own work per execution (cache key, bind and result processing, Row objects) cost
    about three times the statement: ~150 µs of CPU against ~50 µs for the same prepared query sent
    through psycopg (measured on verification's card read). So on PostgreSQL the statement is compiled
    once per set of parameter names and sent by psycopg, as a server-side prepared statement, on the
    session's connection and inside its transaction. Errors come back as SQLAlchemy's exceptions and a
    lost connection is invalidated, as SQLAlchemy does. Elsewhere (SQLite in development) SQLAlchemy
    runs it. Rows are named tuples either way. Parameters skip their column type's processing, so pass
    what psycopg takes as it is (aware datetimes, not naive ones).

    `own_transaction=True` says the statement is its service's whole unit of work. On PostgreSQL, when the
    session has no transaction open and holds no unflushed changes, it then runs on a connection kept in
    autocommit (one statement is atomic by itself; _HotConnections), past the session's bookkeeping and
    without the BEGIN and COMMIT round trips psycopg would make: ~110 µs of the app's CPU and ~30 µs of
    PostgreSQL's per unit of work, and ~60 µs more without the pool's checkout. Otherwise (or when every
    kept connection is busy) it joins the session's transaction, so nothing is ever committed apart from
    what the service meant to commit with it. Either way the service ends with its one `db.session.commit()`
    (with nothing to do after a statement on its own).
    """

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[frozenset, tuple[str, tuple, dict]] = {}

    def first(self, params: dict, *, own_transaction: bool = False):
        """The first row, or None."""
        return self._run(params, own_transaction, lambda cursor: cursor.fetchone(), lambda result: result.first())

    def scalar(self, params: dict, *, own_transaction: bool = False):
        """The first column of the first row, or None."""
        return self._run(params, own_transaction, self._first_value, lambda result: result.scalar())

    def all(self, params: dict, *, own_transaction: bool = False) -> list:
        """Every row."""
        return self._run(params, own_transaction, lambda cursor: cursor.fetchall(), lambda result: result.all())

    def rowcount(self, params: dict, *, own_transaction: bool = False) -> int:
        """Run it for its effect; the number of rows it touched."""
        return self._run(params, own_transaction, lambda cursor: cursor.rowcount, lambda result: result.rowcount)

    @staticmethod
    def _first_value(cursor):
        row = cursor.fetchone()
        return None if row is None else row[0]

    def _run(self, params: dict, own_transaction: bool, read_cursor, read_result):
        engine = db.engine
        if engine.dialect.name != Database.POSTGRESQL:
            return read_result(db.session().connection().execute(self.statement, params))
        if own_transaction and _nothing_under_way():
            result = self._send_alone(engine, params, read_cursor)
            if result is not _ALL_BUSY:
                return result
        connection = db.session().connection()
        return self._send(connection.connection, connection, engine.dialect, params, read_cursor)

    def _send_alone(self, engine, params: dict, read_cursor):
        """Run in autocommit on a kept connection (see _HotConnections); _ALL_BUSY when none is free."""
        import psycopg

        try:
            hot = _hot_connections.take(engine)
        except psycopg.Error as error:  # a connection could not be opened: callers expect SQLAlchemy's error
            raise self._wrapped(error, engine.dialect, params, lost=True) from error
        if hot is None:
            return _ALL_BUSY
        try:
            result = self._execute(hot.cursor, engine.dialect, params, read_cursor)
        except psycopg.Error as error:
            lost = True  # a connection in doubt is not kept, whatever fails while finding out
            try:
                lost = engine.dialect.is_disconnect(error, hot.cursor.connection, hot.cursor)
            finally:
                if lost:
                    _hot_connections.discard(hot)
                else:  # in autocommit a failed statement leaves no transaction behind
                    _hot_connections.give_back(hot)
            if lost:
                engine.pool._invalidate(None, error)  # the server may have restarted: every connection is suspect
            raise self._wrapped(error, engine.dialect, params, lost=lost) from error
        except BaseException:  # interrupted mid-statement: what the connection holds is unknown
            _hot_connections.discard(hot)
            raise
        _hot_connections.give_back(hot)
        return result

    def _send(self, pooled, owner, dialect, params: dict, read_cursor):
        """Run on `pooled`, a pool's connection; `owner` (it or the session's Connection) is invalidated if it broke."""
        import psycopg  # loaded already by the PostgreSQL engine; development on SQLite never needs it
        from psycopg.rows import namedtuple_row

        driver = pooled.driver_connection
        # A raw cursor takes the $n placeholders as they are: psycopg parses a named-parameter query on
        # every execution once it is longer than 4 kB (rent's and return's are), ~3 ms of CPU each.
        cursor = psycopg.RawCursor(driver, row_factory=namedtuple_row)
        try:
            return self._execute(cursor, dialect, params, read_cursor)
        except psycopg.Error as error:
            lost = dialect.is_disconnect(error, driver, cursor)
            if lost:
                owner.invalidate(error)
            raise self._wrapped(error, dialect, params, lost=lost) from error
        finally:
            cursor.close()

    def _execute(self, cursor, dialect, params: dict, read_cursor):
        sql, names, defaults = self._compile(dialect, params)
        cursor.execute(sql, [params[name] if name in params else defaults[name] for name in names], prepare=True)
        return read_cursor(cursor)

    def _wrapped(self, error, dialect, params: dict, *, lost: bool) -> DBAPIError:
        """The error as SQLAlchemy raises it, so callers map it (409, 503) as any other statement's."""
        import psycopg

        sql = self._compiled.get(frozenset(params), (str(self.statement),))[0]
        return DBAPIError.instance(sql, params, error, psycopg.Error, connection_invalidated=lost, dialect=dialect)

    def _compile(self, dialect, params: dict) -> tuple[str, tuple, dict]:
        """The SQL with $n placeholders, the parameter name of each, and the values of its literals."""
        names = frozenset(params)
        if names not in self._compiled:
            dialect = copy.copy(dialect)
            dialect.paramstyle, dialect.positional = "numeric_dollar", True
            # An INSERT's columns are the parameters given (only a top-level INSERT's: SQLAlchemy would also
            # SET a parameter named like a column in an UPDATE, a CTE's included). Literals in the statement
            # become parameters, and the few SQLAlchemy renders into the text (a separator, never an IN
            # list here) are fixed.
            columns = list(params) if self.statement.is_insert else None
            compiled = self.statement.compile(dialect=dialect, column_keys=columns)
            python_defaults = [column.name for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
            if python_defaults:  # SQLAlchemy computes these per execution; psycopg would write NULL
                raise ValueError(f"set {', '.join(python_defaults)} in the statement or the parameters")
            expanded = compiled.construct_expanded_state(dict(params))
            defaults = {k: v for k, v in expanded.parameters.items() if k not in names}
            self._compiled[names] = (expanded.statement, tuple(expanded.positiontup), defaults)
        return self._compiled[names]


def _nothing_under_way() -> bool:
    """Whether this request's session has no transaction open and no unflushed changes (or does not exist:
    making one only to ask costs ~50 µs)."""
    if not db.session.registry.has():
        return True
    session = db.session()
    return not session.in_transaction() and not (session.new or session.dirty or session.deleted)


class _Hot:
    """A kept connection's cursor, when it was opened, and the set it belongs to."""

    __slots__ = ("cursor", "opened", "owner")

    def __init__(self, cursor, opened: float, owner: "_HotSet"):
        self.cursor, self.opened, self.owner = cursor, opened, owner


class _HotSet:
    """One engine's kept connections in one process."""

    def __init__(self, limit: int):
        self.pid = os.getpid()
        self.limit = limit
        self.idle: list[_Hot] = []  # list.pop and list.append are atomic: taking one needs no lock
        self.opened = 0
        self.retired = False
        self.lock = threading.Lock()  # only around counting what is opened


class _HotConnections:
    """Connections in autocommit kept beside the pool, for the statements that are a whole unit of work.

    Taking a pooled connection and switching it to autocommit and back cost the app ~60 µs of CPU per
    statement beyond psycopg's own work (pool checkout and checkin with its reset, two autocommit switches,
    a new cursor); taking a kept one is a list pop. They are made by the engine (same settings, time limits
    and connect events as the pool's) and then detached from it. At most as many per engine and process as
    the pool's size: PostgreSQL's max_connections is shared by every thread of every instance, so a burst
    of threads (a threaded server opens one per request) must not open a backend each. A statement that
    finds them all busy joins the session's transaction like any other and waits on the pool, bounded by
    its timeout. A connection that broke is dropped and marks the pool's connections as stale, as
    SQLAlchemy does on a disconnect; every kept one is then replaced before its next statement (a restarted
    PostgreSQL fails one request per process, not one per connection). So is one older than the pool's
    recycle age, and every one when the engine is disposed. A forked child starts with none of its own:
    the parent's sessions are left alone, never closed from the child.
    """

    def __init__(self):
        self.sets: dict = {}  # engine -> _HotSet
        self.lock = threading.Lock()

    def take(self, engine) -> _Hot | None:
        """A live kept connection for this thread's statement, or None when the limit's worth are busy."""
        hot_set = self._set(engine)
        pool = engine.pool
        while True:
            try:
                hot = hot_set.idle.pop()
            except IndexError:
                return self._open(engine, hot_set)
            fresh = (
                pool._recycle < 0 or time.time() - hot.opened < pool._recycle
            ) and hot.opened > pool._invalidate_time
            if fresh and not hot.cursor.connection.closed:
                return hot
            self.discard(hot)

    def give_back(self, hot: _Hot) -> None:
        hot.owner.idle.append(hot)
        if hot.owner.retired:  # checked after the append: a dispose in between has emptied the list already
            self._close_idle(hot.owner)

    def discard(self, hot: _Hot) -> None:
        hot.cursor.connection.close()
        with hot.owner.lock:
            hot.owner.opened -= 1

    def dispose(self, engine) -> None:
        """Close this process's kept connections of `engine`; those in use are closed when given back."""
        with self.lock:
            hot_set = self.sets.pop(engine, None)
        if hot_set is None or hot_set.pid != os.getpid():
            return
        hot_set.retired = True
        self._close_idle(hot_set)

    def _close_idle(self, hot_set: _HotSet) -> None:
        while True:
            try:  # another thread may take the last one between a check and a pop
                hot = hot_set.idle.pop()
            except IndexError:
                return
            self.discard(hot)

    def _set(self, engine) -> _HotSet:
        hot_set = self.sets.get(engine)
        if hot_set is None or hot_set.pid != os.getpid():
            with self.lock:
                hot_set = self.sets.get(engine)
                if hot_set is None or hot_set.pid != os.getpid():
                    size = getattr(engine.pool, "size", None)
                    hot_set = self.sets[engine] = _HotSet(size() if size else 1)
        return hot_set

    def _open(self, engine, hot_set: _HotSet) -> _Hot | None:
        import psycopg
        from psycopg.rows import namedtuple_row

        with hot_set.lock:
            if hot_set.opened >= hot_set.limit:
                return None
            hot_set.opened += 1
        try:
            pooled = engine.raw_connection()
        except BaseException:
            with hot_set.lock:
                hot_set.opened -= 1
            raise
        driver = pooled.driver_connection
        pooled.detach()
        # A raw cursor takes the $n placeholders as they are: psycopg parses a named-parameter query on
        # every execution once it is longer than 4 kB (rent's and return's are), ~3 ms of CPU each.
        hot = _Hot(psycopg.RawCursor(driver, row_factory=namedtuple_row), time.time(), hot_set)
        try:
            driver.autocommit = True
        except BaseException:
            self.discard(hot)
            raise
        return hot  # time.time() above: the pool's invalidation clock


_hot_connections = _HotConnections()
_ALL_BUSY = object()  # _send_alone's answer when every kept connection is in use


@event.listens_for(Engine, "engine_disposed")
def _close_hot_connections(engine) -> None:
    _hot_connections.dispose(engine)


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and may be retried.
_LOST_RACE_SQLSTATES = frozenset({"40P01", "40001"})


def lost_a_race(error: DBAPIError) -> bool:
    """Whether the database aborted the transaction for a concurrent one (a retry may succeed)."""
    return getattr(error.orig, "sqlstate", None) in _LOST_RACE_SQLSTATES


def sqlalchemy_url(database_url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given in the usual libpq form."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def fresh_database(server_url: str, name: str) -> str:
    """Drop and create the database `name` on a PostgreSQL server; return its URL (tests and bench)."""
    admin = create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(sqlalchemy_url(server_url)).set(database=name).render_as_string(hide_password=False)
