"""field follow-ups and promises to pay (collection work)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'followup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('visit_date', sa.Date(), nullable=False),
        sa.Column('promise_date', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_followup_periode_nomen', 'followup', ['periode', 'nomen', 'id'])
    op.create_index('ix_followup_nomen', 'followup', ['nomen'])


def downgrade() -> None:
    op.drop_table('followup')
