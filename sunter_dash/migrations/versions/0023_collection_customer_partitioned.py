"""PostgreSQL: ``collection_customer`` partitioned by periode (``LIST``), one partition per
periode (``collection_customer_pYYYYMM``). A new periode's rows are then written into a table of
their own with no index, which is attached as its partition: its indexes are built once instead
of written row by row (ingest/collection.py). SQLite is unchanged.

The rows held are moved into their periodes' partitions before the indexes are built, so a large
database is upgraded by sorts rather than row by row. The table is rewritten under an exclusive
lock, in its own schema, and needs its size again on disk meanwhile.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 14:00:00
"""
import re

from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TABLE = "collection_customer"
PERIODE = re.compile(r"\d{4}-\d{2}")  # a stored periode, as of 0023 (domain/periodes.py)


def _set_aside(bind, aside: str) -> tuple[str, list[str]]:
    """Rename TABLE to ``aside``. Its schema, and the definitions of its indexes but the primary
    key's, to build them again on the new TABLE once the rows are in."""
    schema, = bind.exec_driver_sql(
        f"SELECT quote_ident(relnamespace::regnamespace::text) FROM pg_class WHERE oid = '{TABLE}'::regclass").one()
    definitions = [definition.replace(" ON ONLY ", " ON ") for (definition,) in bind.exec_driver_sql(
        f"SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = '{TABLE}'::regclass "
        "AND NOT indisprimary ORDER BY indexrelid")]
    op.execute(f"ALTER TABLE {schema}.{TABLE} RENAME TO {aside}")
    return schema, definitions


def _index(schema: str, definitions: list[str]) -> None:
    op.execute(f"ALTER TABLE {schema}.{TABLE} ADD PRIMARY KEY (periode, nomen)")
    for definition in definitions:  # the old table is dropped, and its indexes' names with it
        op.execute(definition)
    op.execute(f"ANALYZE {schema}.{TABLE}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema, definitions = _set_aside(bind, f"{TABLE}_old")
    op.execute(f"CREATE TABLE {schema}.{TABLE} (LIKE {schema}.{TABLE}_old INCLUDING DEFAULTS) "
               "PARTITION BY LIST (periode)")
    for (periode,) in bind.exec_driver_sql(f"SELECT DISTINCT periode FROM {schema}.{TABLE}_old").all():
        if not PERIODE.fullmatch(periode):
            raise ValueError(f"{TABLE} holds a periode that is not one: {periode!r}")
        op.execute(f"CREATE TABLE {schema}.{TABLE}_p{periode.replace('-', '')} PARTITION OF {schema}.{TABLE} "
                   f"FOR VALUES IN ('{periode}')")
    op.execute(f"INSERT INTO {schema}.{TABLE} SELECT * FROM {schema}.{TABLE}_old ORDER BY periode, nomen")
    op.execute(f"DROP TABLE {schema}.{TABLE}_old")
    _index(schema, definitions)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema, definitions = _set_aside(bind, f"{TABLE}_parted")
    op.execute(f"CREATE TABLE {schema}.{TABLE} (LIKE {schema}.{TABLE}_parted INCLUDING DEFAULTS)")
    op.execute(f"INSERT INTO {schema}.{TABLE} SELECT * FROM {schema}.{TABLE}_parted ORDER BY periode, nomen")
    op.execute(f"DROP TABLE {schema}.{TABLE}_parted")  # and its partitions
    _index(schema, definitions)
