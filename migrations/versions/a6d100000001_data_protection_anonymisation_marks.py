"""data protection: anonymisation marks

Revision ID: a6d100000001
Revises: a6c100000001
Create Date: 2026-11-24 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6d100000001'
down_revision = 'a6c100000001'
branch_labels = None
depends_on = None


def upgrade():
    # When the resident's personal data was removed (retention purge or erasure on request).
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
