"""The Unggah page's list on the server (services/staging.py): files join the admin's list, a periode
is read in DATA.md's forms as it is typed, "Muat semua" skips what cannot load and keeps what was
refused, and a page that comes back finds the list and the last load."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from dash_wire import callback_body  # noqa: E402

from sunter_dash.domain.errors import Conflict, NoPeriode
from sunter_dash.services import Actor, staging, staging_job

ADMIN = Actor("admin", "admin", "127.0.0.1")
MC = "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;351010101;250000\n"
COLLECTION = "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n60000001|05-12-2025|-150000|122025\n"


def part(name: str, text: str) -> FileStorage:
    return FileStorage(io.BytesIO(text.encode()), filename=name)


@pytest.fixture
def listed(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "STAGING", tmp_path / "staging")

    def stage(*parts: FileStorage) -> tuple[str, list[dict]]:
        return staging.stage(engine, ADMIN, list(parts), 10**6)
    return stage


def test_files_sent_later_join_the_admins_list(listed, engine):
    token, rows = listed(part("MC_2025-12.csv", MC))
    again, rows = listed(part("Collection-2025-12-01_sd_2025-12-31.txt", COLLECTION))
    assert again == token
    assert [(r["key"], r["file"], r["type"], r["status"]) for r in rows] == [
        ("0", "MC_2025-12.csv", "MC", "Siap dimuat"),
        ("1", "Collection-2025-12-01_sd_2025-12-31.txt", "COLLECTION", "Siap dimuat")]
    # Another admin has a list of their own.
    other, theirs = staging.stage(engine, Actor("boss", "admin"), [part("MC_2025-12.csv", MC)], 10**6)
    assert other != token and [r["key"] for r in theirs] == ["0"]


@pytest.mark.parametrize("typed", ["2025-11", "112025", "202511", "11/2025", "1125", "Nov 2025", "November 2025",
                                   "nov25", " 2025-11 "])
def test_a_periode_typed_in_any_of_datas_forms_is_read_as_its_month(listed, engine, typed):
    token, rows = listed(part("master.csv", MC))
    assert rows[0]["status"] == "Tidak dapat dimuat"
    fresh = staging.restage(engine, ADMIN, token, "0", periode=typed)
    assert (fresh["periode"], fresh["rule_label"], fresh["status"]) == ("2025-11", "diisi pengguna", "Siap dimuat")


@pytest.mark.parametrize("typed", ["Des 20x", "13/2025", "2025-13", "125", "kemarin"])
def test_a_periode_that_names_no_month_is_refused_and_the_file_is_unchanged(listed, engine, typed):
    token, _rows = listed(part("MC_2025-12.csv", MC))
    with pytest.raises(NoPeriode) as refused:
        staging.restage(engine, ADMIN, token, "0", periode=typed)
    assert refused.value.message == (f"Periode '{typed}' tidak dikenali; tulis tahun dan bulannya, mis. 2025-12 "
                                     "(atau 122025, Des 2025).")
    assert staging.listed(staging.manifest(token)[1])[0]["periode"] == "2025-12"


def test_the_pages_messages_speak_of_the_page_never_of_command_line_flags(listed):
    _token, rows = listed(part("master.csv", MC), part("notes.csv", "A;B\n1;2\n"))
    no_periode, unknown = rows[0]["note"], rows[1]["note"]
    assert no_periode == ("Periode file tidak dapat ditentukan: berikan periodenya (YYYY-MM, mis. 2025-12), atau "
                          "cantumkan di nama file (mis. MC_2025-12.xlsx). Ketik periodenya di kolom Periode pada "
                          "daftar, lalu klik Muat semua.")
    assert "--" not in no_periode + unknown


def test_loading_skips_what_cannot_load_keeps_refusals_and_the_page_finds_both_again(listed, engine, config,
                                                                                     users):
    token, _rows = listed(part("MC_2025-12.csv", MC), part("master.csv", MC))
    # The same MC again, with fewer than half its customers: refused at load by the shrink guard.
    full = "NOMEN;ZONA_NOVAK;NOMINAL\n" + "".join(f"6{i:07d};341010101;1000\n" for i in range(1, 11))
    listed(part("MC_2025-12_lengkap.csv", full))
    done = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, lambda _p: None)
    assert [(r["file"], r["status"]) for r in done["results"]] == [
        ("MC_2025-12.csv", "loaded"), ("MC_2025-12_lengkap.csv", "loaded")]
    assert done["skipped"] == ["master.csv"]
    assert [(r["file"], r["status"]) for r in done["staged"]] == [("master.csv", "Tidak dapat dimuat")]
    # The page, opened again, shows the list and the outcome of the last load.
    now = staging.current(engine, ADMIN)
    assert (now["token"], now["running"], now["done"], now["rows"]) == (token, False, done, done["staged"])

    # A partial file now is refused at load and stays listed with the refusal, to be confirmed.
    listed(part("MC_2025-12_susulan.csv", MC))
    staging.restage(engine, ADMIN, token, "1", periode="Des 2025")
    second = staging_job.load_staged(config.database_url, config.max_upload_bytes, token, lambda _p: None)
    assert [(r["file"], r["status"], r["periode_rule"]) for r in second["results"]] == [
        ("master.csv", "refused", "explicit"), ("MC_2025-12_susulan.csv", "refused", "filename")]
    assert [(r["file"], r["status"]) for r in second["staged"]] == [
        ("master.csv", "Perlu konfirmasi"), ("MC_2025-12_susulan.csv", "Perlu konfirmasi")]
    assert second["staged"][0]["note"].endswith("kurang dari separuh: perlu konfirmasi penggantian")

    # Taken off the list, a file and its staged copy are gone.
    left = staging.unstage(ADMIN, token, "3")
    assert [r["file"] for r in left] == ["master.csv"]
    folder, found = staging.manifest(token)
    assert list(found["rows"]) == ["1"] and sorted(p.name for p in folder.glob("*.upload")) == ["001.upload"]


def test_a_page_that_comes_back_during_a_load_sees_it_running(listed, engine):
    token, _rows = listed(part("MC_2025-12.csv", MC))
    staging_job.claim_job(ADMIN, token)
    folder = staging.manifest(token)[0]
    assert staging.current(engine, ADMIN)["running"] is True
    first_job = staging.status_of(folder).pop("job")
    assert {k: v for k, v in staging.status_of(folder).items() if k != "job"} == {
        "state": "queued", "keys": ["0"], "progress": []}
    # Queued behind other loads (a busy Celery worker), a job touches nothing for a while: still running.
    import os
    import time
    queued = time.time() - (staging.JOB_MARKER_MINUTES + 5) * 60
    os.utime(folder / staging.RUNNING, (queued, queued))
    assert staging.current(engine, ADMIN)["running"] is True
    staging.write_json(folder, staging.STATUS, {"state": "running", "job": first_job, "keys": ["0"], "progress": [
        {"file": "MC_2025-12.csv", "pct": 5, "stage": "membaca"}]})
    os.utime(folder / staging.RUNNING)  # as the job does with each step
    now = staging.current(engine, ADMIN)
    assert (now["running"], now["progress"], now["done"]) == (
        True, [{"file": "MC_2025-12.csv", "pct": 5, "stage": "membaca"}], None)
    # Files sent meanwhile join the list outside the job: they can be changed, the job's cannot.
    same, rows = listed(part("MC_2025-11.csv", MC))
    assert same == token and [r["key"] for r in rows] == ["0", "1"]
    assert staging.restage(engine, ADMIN, token, "1", periode="2025-10")["periode"] == "2025-10"
    with pytest.raises(Conflict):
        staging.restage(engine, ADMIN, token, "0", periode="2025-10")
    with pytest.raises(Conflict):
        staging.unstage(ADMIN, token, "0")
    # A job killed before its outcome stops touching its marker: after a while the page says it
    # stopped, the list is as it was left, and the admin may load it again.
    gone = time.time() - (staging.JOB_MARKER_MINUTES + 1) * 60
    os.utime(folder / staging.RUNNING, (gone, gone))
    stopped = staging.current(engine, ADMIN)
    assert (stopped["running"], stopped["done"]["stopped"], [r["file"] for r in stopped["done"]["staged"]]) == (
        False, True, ["MC_2025-12.csv", "MC_2025-11.csv"])
    staging_job.claim_job(ADMIN, token)
    assert staging.status_of(folder)["keys"] == ["0", "1"] and staging.current(engine, ADMIN)["running"]
    # The old job, were it alive after all, no longer owns the marker: it cannot end the new one.
    assert not staging_job._ours(folder, first_job) and staging_job._ours(folder, staging.status_of(folder)["job"])


def test_files_sent_at_once_are_all_kept_each_with_its_own_content(listed, engine):
    from concurrent.futures import ThreadPoolExecutor
    texts = {f"MC_2025-{m:02d}.csv": MC.replace("150000", str(m)) for m in range(1, 9)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(lambda item: listed(part(*item))[0], texts.items()))
    assert len(tokens) == 1
    folder, found = staging.manifest(tokens.pop())
    assert sorted(e["file"] for e in found["rows"].values()) == sorted(texts)
    assert all((folder / e["path"]).read_text() == texts[e["file"]] for e in found["rows"].values())


def test_a_list_is_the_same_database_however_its_url_is_written():
    written = "postgresql+psycopg://sunter:p%21ss@db.example:5432/sunter?sslmode=require&connect_timeout=10"
    reordered = "postgresql+psycopg://sunter:p%21ss@db.example:5432/sunter?connect_timeout=10&sslmode=require"
    from sqlalchemy.engine import make_url
    assert staging.database_of(written) == staging.database_of(make_url(reordered)) == staging.database_of(reordered)
    assert staging.database_of(written) != staging.database_of(written.replace("/sunter?", "/other?"))


def test_a_later_refusal_replaces_what_the_last_load_said(listed, engine, config, users):
    from sunter_dash.services.staging_job import after_load
    token, _rows = listed(part("MC_2025-12.csv", MC))
    folder, found = staging.manifest(token)
    after_load(folder, found, "0", {"status": "refused", "needs_replace": True, "stored_customers": 10,
                                    "file_customers": 2, "stored_upload": 1})
    assert staging.listed(found)[0]["status"] == "Perlu konfirmasi"
    after_load(folder, found, "0", {"status": "refused", "message": "Lebih dari separuh baris bermasalah."})
    shown = staging.listed(found)[0]
    assert (shown["status"], shown["note"]) == ("Ditolak, perbaiki lalu muat lagi", "Lebih dari separuh baris "
                                                                                    "bermasalah.")


def test_a_list_belongs_to_its_database(listed, engine, tmp_path):
    from sunter_dash.db import get_engine
    listed(part("MC_2025-12.csv", MC))
    elsewhere = get_engine(f"sqlite:///{tmp_path / 'other.db'}")
    assert staging.current(elsewhere, ADMIN) is None
    assert staging.current(engine, Actor("viewer", "viewer")) is None


@pytest.mark.parametrize("file_type", ["RUTE", "MC", "SBRS", "MAINBILL", "COLLECTION", "MB", "ARDEBT"])
def test_each_types_example_file_is_read_as_that_type_and_loads(file_type, engine, tmp_path):
    from sunter_dash.demo.examples import example
    from sunter_dash.domain import files
    from sunter_dash.ingest import ingest_file
    from sunter_dash.tabs.upload_formats import required_text

    name, content = example(file_type)
    path = tmp_path / name
    path.write_bytes(content)
    result = ingest_file(engine, path)
    assert (result.type, result.status, result.rejected) == (file_type, "loaded", 0)
    assert result.stored > 0
    assert required_text(files.spec(file_type)).startswith("Wajib")


def test_the_example_button_sends_that_types_example(client, users, log_in):
    import base64
    import json

    from sunter_dash.demo.examples import example
    log_in(client, *users["admin"])
    button = {"file_type": "MC", "type": "upload-example"}
    body = {"output": "upload-example-download.data",
            "outputs": {"id": "upload-example-download", "property": "data"},
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(button, separators=(",", ":")) + ".n_clicks"]}
    sent = client.post("/_dash-update-component", json=body).get_json()["response"]["upload-example-download"]["data"]
    assert sent["filename"] == "contoh-MC1125_AB_Sunter.xls"
    assert base64.b64decode(sent["content"]) == example("MC")[1]


def body_for(app, trigger: str, values: dict) -> dict:
    """The request for the callback that ``trigger`` ("id.property") fires (callback_body picks by
    output, and several of this page's callbacks share an output)."""
    trigger_id, prop = trigger.rsplit(".", 1)
    key = next(k for k, spec in app.callback_map.items()
               if any(i["id"] == trigger_id and i["property"] == prop for i in spec["inputs"]))
    return callback_body(app, key, values, [trigger])


@pytest.mark.parametrize(("trigger", "values"), [
    ("upload-remove.n_clicks", {"upload-remove.n_clicks": 1, "upload-staged-grid.selectedRows": [1, "x"],
                                "upload-staged-grid.rowData": [1, 2], "upload-token.data": ["no"]}),
    ("upload-remove.n_clicks", {"upload-remove.n_clicks": 1, "upload-staged-grid.selectedRows": [{"key": "0"}],
                                "upload-staged-grid.rowData": [{"key": "0"}], "upload-token.data": "no"}),
    ("upload-results-store.data", {"upload-results-store.data": {"results": [1, {"file": 2}], "staged": "x"}}),
    ("upload-results-store.data", {"upload-results-store.data": {
        "results": [{"file": "a", "status": "loaded", "read": "many", "errors": [1]}], "staged": [3]}}),
    ("upload-staged-grid.cellValueChanged", {"upload-staged-grid.cellValueChanged": [
        {"data": [1], "colId": "periode", "value": {"a": 1}}, 7, {"data": {"key": 5}, "colId": "type"}],
        "upload-staged-grid.rowData": [1, 2], "upload-token.data": 3}),
    ("upload-staged-grid.rowData", {"upload-staged-grid.rowData": [1, {"file": 3, "loadable": True}]}),
    ("upload-staged-grid.selectedRows", {"upload-staged-grid.selectedRows": [{"key": "0"}],
                                         "upload-staged-grid.rowData": [{"key": "0", "loadable": True,
                                                                         "columns": 5, "type": "MC"}]}),
    ("upload-progress-store.data", {"upload-progress-store.data": [{"file": 1}, "x", {"file": "a", "pct": "z"}]}),
    ("upload-start.n_clicks", {"upload-start.n_clicks": 1, "upload-run.data": "x", "upload-token.data": {"a": 1},
                               "upload-replace-asked.data": "y"}),
])
def test_crafted_values_in_the_pages_callbacks_are_never_a_500(config, users, log_in, trigger, values):
    """An admin's browser (or a script) sending rows, stores or events of the wrong shape."""
    from sunter_dash import create_app
    app = create_app(config)
    client = app.server.test_client()
    log_in(client, *users["admin"])
    answer = client.post("/_dash-update-component", json=body_for(app, trigger, values))
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:300]
    # Handled, not raised: a callback that raises is answered too, naming its failure for the page.
    assert answer.status_code == 204 or "shell-failure" not in (answer.get_json().get("sideUpdate") or {}), \
        answer.get_json()


def test_the_load_button_asks_about_the_lists_own_files_not_what_the_page_sends(config, users, log_in, engine,
                                                                                   listed):
    from sunter_dash import create_app
    from sunter_dash.ingest import ingest_file
    full = "NOMEN;ZONA_NOVAK;NOMINAL\n" + "".join(f"6{i:07d};341010101;1000\n" for i in range(1, 11))
    path = staging.STAGING.parent / "MC_2025-12-lengkap.csv"
    path.write_text(full, encoding="utf-8")
    ingest_file(engine, path, filename="MC_2025-12.csv")
    token, _rows = listed(part("MC_2025-12.csv", MC))  # 2 customers where 10 are stored
    app = create_app(config)
    client = app.server.test_client()
    log_in(client, *users["admin"])
    body = body_for(app, "upload-start.n_clicks", {
        "upload-start.n_clicks": 1, "upload-run.data": "bogus", "upload-token.data": token,
        "upload-staged-grid.rowData": [{"key": "0", "status": "Siap dimuat"}]})
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    response = answer.get_json()["response"]
    assert response["upload-replace-modal"]["is_open"] is True
    assert " (MC Desember 2025): 2 pelanggan, menggantikan 10 pelanggan unggahan #1." in json.dumps(
        response, ensure_ascii=False)
