"""PostgreSQL: an upload leaves statistics that know its periode. Without them the planner,
still in the upload's transaction, takes the new periode for empty and joins it by nested
loops: at 1,000,000 customers an SBRS's KPI query and the collection summary of a COLLECTION
ran for minutes (benchmarks/scale.py found it). ingest/bulk.py ``fresh_statistics``. And the
session setting the app's connections take (db.py)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from sunter_dash.demo import generate
from sunter_dash.ingest import ingest_file

CUSTOMERS = 30_000  # each file well over bulk.BULK_ROWS (20,000) rows: ~25,000 payers, ~29,000 readings


def _periodes_known(conn, table: str) -> set[str]:
    row = conn.execute(text("SELECT most_common_vals::text FROM pg_stats "
                            "WHERE tablename = :t AND attname = 'periode'"), {"t": table}).scalar()
    return set((row or "{}").strip("{}").split(",")) - {""}


def test_statistics_know_the_new_periode_after_each_upload(engine, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's planner statistics (pg_stats); SQLite plans without them")
    paths = {p.name: p for p in generate(tmp_path, customers=CUSTOMERS, months=1, seed=3, text=True)}
    order = ["MC1125_AB_Sunter.csv", "SBRS_202512.txt", "MAINBILL_202512.csv",
             "Collection-2025-12-01_sd_2025-12-31.txt", "ARDEBT_202512.csv"]
    with engine.connect() as conn:
        for name in order:
            conn.rollback()  # a fresh snapshot of pg_stats, and none held open while the upload runs
            assert ingest_file(engine, paths[name]).status == "loaded", name
            known = {table: _periodes_known(conn, table)
                     for table in ("mc", "sbrs", "mainbill", "payment", "pay_customer", "ardebt")}
            loaded = order[:order.index(name) + 1]
            expected = {"mc"} | ({"sbrs"} if "SBRS_202512.txt" in loaded else set()) \
                | ({"mainbill"} if "MAINBILL_202512.csv" in loaded else set()) \
                | ({"payment", "pay_customer"} if len(loaded) >= 4 else set()) \
                | ({"ardebt"} if len(loaded) == 5 else set())
            assert {t for t, periodes in known.items() if "2025-12" in periodes} >= expected, (name, known)


def test_an_upload_leaves_the_tables_it_wrote_vacuumed(engine, backend, tmp_path):
    """Every page of a table an upload wrote many rows of is all-visible once it returns, so the
    dashboard's index-only scans answer from the index (ingest/bulk.py ``settle``); autovacuum
    would come only once a fifth of the table had changed."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's visibility map; SQLite has none")
    paths = {p.name: p for p in generate(tmp_path, customers=CUSTOMERS, months=1, seed=3, text=True)}

    def heap_fetches(tables: tuple[str, ...]) -> dict[str, tuple[int, int]]:
        """(rows, heap fetches) of an index-only scan of each table's primary key: every row the
        visibility map does not cover is fetched from the table."""
        found = {}
        with engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off; SET enable_bitmapscan = off")
            for table in tables:
                where = "periode = '2025-12'" if table in ("collection_customer", "payment", "pay_customer") \
                    else "nomen >= ''"
                plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT COUNT(*) FROM {table} "
                                            f"WHERE {where}").scalar()[0]["Plan"]["Plans"][0]
                assert plan["Node Type"] == "Index Only Scan", (table, plan["Node Type"])
                found[table] = (plan["Actual Rows"], plan["Heap Fetches"])
        return found

    def no_autovacuum() -> None:
        """An autovacuum ANALYZE started before an upload committed holds a snapshot that keeps
        any VACUUM from marking the upload's rows all-visible (on a server, a reader's long
        transaction does the same): in this database nothing but the upload's own VACUUM runs,
        also on a periode's partition an upload made (a partitioned table itself has no storage)."""
        with engine.begin() as conn:
            for (table,) in conn.exec_driver_sql("SELECT relname FROM pg_class WHERE relkind = 'r' "
                                                 "AND relnamespace = 'public'::regnamespace").all():
                conn.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
        # One already under way (say, an ANALYZE of the partition the upload before made) runs on:
        # it is waited for. The progress views show every session's database to any role.
        deadline = time.monotonic() + 120
        with engine.connect() as conn:
            while conn.exec_driver_sql(
                    "SELECT (SELECT COUNT(*) FROM pg_stat_progress_analyze WHERE datname = current_database()) "
                    "+ (SELECT COUNT(*) FROM pg_stat_progress_vacuum WHERE datname = current_database())").scalar():
                assert time.monotonic() < deadline, "an autovacuum of the test's database still running after 120 s"
                conn.rollback()
                time.sleep(0.2)

    # The MC writes the periode's collection summary afresh; the payments then change most of it.
    for name, tables in (("MC1125_AB_Sunter.csv", ("collection_customer", "customer", "customer_search")),
                         ("Collection-2025-12-01_sd_2025-12-31.txt", ("payment", "pay_customer",
                                                                       "collection_customer"))):
        no_autovacuum()
        assert ingest_file(engine, paths[name]).status == "loaded", name
        found = heap_fetches(tables)
        assert all(rows > 20_000 and fetched == 0 for rows, fetched in found.values()), (name, found)


def test_the_app_s_connections_run_without_jit_after_a_rollback_too(engine, backend):
    """JIT compiling costs an upload's bulk statements more than it saves (db.py)."""
    if backend != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        conn.rollback()
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    engine.dispose()
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
