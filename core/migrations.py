"""Flask-Migrate, imported on first use: importing it (and Alembic, Mako) cost 0.16-0.29 s of CPU on
every `flask` command, worker start and test app, and only `flask db ...` and the test set-up use it."""

import logging

import click
from flask import Flask

from core.db import db


def init_app(app: Flask, *, directory: str) -> None:
    """`flask db` and `app.extensions["migrate"]` as Flask-Migrate gives them, loaded when first used."""
    app.extensions["migrate"] = _PendingMigrate(app, directory)
    app.cli.add_command(_MigrationCommands(app))


def _load(app: Flask):
    """Bind Flask-Migrate to `app` (it replaces both placeholders) and return its `db` command group."""
    pending = app.extensions["migrate"]
    if isinstance(pending, _PendingMigrate):
        # Imported after the app set up logging, Alembic would log each of its plugins at INFO.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        from flask_migrate import Migrate

        Migrate(app, db, directory=pending.directory, render_as_batch=True)
    from flask_migrate.cli import db as commands

    return commands


class _PendingMigrate:
    """Stands in `app.extensions["migrate"]` until an attribute is read (flask_migrate.upgrade(), env.py)."""

    def __init__(self, app: Flask, directory: str):
        self.app, self.directory = app, directory

    def __getattr__(self, name: str):
        _load(self.app)
        return getattr(self.app.extensions["migrate"], name)


class _MigrationCommands(click.Group):
    """The `db` group's name and help for `flask --help`; running it parses with Flask-Migrate's own group."""

    def __init__(self, app: Flask):
        super().__init__("db", help="Perform database migrations.")
        self.app = app

    def make_context(self, info_name, args, parent=None, **extra):
        return _load(self.app).make_context(info_name, args, parent=parent, **extra)
