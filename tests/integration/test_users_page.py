"""Tab "Pengguna": the account services (services/users.py) with their guard rails, and
the tab's callbacks as the browser (or anyone) posts them, as an admin and as a viewer."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from sunter_dash.domain.errors import SunterError as UserError  # a rule of names, passwords or admins refused
from sunter_dash.ingest import ingest_file
from sunter_dash.models import AuditLog, User
from sunter_dash.queries import list_users
from sunter_dash.services import Actor
from sunter_dash.services.signin import verify_password
from sunter_dash.services.users import check_password, clean_username, set_active, set_password, set_role
from sunter_dash.services.users import create as create_user
from sunter_dash.services.users import upsert as upsert_user
from sunter_dash.tabs import users as tab

PASSWORD = "sandi-rahasia-1"


def by(username: str | None) -> Actor:
    """An admin acting (None: someone who is none of these users, the command line, say)."""
    return Actor(username, "admin")


def stored(engine) -> dict[str, tuple]:
    """Every account as the database holds it: name -> (role, active, password hash)."""
    with engine.connect() as conn:
        return {r.username: (r.role, r.active, r.password_hash)
                for r in conn.execute(select(User.username, User.role, User.active, User.password_hash))}


def user_events(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditLog.action, AuditLog.username, AuditLog.detail)
                                               .where(AuditLog.action.like("user_%")).order_by(AuditLog.id))]


# --- names and passwords -------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean", [
    ("rina", "rina"), ("  rina.s_2-b \n", "rina.s_2-b"), ("a", "a"), ("x" * 64, "x" * 64), ("ADMIN2", "ADMIN2"),
])
def test_a_username_is_trimmed(raw, clean):
    assert clean_username(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "x" * 65, "rina budi", "rina@pam", "rína", "а" + "dmin", "a/b", None, 7,
                                 ["rina"]])
def test_a_username_outside_the_rules_is_refused(raw):
    with pytest.raises(UserError, match="1–64 karakter"):
        clean_username(raw)


def test_a_password_needs_eight_characters_and_the_same_twice():
    assert check_password("12345678") == "12345678"
    assert check_password("12345678", "12345678") == "12345678"
    with pytest.raises(UserError, match="minimal 8 karakter"):
        check_password("1234567")
    with pytest.raises(UserError, match="minimal 8 karakter"):
        check_password(None)
    with pytest.raises(UserError, match="tidak sama"):
        check_password("12345678", "12345679")


# --- creating ------------------------------------------------------------------------------------

def test_create_user_stores_a_hash_that_verifies(engine):
    assert create_user(engine, by("admin"), "  rina ", "viewer", PASSWORD, PASSWORD) == "rina"
    role, active, password_hash = stored(engine)["rina"]
    assert (role, active) == ("viewer", True)
    assert password_hash != PASSWORD and PASSWORD not in password_hash
    assert verify_password(engine, "rina", PASSWORD).role == "viewer"
    assert verify_password(engine, "rina", PASSWORD + "x") is None
    assert [u["username"] for u in list_users(engine)] == ["rina"]
    assert list_users(engine)[0]["created_at"] is not None


@pytest.mark.parametrize("name", ["admin", " admin ", "Admin", "ADMIN"])
def test_create_user_never_overwrites_an_existing_name(engine, users, name):
    before = stored(engine)
    with pytest.raises(UserError, match="sudah ada"):
        create_user(engine, by("admin"), name, "viewer", "another-pass-1", "another-pass-1")
    assert stored(engine) == before
    assert verify_password(engine, "admin", users["admin"][1]) is not None


@pytest.mark.parametrize("role, password, confirm, message", [
    ("root", PASSWORD, PASSWORD, "Peran harus"),
    ("viewer", "pendek", "pendek", "minimal 8 karakter"),
    ("viewer", PASSWORD, PASSWORD + "!", "tidak sama"),
])
def test_create_user_refuses_a_bad_role_or_password(engine, role, password, confirm, message):
    with pytest.raises(UserError, match=message):
        create_user(engine, by("admin"), "rina", role, password, confirm)
    assert stored(engine) == {}


def test_upsert_user_still_creates_and_updates(engine):
    assert upsert_user(engine, "rina", "viewer", PASSWORD) is True
    assert upsert_user(engine, "rina", "admin", "sandi-baru-22") is False
    assert verify_password(engine, "rina", "sandi-baru-22").role == "admin"


# --- password, role, status ----------------------------------------------------------------------

def test_set_password_replaces_the_hash(engine, users):
    old_hash = stored(engine)["viewer"][2]
    set_password(engine, by("admin"), "viewer", "sandi-baru-22", "sandi-baru-22")
    new_hash = stored(engine)["viewer"][2]
    assert new_hash not in (old_hash, "sandi-baru-22")
    assert verify_password(engine, "viewer", "sandi-baru-22") is not None
    assert verify_password(engine, "viewer", users["viewer"][1]) is None
    with pytest.raises(UserError, match="minimal 8 karakter"):
        set_password(engine, by("admin"), "viewer", "1234567")
    with pytest.raises(UserError, match="tidak ditemukan"):
        set_password(engine, by("admin"), "nobody", "sandi-baru-22")
    assert stored(engine)["viewer"][2] == new_hash


def test_set_role_returns_the_previous_role(engine, users):
    assert set_role(engine, by("admin"), "viewer", "admin") == "viewer"
    assert set_role(engine, by("admin"), "viewer", "admin") is None
    assert set_role(engine, by("admin"), "viewer", "viewer") == "admin"
    with pytest.raises(UserError, match="Peran harus"):
        set_role(engine, by("admin"), "viewer", "superuser")
    with pytest.raises(UserError, match="tidak ditemukan"):
        set_role(engine, by("admin"), "nobody", "admin")


def test_an_admin_cannot_demote_or_deactivate_themself(engine, users):
    upsert_user(engine, "admin2", "admin", PASSWORD)  # not the last admin: only the self rule applies
    with pytest.raises(UserError, match="menurunkan peran akun Anda sendiri"):
        set_role(engine, by("admin"), "admin", "viewer")
    with pytest.raises(UserError, match="menonaktifkan akun Anda sendiri"):
        set_active(engine, by("admin"), "admin", False)
    assert stored(engine)["admin"][:2] == ("admin", True)
    # Changing one's own password, or re-saving one's own role, is fine.
    assert set_role(engine, by("admin"), "admin", "admin") is None
    set_password(engine, by("admin"), "admin", "sandi-baru-22")


def test_the_last_active_admin_stays_an_active_admin(engine, users):
    with pytest.raises(UserError, match="admin aktif terakhir: perannya tidak dapat diubah"):
        set_role(engine, by(None), "admin", "viewer")
    with pytest.raises(UserError, match="admin aktif terakhir: tidak dapat dinonaktifkan"):
        set_active(engine, by("someone-else"), "admin", False)
    # An inactive admin does not count as a second one.
    upsert_user(engine, "admin2", "admin", PASSWORD)
    set_active(engine, by(None), "admin2", False)
    with pytest.raises(UserError, match="admin aktif terakhir"):
        set_role(engine, by(None), "admin", "viewer")
    assert stored(engine)["admin"][:2] == ("admin", True)
    # One more active admin, and the first may go.
    set_active(engine, by(None), "admin2", True)
    assert set_role(engine, by(None), "admin", "viewer") == "admin"
    with pytest.raises(UserError, match="admin aktif terakhir"):
        set_active(engine, by(None), "admin2", False)


def test_an_inactive_admin_may_be_demoted_and_a_viewer_deactivated(engine, users):
    upsert_user(engine, "admin2", "admin", PASSWORD)
    assert set_active(engine, by("admin"), "admin2", False) is True
    assert set_active(engine, by("admin"), "admin2", False) is False
    assert set_role(engine, by(None), "admin2", "viewer") == "admin"  # takes no active admin away
    assert set_active(engine, by("admin"), "viewer", False) is True


def test_a_deactivated_user_cannot_log_in_until_reactivated(engine, users):
    set_active(engine, by("admin"), "viewer", False)
    assert verify_password(engine, *users["viewer"]) is None
    assert set_active(engine, by("admin"), "viewer", True) is True
    assert verify_password(engine, *users["viewer"]) is not None


def test_a_deactivated_user_is_told_so_only_after_the_right_password(client, engine, users, log_in):
    set_active(engine, by("admin"), "viewer", False)
    wrong = log_in(client, "viewer", "bukan-sandinya")
    assert wrong.status_code == 401 and "Nama pengguna atau kata sandi salah" in wrong.get_data(as_text=True)
    assert "nonaktif" not in wrong.get_data(as_text=True)
    right = log_in(client, *users["viewer"])
    assert right.status_code == 403
    assert "Akun ini nonaktif. Hubungi admin cabang" in right.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401  # not signed in
    with engine.connect() as conn:
        assert conn.execute(select(AuditLog.action, AuditLog.username, AuditLog.detail)
                            .order_by(AuditLog.id.desc()).limit(1)).one() == ("login_failed", "viewer", "akun nonaktif")


# --- the tab's callbacks, posted as the browser does --------------------------------------------

# Each action's input: a button's clicks, or for deactivation the confirmation's (a click, then OK).
BUTTONS = [tab.ADD_BUTTON, tab.ROLE_BUTTON, tab.PASSWORD_BUTTON, tab.RANDOM_BUTTON, tab.DEACTIVATE_CONFIRM,
           tab.REACTIVATE_BUTTON, tab.END_SESSIONS_BUTTON]


def clicks(button: str) -> str:
    return "submit_n_clicks" if button == tab.DEACTIVATE_CONFIRM else "n_clicks"
STATES = [("add_username", tab.ADD_USERNAME, "value"), ("add_role", tab.ADD_ROLE, "value"),
          ("add_petugas", tab.ADD_PETUGAS, "value"),
          ("add_password", tab.ADD_PASSWORD, "value"), ("add_confirm", tab.ADD_CONFIRM, "value"),
          ("selected", tab.GRID, "selectedRows"), ("role", tab.ROLE, "value"), ("petugas", tab.PETUGAS, "value"),
          ("new_password", tab.NEW_PASSWORD, "value"), ("new_confirm", tab.NEW_CONFIRM, "value")]
OUTPUTS = [(tab.GRID, "rowData"), (tab.ALERT, "children"), (tab.ADD_USERNAME, "value"),
           (tab.ADD_PASSWORD, "value"), (tab.ADD_CONFIRM, "value"), (tab.NEW_PASSWORD, "value"),
           (tab.NEW_CONFIRM, "value")]


def refused(client, button: str | None, **form) -> bool:
    """Whether the tab's action callback, posted as ``click`` does, is refused before it runs
    (403), with no user's name in the answer."""
    response = client.post("/_dash-update-component", json=action_body(button, **form))
    return response.status_code == 403 and "admin" not in response.get_data(as_text=True).replace(
        "Anda tidak berhak", "")


def action_body(button: str | None, **form) -> dict:
    if form.get("selected"):
        form["selected"] = [{"username": form["selected"]}]
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in OUTPUTS],
        "inputs": [{"id": b, "property": clicks(b), "value": 1 if b == button else None} for b in BUTTONS],
        "state": [{"id": i, "property": p, "value": form.get(name)} for name, i, p in STATES],
        "changedPropIds": [f"{button}.{clicks(button)}"] if button else [],
    }
    return body


def click(client, button: str | None, **form):
    """Post the tab's action callback: ``button`` clicked (None: the tab's first load), the form's
    fields as given (``selected`` a username, sent as the grid's selected row)."""
    response = client.post("/_dash-update-component", json=action_body(button, **form))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()["response"]
    alert = json.dumps(answer[tab.ALERT]["children"], ensure_ascii=False)
    return answer[tab.GRID]["rowData"], alert, answer


def find_component(tree, component_id: str) -> dict | None:
    """The component with this id in a layout as Dash sends it."""
    if isinstance(tree, list):
        return next((found for item in tree if (found := find_component(item, component_id))), None)
    if isinstance(tree, dict) and "props" in tree:
        if tree["props"].get("id") == component_id:
            return tree
        return find_component(tree["props"].get("children"), component_id)
    return None


def grid_row(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if r["username"] == name)


@pytest.fixture
def as_admin(client, users, log_in):
    log_in(client, *users["admin"])
    return client


def test_admin_sees_every_user_on_the_first_load(as_admin):
    rows, alert, _ = click(as_admin, None)
    assert [(r["username"], r["role_label"], r["status"]) for r in rows] == [
        ("admin", "Admin", "Aktif"), ("viewer", "Viewer", "Aktif")]
    assert rows[0]["created_at"][:2] == "20" and "password_hash" not in rows[0]
    assert alert == "null"


def test_admin_adds_a_user(as_admin, engine):
    rows, alert, answer = click(as_admin, tab.ADD_BUTTON, add_username=" rina ", add_role="viewer",
                                add_password=PASSWORD, add_confirm=PASSWORD)
    assert "Pengguna rina ditambahkan sebagai Viewer" in alert
    assert grid_row(rows, "rina")["status"] == "Aktif"
    assert verify_password(engine, "rina", PASSWORD).role == "viewer"
    # The form is emptied, passwords first of all.
    assert [answer[i]["value"] for i in (tab.ADD_USERNAME, tab.ADD_PASSWORD, tab.ADD_CONFIRM)] == ["", "", ""]
    assert user_events(engine) == [("user_created", "admin", "rina (peran Viewer)")]


def test_admin_adds_a_petugas_linked_to_an_officer_of_rute(as_admin, engine, tmp_path):
    rute = tmp_path / "RUTE_2025-12.csv"
    rute.write_text("PCEZ;PETUGAS\n151/10; Andi \n", encoding="utf-8")
    assert ingest_file(engine, rute).status == "loaded"
    _, alert, _ = click(as_admin, tab.ADD_BUTTON, add_username="budi", add_role="petugas", add_petugas="BUDI",
                        add_password=PASSWORD, add_confirm=PASSWORD)
    assert "Tidak ada RUTE dengan petugas 'BUDI'" in alert
    rows, alert, _ = click(as_admin, tab.ADD_BUTTON, add_username="andi", add_role="petugas", add_petugas="ANDI",
                           add_password=PASSWORD, add_confirm=PASSWORD)
    assert "Pengguna andi ditambahkan sebagai Petugas (ANDI)" in alert
    assert (grid_row(rows, "andi")["role_label"], grid_row(rows, "andi")["petugas"]) == ("Petugas", "ANDI")
    assert user_events(engine) == [("user_created", "admin", "andi (peran Petugas, petugas ANDI)")]
    _, alert, _ = click(as_admin, tab.ROLE_BUTTON, selected="andi", role="viewer")
    assert "Peran andi sekarang Viewer" in alert
    assert grid_row(click(as_admin, None)[0], "andi")["petugas"] is None


def test_the_add_form_refuses_an_existing_name_and_keeps_it_to_correct(as_admin, engine):
    before = stored(engine)
    _, alert, answer = click(as_admin, tab.ADD_BUTTON, add_username="viewer", add_role="admin",
                             add_password=PASSWORD, add_confirm=PASSWORD)
    assert 'Nama pengguna \\"viewer\\" sudah ada' in alert
    assert stored(engine) == before
    assert tab.ADD_USERNAME not in answer  # no_update: the name stays in the field
    assert answer[tab.ADD_PASSWORD]["value"] == ""
    assert user_events(engine) == []


def test_the_add_form_refuses_different_passwords(as_admin, engine):
    _, alert, _ = click(as_admin, tab.ADD_BUTTON, add_username="rina", add_role="viewer",
                        add_password=PASSWORD, add_confirm=PASSWORD + "x")
    assert "Kedua kata sandi tidak sama" in alert
    assert "rina" not in stored(engine)


def test_admin_changes_a_role(as_admin, engine):
    rows, alert, _ = click(as_admin, tab.ROLE_BUTTON, selected="viewer", role="admin")
    assert "Peran viewer sekarang Admin" in alert
    assert grid_row(rows, "viewer")["role_label"] == "Admin"
    assert stored(engine)["viewer"][0] == "admin"
    assert user_events(engine) == [("user_role_changed", "admin", "viewer: Viewer → Admin")]


def test_admin_cannot_demote_themself_through_the_page(as_admin, engine):
    _, alert, _ = click(as_admin, tab.ROLE_BUTTON, selected="admin", role="viewer")
    assert "Anda tidak dapat menurunkan peran akun Anda sendiri" in alert
    _, alert, _ = click(as_admin, tab.DEACTIVATE_CONFIRM, selected="admin")
    assert "Anda tidak dapat menonaktifkan akun Anda sendiri" in alert
    assert stored(engine)["admin"][:2] == ("admin", True)
    assert user_events(engine) == []


def test_an_action_without_a_selected_user_says_so(as_admin, engine):
    before = stored(engine)
    _, alert, _ = click(as_admin, tab.DEACTIVATE_CONFIRM)
    assert "Pilih pengguna di tabel" in alert
    assert stored(engine) == before


def test_admin_resets_a_password(as_admin, engine, users):
    _, alert, answer = click(as_admin, tab.PASSWORD_BUTTON, selected="viewer", new_password="sandi-baru-22",
                             new_confirm="sandi-baru-22")
    assert "Kata sandi viewer telah diganti" in alert
    assert verify_password(engine, "viewer", "sandi-baru-22") is not None
    assert verify_password(engine, *users["viewer"]) is None
    assert answer[tab.NEW_PASSWORD]["value"] == answer[tab.NEW_CONFIRM]["value"] == ""
    assert user_events(engine) == [("user_password_reset", "admin", "viewer")]


def test_a_generated_password_is_shown_once_and_never_logged(as_admin, engine):
    _, alert, answer = click(as_admin, tab.RANDOM_BUTTON, selected="viewer")
    password = find_component(answer[tab.ALERT]["children"], tab.GENERATED_PASSWORD)["props"]["children"]
    assert len(password) >= 12 and "tidak akan ditampilkan lagi" in alert
    assert verify_password(engine, "viewer", password) is not None
    assert user_events(engine) == [("user_password_reset", "admin", "viewer (acak)")]
    with engine.connect() as conn:
        assert not any(password in (d or "") for d in conn.scalars(select(AuditLog.detail)))


def test_deactivating_ends_the_users_session_and_logins(app, as_admin, engine, users, log_in):
    theirs = app.server.test_client()
    log_in(theirs, *users["viewer"])
    assert theirs.get("/_dash-layout").status_code == 200

    rows, alert, _ = click(as_admin, tab.DEACTIVATE_CONFIRM, selected="viewer")
    assert "viewer dinonaktifkan" in alert
    assert grid_row(rows, "viewer")["status"] == "Nonaktif"
    assert theirs.get("/_dash-layout").status_code == 401  # the next request of their open session
    assert log_in(app.server.test_client(), *users["viewer"]).status_code == 403  # "Akun ini nonaktif"

    rows, alert, _ = click(as_admin, tab.REACTIVATE_BUTTON, selected="viewer")
    assert "viewer diaktifkan kembali" in alert and grid_row(rows, "viewer")["status"] == "Aktif"
    assert log_in(app.server.test_client(), *users["viewer"]).status_code == 302
    assert user_events(engine) == [("user_deactivated", "admin", "viewer"),
                                   ("user_reactivated", "admin", "viewer")]


def test_a_demoted_admin_loses_the_tab_at_the_next_request(app, as_admin, engine, users, log_in):
    upsert_user(engine, "admin2", "admin", PASSWORD)
    theirs = app.server.test_client()
    log_in(theirs, "admin2", PASSWORD)
    assert click(theirs, None)[0]
    click(as_admin, tab.ROLE_BUTTON, selected="admin2", role="viewer")
    # A new role ends their sessions everywhere (issue 14); signed in again, they are a viewer.
    assert theirs.post("/_dash-update-component", json={}).status_code == 401
    log_in(theirs, "admin2", PASSWORD)
    assert refused(theirs, None)


# --- a viewer's crafted requests ----------------------------------------------------------------

VIEWER_ATTEMPTS = [
    (None, {}),
    (tab.ADD_BUTTON, {"add_username": "mallory", "add_role": "admin", "add_password": PASSWORD,
                      "add_confirm": PASSWORD}),
    (tab.ROLE_BUTTON, {"selected": "viewer", "role": "admin"}),
    (tab.PASSWORD_BUTTON, {"selected": "admin", "new_password": PASSWORD, "new_confirm": PASSWORD}),
    (tab.RANDOM_BUTTON, {"selected": "admin"}),
    (tab.DEACTIVATE_CONFIRM, {"selected": "admin"}),
    (tab.REACTIVATE_BUTTON, {"selected": "viewer"}),
]


@pytest.mark.parametrize("button, form", VIEWER_ATTEMPTS, ids=[b or "load" for b, _ in VIEWER_ATTEMPTS])
def test_a_viewers_crafted_request_is_refused_and_changes_nothing(client, engine, users, log_in, button, form):
    if button == tab.REACTIVATE_BUTTON:
        upsert_user(engine, "admin2", "admin", PASSWORD)
        set_active(engine, by(None), "admin2", False)
        form = {"selected": "admin2"}
        with engine.begin() as conn:  # the setup's own event: only the refused request is looked at below
            conn.execute(delete(AuditLog))
    log_in(client, *users["viewer"])
    before = stored(engine)
    assert refused(client, button, **form)
    assert stored(engine) == before
    assert user_events(engine) == []


def test_a_viewer_gets_no_selected_user_back(client, users, log_in):
    log_in(client, *users["viewer"])
    body = {"output": "..users-selected-name.children...users-role.value...users-petugas.value..."
                      "users-selected-fields.disabled...users-deactivate-button.style...users-reactivate-button.style..."
                      "users-deactivate-confirm.message..",
            "outputs": [{"id": tab.SELECTED_NAME, "property": "children"}, {"id": tab.ROLE, "property": "value"},
                        {"id": tab.PETUGAS, "property": "value"},
                        {"id": tab.SELECTED_FIELDS, "property": "disabled"},
                        {"id": tab.DEACTIVATE_BUTTON, "property": "style"},
                        {"id": tab.REACTIVATE_BUTTON, "property": "style"},
                        {"id": tab.DEACTIVATE_CONFIRM, "property": "message"}],
            "inputs": [{"id": tab.GRID, "property": "selectedRows", "value": [{"username": "admin"}]},
                       {"id": tab.GRID, "property": "rowData",
                        "value": [{"username": "admin", "role": "admin", "active": True}]}],
            "changedPropIds": [f"{tab.GRID}.selectedRows"]}
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 403 and "admin" not in answer.get_data(as_text=True)  # no name, no data


def test_a_viewer_is_not_offered_the_tab_nor_served_its_layout(client, users, log_in):
    log_in(client, *users["viewer"])
    assert '"tab_id":"users"' not in client.get("/_dash-layout").get_data(as_text=True).replace(" ", "")
    body = {"output": "shell-content.children", "outputs": {"id": "shell-content", "property": "children"},
            "inputs": [{"id": "shell-tabs", "property": "active_tab", "value": "users"}],
            "changedPropIds": ["shell-tabs.active_tab"]}
    assert tab.GRID not in client.post("/_dash-update-component", json=body).get_data(as_text=True)
