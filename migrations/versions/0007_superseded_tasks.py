"""rebalancing tasks: a later plan for the same truck supersedes unfinished stops

Revision ID: 0007_superseded_tasks
Revises: 0006_merge_domains
Create Date: 2026-11-25 20:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_superseded_tasks"
down_revision = "0006_merge_domains"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rebalancing_tasks") as batch:
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_rebalancing_tasks_superseded_by_rebalancing_plans",
            "rebalancing_plans",
            ["superseded_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("rebalancing_tasks") as batch:
        batch.drop_constraint("fk_rebalancing_tasks_superseded_by_rebalancing_plans", type_="foreignkey")
        batch.drop_column("superseded_by")
