"""e-mail subscriptions (the daily summary, the monthly report) and the record of every send

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'subscription',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('recipients', sa.Text(), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=True),
        sa.Column('day', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'subscription_send',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscription_id', sa.Integer(), sa.ForeignKey('subscription.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('due', sa.String(length=10), nullable=False),
        sa.Column('recipients', sa.Text(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('flagged', sa.Text(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('subscription_id', 'due', name='ux_subscription_send_due'),
    )
    # send_due reads the sends still open (failed, or being sent) on every run.
    op.create_index('ix_subscription_send_status', 'subscription_send', ['status'])


def downgrade() -> None:
    op.drop_table('subscription_send')
    op.drop_table('subscription')
