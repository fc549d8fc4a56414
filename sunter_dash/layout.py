"""The shell: navbar with the branch name, periode and rayon filters, tabs from the registry.

The filters and the active tab live in the URL (``?periode=2025-12&rayon=34&tab=tren``),
so a view can be bookmarked and shared; one callback keeps the two in step. A tab may
keep parameters of its own there (``&nomen=...`` on the customer profile): they are
carried along while that tab stays open and dropped when another tab is chosen; the
tab reads them with ``tab_params(search)`` from an ``Input(ids.URL, "search")``.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import has_request_context
from flask_login import current_user

from . import export, ids, queries
from .auth import may
from .components.export_buttons import EXPORT
from .formatting import periode_label
from .tabs import TABS

ALL_RAYONS = queries.ALL_RAYONS
ROLE_LABELS = {"admin": "Admin", "viewer": "Viewer"}


def visible_tabs() -> list:
    """The tabs this request's user may open (every tab outside a request: layout validation)."""
    if not has_request_context():
        return TABS
    return [tab for tab in TABS if may(getattr(tab, "PERMISSION", "read"))]


def navbar(branch_name: str) -> dbc.Navbar:
    filters = dbc.Row(
        [
            dbc.Col(html.Label("Periode", htmlFor=ids.PERIODE, className="navbar-filter-label"), width="auto"),
            dbc.Col(dcc.Dropdown(id=ids.PERIODE, clearable=False, searchable=False, placeholder="Belum ada data",
                                 className="navbar-filter"), width="auto"),
            dbc.Col(html.Label("Rayon", htmlFor=ids.RAYON, className="navbar-filter-label"), width="auto"),
            dbc.Col(dcc.Dropdown(id=ids.RAYON, clearable=False, searchable=False, value=ALL_RAYONS,
                                 options=[{"label": "Semua", "value": ALL_RAYONS}],
                                 className="navbar-filter navbar-filter-rayon"), width="auto"),
        ],
        className="g-2 align-items-center flex-nowrap",
    )
    user = html.Div()
    if has_request_context() and current_user.is_authenticated:
        user = html.Div([html.I(className="bi bi-person-circle me-1"), current_user.username,
                         html.Span(f" · {ROLE_LABELS.get(current_user.role, current_user.role)}"),
                         html.A("Keluar", href="/logout", id=ids.LOGOUT)],
                        className="navbar-user")
    brand = html.Div([
        html.I(className="bi bi-droplet-fill brand-icon"),
        html.Div([html.Div("sunter_dash", className="brand-title"),
                  html.Div(branch_name, className="brand-subtitle")]),
    ], className="d-flex align-items-center gap-2")
    return dbc.Navbar(dbc.Container([brand, html.Div([filters, user], className="d-flex align-items-center gap-4")],
                                    fluid=True, className="justify-content-between"),
                      color="primary", dark=True, className="shell-navbar")


def shell(branch_name: str) -> html.Div:
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Download(id=ids.DOWNLOAD),
        navbar(branch_name),
        dbc.Container([
            dbc.Tabs([dbc.Tab(label=tab.LABEL, tab_id=tab.TAB_ID) for tab in visible_tabs()],
                     id=ids.TABS, active_tab=TABS[0].TAB_ID, className="shell-tabs"),
            html.Main(id=ids.CONTENT, className="shell-content"),
        ], fluid=True),
    ])


def view_from_url(search: str | None, stored: list[str], rayons: list[str]) -> tuple[str | None, str, str]:
    """(periode, rayon, tab) asked for by a query string, each falling back to its default
    (the newest stored periode, all rayons, the first tab) when absent or unknown."""
    asked = {key: values[0] for key, values in parse_qs((search or "").lstrip("?")).items()}
    periode = asked.get("periode") if asked.get("periode") in stored else (stored[0] if stored else None)
    rayon = asked.get("rayon") if asked.get("rayon") in rayons else ALL_RAYONS
    tab = asked.get("tab") if asked.get("tab") in {t.TAB_ID for t in visible_tabs()} else TABS[0].TAB_ID
    return periode, rayon, tab


SHELL_PARAMS = ("periode", "rayon", "tab")


def tab_params(search: str | None) -> dict[str, str]:
    """The query parameters of the URL that belong to the open tab (not periode, rayon, tab)."""
    asked = {key: values[0] for key, values in parse_qs((search or "").lstrip("?")).items()}
    return {key: value for key, value in asked.items() if key not in SHELL_PARAMS}


def url_of(periode: str | None, rayon: str | None, tab: str | None, extra: dict[str, str] | None = None) -> str:
    params = {}
    if periode:
        params["periode"] = periode
    if rayon and rayon != ALL_RAYONS:
        params["rayon"] = rayon
    if tab and tab != TABS[0].TAB_ID:
        params["tab"] = tab
    params.update(extra or {})
    return f"?{urlencode(params)}" if params else ""


def register_callbacks(app: Dash) -> None:
    by_id = {tab.TAB_ID: tab for tab in TABS}

    @app.callback(Output(ids.CONTENT, "children"), Input(ids.TABS, "active_tab"))
    def show_tab(active_tab: str):
        tab = by_id.get(active_tab, TABS[0])
        # A tab the user may not open is not rendered, whatever the request asked for.
        return tab.layout() if may(getattr(tab, "PERMISSION", "read")) else TABS[0].layout()

    @app.callback(
        Output(ids.PERIODE, "options"), Output(ids.PERIODE, "value"),
        Output(ids.RAYON, "options"), Output(ids.RAYON, "value"),
        Output(ids.TABS, "active_tab"), Output(ids.URL, "search"),
        Input(ids.URL, "search"), Input(ids.PERIODE, "value"), Input(ids.RAYON, "value"),
        Input(ids.TABS, "active_tab"),
    )
    def sync_view(search, periode, rayon, tab):
        stored = [p["periode"] for p in queries.periodes()]
        rayons = queries.rayons()
        periode_options = [{"label": periode_label(p), "value": p} for p in stored]
        rayon_options = [{"label": "Semua", "value": ALL_RAYONS}] + [
            {"label": f"Rayon {r}", "value": r} for r in rayons]
        asked = (periode, rayon, tab)
        if ctx.triggered_id in (None, ids.URL):
            periode, rayon, tab = view_from_url(search, stored, rayons)
        # The tab's own parameters stay while the URL's tab stays open.
        _, _, url_tab = view_from_url(search, stored, rayons)
        extra = tab_params(search) if tab == url_tab else {}
        new_search = url_of(periode, rayon, tab, extra)

        # Setting a value, even an equal one, fires what depends on it (a tab would be
        # rebuilt and lose its state): only changed values are sent.
        def changed(new, old):
            return no_update if new == old else new
        return (periode_options, changed(periode, asked[0]), rayon_options, changed(rayon, asked[1]),
                changed(tab, asked[2]), changed(new_search, search or ""))

    @app.callback(Output(ids.DOWNLOAD, "data"),
                  Input({"type": EXPORT, "dataset": ALL, "fmt": ALL, "place": ALL}, "n_clicks"),
                  State(ids.PERIODE, "value"), State(ids.RAYON, "value"), prevent_initial_call=True)
    def download(_clicks, periode, rayon):
        # New buttons (a tab just rendered) fire with no clicks; only a real click downloads.
        if not ctx.triggered or not ctx.triggered[0]["value"] or not periode:
            return no_update
        wanted = ctx.triggered_id
        content, name, _mime = export.build(wanted["dataset"], wanted["fmt"], periode, rayon)
        return dcc.send_bytes(content, name)

    for tab in TABS:
        tab.register_callbacks(app)
