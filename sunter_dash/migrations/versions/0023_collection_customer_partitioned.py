"""PostgreSQL: ``collection_customer`` partitioned by periode (``LIST``), one partition per
periode (``collection_customer_pYYYYMM``). A new periode's rows are then written into a table of
their own with no index, which is attached as its partition: its indexes are built once instead
of written row by row (ingest/collection.py). SQLite is unchanged.

The rows held are moved into their periodes' partitions before the indexes are built, so a large
database is upgraded by sorts rather than row by row.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 14:00:00
"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TABLE = "collection_customer"


def _indexes(bind, table: str) -> list[str]:
    """The definitions of ``table``'s indexes but its primary key, to build them on the new table."""
    return [definition for (definition,) in bind.exec_driver_sql(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %(t)s "
        "AND indexname <> %(k)s ORDER BY indexname", {"t": table, "k": f"{table}_pkey"})]


def _set_aside(bind, suffix: str) -> list[str]:
    """Rename the table and its indexes out of the way (``suffix`` appended); the definitions of
    its indexes, on TABLE."""
    definitions, aside = _indexes(bind, TABLE), f"{TABLE}_{suffix}"
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {aside}")
    for (name,) in bind.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %(t)s",
            {"t": aside}).all():
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_{suffix}")
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    return [d.replace(f" ON ONLY {schema}.{TABLE} ", f" ON {TABLE} ").replace(f" ON {schema}.{TABLE} ", f" ON {TABLE} ")
            for d in definitions]


def _index(definitions: list[str]) -> None:
    op.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (periode, nomen)")
    for definition in definitions:
        op.execute(definition)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    definitions = _set_aside(bind, "old")
    op.execute(f"CREATE TABLE {TABLE} (LIKE {TABLE}_old INCLUDING DEFAULTS) PARTITION BY LIST (periode)")
    for (periode,) in bind.exec_driver_sql(f"SELECT DISTINCT periode FROM {TABLE}_old").all():
        op.execute(f"CREATE TABLE {TABLE}_p{periode.replace('-', '')} PARTITION OF {TABLE} "
                   f"FOR VALUES IN ('{periode}')")
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_old ORDER BY periode, nomen")
    op.execute(f"DROP TABLE {TABLE}_old")
    _index(definitions)
    op.execute(f"ANALYZE {TABLE}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    definitions = _set_aside(bind, "parted")
    op.execute(f"CREATE TABLE {TABLE} (LIKE {TABLE}_parted INCLUDING DEFAULTS)")
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_parted ORDER BY periode, nomen")
    op.execute(f"DROP TABLE {TABLE}_parted")  # and its partitions
    _index(definitions)
