"""fault reports: a frame fault is its own kind (brakes, wheel/tyre and frame hold a bike at once)

Revision ID: 0009_fault_holds
Revises: 0008_accounts_recovery
Create Date: 2026-11-29 06:40:00

"""

from alembic import op

revision = "0009_fault_holds"
down_revision = "0008_accounts_recovery"
branch_labels = None
depends_on = None

BEFORE = "kind IN ('brakes', 'chain', 'tyre', 'light', 'other')"
AFTER = "kind IN ('brakes', 'chain', 'tyre', 'frame', 'light', 'other')"


def _known_kinds(condition: str) -> None:
    with op.batch_alter_table("bike_fault_reports") as batch:
        batch.drop_constraint(batch.f("ck_bike_fault_reports_known_kind"), type_="check")
        batch.create_check_constraint(batch.f("ck_bike_fault_reports_known_kind"), condition)


def upgrade():
    _known_kinds(AFTER)


def downgrade():
    op.execute("DELETE FROM bike_fault_reports WHERE kind = 'frame'")  # the older schema has no such kind
    _known_kinds(BEFORE)
