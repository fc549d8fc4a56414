"""collection_customer.mb_paid (an MB payment dated in P, for the customers who may be
disconnection candidates) and a partial index holding the candidates, so the list is counted
and paged in the index rather than looking up MB customer by customer; it replaces the
(periode, bills) index, which served only them. The unpaid list's three indexes hold only the
unpaid customers (partial), so the customers who paid cost no write in them

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 20:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

CANDIDATES = "in_mc = 1 AND cur_n + undue_n = 0 AND mb_paid = 0"  # as of this revision
UNPAID = "unpaid = 1"
# The unpaid list's indexes: name -> (columns before, columns now).
UNPAID_INDEXES = {
    'ix_collection_customer_unpaid': (['periode', 'unpaid', sa.text('nominal DESC'), 'nomen'],
                                      ['periode', sa.text('nominal DESC'), 'nomen']),
    'ix_collection_customer_route': (['periode', 'unpaid', 'pcez', 'alamat', 'nomen'],
                                     ['periode', 'pcez', 'alamat', 'nomen']),
    'ix_collection_customer_arrears': (['periode', 'unpaid', sa.text('arrears DESC'), 'nomen'],
                                       ['periode', sa.text('arrears DESC'), 'nomen']),
}


def upgrade() -> None:
    with op.batch_alter_table('collection_customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mb_paid', sa.Integer(), nullable=False, server_default='0'))
    op.execute("""
        UPDATE collection_customer SET mb_paid = CASE WHEN EXISTS (
            SELECT 1 FROM mb_payment b WHERE b.periode = collection_customer.periode
                                         AND b.nomen = collection_customer.nomen) THEN 1 ELSE 0 END
        WHERE in_mc = 1 AND bills > 0 AND cur_n + undue_n = 0""")
    op.create_index('ix_collection_customer_candidates', 'collection_customer',
                    ['periode', 'bills', 'rayon', 'arrears', 'nomen'],
                    sqlite_where=sa.text(CANDIDATES), postgresql_where=sa.text(CANDIDATES))
    op.drop_index('ix_collection_customer_bills', table_name='collection_customer')
    for name, (_, columns) in UNPAID_INDEXES.items():
        op.drop_index(name, table_name='collection_customer')
        op.create_index(name, 'collection_customer', columns,
                        sqlite_where=sa.text(UNPAID), postgresql_where=sa.text(UNPAID))


def downgrade() -> None:
    for name, (columns, _) in UNPAID_INDEXES.items():
        op.drop_index(name, table_name='collection_customer')
        op.create_index(name, 'collection_customer', columns)
    op.create_index('ix_collection_customer_bills', 'collection_customer', ['periode', 'bills'])
    op.drop_index('ix_collection_customer_candidates', table_name='collection_customer')
    with op.batch_alter_table('collection_customer', schema=None) as batch_op:
        batch_op.drop_column('mb_paid')
