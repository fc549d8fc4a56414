"""users of role petugas: the officer name of RUTE they are linked to

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('petugas', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('petugas')
