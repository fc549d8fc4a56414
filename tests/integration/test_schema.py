"""The migrations build exactly the schema the models declare: a table, column, type, index or
constraint added to one and not the other (e.g. a new snapshot type's ``<table>_superseded``)
fails here, on SQLite and on PostgreSQL."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sunter_dash.domain import files
from sunter_dash.models import Base, superseded_table
from sunter_dash.models.base import declared_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from customer_branch import A, D, write_files  # noqa: E402
from helpers import downgrade  # noqa: E402


def test_the_migrated_database_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": declared_for(conn.dialect.name)})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_data_rows_name_their_upload_through_a_foreign_key_on_sqlite_only(engine):
    """On PostgreSQL the key's per-row check made half the cost of COPYing a million payments
    (models/base.py, ``data_upload_fk``); nothing deletes an upload, so nothing cascades."""
    inspector = inspect(engine)
    referring = {spec.table for spec in files.specs()
                 if any(key["referred_table"] == "upload" for key in inspector.get_foreign_keys(spec.table))}
    tables = {spec.table for spec in files.specs()}
    assert referring == (tables if engine.dialect.name == "sqlite" else set())
    assert any(key["referred_table"] == "upload" for key in inspector.get_foreign_keys("upload_error"))


def test_every_snapshot_type_keeps_its_replaced_rows(engine):
    kept = {spec.name: superseded_table(spec.name) for spec in files.specs() if spec.mode == files.SNAPSHOT}
    assert {name: table.name for name, table in kept.items()} == {
        "MC": "mc_superseded", "SBRS": "sbrs_superseded", "MAINBILL": "mainbill_superseded",
        "ARDEBT": "ardebt_superseded", "RUTE": "rute_superseded"}
    assert {table.name for table in kept.values()} <= set(inspect(engine).get_table_names())


# Every table the migrations compute from the stored rows (migrations/derived.py).
DERIVED = ("stored_count", "pay_customer", "customer_rayon", "kpi_periode", "kpi_day", "arrears_customer",
           "arrears_bucket", "collection_customer", "collection_group", "customer", "customer_search", "meter_flag",
           "meter_flag_count")


def _derived(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {name: sorted(tuple(row) for row in conn.execute(text(f"SELECT * FROM {name}")))
                for name in DERIVED}


@pytest.mark.parametrize("through, revision", [("db.upgrade", "0006"), ("alembic", "0006"), ("db.upgrade", "0019")])
def test_an_older_database_holding_data_upgrades_to_the_summaries_the_ingest_keeps(engine, db_url, tmp_path,
                                                                                   through, revision):
    """A database of revision 0006 (the oldest a downgrade keeps the rows of) holding a branch's
    files comes out of every later migration with each summary, the directory and the flags as
    the ingest kept them: what the migrations ask for (the collection summaries of 0011, the
    flags of 0014) is computed once, at head, with the code of head; also when alembic's own
    command runs the migrations. From 0019, 0020 alone fills the MC figures it adds to the
    collection work (and the KPI's target sums them)."""
    from alembic import command

    from sunter_dash.db import alembic_config, upgrade
    from sunter_dash.demo import generate
    from sunter_dash.ingest import ingest_file

    for path in generate(tmp_path / "demo", customers=150, months=3, seed=11):
        assert ingest_file(engine, path).status == "loaded"
    kept = _derived(engine)
    assert all(kept[name] for name in DERIVED), [name for name in DERIVED if not kept[name]]
    downgrade(engine, db_url, revision)
    if through == "alembic":
        command.upgrade(alembic_config(db_url), "head")
    else:
        upgrade(db_url)
    assert _derived(engine) == kept


def test_a_role_that_may_not_create_pg_trgm_gets_a_warning_and_a_search_that_scans(new_database, tmp_path, caplog):
    """Migration 0018 creates pg_trgm for the name search's index when the role may; when it may
    not, the upgrade goes on without the index, says how to add it, and the search still finds."""
    from sunter_dash import queries
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.ingest import ingest_file

    url = new_database("no_trigram", migrated=False)
    if not url.startswith("postgresql"):
        pytest.skip("pg_trgm is PostgreSQL's; SQLite's search scans")
    engine = get_engine(url)
    with engine.begin() as conn:
        if conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = CURRENT_USER").scalar():
            pytest.skip("a superuser may create any extension: run the tests as .ci/run's role")
        conn.exec_driver_sql(f'REVOKE CREATE ON DATABASE "{engine.url.database}" FROM CURRENT_USER')
    with caplog.at_level("WARNING"):
        upgrade(url)
    assert "pg_trgm unavailable" in caplog.text and "CREATE INDEX ix_customer_search_trigram" in caplog.text
    assert "ix_customer_search_trigram" not in {i["name"] for i in inspect(engine).get_indexes("customer_search")}
    for path in write_files(tmp_path / "files"):
        assert ingest_file(engine, path).status == "loaded"
    assert [r["nomen"] for r in queries.customer_search(engine, "budi sunter")] == [A, D]
