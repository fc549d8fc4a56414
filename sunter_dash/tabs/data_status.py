"""Tab "Status Data": what is stored, per periode and file type."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html

from .. import ids, queries
from ..components.export_buttons import panel
from ..formatting import number, periode_label
from ..ingest.specs import SPECS

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
                + [{"field": kind, "headerName": kind, "type": "rightAligned"} for kind in SPECS],
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
        return dbc.Alert("Belum ada data tersimpan. Unggah file MC, COLLECTION, SBRS, MAINBILL, MB, "
                         "ARDEBT atau RUTE.", color="warning")
    total = sum(item["rows"] for item in status)
    periodes = {item["periode"] for item in status}
    return dbc.Alert(f"{number(total)} baris tersimpan dalam {len(periodes)} periode "
                     f"({periode_label(min(periodes))} s/d {periode_label(max(periodes))}).", color="primary")


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(GRID, "rowData"), Output(SUMMARY, "children"), Input(ids.PERIODE, "options"))
    def refresh(_options):
        status = queries.data_status()
        return build_rows(status), build_summary(status)
