"""Tab "Pengguna" (admins): the accounts, adding one, and a selected one's role, password, status.

The rules (names, password length, no self-demotion, never without an active admin) live in
``sunter_dash/users.py``; the callbacks here check the permission, call those functions,
write the audit log and say what happened.
"""
from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, html, no_update
from flask_login import current_user

from .. import queries, users
from ..auth import audit, may
from ..components.grids import column, grid

TAB_ID = "users"
LABEL = "Pengguna"
PERMISSION = "manage_users"

ALERT = "users-alert"
GRID = "users-grid"
ADD_USERNAME = "users-add-username"
ADD_ROLE = "users-add-role"
ADD_PASSWORD = "users-add-password"
ADD_CONFIRM = "users-add-confirm"
ADD_BUTTON = "users-add-button"
SELECTED_NAME = "users-selected-name"
SELECTED_FIELDS = "users-selected-fields"
ROLE = "users-role"
ROLE_BUTTON = "users-role-button"
NEW_PASSWORD = "users-new-password"
NEW_CONFIRM = "users-new-confirm"
PASSWORD_BUTTON = "users-password-button"
RANDOM_BUTTON = "users-random-button"
DEACTIVATE_BUTTON = "users-deactivate-button"
REACTIVATE_BUTTON = "users-reactivate-button"
GENERATED_PASSWORD = "users-generated-password"

ROLE_LABELS = {"admin": "Admin", "viewer": "Viewer"}
ROLE_OPTIONS = [{"label": ROLE_LABELS[role], "value": role} for role in ("viewer", "admin")]
FORBIDDEN = "Hanya admin yang dapat mengelola pengguna."
NOTHING_SELECTED = "Pilih pengguna di tabel untuk mengubah peran, kata sandi atau statusnya."

COLUMNS = [
    column("username", "Nama pengguna", minWidth=160, filter=True),
    column("role_label", "Peran", minWidth=100, flex=0, width=120),
    column("status", "Status", minWidth=110, flex=0, width=120,
           cellClassRules={"users-inactive": "params.data.active === false"}),
    column("created_at", "Dibuat (UTC)", minWidth=150, flex=0, width=170),
]


def _field(label: str, control, help_text: str | None = None) -> html.Div:
    return html.Div([dbc.Label(label, html_for=control.id, className="users-label"), control,
                     dbc.FormText(help_text) if help_text else None], className="mb-2")


def _password(component_id: str, placeholder: str) -> dbc.Input:
    return dbc.Input(id=component_id, type="password", value="", placeholder=placeholder,
                     autocomplete="new-password", size="sm")


def add_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H5("Tambah pengguna", className="card-title"),
        _field("Nama pengguna", dbc.Input(id=ADD_USERNAME, value="", maxlength=64, autocomplete="off", size="sm"),
               "1–64 karakter: huruf, angka, titik, garis bawah, tanda hubung."),
        _field("Peran", dbc.Select(id=ADD_ROLE, options=ROLE_OPTIONS, value="viewer", size="sm")),
        _field("Kata sandi", _password(ADD_PASSWORD, "minimal 8 karakter")),
        _field("Ulangi kata sandi", _password(ADD_CONFIRM, "ketik sekali lagi")),
        dbc.Button([html.I(className="bi bi-person-plus me-1"), "Tambah pengguna"], id=ADD_BUTTON,
                   color="primary", size="sm", className="mt-1"),
    ]))


def selected_card() -> dbc.Card:
    at_bottom = "d-flex align-items-end gap-2 mb-2"
    fields = html.Fieldset([
        dbc.Row([
            dbc.Col(_field("Peran", dbc.Select(id=ROLE, options=ROLE_OPTIONS, size="sm")), sm=4),
            dbc.Col(dbc.Button("Ubah peran", id=ROLE_BUTTON, color="primary", outline=True, size="sm"),
                    width="auto", className=at_bottom),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(_field("Kata sandi baru", _password(NEW_PASSWORD, "minimal 8 karakter")), sm=4),
            dbc.Col(_field("Ulangi kata sandi", _password(NEW_CONFIRM, "ketik sekali lagi")), sm=4),
            dbc.Col([
                dbc.Button("Setel", id=PASSWORD_BUTTON, color="primary", outline=True, size="sm"),
                dbc.Button([html.I(className="bi bi-shuffle me-1"), "Buat acak"], id=RANDOM_BUTTON,
                           color="secondary", outline=True, size="sm"),
            ], width="auto", className=at_bottom),
        ], className="g-2"),
        html.Div([
            dbc.Button([html.I(className="bi bi-person-slash me-1"), "Nonaktifkan"], id=DEACTIVATE_BUTTON,
                       color="danger", outline=True, size="sm"),
            dbc.Button([html.I(className="bi bi-person-check me-1"), "Aktifkan kembali"], id=REACTIVATE_BUTTON,
                       color="success", outline=True, size="sm", style={"display": "none"}),
            html.Span("Pengguna nonaktif tidak dapat masuk; sesinya berakhir pada permintaan berikutnya.",
                      className="text-muted small"),
        ], className="users-status d-flex align-items-center gap-2 flex-wrap"),
    ], id=SELECTED_FIELDS, disabled=True)
    return dbc.Card(dbc.CardBody([
        html.Div([html.H5(["Pengguna terpilih: ", html.Span("—", id=SELECTED_NAME)], className="card-title mb-0"),
                  html.Span("Klik baris di tabel untuk memilih.", className="text-muted small")],
                 className="d-flex justify-content-between align-items-baseline mb-2"),
        fields,
    ]), className="mt-3")


def layout() -> html.Div:
    table = grid(GRID, COLUMNS,
                 rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True})
    table.getRowId = "params.data.username"  # keeps the selection when the rows are refreshed
    return html.Div([
        html.Div(id=ALERT),
        dbc.Row([
            dbc.Col([
                dbc.Card(dbc.CardBody([html.H5("Daftar pengguna", className="card-title"), table])),
                selected_card(),
            ], lg=8),
            dbc.Col(add_card(), lg=4),
        ], className="g-3"),
    ])


def rows() -> list[dict]:
    return [{"username": user["username"], "role": user["role"], "active": user["active"],
             "role_label": ROLE_LABELS.get(user["role"], user["role"]),
             "status": "Aktif" if user["active"] else "Nonaktif",
             "created_at": user["created_at"].strftime("%Y-%m-%d %H:%M") if user["created_at"] else None}
            for user in users.list_users(queries.engine())]


# --- the actions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Form:
    """What the page sent with a click."""

    add_username: str | None
    add_role: str | None
    add_password: str | None
    add_confirm: str | None
    selected: str | None  # the username of the selected row
    role: str | None
    new_password: str | None
    new_confirm: str | None


def notice(message, color: str = "success") -> dbc.Alert:
    icon = {"success": "bi-check-circle", "danger": "bi-exclamation-triangle"}.get(color, "bi-info-circle")
    return dbc.Alert([html.I(className=f"bi {icon} me-2"), html.Span(message)], color=color, dismissable=True,
                     className="d-flex align-items-center")


def add(form: Form) -> dbc.Alert:
    name = users.create_user(queries.engine(), form.add_username, form.add_role, form.add_password,
                             form.add_confirm)
    audit("user_created", detail=f"{name} (peran {form.add_role})")
    return notice(f"Pengguna {name} ditambahkan sebagai {ROLE_LABELS[form.add_role]}.")


def change_role(form: Form) -> dbc.Alert:
    before = users.set_role(queries.engine(), form.selected, form.role, acting=current_user.username)
    if before is None:
        return notice(f"{form.selected} sudah berperan {ROLE_LABELS[form.role]}.", "info")
    audit("user_role_changed", detail=f"{form.selected}: {before} -> {form.role}")
    return notice(f"Peran {form.selected} sekarang {ROLE_LABELS[form.role]}.")


def reset_password(form: Form) -> dbc.Alert:
    users.set_password(queries.engine(), form.selected, form.new_password, form.new_confirm)
    audit("user_password_reset", detail=form.selected)
    return notice(f"Kata sandi {form.selected} telah diganti.")


def generate_password(form: Form) -> dbc.Alert:
    password = users.random_password()
    users.set_password(queries.engine(), form.selected, password)
    audit("user_password_reset", detail=f"{form.selected} (acak)")
    # Shown this once: it is stored only as a hash, and the audit log never holds it.
    return notice([f"Kata sandi baru {form.selected}: ", html.Code(password, id=GENERATED_PASSWORD),
                 " — catat sekarang; kata sandi ini tidak akan ditampilkan lagi."], "warning")


def deactivate(form: Form) -> dbc.Alert:
    if not users.set_active(queries.engine(), form.selected, False, acting=current_user.username):
        return notice(f"{form.selected} sudah nonaktif.", "info")
    audit("user_deactivated", detail=form.selected)
    return notice(f"{form.selected} dinonaktifkan: tidak dapat masuk lagi.")


def reactivate(form: Form) -> dbc.Alert:
    if not users.set_active(queries.engine(), form.selected, True, acting=current_user.username):
        return notice(f"{form.selected} sudah aktif.", "info")
    audit("user_reactivated", detail=form.selected)
    return notice(f"{form.selected} diaktifkan kembali.")


ACTIONS = {ADD_BUTTON: add, ROLE_BUTTON: change_role, PASSWORD_BUTTON: reset_password,
           RANDOM_BUTTON: generate_password, DEACTIVATE_BUTTON: deactivate, REACTIVATE_BUTTON: reactivate}


def act(trigger: str | None, form: Form) -> tuple[dbc.Alert | None, bool]:
    """Run the clicked action: (what to say, whether it was done); (None, False) when nothing
    was clicked (the tab's first load)."""
    action = ACTIONS.get(trigger)
    if action is None:
        return None, False
    if action is not add and not form.selected:
        return notice(NOTHING_SELECTED, "warning"), False
    try:
        return action(form), True
    except users.UserError as exc:
        return notice(str(exc), "danger"), False


def selected_username(selected_rows) -> str | None:
    if isinstance(selected_rows, list) and selected_rows and isinstance(selected_rows[0], dict):
        name = selected_rows[0].get("username")
        return name if isinstance(name, str) else None
    return None


def register_callbacks(app: Dash) -> None:
    @app.callback(
        Output(GRID, "rowData"), Output(ALERT, "children"),
        Output(ADD_USERNAME, "value"), Output(ADD_PASSWORD, "value"), Output(ADD_CONFIRM, "value"),
        Output(NEW_PASSWORD, "value"), Output(NEW_CONFIRM, "value"),
        Input(ADD_BUTTON, "n_clicks"), Input(ROLE_BUTTON, "n_clicks"), Input(PASSWORD_BUTTON, "n_clicks"),
        Input(RANDOM_BUTTON, "n_clicks"), Input(DEACTIVATE_BUTTON, "n_clicks"),
        Input(REACTIVATE_BUTTON, "n_clicks"),
        State(ADD_USERNAME, "value"), State(ADD_ROLE, "value"), State(ADD_PASSWORD, "value"),
        State(ADD_CONFIRM, "value"), State(GRID, "selectedRows"), State(ROLE, "value"),
        State(NEW_PASSWORD, "value"), State(NEW_CONFIRM, "value"),
    )
    def update(_add, _role, _password, _random, _deactivate, _reactivate,
               add_username, add_role, add_password, add_confirm, selected_rows, role, new_password, new_confirm):
        # The server decides, not the tab list: anyone can POST to /_dash-update-component.
        if not may(PERMISSION):
            return [], notice(FORBIDDEN, "danger"), no_update, "", "", "", ""
        form = Form(add_username, add_role, add_password, add_confirm, selected_username(selected_rows), role,
                    new_password, new_confirm)
        clicked = ctx.triggered_id if ctx.triggered and ctx.triggered[0]["value"] else None
        alert, succeeded = act(clicked, form)
        # Passwords never stay in a field once sent; a refused name stays to be corrected.
        added = succeeded and clicked == ADD_BUTTON
        return rows(), alert, "" if added else no_update, "", "", "", ""

    @app.callback(
        Output(SELECTED_NAME, "children"), Output(ROLE, "value"), Output(SELECTED_FIELDS, "disabled"),
        Output(DEACTIVATE_BUTTON, "style"), Output(REACTIVATE_BUTTON, "style"),
        Input(GRID, "selectedRows"), Input(GRID, "rowData"),
    )
    def show_selected(selected_rows, row_data):
        if not may(PERMISSION):
            return "—", None, True, no_update, no_update
        name = selected_username(selected_rows)
        # The rows are fresher than the selection, which keeps the data of the moment it was clicked.
        user = next((r for r in row_data or [] if isinstance(r, dict) and r.get("username") == name), None)
        # Only the status change that applies is offered (nothing selected: "Nonaktifkan", disabled).
        hidden = {"display": "none"}
        if user is None:
            return "—", None, True, None, hidden
        active = bool(user.get("active"))
        return name, user.get("role"), False, None if active else hidden, hidden if active else None
