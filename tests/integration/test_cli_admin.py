"""CLI commands besides ingest: users add, demo, db init|stats|backup (INTERFACES.md)."""
from __future__ import annotations

import io
import os
import sqlite3
import subprocess

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sunter_dash.__main__ import main
from sunter_dash.db import get_engine
from sunter_dash.services.signin import verify_password


@pytest.fixture
def cli_db(tmp_path, monkeypatch, new_database):
    url = new_database("cli", migrated=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return url


def test_users_add_creates_then_updates(cli_db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("sandi-rahasia-1\n"))
    assert main(["users", "add", "rina", "--role", "viewer", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("sandi-baru-222\n"))
    assert main(["users", "add", "rina", "--role", "admin", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "rina dibuat (peran viewer)" in out and "rina diperbarui (peran admin)" in out
    engine = get_engine(cli_db)
    user = verify_password(engine, "rina", "sandi-baru-222")
    assert user is not None and user.role == "admin"
    assert verify_password(engine, "rina", "sandi-rahasia-1") is None


def test_users_add_refuses_a_short_password(cli_db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert main(["users", "add", "rina", "--role", "viewer", "--password-stdin"]) == 1
    assert "minimal 8 karakter" in capsys.readouterr().err


def _counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("mc", "payment", "sbrs", "upload")}


def _restore(dump, url: str) -> None:
    """pg_restore a custom-format dump into the (empty) database at ``url``."""
    parsed = make_url(url)
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={plain}", str(dump)], check=True,
                   env={**os.environ, "PGPASSWORD": parsed.password or ""})


def test_demo_ingest_stats_and_backup(cli_db, tmp_path, capsys, new_database):
    out_dir = tmp_path / "demo"
    assert main(["demo", "--out", str(out_dir), "--customers", "200", "--months", "2", "--seed", "3"]) == 0
    files = sorted(out_dir.iterdir())
    assert any(f.name == "MC1125_AB_Sunter.xls" for f in files)
    assert main(["ingest", *map(str, files)]) == 0
    capsys.readouterr()

    assert main(["db", "stats"]) == 0
    stats = capsys.readouterr().out
    with get_engine(cli_db).connect() as conn:
        mc_rows = conn.execute(text("SELECT count(*) FROM mc WHERE periode = '2025-12'")).scalar()
    assert mc_rows == 200
    assert "    2025-12           200" in stats
    assert "unggahan    loaded=" in stats

    target = tmp_path / "copy.backup"
    assert main(["db", "backup", "--out", str(target)]) == 0
    assert f"Cadangan ditulis ke {target}" in capsys.readouterr().out
    if cli_db.startswith("sqlite"):  # the online backup API: a database file
        with sqlite3.connect(target) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        restored = f"sqlite:///{target}"
    else:  # pg_dump's custom format
        restored = new_database("restored", migrated=False)
        _restore(target, restored)
    assert _counts(restored) == _counts(cli_db)
    assert _counts(cli_db)["payment"] > 0


def test_backup_without_pg_dump_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://sunter:pw@127.0.0.1/sunter")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sunter_dash.__main__.prepare", lambda config: None)
    monkeypatch.setattr("sunter_dash.__main__.get_engine", lambda url: None)
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert main(["db", "backup", "--out", str(tmp_path / "x.dump")]) == 1
    assert "pg_dump tidak ditemukan" in capsys.readouterr().err


def test_bad_setting_is_a_sentence_not_a_traceback(cli_db, monkeypatch, capsys):
    monkeypatch.setenv("SUNTER_MAX_UPLOAD_MB", "seratus")
    assert main(["db", "init"]) == 2
    assert "SUNTER_MAX_UPLOAD_MB must be a whole number" in capsys.readouterr().err
