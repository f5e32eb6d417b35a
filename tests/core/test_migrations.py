"""The migrations build the schema the models describe, on PostgreSQL and on SQLite."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import db
from tests.helpers import citizen


def _schema_drift(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_postgres_schema_from_migrations_matches_the_models(app):
    with app.app_context():
        assert _schema_drift(db.engine) == []


def test_postgres_storage_options_and_partial_indexes_from_migrations_match_the_models(app):
    # Alembic's comparison sees neither a table's storage parameters nor an index's WHERE.
    with app.app_context():
        rows = db.session.execute(sa.text("SELECT relname, reloptions FROM pg_class WHERE relkind = 'r'")).all()
        options = {name: sorted(opts or []) for name, opts in rows}
        definitions = dict(db.session.execute(sa.text("SELECT indexname, indexdef FROM pg_indexes")).all())
    for table in db.metadata.tables.values():
        wanted = table.dialect_options["postgresql"]["with"] or {}
        assert options[table.name] == sorted(f"{key}={value}" for key, value in wanted.items()), table.name
        for index in table.indexes:
            partial = index.dialect_options["postgresql"]["where"] is not None
            assert (" WHERE " in definitions[index.name]) == partial, index.name
    assert options["cards"] == ["fillfactor=85"]
    assert definitions["ix_bikes_truck_id"].endswith("WHERE (truck_id IS NOT NULL)")


def test_flask_db_upgrade_builds_every_table_on_sqlite(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/fresh.db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert _schema_drift(db.engine) == []


def test_the_apps_loggers_still_log_after_an_in_process_migration(make_app, tmp_path, caplog):
    app = make_app(MAIL_OUTBOX=str(tmp_path / "outbox.jsonl"))
    client = app.test_client()
    rider = citizen(client)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    caplog.clear()

    # Without SMTP a reset mail is written to the log (core.mail, at INFO: the app's level).
    assert client.post("/api/v1/auth/password-reset", json={"email": rider.email}).status_code == 202
    assert [record.levelname for record in caplog.records if record.name == "core.mail"] == ["INFO"]
