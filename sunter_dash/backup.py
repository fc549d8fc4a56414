"""Online backups: SQLite's backup API, or pg_dump on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    pass


def backup(database_url: str, target: Path | None = None) -> Path:
    url = make_url(database_url)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    backend = url.get_backend_name()
    if backend == "sqlite":
        source = Path(url.database or "")
        target = target or source.parent / "backups" / f"{source.stem}-{stamp}.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        # The backup API copies a consistent snapshot while the app keeps running.
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    if backend == "postgresql":
        return _pg_dump(url, target or Path("data/backups") / f"{url.database}-{stamp}.dump")
    raise BackupError(f"Cadangan belum didukung untuk {backend}.")


def _pg_dump(url, target: Path) -> Path:
    """pg_dump's custom format (restore with pg_restore): one consistent snapshot."""
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump tidak ditemukan; pasang klien PostgreSQL "
                          "(Debian: apt-get install postgresql-client).")
    target.parent.mkdir(parents=True, exist_ok=True)
    # libpq's URL without the driver name; the password goes by environment, not argv.
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={plain}"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump gagal: {done.stderr.strip()}")
    return target
