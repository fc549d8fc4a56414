"""SQLite's write-ahead log copied into the database file by one thread per process, after a
connection is returned to the pool, instead of inside the commit that finds the log long.

SQLite's own (automatic) checkpoint runs in the committing connection: after an upload's
transaction at 200,000 customers it copied 110-220 MB of log, 4-5 s of the user's wait
(docs/PERFORMANCE.md). Every connection of ``db.get_engine`` runs without it
(``wal_autocheckpoint=0``), and this thread copies the log once it holds more than SQLite's own
threshold. Nothing waits for it but the closing of the engine's connections (``wait``), so that a
disposed engine leaves the database whole in its one file, and the process's exit.

A checkpoint cut short (a killed process) leaves the log as it was: SQLite reads it on the next
open, and the next connection returned in any process copies it. So the upload page's job,
killed once its result is taken, needs no waiting.
"""
from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

LOG_PAGES = 1000  # SQLite's own threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT)
PAGE_SIZE = 4096  # SQLite's default page size, which the project keeps
CLOSE_WAIT = 120  # seconds a closing connection waits for a copy under way, at most

log = logging.getLogger(__name__)


def log_bytes(path: str) -> int:
    """The size of the database's write-ahead log file (0 when there is none)."""
    try:
        return os.path.getsize(path + "-wal")
    except OSError:
        return 0


def checkpoint(path: str) -> None:
    """Copy the log into the database file without waiting for readers or writers (PASSIVE), when
    it holds more than SQLite's own threshold. A missing file is left alone (never created)."""
    if log_bytes(path) <= LOG_PAGES * PAGE_SIZE:
        return
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=1, check_same_thread=False)
    except sqlite3.Error:
        return  # removed meanwhile (a test's folder)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        conn.close()


class Checkpointer:
    """One thread checkpointing the databases asked for, one at a time."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pending: set[str] = set()
        self._running: str | None = None
        self._thread: threading.Thread | None = None

    def request(self, path: str) -> None:
        with self._changed:
            self._pending.add(path)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait(self, path: str | None = None, timeout: float | None = None) -> bool:
        """Until no checkpoint of ``path`` (of any, when None) is asked for or running; False when
        ``timeout`` passed first. The thread itself never waits (a connection closed by the
        garbage collector while it runs would wait for itself)."""
        if threading.current_thread() is self._thread:
            return True

        def idle() -> bool:
            if path is None:
                return not self._pending and self._running is None
            return path not in self._pending and self._running != path

        with self._changed:
            return self._changed.wait_for(idle, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
                self._running = self._pending.pop()
            try:
                checkpoint(self._running)
            except Exception:  # noqa: BLE001 - the log stays; the next request copies it
                log.warning("checkpoint of %s failed", self._running, exc_info=True)
            finally:
                with self._changed:
                    self._running = None
                    self._changed.notify_all()


_checkpointer = Checkpointer()


def _fresh_in_child() -> None:
    # A forked process (a background job, a worker) has none of the parent's threads, and the
    # parent's lock may have been held at the fork.
    global _checkpointer
    _checkpointer = Checkpointer()


os.register_at_fork(after_in_child=_fresh_in_child)


def request(path: str) -> None:
    _checkpointer.request(path)


def wait(path: str | None = None, timeout: float | None = None) -> bool:
    return _checkpointer.wait(path, timeout)


def watch(engine, path: Path) -> None:
    """Checkpoint ``engine``'s database (a file) after its connections are returned, and let
    their closing wait for a checkpoint under way (a disposed engine's last connection then
    copies what is left and removes the log, as SQLite does)."""
    from sqlalchemy import event

    name = str(path)
    event.listen(engine, "checkin", lambda _dbapi, _record: request(name))
    event.listen(engine, "close", lambda _dbapi, _record: wait(name, CLOSE_WAIT))


atexit.register(wait, None, 60)
