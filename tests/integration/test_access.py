"""Hardening, part 2 (issue 14): sign-in that resists guessing, sessions that really end, no job or
500 for the asking. Each test names the item of the issue it covers."""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sunter_dash.models import AuditLog
from sunter_dash.services import Actor, signin
from sunter_dash.services import users as user_service
from sunter_dash.services.signin import PER_USER_AND_ADDRESS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic  # noqa: E402

ADMIN = Actor("admin", "admin", "127.0.0.1")


def audited(engine, action: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditLog.username, AuditLog.address, AuditLog.detail)
                                               .where(AuditLog.action == action).order_by(AuditLog.id))]


# --- 1. sign-in ----------------------------------------------------------------------------------

def test_item_1_basic_failures_are_throttled_audited_and_answered_429(client, users, engine):
    statuses = [client.get("/api/periodes", headers=basic("admin", "wrong")).status_code for _ in range(8)]
    assert statuses == [401] * PER_USER_AND_ADDRESS + [429] * 3
    answer = client.get("/api/periodes", headers=basic(*users["admin"]))  # even the right password waits
    assert answer.status_code == 429 and 800 < int(answer.headers["Retry-After"]) <= 901
    assert answer.get_json()["error"].startswith("Terlalu banyak percobaan masuk gagal. Coba lagi dalam")
    assert audited(engine, "login_failed") == [("admin", "127.0.0.1", "HTTP Basic (API)")] * PER_USER_AND_ADDRESS
    # Counted per (user, address) and per address, never per user alone: from elsewhere, the admin gets in.
    elsewhere = client.get("/api/periodes", headers=basic(*users["admin"]), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 200


def test_item_1_the_form_and_basic_share_one_throttle(client, users, log_in):
    for _ in range(3):
        assert client.get("/api/periodes", headers=basic("admin", "wrong")).status_code == 401
    assert log_in(client, "admin", "wrong").status_code == 401
    assert log_in(client, "admin", "wrong").status_code == 401
    blocked = log_in(client, *users["admin"])
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_item_2_the_throttle_holds_under_30_parallel_tries(app, users, engine, csrf_token, monkeypatch):
    """Every try counted before any password is checked: at most the allowed number are checked."""
    checked = []
    real = signin.credentials

    def counting(*args):
        checked.append(1)
        return real(*args)
    monkeypatch.setattr(signin, "credentials", counting)
    clients = [app.server.test_client() for _ in range(30)]
    tokens = [csrf_token(c) for c in clients]
    statuses, start = [], threading.Barrier(30)

    def attempt(c, token):
        start.wait()
        statuses.append(c.post("/login", data={"username": "admin", "password": "wrong",
                                               "csrf_token": token}).status_code)
    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checked) <= PER_USER_AND_ADDRESS
    assert sorted(statuses) == [401] * len(checked) + [429] * (30 - len(checked))


def test_item_3_an_unknown_user_costs_a_password_check_too(engine, users, monkeypatch):
    hashes = []
    real = signin.check_password_hash

    def counting(stored, password):
        hashes.append(stored)
        return real(stored, password)
    monkeypatch.setattr(signin, "check_password_hash", counting)
    assert signin.verify_password(engine, "nobody-here", "whatever") is None
    assert signin.verify_password(engine, "admin", "wrong") is None
    assert len(hashes) == 2 and hashes[0] == signin._DUMMY_HASH
    assert hashes[0].split("$")[0] == hashes[1].split("$")[0]  # the same method and cost as a real one


def test_item_1_untrusted_proxy_headers_are_warned_about_once(client, users, caplog):
    from sunter_dash import auth
    auth._warned_proxy.clear()
    for _ in range(2):
        client.get("/api/periodes", headers={**basic(*users["viewer"]), "X-Forwarded-For": "203.0.113.7"})
    warnings = [r for r in caplog.records if "SUNTER_PROXY_HOPS is 0" in r.getMessage()]
    assert len(warnings) == 1


# --- 4. sessions ---------------------------------------------------------------------------------

def _copy_session(source, target) -> None:
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_item_4_a_copied_cookie_dies_with_logout(app, users, log_in, log_out):
    first, copy = app.server.test_client(), app.server.test_client()
    log_in(first, *users["viewer"])
    _copy_session(first, copy)
    assert copy.get("/_dash-layout").status_code == 200
    log_out(first)
    assert copy.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("change", ["password", "role", "deactivate", "end_sessions"])
def test_item_4_a_reset_role_change_deactivation_or_end_all_ends_every_session(app, engine, users, log_in, change):
    phone, laptop = app.server.test_client(), app.server.test_client()
    log_in(phone, *users["viewer"])
    log_in(laptop, *users["viewer"])
    assert phone.get("/_dash-layout").status_code == laptop.get("/_dash-layout").status_code == 200
    if change == "password":
        user_service.set_password(engine, ADMIN, "viewer", "a-new-password-1", "a-new-password-1")
    elif change == "role":
        user_service.set_role(engine, ADMIN, "viewer", "admin")
    elif change == "deactivate":
        user_service.set_active(engine, ADMIN, "viewer", False)
    else:
        signin.end_sessions_of(engine, ADMIN, "viewer")
        assert audited(engine, "sessions_ended") == [("admin", "127.0.0.1", "viewer")]
    assert phone.get("/_dash-layout").status_code == laptop.get("/_dash-layout").status_code == 401


def test_item_4_only_an_admin_ends_someone_elses_sessions(engine, users):
    from sunter_dash.domain.errors import Forbidden
    with pytest.raises(Forbidden):
        signin.end_sessions_of(engine, Actor("viewer", "viewer"), "admin")
    signin.end_sessions_of(engine, Actor("viewer", "viewer"), "viewer")  # one's own: allowed


def test_item_4_signing_out_is_a_post_with_the_form_token(client, users, log_in):
    log_in(client, *users["viewer"])
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.get_data(as_text=True)
    assert client.post("/logout").status_code == 400  # a cross-site form has no token
    assert client.get("/_dash-layout").status_code == 200


# --- 3. background jobs --------------------------------------------------------------------------

def _job_request(client, token):
    body = {"output": "upload-results-store.data",
            "outputs": {"id": "upload-results-store", "property": "data"},
            "inputs": [{"id": "upload-run", "property": "data", "value": 1}],
            "state": [{"id": "upload-token", "property": "data", "value": token}],
            "changedPropIds": ["upload-run.data"]}
    return client.post("/_dash-update-component", json=body)


def test_item_3_a_job_is_refused_before_anything_is_spawned(client, users, log_in, engine, monkeypatch, tmp_path):
    from sunter_dash.services import staging
    monkeypatch.setattr(staging, "STAGING", tmp_path / "staging")
    log_in(client, *users["viewer"])
    answer = _job_request(client, "anything")
    assert answer.status_code == 403
    assert answer.get_json()["error"] == "Anda tidak berhak menjalankan pekerjaan ini."
    assert not (tmp_path / "staging").exists()


def test_item_3_jobs_are_capped_per_user_and_overall(engine, users, monkeypatch, tmp_path):
    from werkzeug.datastructures import FileStorage

    from sunter_dash.db import get_engine
    from sunter_dash.domain.errors import Conflict, TooManyJobs
    from sunter_dash.services import staging, staging_job
    monkeypatch.setattr(staging, "STAGING", tmp_path / "staging")

    def staged(on) -> str:
        part = FileStorage(stream=__import__("io").BytesIO(b"NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341511001;1\n"),
                           filename="MC_2025-12.csv")
        return staging.stage(on, ADMIN, [part], 10**6)[0]
    first = staged(engine)
    assert staged(engine) == first  # files join the admin's list (one per database)
    staging_job.claim_job(ADMIN, first)
    with pytest.raises(Conflict):
        staging_job.claim_job(ADMIN, first)  # one job per list
    assert staged(engine) == first  # files sent meanwhile join it, outside the job
    # An admin's lists on two other databases (a second branch on the same server, say).
    from sunter_dash.models import Base
    others = [get_engine(f"sqlite:///{tmp_path / name}.db") for name in ("b", "c")]
    for other in others:
        Base.metadata.create_all(other)
    second, third = (staged(other) for other in others)
    staging_job.claim_job(ADMIN, second)
    with pytest.raises(TooManyJobs) as refused:
        staging_job.claim_job(ADMIN, third)
    assert refused.value.message == "Anda sudah menjalankan 2 pemuatan; tunggu salah satunya selesai."
    assert refused.value.status == 429


# --- 7. bad requests are 4xx, never 500 ----------------------------------------------------------

def test_item_7_bad_requests_answer_4xx_in_the_api_shape(client, users, engine):
    admin = basic(*users["admin"])
    cases = [
        (client.put("/api/kpi", headers=admin), 405),
        (client.delete("/api/periodes", headers=admin), 405),
        (client.get("/api/analyses/99999999999999999999", headers=admin), 404),
        (client.delete("/api/uploads/9223372036854775808", headers=admin), 404),
        # Past PostgreSQL's INTEGER but within SQLite's: still nothing, on both back ends.
        (client.get("/api/analyses/4398046511104", headers=admin), 404),
        (client.patch("/api/analyses/2147483648", headers=admin, json={"version": 1, "status": "closed"}), 404),
        (client.get("/api/kpi/daily?periode=0001-01", headers=admin), 400),
        (client.post("/api/analyses", data="[" * 100_000 + "]" * 100_000, headers=admin,
                     content_type="application/json"), 400),
        (client.post("/api/analyses", data=json.dumps({"nomen": "60000001", "description": "x"})
                     .replace('"x"', '"\\ud800"'), headers=admin, content_type="application/json"), 400),
        (client.get('/api/anomalies?periode=2025-12&type=extreme&filters={"volume":{"conditions":5}}',
                    headers=admin), 400),
        (client.post("/api/analyses", data="x" * (2 * 1024 * 1024), headers=admin,
                     content_type="application/json"), 413),
    ]
    for answer, status in cases:
        assert answer.status_code == status, (answer.request.path, answer.get_data(as_text=True)[:200])
        body = answer.get_json()
        assert set(body) >= {"error", "detail"} and body["error"] != body["detail"]
    assert cases[0][0].headers["Allow"] == "GET, HEAD, OPTIONS"


CRAFTED = [
    {"output": 5}, {"output": "x.y", "outputs": [], "inputs": "nope"}, [], "text", {"output": "x.y"},
    {"output": "shell-content.children", "outputs": {"id": "shell-content", "property": "children"},
     "inputs": [{"id": "shell-tabs", "property": "active_tab", "value": {"a": 1}}], "changedPropIds": []},
    {"output": "shell-content.children", "outputs": {"id": "shell-content", "property": "children"},
     "inputs": [{"id": "shell-tabs", "property": "active_tab", "value": ["overview"]}], "changedPropIds": ["x"]},
    {"output": "..history-grid.rowData...history-alert.children..",
     "outputs": [{"id": "history-grid", "property": "rowData"}, {"id": "history-alert", "property": "children"}],
     "inputs": [{"id": "history-changed", "property": "data", "value": "\ud800"}], "changedPropIds": []},
    {"output": "upload-staged-grid.rowData", "outputs": {"id": "upload-staged-grid", "property": "rowData"},
     "inputs": [{"id": "upload-staged-grid", "property": "cellValueChanged", "value": [{"colId": 5}]}],
     "state": [{"id": "upload-staged-grid", "property": "rowData", "value": "x"},
               {"id": "upload-token", "property": "data", "value": 7}], "changedPropIds": []},
    # Fewer inputs and states than the callback takes (Dash's dispatcher raised IndexError: a 500).
    {"output": "..users-grid.rowData...users-alert.children...users-add-username.value...users-add-password.value..."
               "users-add-confirm.value...users-new-password.value...users-new-confirm.value..",
     "outputs": [{"id": i, "property": p} for i, p in (
         ("users-grid", "rowData"), ("users-alert", "children"), ("users-add-username", "value"),
         ("users-add-password", "value"), ("users-add-confirm", "value"), ("users-new-password", "value"),
         ("users-new-confirm", "value"))],
     "inputs": [{"id": "users-add-button", "property": "n_clicks", "value": 1}],
     "state": [{"id": "users-add-username", "property": "value", "value": "x"}], "changedPropIds": []},
]


@pytest.mark.parametrize("body", CRAFTED, ids=range(len(CRAFTED)))
def test_item_7_crafted_dash_bodies_are_no_500(client, users, log_in, body):
    log_in(client, *users["admin"])
    answer = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]


def test_item_7_unknown_component_files_are_404_without_a_traceback(client, caplog):
    answer = client.get("/_dash-component-suites/nothing/here.js")
    assert answer.status_code == 404
    assert not [r for r in caplog.records if r.exc_info]


def test_item_8_near_miss_paths_are_not_the_app_for_anyone(client):
    for path in ("/loginx", "/login/x"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")


def test_item_5_security_headers_on_every_response(client, users):
    for answer in (client.get("/login"), client.get("/api/periodes"), client.get("/api/periodes",
                                                                                  headers=basic(*users["viewer"]))):
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self' 'sha256-" in headers["Content-Security-Policy"]
        assert (headers["X-Content-Type-Options"], headers["Referrer-Policy"]) == ("nosniff", "same-origin")


def test_item_8_a_large_body_is_refused_before_it_is_read(client, users, engine):
    answer = client.post("/api/analyses", data=b"{" + b" " * (5 * 1024 * 1024), headers=basic(*users["viewer"]),
                         content_type="application/json")
    assert answer.status_code == 413
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "analysis_created")).scalar() == 0
