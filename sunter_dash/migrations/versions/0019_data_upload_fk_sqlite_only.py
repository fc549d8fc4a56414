"""The data tables' foreign key to ``upload`` dropped on PostgreSQL (models/base.py's
``data_upload_fk``): nothing deletes an upload, and checking every COPYed row against ``upload``
made half the cost of loading a million payments. SQLite keeps it (no change there).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

DATA_TABLES = ('mc', 'payment', 'mb_payment', 'sbrs', 'mainbill', 'ardebt', 'rute')  # as of 0019


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table in DATA_TABLES:
        for key in inspector.get_foreign_keys(table):
            if key['referred_table'] == 'upload':
                op.drop_constraint(key['name'], table, type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in DATA_TABLES:
        op.create_foreign_key(f'{table}_upload_id_fkey', table, 'upload', ['upload_id'], ['id'],
                              ondelete='CASCADE')
