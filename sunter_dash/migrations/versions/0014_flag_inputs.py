"""meter flags keep what they were found with (the reading's rayon, name and tarif, the unrounded
volume in question, the check's own stake), so an MC or MAINBILL prices them again without
the readings' history; every flag is computed again

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 13:00:00
"""
import sqlalchemy as sa
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

COLUMNS = (
    ('read_rayon', sa.String(length=8)), ('read_nama', sa.String(length=200)), ('read_tarif', sa.String(length=16)),
    ('delta_exact', sa.Float()), ('given_stake', sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table('meter_flag', schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.add_column(sa.Column('priced', sa.Integer(), nullable=False, server_default='1'))
    op.execute("DELETE FROM meter_flag")
    request("flags")


def downgrade() -> None:
    with op.batch_alter_table('meter_flag', schema=None) as batch_op:
        for name in ('priced', *(name for name, _ in reversed(COLUMNS))):
            batch_op.drop_column(name)
