"""MC(P)'s rows, KUBIK and rows with a KUBIK per customer in ``collection_customer`` and per rayon
and PCEZ in ``collection_group``, so the KPI's target part sums the collection work (a few hundred
rows) instead of reading MC(P) again (about 1.9 s of an MC's upload at 200,000 customers). The
columns are filled by computing the collection work and the KPI again at head (derived.py).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28 06:00:00
"""
import sqlalchemy as sa
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = {  # table -> its new columns, as of this revision
    'collection_customer': (('mc_rows', sa.Integer()), ('kubik', sa.BigInteger()), ('kubik_rows', sa.Integer())),
    'collection_group': (('mc_rows', sa.BigInteger()), ('mc_kubik', sa.BigInteger()),
                         ('mc_kubik_rows', sa.BigInteger())),
}

# Rebuilding collection_customer without a column (SQLite's batch) reflects these indexes without
# their DESC: made again after it.
UNPAID = "unpaid = 1"
DESC_INDEXES = {'ix_collection_customer_unpaid': ['periode', sa.text('nominal DESC'), 'nomen'],
                'ix_collection_customer_arrears': ['periode', sa.text('arrears DESC'), 'nomen']}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, kind in columns:
                batch_op.add_column(sa.Column(name, kind, nullable=False, server_default='0'))
    request("collection")


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in reversed(columns):
                batch_op.drop_column(name)
    for name, columns in DESC_INDEXES.items():
        op.drop_index(name, table_name='collection_customer')
        op.create_index(name, 'collection_customer', columns,
                        sqlite_where=sa.text(UNPAID), postgresql_where=sa.text(UNPAID))
