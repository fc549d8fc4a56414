"""SQLite: a large write's checkpoint (the log's pages copied into the database file) runs after
its commit, on a thread of its own (``db.checkpoint_after``), not inside the commit."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import text

from sunter_dash import db
from sunter_dash.db import checkpoint_after, checkpoints_done
from sunter_dash.ingest import delete_upload, ingest_file

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

BLOB_ROWS, BLOB_BYTES = 2_000, 4_096  # about 8 MB: well over the 1,000 pages that set off a checkpoint


def _rows_in_the_file_alone(path: str, folder) -> int:
    """Rows of ``big`` in the database file without its write-ahead log (what a checkpoint copied)."""
    copy = folder / "file-alone.db"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as conn:
        found = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'big'").fetchone()[0]
        return conn.execute("SELECT count(*) FROM big").fetchone()[0] if found else 0


def _write_big(conn) -> None:
    with conn.begin():
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS big (n INTEGER, data BLOB)")
        conn.execute(text("INSERT INTO big VALUES (:n, randomblob(:size))"),
                     [{"n": n, "size": BLOB_BYTES} for n in range(BLOB_ROWS)])


def test_a_large_write_commits_without_its_checkpoint_which_follows_on_a_thread(engine, tmp_path, monkeypatch):
    path = engine.url.database
    # Without it, the commit itself copies the pages (SQLite's automatic checkpoint).
    with engine.connect() as conn:
        _write_big(conn)
    assert _rows_in_the_file_alone(path, tmp_path) == BLOB_ROWS

    later = []
    start = db._checkpoint_later
    monkeypatch.setattr(db, "_checkpoint_later", later.append)
    with engine.connect() as conn, checkpoint_after(conn):
        _write_big(conn)
    assert later == [engine]
    with engine.connect() as conn:  # committed and seen by everyone, though not in the file yet
        assert conn.exec_driver_sql("SELECT count(*) FROM big").scalar() == 2 * BLOB_ROWS
        # the pool's connection is back to SQLite's default for whoever uses it next
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    assert _rows_in_the_file_alone(path, tmp_path) == BLOB_ROWS

    start(engine)
    checkpoints_done()
    assert _rows_in_the_file_alone(path, tmp_path) == 2 * BLOB_ROWS


def test_a_load_and_a_deletion_defer_their_checkpoint(engine, tmp_path, monkeypatch):
    later = []
    monkeypatch.setattr(db, "_checkpoint_later", later.append)
    path = tmp_path / "Collection-2025-12-01_sd_2025-12-02.txt"
    path.write_text("NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n60000001|01-12-2025|50000|112025\n", encoding="utf-8")
    loaded = ingest_file(engine, path)
    assert loaded.status == "loaded" and later == [engine]
    assert delete_upload(engine, loaded.upload_id).removed == 1
    assert later == [engine, engine]
