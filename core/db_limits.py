"""PostgreSQL time limits on the sessions of a serving process, so a runaway query or a transaction left
open cannot hold a request thread, a pooled connection and its locks for good.

The limits (config/: DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_LOCK_TIMEOUT_MS,
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS; None leaves the server's own) go to the server as startup options
of each new connection, so they cost no round trip. A statement they cut answers 503 with Retry-After
(core/errors.py). `flask` commands (migrations, imports, planning, the evaluation, the re-planning worker)
are batch jobs whose statements and transactions may rightly run for minutes: they run without limits.
"""

from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import event

from core.db import Database, database, db

# PostgreSQL's setting, and the one of the app that gives it for serving processes.
SETTINGS = {
    "statement_timeout": "DATABASE_STATEMENT_TIMEOUT_MS",
    "lock_timeout": "DATABASE_LOCK_TIMEOUT_MS",
    "idle_in_transaction_session_timeout": "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
}
NO_LIMIT = 0  # PostgreSQL's value for "none"


def init_app(app: Flask) -> None:
    """Apply the serving limits to every new connection, and lift them once a `flask` command is chosen."""
    limits = {name: app.config[setting] for name, setting in SETTINGS.items() if app.config[setting] is not None}
    with app.app_context():
        engine = db.engine
    if not limits or database(engine) != Database.POSTGRESQL:
        return

    @event.listens_for(engine, "do_connect")
    def _send_limits(dialect, connection_record, cargs, cparams):
        options = " ".join(f"-c {name}={ms}" for name, ms in limits.items())
        cparams["options"] = f"{cparams['options']} {options}" if cparams.get("options") else options

    def lift_limits() -> None:
        limits.update(dict.fromkeys(SETTINGS, NO_LIMIT))
        engine.dispose()  # connections opened before (if any) were made with the serving limits

    app.cli = _Commands(lift_limits, name=app.cli.name, commands=app.cli.commands)


class _Commands(AppGroup):
    """`app.cli`: every `flask` command the app defines is looked up here (`flask run` is Flask's own),
    so choosing one is where the process turns from a possible server into a batch job."""

    def __init__(self, lift_limits, **kwargs):
        super().__init__(**kwargs)
        self._lift_limits = lift_limits

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            self._lift_limits()
        return command


# What PostgreSQL answers when one of the limits cut a statement or a session (query_canceled also when
# an operator cancels it): nothing is wrong with the request, the database was too slow or too busy for it.
_CUT_SQLSTATES = frozenset({"57014", "55P03", "25P03"})


def cut_by_a_limit(error) -> bool:
    """Whether a SQLAlchemy DBAPIError is a statement or session ended by a time limit."""
    return getattr(error.orig, "sqlstate", None) in _CUT_SQLSTATES
