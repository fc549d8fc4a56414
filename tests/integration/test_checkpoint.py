"""SQLite's write-ahead log copied by checkpoint.py's thread, not inside the commit."""
from __future__ import annotations

import shutil
import sqlite3
import threading
import time

from sqlalchemy import text

from sunter_dash import checkpoint
from sunter_dash.db import get_engine

ROWS = 3000  # about 6 MB of log: over SQLite's threshold of 1,000 pages


def _write(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), [{"b": "x" * 2000}] * ROWS)


def _rows_in_file_alone(path, tmp_path) -> int:
    """The rows the database file holds without its log (a copy of the file alone)."""
    alone = tmp_path / "alone.db"
    shutil.copyfile(path, alone)
    with sqlite3.connect(alone) as conn:
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'filler'").fetchone()
        return conn.execute("SELECT COUNT(*) FROM filler").fetchone()[0] if found else 0


def test_the_commit_leaves_the_log_to_the_thread(tmp_path, monkeypatch):
    path = tmp_path / "db.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    copied = []
    monkeypatch.setattr(checkpoint, "checkpoint", copied.append)  # the thread asked, copying nothing
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    _write(engine)
    assert checkpoint.wait(str(path.resolve()), timeout=30)
    assert str(path.resolve()) in copied
    assert checkpoint.log_bytes(str(path)) > checkpoint.LOG_PAGES * checkpoint.PAGE_SIZE
    assert _rows_in_file_alone(path, tmp_path) == 0  # the commit copied nothing into the file
    monkeypatch.undo()
    checkpoint.checkpoint(str(path))
    assert _rows_in_file_alone(path, tmp_path) == ROWS
    engine.dispose()


def test_the_thread_copies_the_log_after_the_commit(tmp_path):
    path = tmp_path / "db.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    _write(engine)
    assert checkpoint.wait(str(path.resolve()), timeout=30)
    assert _rows_in_file_alone(path, tmp_path) == ROWS
    _write(engine)  # the log is written again from its start once it was copied whole
    assert checkpoint.wait(str(path.resolve()), timeout=30)
    assert _rows_in_file_alone(path, tmp_path) == 2 * ROWS
    engine.dispose()


def test_a_disposed_engine_leaves_one_whole_file(tmp_path, monkeypatch):
    path = tmp_path / "db.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    real, started = checkpoint.checkpoint, threading.Event()

    def slow(name: str) -> None:  # a checkpoint under way as the engine is disposed
        held = sqlite3.connect(name)
        held.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()  # the log opened
        started.set()
        time.sleep(0.5)
        real(name)
        held.close()

    monkeypatch.setattr(checkpoint, "checkpoint", slow)
    _write(engine)
    assert started.wait(30)
    engine.dispose()  # waits for it; the last connection to close copies the rest and removes the log
    assert not path.with_name("db.sqlite-wal").exists()
    assert _rows_in_file_alone(path, tmp_path) == ROWS


def test_a_missing_database_is_not_created(tmp_path):
    path = tmp_path / "gone.db"
    path.with_name("gone.db-wal").write_bytes(b"\0" * (checkpoint.LOG_PAGES + 1) * checkpoint.PAGE_SIZE)
    checkpoint.request(str(path))
    assert checkpoint.wait(str(path), timeout=30)
    assert not path.exists()
