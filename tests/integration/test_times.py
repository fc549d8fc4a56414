"""Every time a person sees is in the branch's zone (SUNTER_TIMEZONE); the database keeps UTC.

The app here runs in Asia/Makassar (WITA, UTC+8) rather than the default WIB, so a grid that
still showed UTC, or assumed WIB, would fail."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select, update

from sunter_dash import create_app, queries
from sunter_dash.domain.clock import wall
from sunter_dash.ingest import ingest_file
from sunter_dash.models import AuditLog, Upload, User
from sunter_dash.services import Actor, record
from sunter_dash.tabs import audit, history, settings, users
from sunter_dash.tabs.history import confirmation

STORED = dt.datetime(2025, 12, 31, 17, 30, 5)  # UTC: 1 January 2026, 01:30 WITA
SHOWN = "2026-01-01 01:30 WITA"


@pytest.fixture
def mc_file(tmp_path):
    path = tmp_path / "MC_2025-12.csv"
    path.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;140000\n", encoding="utf-8")
    return path


@pytest.fixture
def wita_app(config, engine, users):
    return create_app(dataclasses.replace(config, timezone="Asia/Makassar"))


def test_wall_reads_a_stored_utc_time_in_the_given_zone():
    assert wall(STORED) == "2026-01-01 00:30 WIB"
    assert wall(STORED, "Asia/Makassar", seconds=True) == "2026-01-01 01:30:05 WITA"
    assert wall("2025-12-31T17:30:05Z", "Asia/Jayapura") == "2026-01-01 02:30 WIT"
    assert wall(None) is None


def test_audit_users_and_history_grids_show_the_branch_zone(wita_app, engine, mc_file):
    record(engine, Actor("admin", "admin"), "login", "")
    ingest_file(engine, mc_file)
    with engine.begin() as conn:
        for table in (AuditLog, Upload, User):
            conn.execute(update(table).values(created_at=STORED))
    with wita_app.server.app_context():
        assert {row["created_at"] for row in audit.rows()} == {SHOWN.replace("01:30", "01:30:05")}
        assert {row["created_at"] for row in users.rows()} == {SHOWN}
        (upload,) = queries.uploads(engine)
        (row,) = history.history_rows([upload], "Asia/Makassar")
        assert row["created_at_shown"] == SHOWN
        assert SHOWN in str(confirmation(upload, "Asia/Makassar"))


def test_a_deleted_upload_says_when_in_the_branch_zone(engine, mc_file):
    ingest_file(engine, mc_file)
    (upload,) = queries.uploads(engine)
    upload = {**upload, "status": "deleted", "deleted_at": "2025-12-31 17:30:05", "deleted_by": "admin"}
    (row,) = history.history_rows([upload], "Asia/Jakarta")
    assert row["note"].startswith("Dihapus oleh admin pada 2026-01-01 00:30 WIB.")


def test_a_saved_setting_says_when_in_the_branch_zone():
    table = settings.settings_table([{"key": "spike", "label": "Lonjakan", "env": "SUNTER_SPIKE", "default": "2",
                                      "saved": "3", "value": "3", "updated_by": "admin", "updated_at": STORED}],
                                     "Asia/Makassar")
    assert f"disimpan admin {SHOWN}" in str(table)


def test_audit_lines_speak_the_pages_words(engine, users, mc_file):
    """The audit log says what happened as the pages say it: no English status or role codes."""
    from sunter_dash.services import uploads
    from sunter_dash.services.users import set_role

    admin = Actor("admin", "admin")
    uploads.load(engine, admin, mc_file, max_bytes=10_000_000)
    set_role(engine, admin, "viewer", "admin")
    with engine.connect() as conn:
        details = dict(conn.execute(select(AuditLog.action, AuditLog.detail)
                                    .where(AuditLog.action.in_(("upload", "user_role_changed")))).all())
    assert details["upload"].endswith("MC_2025-12.csv: Dimuat, MC 2025-12, 1 baris disimpan")
    assert details["user_role_changed"] == "viewer: Viewer → Admin"

