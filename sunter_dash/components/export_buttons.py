"""The download buttons of every grid and chart (the shell's one callback serves them), and
the card that puts a title and those buttons above a chart or a grid."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

EXPORT = "export"


def button_id(dataset: str, fmt: str, place: str = "grid") -> dict:
    return {"type": EXPORT, "dataset": dataset, "fmt": fmt, "place": place}


def download_buttons(xlsx_id, csv_id) -> list:
    """"Unduh" and its XLSX and CSV buttons (a list that pages on the server has its own ids)."""
    return [
        html.Span("Unduh", className="export-label"),
        dbc.ButtonGroup([
            dbc.Button([html.I(className="bi bi-file-earmark-excel me-1"), "XLSX"], id=xlsx_id, size="sm",
                       color="light", className="export-btn"),
            dbc.Button([html.I(className="bi bi-filetype-csv me-1"), "CSV"], id=csv_id, size="sm", color="light",
                       className="export-btn"),
        ], size="sm"),
    ]


def export_buttons(dataset: str, place: str = "grid") -> html.Div:
    """``place`` tells apart two button groups of one dataset (a chart and its grid)."""
    return html.Div(download_buttons(button_id(dataset, "xlsx", place), button_id(dataset, "csv", place)),
                    className="export-buttons d-flex align-items-center gap-2")


def panel(title, body: list, dataset: str, place: str = "grid", **card) -> dbc.Card:
    """A card with its title (text, or an H5 with an id) and download buttons above ``body``.
    While a callback fills the body, a spinner shows over it (after a moment, so a quick answer
    does not flicker); what was there stays visible, dimmed."""
    heading = title if isinstance(title, html.H5) else html.H5(title)
    heading.className = "card-title mb-0"
    return dbc.Card(dbc.CardBody([
        html.Div([heading, export_buttons(dataset, place)],
                 className="d-flex justify-content-between align-items-center mb-2"),
        dcc.Loading(body, type="circle", color="#1a66c0", delay_show=300,
                    overlay_style={"visibility": "visible", "opacity": 0.55}, parent_className="panel-loading"),
    ]), **card)
