"""rebalancing: what happened per planning zone, and the re-planning worker's rounds

Revision ID: 0013_replan_rounds
Revises: 0012_card_v2
Create Date: 2026-11-29 09:20:00

"""

import sqlalchemy as sa
from alembic import op

from core.db import sql_in

revision = "0013_replan_rounds"
down_revision = "0012_card_v2"
branch_labels = None
depends_on = None


def upgrade():
    # Plans stored before this revision did not report their zones; an empty list says so.
    op.add_column("rebalancing_plans", sa.Column("zones", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "replan_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("trucks", sa.Integer(), nullable=False),
        sa.Column("kept_tasks", sa.JSON(), nullable=False),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replan_rounds")),
        sa.CheckConstraint(sql_in("status", ("planned", "failed")), name=op.f("ck_replan_rounds_known_status")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["rebalancing_plans.id"],
            name=op.f("fk_replan_rounds_plan_id_rebalancing_plans"),
            ondelete="SET NULL",
        ),
    )


def downgrade():
    op.drop_table("replan_rounds")
    op.drop_column("rebalancing_plans", "zones")
