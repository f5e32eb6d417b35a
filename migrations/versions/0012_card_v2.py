"""cardapi: card v2 (SCC2 device keys, SCC1 locks per terminal, quarantined terminals, visit steps)

Revision ID: 0012_card_v2
Revises: 0011_plan_history
Create Date: 2026-11-29 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_card_v2"
down_revision = "0011_plan_history"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("device_public_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("scc1_enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
        # Locks are per (card, terminal) now, kept with the failure counts.
        batch.drop_column("locked_at")
    with op.batch_alter_table("facility_terminals") as batch:
        batch.add_column(sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("card_visits") as batch:
        batch.add_column(sa.Column("step", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("card_visits") as batch:
        batch.drop_column("step")
    with op.batch_alter_table("facility_terminals") as batch:
        batch.drop_column("quarantined_at")
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("scc1_enabled")
        batch.drop_column("device_public_key")
