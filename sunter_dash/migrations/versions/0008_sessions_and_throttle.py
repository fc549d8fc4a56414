"""sessions that can end (a per-user generation) and the sign-in throttle's attempts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_attempt_key', 'login_attempt', ['key', 'created_at'])


def downgrade() -> None:
    op.drop_table('login_attempt')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
