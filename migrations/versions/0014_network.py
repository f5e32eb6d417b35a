"""network reports: dock supply against demand and the dock-reallocation recommendation

Revision ID: 0014_network
Revises: 0013_replan_rounds
Create Date: 2026-11-29 09:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_network"
down_revision = "0013_replan_rounds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("docks_budget", sa.Integer(), nullable=False),
        sa.Column("elapsed_s", sa.Float(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("stations", sa.JSON(), nullable=False),
        sa.CheckConstraint("docks_budget >= 0", name=op.f("ck_network_reports_docks_budget_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_network_reports_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_reports")),
    )
    op.create_index(op.f("ix_network_reports_created_at"), "network_reports", ["created_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_network_reports_created_at"), table_name="network_reports")
    op.drop_table("network_reports")
