"""The summary tables kept by each upload equal a rebuild from the stored rows.

Uploads fold new payments in incrementally (through the staged bulk insert for
large files, through pandas for small ones), MC changes move rayons across
periodes, deletions rebuild: whatever the path, the result must be the one a
full rebuild gives.
"""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from sunter_dash.demo import generate
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.ingest import store as load  # where the bulk insert threshold lives
from sunter_dash.ingest.summaries import rebuild_all

SUMMARIES = ("kpi_periode", "kpi_day", "pay_customer", "customer_rayon", "arrears_customer",
             "arrears_bucket", "stored_count")


def _read(conn) -> dict[str, list[tuple]]:
    return {name: sorted(conn.execute(text(f"SELECT * FROM {name}")).all()) for name in SUMMARIES}


def _tables(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return _read(conn)


def _rebuilt(engine) -> dict[str, list[tuple]]:
    """The summaries as a full rebuild from the stored rows gives them (rolled back after)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        rebuild_all(conn)
        tables = _read(conn)
        transaction.rollback()
    return tables


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), customers=300, months=3, seed=11)


@pytest.mark.parametrize("bulk_rows", [1, 10**9], ids=["staged-bulk-insert", "executemany"])
def test_incremental_summaries_equal_a_rebuild(engine, tmp_path, demo_files, monkeypatch, bulk_rows):
    monkeypatch.setattr(load, "BULK_ROWS", bulk_rows)
    results = [ingest_file(engine, path) for path in demo_files]
    assert all(r.status == "loaded" for r in results), [r.message for r in results if r.status != "loaded"]
    assert _tables(engine) == _rebuilt(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM kpi_day")).scalar() > 0
        assert conn.execute(text("SELECT COUNT(DISTINCT periode) FROM pay_customer")).scalar() == 3


def test_summaries_follow_deletions_and_replacements(engine, tmp_path, demo_files):
    results = {path.name: ingest_file(engine, path) for path in demo_files}
    collection = next(r for name, r in results.items() if name.startswith("Collection"))
    mc = next(r for name, r in results.items() if name.startswith("MC"))
    sbrs = next(r for name, r in results.items() if name.startswith("SBRS"))
    ardebt = next(r for name, r in results.items() if name.startswith("ARDEBT"))
    for upload in (collection, sbrs, ardebt, mc):
        delete_upload(engine, upload.upload_id)
        assert _tables(engine) == _rebuilt(engine), f"after deleting {upload.file}"
    # The same MC again, under another name: it comes back and moves its customers' rayons back.
    again = tmp_path / f"again_{mc.file}"
    shutil.copy(next(p for p in demo_files if p.name == mc.file), again)
    assert ingest_file(engine, again, periode=mc.periode).status == "loaded"
    assert _tables(engine) == _rebuilt(engine)
