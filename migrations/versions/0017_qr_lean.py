"""audit events: index by time only the login failures, and by actor only the rows that have one

Revision ID: 0017_qr_lean
Revises: 0016_hot_updates
Create Date: 2026-11-29 16:50:00

Every accepted QR verification writes an audit row, which went into four indexes. Two of them it never
needs: by time (read only by the login throttle, for one account's failures in a window: now an index on
(subject, at) of the login failures alone) and by actor (a verification's row has none: the index keeps
the rows that do, which every query by actor and the users foreign key's SET NULL still find).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_qr_lean"
down_revision = "0016_hot_updates"
branch_labels = None
depends_on = None


def upgrade():
    only_failures = sa.text("event = 'login_failed'")
    with_actor = sa.text("actor_id IS NOT NULL")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_events_at")
        batch_op.drop_index("ix_audit_events_actor_id")
        batch_op.create_index(
            "ix_audit_events_login_failures",
            ["subject", "at"],
            postgresql_where=only_failures,
            sqlite_where=only_failures,
        )
        batch_op.create_index(
            "ix_audit_events_actor_id", ["actor_id"], postgresql_where=with_actor, sqlite_where=with_actor
        )


def downgrade():
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_events_actor_id")
        batch_op.drop_index("ix_audit_events_login_failures")
        batch_op.create_index("ix_audit_events_actor_id", ["actor_id"])
        batch_op.create_index("ix_audit_events_at", ["at"])
