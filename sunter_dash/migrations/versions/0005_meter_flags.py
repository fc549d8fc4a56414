"""meter-reading anomaly flags, their thresholds, and the customer directory

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 06:40:00
"""
import sqlalchemy as sa
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger()
    op.create_table(
        'meter_flag',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('flag', sa.String(length=16), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('nama', sa.String(length=200), nullable=True),
        sa.Column('tarif', sa.String(length=16), nullable=True),
        *[sa.Column(name, big, nullable=True) for name in (
            'stand_lalu', 'stand_kini', 'pakai', 'volume', 'prev_stand_kini', 'prev_volume', 'median_volume')],
        sa.Column('read_method', sa.String(length=32), nullable=True),
        sa.Column('trouble_code', sa.String(length=64), nullable=True),
        sa.Column('flags', sa.String(length=160), nullable=False),
        *[sa.Column(name, big, nullable=True) for name in ('delta_m3', 'price_m3', 'at_stake')],
        sa.PrimaryKeyConstraint('periode', 'flag', 'nomen'),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table('meter_flag', schema=None) as batch_op:
        batch_op.create_index('ix_meter_flag_rayon', ['periode', 'flag', 'rayon'], unique=False)
        batch_op.create_index('ix_meter_flag_nomen', ['nomen', 'periode'], unique=False)
    op.create_table(
        'anomaly_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('thresholds', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'customer',
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('nama', sa.String(length=200), nullable=True),
        sa.Column('alamat', sa.String(length=400), nullable=True),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('tarif', sa.String(length=16), nullable=True),
        sa.Column('zona_novak', sa.String(length=12), nullable=True),
        sa.Column('pcez', sa.String(length=8), nullable=True),
        sa.Column('nomet', sa.String(length=40), nullable=True),
        sa.Column('status', sa.String(length=32), nullable=True),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('nomen'),
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_periode', ['periode'], unique=False)
    # The directory and the flags of what is already stored (an upgraded database).
    request("directory")
    request("flags")


def downgrade() -> None:
    op.drop_table('customer')
    op.drop_table('anomaly_setting')
    op.drop_table('meter_flag')
