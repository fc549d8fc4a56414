"""The shell: navbar with the branch name, periode and rayon filters, tabs from the registry."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from . import ids, queries
from .formatting import periode_label
from .tabs import TABS

ALL_RAYONS = "semua"


def navbar(branch_name: str) -> dbc.Navbar:
    filters = dbc.Row(
        [
            dbc.Col(html.Label("Periode", htmlFor=ids.PERIODE, className="navbar-filter-label"), width="auto"),
            dbc.Col(dcc.Dropdown(id=ids.PERIODE, clearable=False, placeholder="Belum ada data",
                                 className="navbar-filter"), width="auto"),
            dbc.Col(html.Label("Rayon", htmlFor=ids.RAYON, className="navbar-filter-label"), width="auto"),
            dbc.Col(dcc.Dropdown(id=ids.RAYON, clearable=False, value=ALL_RAYONS,
                                 options=[{"label": "Semua", "value": ALL_RAYONS}],
                                 className="navbar-filter navbar-filter-rayon"), width="auto"),
        ],
        className="g-2 align-items-center flex-nowrap",
    )
    brand = html.Div([
        html.I(className="bi bi-droplet-fill brand-icon"),
        html.Div([html.Div("sunter_dash", className="brand-title"),
                  html.Div(branch_name, className="brand-subtitle")]),
    ], className="d-flex align-items-center gap-2")
    return dbc.Navbar(dbc.Container([brand, filters], fluid=True, className="justify-content-between"),
                      color="primary", dark=True, className="shell-navbar")


def shell(branch_name: str) -> html.Div:
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        navbar(branch_name),
        dbc.Container([
            dbc.Tabs([dbc.Tab(label=tab.LABEL, tab_id=tab.TAB_ID) for tab in TABS],
                     id=ids.TABS, active_tab=TABS[0].TAB_ID, className="shell-tabs"),
            html.Main(id=ids.CONTENT, className="shell-content"),
        ], fluid=True),
    ])


def register_callbacks(app: Dash) -> None:
    by_id = {tab.TAB_ID: tab for tab in TABS}

    @app.callback(Output(ids.CONTENT, "children"), Input(ids.TABS, "active_tab"))
    def show_tab(active_tab: str):
        return by_id.get(active_tab, TABS[0]).layout()

    @app.callback(
        Output(ids.PERIODE, "options"), Output(ids.PERIODE, "value"), Output(ids.RAYON, "options"),
        Input(ids.URL, "pathname"),
    )
    def fill_filters(_pathname):
        stored = queries.periodes()
        periode_options = [{"label": periode_label(p["periode"]), "value": p["periode"]} for p in stored]
        rayon_options = [{"label": "Semua", "value": ALL_RAYONS}] + [
            {"label": f"Rayon {r}", "value": r} for r in queries.rayons()]
        latest = stored[0]["periode"] if stored else None
        return periode_options, latest, rayon_options

    for tab in TABS:
        tab.register_callbacks(app)
