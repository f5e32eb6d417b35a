"""one head: the card and the bike share branches meet

Revision ID: 0006_merge_domains
Revises: 0003_cardapi, 0005_operations
Create Date: 2026-11-25 17:27:29.162476

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_merge_domains'
down_revision = ('0003_cardapi', '0005_operations')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
