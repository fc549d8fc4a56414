"""customer_rayon's ``periode`` is the first periode of the customer's current run in its rayon
(after the last MC that gave another), no longer its most recent MC: the month's MC then leaves
the rows of customers whose rayon it keeps alone (rewriting all of them took 1.8 s of statements
at 200,000 customers). The rows are computed again at head (derived.py); the schema is unchanged.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28 15:00:00
"""
from alembic import op

from sunter_dash.migrations.derived import request

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    request("rayons")


def downgrade() -> None:
    """0020's code reads ``periode`` as the most recent MC's."""
    op.execute("UPDATE customer_rayon SET periode = (SELECT MAX(m.periode) FROM mc m "
               "WHERE m.nomen = customer_rayon.nomen AND m.rayon IS NOT NULL)")
