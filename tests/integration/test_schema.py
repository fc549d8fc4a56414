"""The migrations build exactly the schema the models declare: a table, column, type, index or
constraint added to one and not the other (e.g. a new snapshot type's ``<table>_superseded``)
fails here, on SQLite and on PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sunter_dash.domain import files
from sunter_dash.models import Base, superseded_table


def test_the_migrated_database_matches_the_models(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []


def test_every_snapshot_type_keeps_its_replaced_rows(engine):
    kept = {spec.name: superseded_table(spec.name) for spec in files.specs() if spec.mode == files.SNAPSHOT}
    assert {name: table.name for name, table in kept.items()} == {
        "MC": "mc_superseded", "SBRS": "sbrs_superseded", "MAINBILL": "mainbill_superseded",
        "ARDEBT": "ardebt_superseded", "RUTE": "rute_superseded"}
    assert {table.name for table in kept.values()} <= set(inspect(engine).get_table_names())
