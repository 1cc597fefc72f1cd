"""reports: office visit ratings

Revision ID: a6c100000001
Revises: a6b100000001
Create Date: 2026-11-24 00:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'a6c100000001'
down_revision = 'a6b100000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
