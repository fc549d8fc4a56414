"""collection work per customer and per PCEZ (the unpaid list and the KPI per PCEZ and officer)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 00:30:00
"""
import sqlalchemy as sa
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'collection_customer',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('in_mc', sa.Integer(), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('pcez', sa.String(length=8), nullable=True),
        sa.Column('borrowed', sa.Integer(), nullable=False),
        sa.Column('pcez_from', sa.String(length=7), nullable=True),
        sa.Column('nama', sa.String(length=200), nullable=True),
        sa.Column('alamat', sa.String(length=400), nullable=True),
        sa.Column('tarif', sa.String(length=16), nullable=True),
        sa.Column('nominal', sa.BigInteger(), nullable=False),
        sa.Column('unpaid', sa.Integer(), nullable=False),
        sa.Column('cur_sum', sa.BigInteger(), nullable=False),
        sa.Column('cur_n', sa.BigInteger(), nullable=False),
        sa.Column('undue_sum', sa.BigInteger(), nullable=False),
        sa.Column('undue_n', sa.BigInteger(), nullable=False),
        sa.Column('bills', sa.BigInteger(), nullable=False),
        sa.Column('arrears', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('periode', 'nomen'),
    )
    op.create_index('ix_collection_customer_unpaid', 'collection_customer',
                    ['periode', 'unpaid', sa.text('nominal DESC'), 'nomen'])
    op.create_index('ix_collection_customer_route', 'collection_customer',
                    ['periode', 'unpaid', 'pcez', 'alamat', 'nomen'])
    op.create_index('ix_collection_customer_arrears', 'collection_customer',
                    ['periode', 'unpaid', sa.text('arrears DESC'), 'nomen'])
    op.create_index('ix_collection_customer_bills', 'collection_customer', ['periode', 'bills'])
    op.create_index('ix_collection_customer_borrowed', 'collection_customer', ['borrowed', 'pcez_from'])
    op.create_table(
        'collection_group',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('pcez', sa.String(length=8), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            'customers', 'target_nomen', 'target_nominal', 'paid_nomen', 'paid_nominal', 'unpaid_nomen',
            'unpaid_nominal', 'undue_nomen', 'undue_nominal')],
        sa.PrimaryKeyConstraint('periode', 'rayon', 'pcez'),
    )
    request("collection")


def downgrade() -> None:
    op.drop_table('collection_group')
    op.drop_table('collection_customer')
