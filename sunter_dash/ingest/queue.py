"""One load at a time, across every process of the branch (web workers, the Celery worker, the
command line): a second upload waits its turn instead of failing on the database's write lock,
and is refused, recorded, when it has waited too long (docs/SECURITY.md).

PostgreSQL: a session advisory lock, held on a connection of its own for the load. SQLite (one
machine): an exclusive lock on a file beside the database. A waiting upload is recorded with
status "queued", so anyone can see its place: the queued and running uploads before it.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Engine, func, select, text

from ..models import Upload

ADVISORY_KEY = 734_251_909  # PostgreSQL: the load slot's advisory lock
POLL_SECONDS = 0.2
WAITING = ("queued", "running")
_IN_PROCESS = threading.Lock()  # threads of one process (the dev server) queue here first


class Busy(Exception):
    """The slot did not come free in time."""

    def __init__(self, waited: float):
        super().__init__(f"no load slot after {waited:.0f} s")
        self.waited = waited


def _lock_path(engine: Engine) -> Path:
    database = engine.url.database
    if database and database != ":memory:":
        return Path(f"{database}.load-lock")
    return Path(tempfile.gettempdir()) / f"sunter-load-{os.getpid()}.lock"


def position(engine: Engine, upload_id: int) -> int:
    """How many uploads are queued or running before this one."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Upload).where(
            Upload.status.in_(WAITING), Upload.id < upload_id)).scalar() or 0)


@contextmanager
def load_slot(engine: Engine, wait_seconds: float, waiting: Callable[[float], None] | None = None) -> Iterator[None]:
    """Hold the branch's load slot for the block; ``waiting(seconds waited)`` is called while it is
    taken by another load. Raises Busy after ``wait_seconds``."""
    started = time.monotonic()

    def wait_or_give_up() -> None:
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            raise Busy(waited)
        if waiting:
            waiting(waited)
        time.sleep(POLL_SECONDS)

    while not _IN_PROCESS.acquire(timeout=POLL_SECONDS):
        wait_or_give_up()
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar():
                    conn.rollback()
                    wait_or_give_up()
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                    conn.commit()
        else:
            path = _lock_path(engine)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a") as handle:
                while True:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        wait_or_give_up()
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        _IN_PROCESS.release()
