"""accounts: users.birth_date_verified (only a verified birth date earns the senior discount)

Revision ID: 0010_verified_birth_dates
Revises: 0009_fault_holds
Create Date: 2026-11-29 06:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_verified_birth_dates"
down_revision = "0009_fault_holds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("birth_date_verified", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("birth_date_verified")
