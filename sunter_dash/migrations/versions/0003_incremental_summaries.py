"""payments per customer and month, and each customer's most recent rayon, for incremental summaries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:20:00
"""
import sqlalchemy as sa
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pay_customer',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
          for name in ('cur_n', 'cur_sum', 'undue_n', 'undue_sum')],
        sa.PrimaryKeyConstraint('periode', 'nomen'),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'customer_rayon',
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint('nomen'),
    )
    with op.batch_alter_table('customer_rayon', schema=None) as batch_op:
        batch_op.create_index('ix_customer_rayon_periode', ['periode'], unique=False)
    # Every summary from what is stored (an upgraded database that already holds data).
    request("summaries")


def downgrade() -> None:
    op.drop_table('customer_rayon')
    op.drop_table('pay_customer')
