"""Online backups: SQLite's backup API, or pg_dump on PostgreSQL."""
from __future__ import annotations

import datetime as dt
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
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump tidak ditemukan; pasang klien PostgreSQL.")
        target = target or Path("data/backups") / f"{url.database}-{stamp}.dump"
        target.parent.mkdir(parents=True, exist_ok=True)
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", f"--file={target}", plain], check=True)
        return target
    raise BackupError(f"Cadangan belum didukung untuk {backend}.")
