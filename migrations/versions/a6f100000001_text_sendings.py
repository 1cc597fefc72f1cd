"""text_sendings: texts on their way out, part by part, so a killed worker sends each once

Revision ID: a6f100000001
Revises: a6e100000001
Create Date: 2026-11-25 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6f100000001'
down_revision = 'a6e100000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'text_sendings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('to', sa.String(length=32), nullable=False),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('part_sids', sa.JSON(), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('in_flight_since', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    op.create_index('ix_text_sendings_lease_until', 'text_sendings', ['lease_until'])


def downgrade():
    op.drop_index('ix_text_sendings_lease_until', table_name='text_sendings')
    op.drop_table('text_sendings')
