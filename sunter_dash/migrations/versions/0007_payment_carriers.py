"""payments an upload carried but another had stored: kept when that one is deleted

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 19:30:00

Uploads loaded before this revision recorded no carriers: deleting one of them still removes
every payment it stored (as before).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payment_carrier',
        sa.Column('table_name', sa.String(length=32), nullable=False),
        sa.Column('pay_key', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('upload_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('table_name', 'pay_key', 'upload_id'),
    )
    op.create_index('ix_payment_carrier_upload', 'payment_carrier', ['upload_id'])


def downgrade() -> None:
    op.drop_table('payment_carrier')
