"""accounts: password reset tokens, Redis write failures, refresh tokens indexed by revocation time

Revision ID: 0008_accounts_recovery
Revises: 0007_superseded_tasks
Create Date: 2026-11-29 04:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_accounts_recovery"
down_revision = "0007_superseded_tasks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_reset_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
    )
    with op.batch_alter_table("password_reset_tokens") as batch:
        batch.create_index(batch.f("ix_password_reset_tokens_user_id"), ["user_id"], unique=False)
    op.create_table(
        "redis_write_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redis_write_failures")),
    )
    with op.batch_alter_table("redis_write_failures") as batch:
        batch.create_index(batch.f("ix_redis_write_failures_at"), ["at"], unique=False)
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.create_index("ix_refresh_tokens_revoked_at", ["revoked_at"], unique=False)


def downgrade():
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_index("ix_refresh_tokens_revoked_at")
    op.drop_table("redis_write_failures")
    op.drop_table("password_reset_tokens")
