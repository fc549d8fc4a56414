"""An index of the meter flags whose reading gave no name (``read_nama`` missing: flagged from
MAINBILL alone, say), partial and so as small as they are few: after any MC or SBRS, the flags
named from the customer directory are looked up through it (ingest/flags.py,
``follow_directory``) instead of reading every flag.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

UNNAMED = "read_nama IS NULL"


def upgrade() -> None:
    op.create_index('ix_meter_flag_unnamed', 'meter_flag', ['nomen', 'periode'],
                    sqlite_where=sa.text(UNNAMED), postgresql_where=sa.text(UNNAMED))


def downgrade() -> None:
    op.drop_index('ix_meter_flag_unnamed', table_name='meter_flag')
