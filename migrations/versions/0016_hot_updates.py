"""room for in-place updates: cards keep free space per page, and bikes index only the ones on a truck

Revision ID: 0016_hot_updates
Revises: 0015_incentives
Create Date: 2026-11-29 15:20:00

Every accepted verification updates its card's last step. PostgreSQL can do that in place (a HOT update,
no new entry in any of the card's four indexes) only when the row's page has room; cards filled their
pages, so each acceptance wrote four index entries. The fill factor applies to pages written from now
on (a VACUUM FULL in a quiet hour rewrites the old ones). A bike's truck is indexed only while it is on
one: every rent and return updated the bike and added an entry for its NULL truck.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_hot_updates"
down_revision = "0015_incentives"
branch_labels = None
depends_on = None

CARDS_FILLFACTOR = 85


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE cards SET (fillfactor = {CARDS_FILLFACTOR})")
    with op.batch_alter_table("bikes") as batch_op:
        batch_op.drop_index("ix_bikes_truck_id")
        on_a_truck = sa.text("truck_id IS NOT NULL")
        batch_op.create_index("ix_bikes_truck_id", ["truck_id"], postgresql_where=on_a_truck, sqlite_where=on_a_truck)


def downgrade():
    with op.batch_alter_table("bikes") as batch_op:
        batch_op.drop_index("ix_bikes_truck_id")
        batch_op.create_index("ix_bikes_truck_id", ["truck_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cards RESET (fillfactor)")
