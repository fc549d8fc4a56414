"""Tab "Status Data": what is stored, per periode and file type."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html

from .. import ids, queries
from ..components.export_buttons import panel
from ..domain import files
from ..domain.periodes import periode_label
from ..extensions import app_engine
from ..formatting import number
from .base import Tab

TAB_ID = "status"
LABEL = "Status Data"
GRID = "status-grid"
SUMMARY = "status-summary"


def layout() -> html.Div:
    return html.Div([
        html.Div(id=SUMMARY, className="mb-3"),
        panel("Data tersimpan per periode", [
            dag.AgGrid(
                id=GRID,
                columnDefs=[{"field": "periode_label", "headerName": "Periode", "pinned": "left"}]
                + [{"field": kind, "headerName": kind, "type": "rightAligned"} for kind in files.names()],
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 110},
                dashGridOptions={"domLayout": "autoHeight",
                                 "localeText": {"noRowsToShow": "Belum ada data. Unggah file ekspor billing."}},
                className="ag-theme-alpine",
            ),
        ], "data-status"),
    ])


def build_rows(status: list[dict]) -> list[dict]:
    by_periode: dict[str, dict] = {}
    for item in status:
        row = by_periode.setdefault(item["periode"], {"periode": item["periode"],
                                                      "periode_label": periode_label(item["periode"])})
        row[item["type"]] = number(item["rows"])
    return [by_periode[p] for p in sorted(by_periode, reverse=True)]


def build_summary(status: list[dict]) -> dbc.Alert:
    if not status:
        kinds = files.names()
        return dbc.Alert(f"Belum ada data tersimpan. Unggah file {', '.join(kinds[:-1])} atau {kinds[-1]}.",
                         color="warning")
    total = sum(item["rows"] for item in status)
    periodes = {item["periode"] for item in status}
    return dbc.Alert(f"{number(total)} baris tersimpan dalam {len(periodes)} periode "
                     f"({periode_label(min(periodes))} s/d {periode_label(max(periodes))}).", color="primary")


def register_callbacks(app: Dash) -> None:
    @app.callback(output={"rows": Output(GRID, "rowData"), "summary": Output(SUMMARY, "children")},
                  inputs={"_options": Input(ids.PERIODE, "options")})
    def refresh(_options):
        status = queries.data_status(app_engine())
        return {"rows": build_rows(status), "summary": build_summary(status)}


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks)
