"""stored_count.codes: the distinct values of a type's code per periode (SBRS's read methods),
kept at ingest so the Meter cards do not read a periode's readings for them

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 19:45:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

CODES = {'SBRS': ('sbrs', 'read_method')}  # file type -> (table, code field), as of this revision


def upgrade() -> None:
    with op.batch_alter_table('stored_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('codes', sa.Text(), nullable=True))
    bind = op.get_bind()
    for file_type, (table, field) in CODES.items():
        stored = bind.execute(sa.text("SELECT periode FROM stored_count WHERE file_type = :t"),
                              {"t": file_type}).scalars().all()
        for periode in stored:
            codes = bind.execute(sa.text(f"SELECT DISTINCT {field} FROM {table} "
                                         f"WHERE periode = :p AND {field} IS NOT NULL"), {"p": periode}).scalars()
            bind.execute(sa.text("UPDATE stored_count SET codes = :c WHERE file_type = :t AND periode = :p"),
                         {"c": json.dumps(sorted(codes)), "t": file_type, "p": periode})


def downgrade() -> None:
    with op.batch_alter_table('stored_count', schema=None) as batch_op:
        batch_op.drop_column('codes')
