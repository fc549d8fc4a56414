"""The unpaid list's three indexes hold each customer's rayon after the sort's columns, so that a
page of one rayon is found in the index alone (on PostgreSQL an index-only scan) instead of
reading the rows of the other rayon's customers to pass them by: at 1,000,000 customers the
third page of rayon 34 in route order read 2,623 pages of a periode from a cold server (restarted,
the OS cache dropped; about 2.5 s from disk right after a month's load), 40 with the rayon in the
index.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 17:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

UNPAID = "unpaid = 1"
UNPAID_INDEXES = {  # name -> its columns before this revision (the rayon follows them now)
    'ix_collection_customer_unpaid': ['periode', sa.text('nominal DESC'), 'nomen'],
    'ix_collection_customer_route': ['periode', 'pcez', 'alamat', 'nomen'],
    'ix_collection_customer_arrears': ['periode', sa.text('arrears DESC'), 'nomen'],
}


def _make(with_rayon: bool) -> None:
    # On PostgreSQL the table is partitioned (0023): an index made or dropped on it is made or
    # dropped on every partition.
    for name, columns in UNPAID_INDEXES.items():
        op.drop_index(name, table_name='collection_customer')
        op.create_index(name, 'collection_customer', [*columns, 'rayon'] if with_rayon else columns,
                        sqlite_where=sa.text(UNPAID), postgresql_where=sa.text(UNPAID))


def upgrade() -> None:
    _make(with_rayon=True)


def downgrade() -> None:
    _make(with_rayon=False)
