"""customer_search: the directory's lower-case name and address in a table of its own, written
only where they changed, with a trigram index on PostgreSQL (pg_trgm, a contrib module: part of
Debian's postgresql package, postgresql-contrib elsewhere) so that a search by words looks its
words up instead of scanning every name. Without the extension (not installed, or a role that
may not create it) the search still works, by a scan.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 09:30:00
"""
import logging

import sqlalchemy as sa
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def _trigram_extension(bind) -> bool:
    """pg_trgm in this database, created when missing; False (and a warning) when it cannot be."""
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        savepoint.rollback()
        log.warning("pg_trgm unavailable (%s): the search by words scans every name. Install "
                    "PostgreSQL's contrib module if missing, then as the postgres user in this "
                    "database: CREATE EXTENSION pg_trgm; CREATE INDEX ix_customer_search_trigram ON "
                    "customer_search USING gin (search_text gin_trgm_ops); (docs/DEPLOYMENT.md)",
                    str(error.orig).strip())
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    op.create_table(
        'customer_search',
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('nomen'),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigram_extension(bind):
        op.create_index('ix_customer_search_trigram', 'customer_search', ['search_text'],
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('search_text')
    request("directory")


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    op.execute("UPDATE customer SET search_text = LOWER(COALESCE(nama, '') || ' ' || COALESCE(alamat, ''))")
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('search_text', existing_type=sa.Text(), nullable=False)
    op.drop_table('customer_search')
