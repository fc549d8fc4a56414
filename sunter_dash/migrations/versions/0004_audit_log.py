"""audit log of logins, uploads, deletions and user changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_created', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_log_throttle', ['action', 'username', 'address', 'created_at'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('audit_log')
