"""CLI commands besides ingest: users add, demo, db init|stats|backup (INTERFACES.md)."""
from __future__ import annotations

import io
import sqlite3

import pytest

from sunter_dash.__main__ import main
from sunter_dash.db import get_engine
from sunter_dash.users import verify_password


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
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


def test_demo_ingest_stats_and_backup(cli_db, tmp_path, capsys):
    out_dir = tmp_path / "demo"
    assert main(["demo", "--out", str(out_dir), "--customers", "200", "--months", "2", "--seed", "3"]) == 0
    files = sorted(out_dir.iterdir())
    assert any(f.name == "MC1125_AB_Sunter.xls" for f in files)
    assert main(["ingest", *map(str, files)]) == 0
    capsys.readouterr()

    assert main(["db", "stats"]) == 0
    stats = capsys.readouterr().out
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        mc_rows = conn.execute("SELECT count(*) FROM mc WHERE periode = '2025-12'").fetchone()[0]
    assert mc_rows == 200
    assert "    2025-12           200" in stats
    assert "unggahan    loaded=" in stats

    target = tmp_path / "copy.db"
    assert main(["db", "backup", "--out", str(target)]) == 0
    with sqlite3.connect(target) as copy, sqlite3.connect(tmp_path / "cli.db") as live:
        for table in ("mc", "payment", "sbrs", "upload"):
            query = f"SELECT count(*) FROM {table}"
            assert copy.execute(query).fetchone() == live.execute(query).fetchone()


def test_bad_setting_is_a_sentence_not_a_traceback(cli_db, monkeypatch, capsys):
    monkeypatch.setenv("SUNTER_MAX_UPLOAD_MB", "seratus")
    assert main(["db", "init"]) == 2
    assert "SUNTER_MAX_UPLOAD_MB must be a whole number" in capsys.readouterr().err
