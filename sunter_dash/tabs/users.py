"""Tab "Pengguna" (admins): the accounts, adding one, and a selected one's role, password, status.

The rules (names, password length, no self-demotion, never without an active admin) and the
audit live in services/users.py; the callbacks here call it and say what happened.
"""
from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from .. import queries
from ..auth import current_actor
from ..components.forms import field, notice, password
from ..components.grids import column, grid
from ..domain.clock import wall
from ..domain.errors import SunterError
from ..domain.roles import ROLE_LABELS
from ..extensions import app_engine, branch_zone
from ..services import signin, users
from .base import Tab

TAB_ID = "users"
LABEL = "Pengguna"
PERMISSION = "manage_users"

ALERT = "users-alert"
GRID = "users-grid"
ADD_USERNAME = "users-add-username"
ADD_ROLE = "users-add-role"
ADD_PETUGAS = "users-add-petugas"
ADD_PASSWORD = "users-add-password"
ADD_CONFIRM = "users-add-confirm"
ADD_BUTTON = "users-add-button"
SELECTED_NAME = "users-selected-name"
SELECTED_FIELDS = "users-selected-fields"
ROLE = "users-role"
PETUGAS = "users-petugas"
ROLE_BUTTON = "users-role-button"
NEW_PASSWORD = "users-new-password"
NEW_CONFIRM = "users-new-confirm"
PASSWORD_BUTTON = "users-password-button"
RANDOM_BUTTON = "users-random-button"
DEACTIVATE_BUTTON = "users-deactivate-button"
DEACTIVATE_CONFIRM = "users-deactivate-confirm"  # asks before a user is deactivated
INERT = {"pointerEvents": "none", "opacity": .5}
REACTIVATE_BUTTON = "users-reactivate-button"
END_SESSIONS_BUTTON = "users-end-sessions-button"
GENERATED_PASSWORD = "users-generated-password"

ROLE_OPTIONS = [{"label": ROLE_LABELS[role], "value": role} for role in ("viewer", "admin", "petugas")]
OFFICER_HELP = "Untuk peran Petugas: nama petugas di RUTE; ia hanya melihat pelanggan PCEZ-nya."
NOTHING_SELECTED = "Pilih pengguna di tabel untuk mengubah peran, kata sandi atau statusnya."

COLUMNS = [
    column("username", "Nama pengguna", minWidth=160, filter=True),
    column("role_label", "Peran", minWidth=100, flex=0, width=120),
    column("petugas", "Petugas", minWidth=120, flex=0, width=140),
    column("status", "Status", minWidth=110, flex=0, width=120,
           cellClassRules={"users-inactive": "params.data.active === false"}),
    column("created_at", "Dibuat", minWidth=160, flex=0, width=170),
]


def officer_options() -> list[dict]:
    """The officer names of the stored RUTEs, for a petugas (none for the other roles)."""
    return [{"label": "—", "value": ""}] + [{"label": name, "value": name}
                                           for name in queries.officer_names(app_engine())]


def add_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H5("Tambah pengguna", className="card-title"),
        field("Nama pengguna", dbc.Input(id=ADD_USERNAME, value="", maxlength=64, autocomplete="off", size="sm"),
               "1–64 karakter: huruf, angka, titik, garis bawah, tanda hubung."),
        field("Peran", dbc.Select(id=ADD_ROLE, options=ROLE_OPTIONS, value="viewer", size="sm")),
        field("Petugas", dbc.Select(id=ADD_PETUGAS, options=officer_options(), value="", size="sm"), OFFICER_HELP),
        field("Kata sandi", password(ADD_PASSWORD, "minimal 8 karakter")),
        field("Ulangi kata sandi", password(ADD_CONFIRM, "ketik sekali lagi")),
        dbc.Button([html.I(className="bi bi-person-plus me-1"), "Tambah pengguna"], id=ADD_BUTTON,
                   color="primary", size="sm", className="mt-1"),
    ]))


def selected_card() -> dbc.Card:
    at_bottom = "d-flex align-items-end gap-2 mb-2"
    fields = html.Fieldset([
        dbc.Row([
            dbc.Col(field("Peran", dbc.Select(id=ROLE, options=ROLE_OPTIONS, size="sm")), sm=4),
            dbc.Col(field("Petugas", dbc.Select(id=PETUGAS, options=officer_options(), value="", size="sm")), sm=4),
            dbc.Col(dbc.Button("Ubah peran", id=ROLE_BUTTON, color="primary", outline=True, size="sm"),
                    width="auto", className=at_bottom),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(field("Kata sandi baru", password(NEW_PASSWORD, "minimal 8 karakter")), sm=4),
            dbc.Col(field("Ulangi kata sandi", password(NEW_CONFIRM, "ketik sekali lagi")), sm=4),
            dbc.Col([
                dbc.Button("Setel", id=PASSWORD_BUTTON, color="primary", outline=True, size="sm"),
                dbc.Button([html.I(className="bi bi-shuffle me-1"), "Buat acak"], id=RANDOM_BUTTON,
                           color="secondary", outline=True, size="sm"),
            ], width="auto", className=at_bottom),
        ], className="g-2"),
        html.Div([
            dcc.ConfirmDialogProvider(
                dbc.Button([html.I(className="bi bi-person-slash me-1"), "Nonaktifkan"], id=DEACTIVATE_BUTTON,
                           color="danger", outline=True, size="sm"),
                id=DEACTIVATE_CONFIRM, message="Nonaktifkan pengguna ini?"),
            dbc.Button([html.I(className="bi bi-person-check me-1"), "Aktifkan kembali"], id=REACTIVATE_BUTTON,
                       color="success", outline=True, size="sm", style={"display": "none"}),
            dbc.Button([html.I(className="bi bi-box-arrow-right me-1"), "Akhiri semua sesi"],
                       id=END_SESSIONS_BUTTON, color="secondary", outline=True, size="sm",
                       title="Keluarkan pengguna ini dari semua perangkat; ia perlu masuk lagi"),
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
    return [{"username": user["username"], "role": user["role"], "petugas": user["petugas"], "active": user["active"],
             "role_label": ROLE_LABELS.get(user["role"], user["role"]),
             "status": "Aktif" if user["active"] else "Nonaktif",
             "created_at": wall(user["created_at"], branch_zone())}
            for user in queries.list_users(app_engine())]


# --- the actions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Form:
    """What the page sent with a click."""

    add_username: str | None
    add_role: str | None
    add_petugas: str | None
    add_password: str | None
    add_confirm: str | None
    selected: str | None  # the username of the selected row
    role: str | None
    petugas: str | None
    new_password: str | None
    new_confirm: str | None


def add(form: Form) -> dbc.Alert:
    name = users.create(app_engine(), current_actor(), form.add_username, form.add_role, form.add_password,
                        form.add_confirm, form.add_petugas)
    linked = f" ({form.add_petugas})" if form.add_role == "petugas" else ""
    return notice(f"Pengguna {name} ditambahkan sebagai {ROLE_LABELS[form.add_role]}{linked}.")


def change_role(form: Form) -> dbc.Alert:
    before = users.set_role(app_engine(), current_actor(), form.selected, form.role, form.petugas)
    linked = f" ({form.petugas})" if form.role == "petugas" else ""
    if before is None:
        return notice(f"{form.selected} sudah berperan {ROLE_LABELS[form.role]}{linked}.", "info")
    return notice(f"Peran {form.selected} sekarang {ROLE_LABELS[form.role]}{linked}.")


def reset_password(form: Form) -> dbc.Alert:
    users.set_password(app_engine(), current_actor(), form.selected, form.new_password, form.new_confirm)
    return notice(f"Kata sandi {form.selected} telah diganti.")


def generate_password(form: Form) -> dbc.Alert:
    new = users.random_password()
    users.set_password(app_engine(), current_actor(), form.selected, new, generated=True)
    # Shown this once: it is stored only as a hash, and the audit log never holds it.
    return notice([f"Kata sandi baru {form.selected}: ", html.Code(new, id=GENERATED_PASSWORD),
                   " — catat sekarang; kata sandi ini tidak akan ditampilkan lagi."], "warning")


def deactivate(form: Form) -> dbc.Alert:
    if not users.set_active(app_engine(), current_actor(), form.selected, False):
        return notice(f"{form.selected} sudah nonaktif.", "info")
    return notice(f"{form.selected} dinonaktifkan: tidak dapat masuk lagi.")


def reactivate(form: Form) -> dbc.Alert:
    if not users.set_active(app_engine(), current_actor(), form.selected, True):
        return notice(f"{form.selected} sudah aktif.", "info")
    return notice(f"{form.selected} diaktifkan kembali.")


def end_sessions(form: Form) -> dbc.Alert:
    signin.end_sessions_of(app_engine(), current_actor(), form.selected)
    return notice(f"Semua sesi {form.selected} diakhiri: ia perlu masuk lagi di setiap perangkat.")


ACTIONS = {END_SESSIONS_BUTTON: end_sessions, ADD_BUTTON: add, ROLE_BUTTON: change_role, PASSWORD_BUTTON: reset_password,
           RANDOM_BUTTON: generate_password, DEACTIVATE_CONFIRM: deactivate, REACTIVATE_BUTTON: reactivate}


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
    except SunterError as exc:
        return notice(exc.message, "danger"), False


def selected_username(selected_rows) -> str | None:
    if isinstance(selected_rows, list) and selected_rows and isinstance(selected_rows[0], dict):
        name = selected_rows[0].get("username")
        return name if isinstance(name, str) else None
    return None


def register_callbacks(app: Dash) -> None:
    @app.callback(
        output={"rows": Output(GRID, "rowData"), "alert": Output(ALERT, "children"),
                "add_username": Output(ADD_USERNAME, "value"), "add_password": Output(ADD_PASSWORD, "value"),
                "add_confirm": Output(ADD_CONFIRM, "value"), "new_password": Output(NEW_PASSWORD, "value"),
                "new_confirm": Output(NEW_CONFIRM, "value")},
        inputs=dict(_add=Input(ADD_BUTTON, "n_clicks"), _role=Input(ROLE_BUTTON, "n_clicks"),
                    _password=Input(PASSWORD_BUTTON, "n_clicks"), _random=Input(RANDOM_BUTTON, "n_clicks"),
                    _deactivate=Input(DEACTIVATE_CONFIRM, "submit_n_clicks"),  # clicked and confirmed
                    _reactivate=Input(REACTIVATE_BUTTON, "n_clicks"), _end=Input(END_SESSIONS_BUTTON, "n_clicks")),
        state=dict(add_username=State(ADD_USERNAME, "value"), add_role=State(ADD_ROLE, "value"),
                   add_petugas=State(ADD_PETUGAS, "value"),
                   add_password=State(ADD_PASSWORD, "value"), add_confirm=State(ADD_CONFIRM, "value"),
                   selected_rows=State(GRID, "selectedRows"), role=State(ROLE, "value"),
                   petugas=State(PETUGAS, "value"),
                   new_password=State(NEW_PASSWORD, "value"), new_confirm=State(NEW_CONFIRM, "value")),
    )
    def update(_add, _role, _password, _random, _deactivate, _reactivate, _end,
               add_username, add_role, add_petugas, add_password, add_confirm, selected_rows, role, petugas,
               new_password, new_confirm):
        form = Form(add_username, add_role, add_petugas or None, add_password, add_confirm,
                    selected_username(selected_rows), role, petugas or None, new_password, new_confirm)
        clicked = ctx.triggered_id if ctx.triggered and ctx.triggered[0]["value"] else None
        alert, succeeded = act(clicked, form)
        # Passwords never stay in a field once sent; a refused name stays to be corrected.
        added = succeeded and clicked == ADD_BUTTON
        return {"rows": rows(), "alert": alert, "add_username": "" if added else no_update, "add_password": "",
                "add_confirm": "", "new_password": "", "new_confirm": ""}

    @app.callback(
        output={"name": Output(SELECTED_NAME, "children"), "role": Output(ROLE, "value"),
                "petugas": Output(PETUGAS, "value"),
                "disabled": Output(SELECTED_FIELDS, "disabled"), "deactivate": Output(DEACTIVATE_BUTTON, "style"),
                "reactivate": Output(REACTIVATE_BUTTON, "style"), "confirm": Output(DEACTIVATE_CONFIRM, "message")},
        inputs=dict(selected_rows=Input(GRID, "selectedRows"), row_data=Input(GRID, "rowData")),
    )
    def show_selected(selected_rows, row_data):
        name = selected_username(selected_rows)
        # The rows are fresher than the selection, which keeps the data of the moment it was clicked.
        user = next((r for r in row_data or [] if isinstance(r, dict) and r.get("username") == name), None)
        # Only the status change that applies is offered (nothing selected: "Nonaktifkan", disabled).
        hidden = {"display": "none"}
        if user is None:
            # Offered but inert (no dialog) until a user is chosen.
            return {"name": "—", "role": None, "petugas": "", "disabled": True, "deactivate": INERT,
                    "reactivate": hidden, "confirm": "Pilih pengguna dahulu."}
        active = bool(user.get("active"))
        return {"name": name, "role": user.get("role"), "petugas": user.get("petugas") or "", "disabled": False,
                "deactivate": None if active else hidden, "reactivate": hidden if active else None,
                "confirm": f"Nonaktifkan {name}? Ia tidak dapat masuk lagi dan semua sesinya berakhir, sampai "
                           "diaktifkan kembali."}


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
