"""The guard in front of every route, the login form, roles enforced on the server, the audit log."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sunter_dash.models import AuditLog, LoginAttempt
from sunter_dash.services.signin import PER_USER_AND_ADDRESS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic  # noqa: E402


def dash_post(client, output: str, inputs: list[dict], changed: list[str]):
    """A request to /_dash-update-component as the browser sends it (or as anyone can craft it)."""
    body = {"output": output, "outputs": {"id": output.split(".")[0], "property": output.split(".")[1]},
            "inputs": inputs, "changedPropIds": changed}
    return client.post("/_dash-update-component", json=body)


def audit_actions(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(AuditLog.action, AuditLog.username).order_by(AuditLog.id))]


# --- anonymous ------------------------------------------------------------------------------

def test_anonymous_page_is_sent_to_the_login_form(client):
    response = client.get("/?periode=2025-12")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/?periode%3D2025-12"


@pytest.mark.parametrize("method, path", [
    ("get", "/_dash-layout"), ("get", "/_dash-dependencies"), ("post", "/_dash-update-component"),
])
def test_anonymous_dash_routes_get_401(client, method, path):
    response = getattr(client, method)(path, json={} if method == "post" else None)
    assert response.status_code == 401
    assert "masuk" in response.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/periodes", "/api/kpi?periode=2025-12", "/api/openapi.json",
                                  "/api/export/kpi-rayon.csv?periode=2025-12", "/api/nothing"])
def test_anonymous_api_gets_401_with_a_basic_challenge(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_static_files_and_the_login_page_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/assets/10-sunter.css").status_code == 200


# --- the login form --------------------------------------------------------------------------

def test_login_with_the_right_password_opens_the_app_where_it_was_asked(client, users, engine, log_in):
    response = log_in(client, *users["admin"], next_path="/%3Fperiode%3D2025-11")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?periode=2025-11"
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    assert "admin" in layout.get_data(as_text=True)
    assert ("login", "admin") in audit_actions(engine)


def test_wrong_password_gets_401_and_is_audited(client, users, engine, log_in):
    response = log_in(client, "admin", "not-the-password")
    assert response.status_code == 401
    assert "salah" in response.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    assert audit_actions(engine) == [("login_failed", "admin")]


def test_login_without_the_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "admin", "password": users["admin"][1]})
    assert response.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, users, target, csrf_token):
    response = client.post(f"/login?next={target}", data={
        "username": "admin", "password": users["admin"][1], "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_repeated_failures_are_slowed_per_user_and_address(client, users, engine, log_in, log_out):
    for _ in range(PER_USER_AND_ADDRESS):
        assert log_in(client, "admin", "wrong").status_code == 401
    # The next try, even with the right password, must wait, and is told how long.
    blocked = log_in(client, *users["admin"])
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 800
    assert "Coba lagi dalam" in blocked.get_data(as_text=True)
    # Another user from the same address is not held up.
    assert log_in(client, *users["viewer"]).status_code == 302
    # Once the window has passed, the right password works again.
    with engine.begin() as conn:
        conn.execute(update(LoginAttempt).values(created_at=LoginAttempt.created_at - dt.timedelta(minutes=16)))
    log_out(client)
    assert log_in(client, *users["admin"]).status_code == 302


def test_logout_ends_the_session(client, users, engine, log_in, log_out):
    log_in(client, *users["viewer"])
    assert client.get("/_dash-layout").status_code == 200
    # A GET (a link from another site) only offers the button.
    assert client.get("/logout").status_code == 200 and client.get("/_dash-layout").status_code == 200
    assert client.post("/logout").status_code == 400  # no CSRF token: not signed out
    assert client.get("/_dash-layout").status_code == 200
    assert log_out(client).status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    assert audit_actions(engine)[-1] == ("logout", "viewer")


def test_session_cookie_is_http_only_and_same_site(client, users, log_in):
    response = log_in(client, *users["viewer"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- roles -----------------------------------------------------------------------------------

def test_viewer_is_not_offered_the_audit_tab(client, users, log_in, log_out):
    log_in(client, *users["viewer"])
    assert '"tab_id":"audit"' not in client.get("/_dash-layout").get_data(as_text=True).replace(" ", "")
    log_out(client)
    log_in(client, *users["admin"])
    assert '"tab_id":"audit"' in client.get("/_dash-layout").get_data(as_text=True).replace(" ", "")


def test_viewer_crafted_requests_for_the_audit_log_get_nothing(client, users, engine, log_in, log_out):
    log_in(client, *users["admin"])  # something to hide
    log_out(client)
    log_in(client, *users["viewer"])
    body = {"output": "..audit-grid.rowData...audit-alert.children..",
            "outputs": [{"id": "audit-grid", "property": "rowData"}, {"id": "audit-alert", "property": "children"}],
            "inputs": [{"id": "shell-tabs", "property": "active_tab", "value": "audit"}],
            "changedPropIds": ["shell-tabs.active_tab"]}
    grid = client.post("/_dash-update-component", json=body)
    # Refused before the callback runs: the audit tab's callbacks answer only who may open it.
    assert grid.status_code == 403
    assert grid.get_json() == {"error": "Anda tidak berhak membuka bagian ini.",
                               "detail": "Not allowed: this callback needs 'audit'.", "field": None}
    # Asking the shell for the audit tab's layout gives the first tab instead.
    tab = dash_post(client, "shell-content.children",
                    [{"id": "shell-tabs", "property": "active_tab", "value": "audit"}], ["shell-tabs.active_tab"])
    assert "audit-grid" not in tab.get_data(as_text=True)
    assert "overview-cards" in tab.get_data(as_text=True)


def test_admin_reads_the_audit_log(client, users, log_in):
    log_in(client, "viewer", "wrong")
    log_in(client, *users["admin"])
    body = {"output": "..audit-grid.rowData...audit-alert.children..",
            "outputs": [{"id": "audit-grid", "property": "rowData"}, {"id": "audit-alert", "property": "children"}],
            "inputs": [{"id": "shell-tabs", "property": "active_tab", "value": "audit"}],
            "changedPropIds": ["shell-tabs.active_tab"]}
    rows = client.post("/_dash-update-component", json=body).get_json()["response"]["audit-grid"]["rowData"]
    assert [(r["action_label"], r["username"]) for r in rows] == [("Masuk", "admin"), ("Gagal masuk", "viewer")]
    assert rows[0]["address"] == "127.0.0.1"


def test_viewer_reads_every_page_and_endpoint(client, users, log_in):
    log_in(client, *users["viewer"])
    for tab in ("ringkasan", "tunggakan", "penagihan", "tren", "status"):
        response = dash_post(client, "shell-content.children",
                             [{"id": "shell-tabs", "property": "active_tab", "value": tab}],
                             ["shell-tabs.active_tab"])
        assert response.status_code == 200, tab
    for path in ("/api/periodes", "/api/kpi?periode=2025-12", "/api/arrears/summary?periode=2025-12",
                 "/api/kpi/petugas?periode=2025-12", "/api/collection/unpaid?periode=2025-12",
                 "/api/promises?periode=2025-12"):
        assert client.get(path).status_code == 200, path
        assert client.get(path, headers=basic(*users["viewer"])).status_code == 200, path


def test_api_writes_need_the_admin_role(client, users):
    viewer = client.delete("/api/uploads/1", headers=basic(*users["viewer"]))
    assert viewer.status_code == 403
    assert "may not change data" in viewer.get_json()["detail"]
