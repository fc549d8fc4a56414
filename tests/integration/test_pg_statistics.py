"""PostgreSQL: an upload leaves statistics that know its periode. Without them the planner,
still in the upload's transaction, takes the new periode for empty and joins it by nested
loops: at 1,000,000 customers an SBRS's KPI query and the collection summary of a COLLECTION
ran for minutes (benchmarks/scale.py found it). ingest/bulk.py ``fresh_statistics``. And the
session setting the app's connections take (db.py)."""
from __future__ import annotations

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
            assert ingest_file(engine, paths[name]).status == "loaded", name
            conn.rollback()  # a fresh snapshot of pg_stats
            known = {table: _periodes_known(conn, table)
                     for table in ("mc", "sbrs", "mainbill", "payment", "pay_customer", "ardebt")}
            loaded = order[:order.index(name) + 1]
            expected = {"mc"} | ({"sbrs"} if "SBRS_202512.txt" in loaded else set()) \
                | ({"mainbill"} if "MAINBILL_202512.csv" in loaded else set()) \
                | ({"payment", "pay_customer"} if len(loaded) >= 4 else set()) \
                | ({"ardebt"} if len(loaded) == 5 else set())
            assert {t for t, periodes in known.items() if "2025-12" in periodes} >= expected, (name, known)


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
