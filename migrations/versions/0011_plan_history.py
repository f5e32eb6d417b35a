"""rebalancing plans: the demand history each plan used, and why it moved nothing when it did

Revision ID: 0011_plan_history
Revises: 0010_verified_birth_dates
Create Date: 2026-11-29 06:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_plan_history"
down_revision = "0010_verified_birth_dates"
branch_labels = None
depends_on = None


def upgrade():
    # Plans stored before this revision did not record their history; an empty object says so.
    op.add_column("rebalancing_plans", sa.Column("history", sa.JSON(), server_default="{}", nullable=False))


def downgrade():
    op.drop_column("rebalancing_plans", "history")
