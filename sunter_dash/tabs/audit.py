"""Tab "Audit" (admins): who logged in (or failed to), uploaded, deleted, changed users."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html

from .. import ids, queries
from ..components.grids import column, grid
from ..domain.clock import wall
from ..domain.labels import AUDIT_ACTIONS
from ..extensions import app_engine, branch_zone
from .base import Tab

TAB_ID = "audit"
LABEL = "Audit"
PERMISSION = "audit"
GRID = "audit-grid"
ALERT = "audit-alert"

COLUMNS = [
    column("created_at", "Waktu", minWidth=180, flex=0, width=190, filter=True),
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
    zone = branch_zone()
    return [{**event, "created_at": wall(event["created_at"], zone, seconds=True),
             "action_label": AUDIT_ACTIONS.get(event["action"], event["action"])}
            for event in queries.audit_log(app_engine())]


def register_callbacks(app: Dash) -> None:
    @app.callback(output={"rows": Output(GRID, "rowData"), "alert": Output(ALERT, "children")},
                  inputs={"_tab": Input(ids.TABS, "active_tab")})
    def refresh(_tab):
        return {"rows": rows(), "alert": None}


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
