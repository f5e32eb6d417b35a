"""Bike share fixtures: a small network built through the CLI and the API, as an operator would."""

import pytest
from sqlalchemy import text

from core.db import db
from tests.bikeshare.helpers import place_network


@pytest.fixture
def network(app):
    """Build stations and bikes directly: `{station_id: (docks, overflow, bikes)}` → ids of bikes per station."""
    return lambda spec: place_network(app, spec)


def sql(app, statement: str, **params):
    """Run SQL against the test database (to move a rental's clock back, honestly, in the data)."""

    with app.app_context():
        result = db.session.execute(text(statement), params)
        rows = result.fetchall() if result.returns_rows else None
        db.session.commit()
        return rows
