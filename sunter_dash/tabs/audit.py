"""Tab "Audit" (admins): who logged in (or failed to), uploaded, deleted, changed users."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html

from .. import ids, queries
from ..auth import may
from ..components.grids import column, grid

TAB_ID = "audit"
LABEL = "Audit"
PERMISSION = "audit"
GRID = "audit-grid"
ALERT = "audit-alert"

ACTIONS = {"login": "Masuk", "login_failed": "Gagal masuk", "logout": "Keluar", "upload": "Unggah",
           "upload_deleted": "Unggahan dihapus", "user_created": "Pengguna dibuat",
           "user_role_changed": "Peran diubah", "user_password_reset": "Kata sandi diganti",
           "user_deactivated": "Pengguna dinonaktifkan", "user_reactivated": "Pengguna diaktifkan kembali",
           "analysis_created": "Analisa dibuat", "analysis_updated": "Analisa diubah"}
COLUMNS = [
    column("created_at", "Waktu (UTC)", minWidth=170, flex=0, width=180, filter=True),
    column("username", "Pengguna", minWidth=120, filter=True),
    column("action_label", "Kegiatan", minWidth=140, filter=True),
    column("address", "Alamat IP", minWidth=130, filter=True),
    column("detail", "Keterangan", minWidth=240, filter=True),
]


def layout() -> html.Div:
    return html.Div([
        html.Div(id=ALERT),
        dbc.Card(dbc.CardBody([
            html.H5("Log audit", className="card-title"),
            html.P("1.000 kejadian terbaru: masuk, gagal masuk, keluar, unggahan, penghapusan dan perubahan "
                   "pengguna.", className="text-muted small"),
            grid(GRID, COLUMNS, height="560px", pagination=True, paginationPageSize=100),
        ])),
    ])


def rows() -> list[dict]:
    return [{**event, "action_label": ACTIONS.get(event["action"], event["action"])}
            for event in queries.audit_log()]


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(GRID, "rowData"), Output(ALERT, "children"), Input(ids.TABS, "active_tab"))
    def refresh(_tab):
        # The server decides, not the tab list: a crafted request by a viewer gets nothing.
        if not may(PERMISSION):
            return [], dbc.Alert("Hanya admin yang dapat membaca log audit.", color="danger")
        return rows(), None
