"""PostgreSQL: the collection work (``collection_customer``) is partitioned by periode (migration
0023). A periode's first rows are written into a table of their own, with no index, which is
then attached as its partition: the indexes are built once (ingest/partitions.py ``new_rows``).
Attaching must not make the dashboard wait for the upload, and every later change of the periode
writes into that partition. SQLite keeps one table."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, text

from sunter_dash.demo import generate
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.ingest.summaries import rebuild_all
from sunter_dash.models import CollectionCustomer
from sunter_dash.models.base import partition

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import downgrade  # noqa: E402

TABLE = CollectionCustomer.__tablename__
ROWS = text("SELECT * FROM collection_customer ORDER BY periode, nomen")


def _postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL partitions the collection work; SQLite keeps one table")


def _partitions(conn) -> dict[str, str]:
    """Each partition of the table: its name and the values it is for."""
    return dict(conn.exec_driver_sql(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'collection_customer'::regclass").all())


def test_each_periode_s_collection_work_is_a_partition_filled_before_it_is_attached(engine, backend, tmp_path):
    _postgresql(backend)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    uploads = {path.name: ingest_file(engine, path) for path in generate(tmp_path, customers=300, months=2,
                                                                            seed=5, text=True)}
    assert all(upload.status == "loaded" for upload in uploads.values())
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT relkind FROM pg_class WHERE relname = '{TABLE}'").scalar() == "p"
        held = dict(conn.exec_driver_sql(f"SELECT periode, COUNT(*) FROM {TABLE} GROUP BY periode").all())
        assert sorted(held) == ["2025-11", "2025-12"] and min(held.values()) > 250
        assert _partitions(conn) == {partition(TABLE, p): f"FOR VALUES IN ('{p}')" for p in held}
        for periode, rows in held.items():
            name = partition(TABLE, periode)
            assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM ONLY {name}").scalar() == rows
            # every index of the model, built on the partition when it was attached
            assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM pg_indexes WHERE tablename = '{name}'").scalar() \
                == 1 + len(CollectionCustomer.__table__.indexes)
    for periode in held:
        name = partition(TABLE, periode)
        made = [i for i, s in enumerate(statements) if s.startswith(f"CREATE TABLE {name} ")]
        filled = [i for i, s in enumerate(statements) if re.match(rf"\s*INSERT INTO {name} ", s)]
        attached = [i for i, s in enumerate(statements) if f"ATTACH PARTITION {name} " in s]
        assert len(made) == len(attached) == 1 and made[0] < filled[0] < attached[0], (periode, made, filled, attached)


def test_a_periode_s_later_uploads_and_deletions_write_into_its_partition_as_a_full_rebuild_would(
        engine, backend, tmp_path):
    """Once attached, a partition stays: the newest MC deleted and loaded again (its rows deleted
    and written straight into the partition), payments deleted, and every upload of the periode
    deleted, each leave the figures a full rebuild gives."""
    _postgresql(backend)
    files = {path.name: path for path in generate(tmp_path, customers=300, months=2, seed=5, text=True)}
    uploads = {name: ingest_file(engine, path) for name, path in files.items()}

    def check() -> set[str]:
        """The periodes held; the rows as a full rebuild (not committed) writes them."""
        with engine.connect() as conn:
            assert set(_partitions(conn)) == {partition(TABLE, "2025-11"), partition(TABLE, "2025-12")}
            kept = conn.execute(ROWS).all()
            rebuild_all(conn)  # each partition dropped, made again: only the periodes held
            assert conn.execute(ROWS).all() == kept
            assert set(_partitions(conn)) == {partition(TABLE, p) for p in {row.periode for row in kept}}
            conn.rollback()
        return {row.periode for row in kept}

    mc = "MC1125_AB_Sunter.csv"
    delete_upload(engine, uploads[mc].upload_id)
    assert check() == {"2025-11", "2025-12"}  # the payers of December outside any MC
    uploads[mc] = ingest_file(engine, files[mc])
    assert uploads[mc].status == "loaded" and check() == {"2025-11", "2025-12"}
    for name in ("Collection-2025-12-01_sd_2025-12-31.txt", "Collection-2025-12-01_sd_2025-12-20.txt"):
        delete_upload(engine, uploads[name].upload_id)
        assert check() == {"2025-11", "2025-12"}
    for name in (mc, "Collection-2025-12-01_sd_2025-12-10.txt"):
        delete_upload(engine, uploads[name].upload_id)
    assert check() == {"2025-11"}  # December's partition empty, still attached
    assert ingest_file(engine, files[mc]).status == "loaded"
    assert check() == {"2025-11", "2025-12"}


def test_a_table_named_as_the_partition_but_not_attached_is_never_filled_out_of_sight(engine, backend, tmp_path):
    """A table bearing a new periode's partition name that is no partition (restored by hand,
    say): the upload is refused whole rather than writing the periode's rows where no reader
    looks, and the table is left as it was."""
    _postgresql(backend)
    files = {path.name: path for path in generate(tmp_path, customers=300, months=2, seed=5, text=True)}
    assert ingest_file(engine, files["MC1025_AB_Sunter.csv"]).status == "loaded"
    name = partition(TABLE, "2025-12")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE {TABLE})")
    assert ingest_file(engine, files["MC1125_AB_Sunter.csv"]).status == "refused"
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM {name}").scalar() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM mc WHERE periode = '2025-12'").scalar() == 0
        assert set(_partitions(conn)) == {partition(TABLE, "2025-11")}


def test_no_reader_of_the_collection_work_waits_for_an_upload_attaching_a_periode(engine, backend, tmp_path):
    """Attaching locks the table only against other changes of its schema: while the upload that
    attached the new periode is still open, the dashboard reads every periode as committed."""
    _postgresql(backend)
    files = {path.name: path for path in generate(tmp_path, customers=300, months=2, seed=5, text=True)}
    for name in ("MC1025_AB_Sunter.csv", "Collection-2025-11-01_sd_2025-11-30.txt", "ARDEBT_202511.csv"):
        assert ingest_file(engine, files[name]).status == "loaded"
    with engine.connect() as conn:
        before = conn.execute(ROWS).all()
    read: list[list[tuple]] = []

    def read_meanwhile(conn, cursor, statement, *args) -> None:
        if "ATTACH PARTITION" in statement:
            with engine.connect() as other:
                other.exec_driver_sql("SET lock_timeout = '5s'")  # a reader that waits fails the upload
                read.append(other.execute(ROWS).all())
                read.append(other.execute(text(f"SELECT * FROM {TABLE} WHERE periode = '2025-11' "
                                               "ORDER BY periode, nomen")).all())
                read.append(other.execute(text(f"SELECT * FROM {TABLE} WHERE periode = '2025-12'")).all())

    event.listen(engine, "after_cursor_execute", read_meanwhile)
    try:
        assert ingest_file(engine, files["MC1125_AB_Sunter.csv"]).status == "loaded"
    finally:
        event.remove(engine, "after_cursor_execute", read_meanwhile)
    assert read == [before, before, []]
    with engine.connect() as conn:
        assert {row.periode for row in conn.execute(ROWS)} == {"2025-11", "2025-12"}


def test_a_database_holding_periodes_is_migrated_to_one_partition_each_and_back(engine, db_url, backend, tmp_path):
    """Migration 0023 moves the rows of a database holding data into one partition per periode,
    with every index of the model, and its downgrade puts them back into one table. The
    partitions are the back end's, not the models': the schema still matches them."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sunter_dash.db import upgrade
    from sunter_dash.models import Base
    from sunter_dash.models.base import declared_for

    _postgresql(backend)
    for path in generate(tmp_path, customers=300, months=2, seed=5, text=True):
        assert ingest_file(engine, path).status == "loaded"
    with engine.connect() as conn:
        kept = conn.execute(ROWS).all()
    def differences(conn) -> set[tuple[str, str]]:
        """What alembic finds different from the models: (what, the index's name), else the difference."""
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": declared_for(conn.dialect.name)})
        return {(d[0], d[1].name) if isinstance(d, tuple) and d[0].endswith("_index") else (repr(d), "")
                for d in compare_metadata(context, Base.metadata)}

    def same_schema(conn) -> bool:
        return differences(conn) == set()

    downgrade(engine, db_url, "0022")
    with engine.connect() as conn:  # one table again, with its key and indexes (0022's: 0024 added the rayon)
        assert conn.exec_driver_sql(f"SELECT relkind FROM pg_class WHERE relname = '{TABLE}'").scalar() == "r"
        assert _partitions(conn) == {} and conn.execute(ROWS).all() == kept
        assert differences(conn) == {(what, f"ix_collection_customer_{name}") for what in ("add_index", "remove_index")
                                     for name in ("unpaid", "route", "arrears")}
    upgrade(db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT relkind FROM pg_class WHERE relname = '{TABLE}'").scalar() == "p"
        assert set(_partitions(conn)) == {partition(TABLE, "2025-11"), partition(TABLE, "2025-12")}
        assert conn.execute(ROWS).all() == kept
        for name in _partitions(conn):
            assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM pg_indexes WHERE tablename = '{name}'").scalar() \
                == 1 + len(CollectionCustomer.__table__.indexes)
        assert same_schema(conn)


@pytest.mark.parametrize("periode", ["2025-12'); DROP TABLE mc; --", "2025-1", "202512", ""])
def test_a_partition_is_named_only_for_a_periode(periode):
    """The name (and the bound of its DDL) is written into SQL: nothing else gets one."""
    assert partition(TABLE, "2025-12") == "collection_customer_p202512"
    with pytest.raises(ValueError):
        partition(TABLE, periode)
    with pytest.raises(ValueError):
        partition("payment", "2025-12")
