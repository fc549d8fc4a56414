"""The download buttons under every grid and chart (the shell's one callback serves them)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

EXPORT = "export"


def button_id(dataset: str, fmt: str) -> dict:
    return {"type": EXPORT, "dataset": dataset, "fmt": fmt}


def export_buttons(dataset: str) -> html.Div:
    return html.Div([
        html.Span("Unduh", className="export-label"),
        dbc.ButtonGroup([
            dbc.Button([html.I(className="bi bi-file-earmark-excel me-1"), "XLSX"],
                       id=button_id(dataset, "xlsx"), size="sm", color="light", className="export-btn"),
            dbc.Button([html.I(className="bi bi-filetype-csv me-1"), "CSV"],
                       id=button_id(dataset, "csv"), size="sm", color="light", className="export-btn"),
        ], size="sm"),
    ], className="export-buttons d-flex align-items-center gap-2")
