"""meter_flag_count: the flags' customers per periode, rayon and check, kept with them, so the
Meter cards read counts rather than a periode's flags

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 19:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meter_flag_count',
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=False),
        sa.Column('flag', sa.String(length=16), nullable=False),
        sa.Column('customers', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('periode', 'rayon', 'flag'),
    )
    op.execute("INSERT INTO meter_flag_count (periode, rayon, flag, customers) "
               "SELECT periode, rayon, flag, COUNT(*) FROM meter_flag GROUP BY periode, rayon, flag")


def downgrade() -> None:
    op.drop_table('meter_flag_count')
