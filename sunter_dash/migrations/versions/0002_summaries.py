"""summary tables for the dashboard (KPI per periode and rayon, per day, arrears)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 1)")
    op.create_table(
        'stored_count',
        sa.Column('file_type', sa.String(length=16), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        _money('rows'),
        sa.PrimaryKeyConstraint('file_type', 'periode'),
    )
    op.create_table(
        'kpi_periode',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        *[_money(name) for name in (
            'mc_rows', 'mc_kubik', 'mc_kubik_rows', 'sbrs_volume', 'target_nomen', 'target_nominal',
            'paid_nomen', 'paid_nominal', 'unpaid_nomen', 'unpaid_nominal', 'undue_nomen',
            'undue_count', 'undue_nominal', 'unmatched_nomen', 'unmatched_count', 'unmatched_nominal')],
        sa.PrimaryKeyConstraint('periode', 'rayon'),
    )
    op.create_table(
        'kpi_day',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        _money('payments'),
        _money('nominal'),
        sa.PrimaryKeyConstraint('periode', 'rayon', 'day'),
    )
    op.create_table(
        'arrears_customer',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False, server_default=""),
        _money('bills'),
        _money('total'),
        sa.Column('oldest_bill', sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint('periode', 'nomen'),
    )
    with op.batch_alter_table('arrears_customer', schema=None) as batch_op:
        batch_op.create_index('ix_arrears_customer_top', ['periode', 'total'], unique=False)
        batch_op.create_index('ix_arrears_customer_rayon_top', ['periode', 'rayon', 'total'], unique=False)
    op.create_table(
        'arrears_bucket',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('bucket', sa.String(length=8), nullable=False),
        _money('nomen'),
        _money('nominal'),
        sa.PrimaryKeyConstraint('periode', 'rayon', 'bucket'),
    )
    # Filled by 0003's rebuild, once the tables the summaries are computed from exist.


def downgrade() -> None:
    for table in ('stored_count', 'arrears_bucket', 'arrears_customer', 'kpi_day', 'kpi_periode', 'data_version'):
        op.drop_table(table)
