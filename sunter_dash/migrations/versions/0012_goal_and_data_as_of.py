"""the manager's month: each stored file type's latest dated row per periode (COLLECTION's is
the periode's "data as of"), and the collection-rate goal an admin set for a periode

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stored_count') as batch:
        batch.add_column(sa.Column('last_day', sa.Date(), nullable=True))
    for file_type, table in (("COLLECTION", "payment"), ("MB", "mb_payment")):
        op.execute(f"UPDATE stored_count SET last_day = (SELECT max(pay_date) FROM {table} "
                   f"WHERE {table}.periode = stored_count.periode) WHERE file_type = '{file_type}'")
    op.create_table(
        'periode_goal',
        sa.Column('periode', sa.String(length=7), primary_key=True),
        sa.Column('goal', sa.Float(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('periode_goal')
    with op.batch_alter_table('stored_count') as batch:
        batch.drop_column('last_day')
