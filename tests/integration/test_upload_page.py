"""The Unggah page's server side: staging checks the role, loading only what an admin staged."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from sunter_dash.models import Mc
from sunter_dash.services import Actor, staging_job
from sunter_dash.services import staging as upload

MC = "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;351010101;250000\n"


def incoming(name: str = "MC_2025-12.csv", text: str = MC) -> dict:
    """What the browser sends: the files as multipart parts (werkzeug's FileStorage)."""
    return {"files": [FileStorage(io.BytesIO(text.encode()), filename=name)]}


def stage_request(client, csrf_token, name: str = "MC_2025-12.csv", text: str = MC, token: str | None = None):
    """The page's file transfer (assets/30-upload.js): multipart, with the session's CSRF token."""
    return client.post("/upload/stage", data={"file": (io.BytesIO(text.encode()), name)},
                       headers={"X-CSRFToken": token or csrf_token(client)}, content_type="multipart/form-data")


def mc_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Mc)).scalar()


def test_admin_stages_files_with_their_detected_type_and_periode(client, users, log_in, csrf_token):
    log_in(client, *users["admin"])
    answer = stage_request(client, csrf_token).get_json()
    rows = answer["rows"]
    assert [(r["file"], r["type"], r["periode"], r["rule_label"], r["note"]) for r in rows] == [
        ("MC_2025-12.csv", "MC", "2025-12", "nama file", "")]
    assert rows[0]["loadable"] is True
    folder, manifest = upload.manifest(answer["token"])
    assert manifest["username"] == "admin"
    # What will be loaded is kept with the files, not taken from the page: none chosen yet.
    entry = dict(manifest["rows"]["0"])
    assert entry.pop("seen")["periode"] == "2025-12"  # the preview, kept to list the file again
    assert entry == {"file": "MC_2025-12.csv", "path": "000.upload", "size": len(MC), "type": None,
                     "periode": None, "mapping": {}, "profile": None, "replace": False}
    assert (folder / "000.upload").read_text() == MC


def test_a_file_that_would_be_refused_says_why_before_loading(client, users, log_in, csrf_token):
    log_in(client, *users["admin"])
    rows = stage_request(client, csrf_token, "notes.csv", "A;B\n1;2\n").get_json()["rows"]
    assert rows[0]["type"] == "(otomatis)"
    assert "kolom" in rows[0]["note"].lower()


def test_viewer_cannot_stage_files(client, users, log_in, csrf_token):
    log_in(client, *users["viewer"])
    answer = stage_request(client, csrf_token)
    assert answer.status_code == 403
    assert answer.get_json()["error"] == "Pengguna 'viewer' (peran viewer) tidak berhak melakukan ini."


def test_staging_needs_the_pages_csrf_token(client, users, log_in, csrf_token):
    log_in(client, *users["admin"])
    assert stage_request(client, csrf_token, token="forged").status_code == 400


def test_the_callback_route_takes_small_bodies_only(client, users, log_in):
    """Files go to /upload/stage; Dash's callback route refuses a body over 1 MB before reading it."""
    log_in(client, *users["admin"])
    big = client.post("/_dash-update-component", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                      content_type="application/json")
    assert big.status_code == 413


def test_loading_needs_a_manifest_an_admin_staged(client, users, log_in, config, engine):
    progress = []
    refused = staging_job.load_staged(config.database_url, config.max_upload_bytes, "made-up-token", progress.append)
    assert refused["results"][0]["status"] == "refused"
    # A manifest naming a viewer (written by hand: the page never writes one) loads nothing.
    token, rows = upload.stage(engine, Actor("viewer", "admin", "127.0.0.1"), incoming()["files"], 10**6)
    refused = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, progress.append)
    assert refused == {"results": [{"file": "-", "status": "refused", "message": "Hanya admin yang dapat memuat "
                                    "file."}], "skipped": [], "staged": []}
    assert mc_rows(engine) == 0
    # The admin's manifest loads, reporting progress along the way, and is cleaned up after.
    token, rows = upload.stage(engine, Actor("admin", "admin", "127.0.0.1"), incoming()["files"], 10**6)
    loaded = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, progress.append)
    assert [(r["status"], r["stored"]) for r in loaded["results"]] == [("loaded", 2)]
    assert progress[-1] == [[{"file": "MC_2025-12.csv", "pct": 100, "stage": "selesai"}]]
    assert mc_rows(engine) == 2
    folder, left = upload.manifest(token)
    assert left["rows"] == {} and not list(folder.glob("*.upload"))


def test_staged_files_nobody_loaded_are_removed_after_a_day(tmp_path, monkeypatch, engine):
    import os
    import time

    monkeypatch.setattr(upload, "STAGING", tmp_path / "staging")
    old_token, _ = upload.stage(engine, Actor("admin", "admin", "127.0.0.1"), incoming()["files"], 10**6)
    day_ago = time.time() - 25 * 3600
    os.utime(upload.STAGING / old_token, (day_ago, day_ago))
    new_token, _ = upload.stage(engine, Actor("admin", "admin", "127.0.0.1"), incoming()["files"], 10**6)
    assert upload.manifest(old_token) is None
    assert upload.manifest(new_token) is not None


def test_what_is_loaded_comes_from_the_manifest_and_the_guard_needs_the_confirmation(config, engine, users):
    from sunter_dash.domain.errors import BadParameter, NotFound
    from sunter_dash.ingest import ingest_file
    admin = Actor("admin", "admin", "127.0.0.1")
    full = "NOMEN;ZONA_NOVAK;NOMINAL\n" + "".join(f"6{i:07d};341010101;1000\n" for i in range(1, 11))
    path = upload.STAGING.parent / "MC_2025-12-full.csv"
    path.write_text(full, encoding="utf-8")
    ingest_file(engine, path, filename="MC_2025-12.csv")
    token, rows = upload.stage(engine, admin, incoming()["files"], 10**6)  # 2 customers where 10 are stored
    assert rows[0]["note"] == ("Menggantikan MC Desember 2025: 10 pelanggan, unggahan #1; file ini hanya 2 "
                               "pelanggan, kurang dari separuh: perlu konfirmasi penggantian")
    # Only the admin who staged may change it, and only with a known type and a mapping of names.
    with pytest.raises(NotFound):
        upload.restage(engine, Actor("other", "admin"), token, "0", periode="2025-11")
    with pytest.raises(BadParameter):
        upload.restage(engine, admin, token, "0", file_type="DROP TABLE")
    with pytest.raises(BadParameter):
        upload.restage(engine, admin, token, "0", mapping=["NOMEN"])
    # Loaded without the confirmation: refused, kept staged with both counts.
    first = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, lambda _p: None)
    assert [(r["status"], r["needs_replace"]) for r in first["results"]] == [("refused", True)]
    assert first["staged"][0]["replaces"]["needs_replace"] is True
    assert mc_rows(engine) == 10
    upload.confirm_replace(admin, token, ["0"])
    second = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, lambda _p: None)
    assert [(r["status"], r["stored"]) for r in second["results"]] == [("loaded", 2)]
    assert second["staged"] == [] and upload.manifest(token)[1]["rows"] == {}
    assert mc_rows(engine) == 2


def test_a_periode_typed_in_the_grid_is_previewed_and_loaded_as_given(config, engine, users):
    admin = Actor("admin", "admin", "127.0.0.1")
    token, rows = upload.stage(engine, admin, incoming("master.csv")["files"], 10**6)
    assert rows[0]["note"].startswith("Periode file tidak dapat ditentukan")
    fresh = upload.restage(engine, admin, token, "0", periode="2025-11")
    assert (fresh["type"], fresh["periode"], fresh["rule_label"], fresh["note"]) == ("MC", "2025-11",
                                                                                     "diisi pengguna", "")
    done = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, lambda _p: None)
    assert [(r["periode"], r["periode_rule"]) for r in done["results"]] == [("2025-11", "explicit")]
