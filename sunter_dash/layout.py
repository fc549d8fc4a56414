"""The shell: navbar with the branch name, periode and rayon filters, tabs from the registry.

The filters and the active tab live in the URL (urls.py), so a view can be bookmarked and
shared; one callback keeps the two in step. A tab may keep parameters of its own there
(``&nomen=...`` on the customer profile): they are carried along while that tab stays open
and dropped when another tab is chosen.
"""
from __future__ import annotations

from urllib.parse import urlparse

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import has_request_context, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from . import export, ids, queries, urls
from .auth import may
from .components.export_buttons import EXPORT
from .components.forms import dropdown, periode_options, rayon_options
from .domain.listing import ALL_RAYONS
from .domain.periodes import default_periode
from .domain.roles import ROLE_LABELS
from .extensions import app_engine
from .tabs import TABS
from .tabs.base import guarded, register_tab


def visible_tabs() -> list:
    """The tabs this request's user may open (every tab outside a request: layout validation)."""
    if not has_request_context():
        return TABS
    return [tab for tab in TABS if may(tab.permission)]


def navbar(branch_name: str, view: dict | None = None) -> dbc.Navbar:
    """``view``: sync_view's answer for the page's address (the filters' first options and values)."""
    view = view or {"periode_options": [], "periode": None, "rayon_options": rayon_options([]), "rayon": ALL_RAYONS}
    filters = dbc.Row(
        [
            dbc.Col(html.Label("Periode", htmlFor=ids.PERIODE, className="navbar-filter-label"), width="auto"),
            dbc.Col(dropdown(id=ids.PERIODE, clearable=False, searchable=False, placeholder="Belum ada data",
                                 options=view["periode_options"], value=view["periode"],
                                 className="navbar-filter"), width="auto"),
            dbc.Col(html.Label("Rayon", htmlFor=ids.RAYON, className="navbar-filter-label"), width="auto"),
            dbc.Col(dropdown(id=ids.RAYON, clearable=False, searchable=False, value=view["rayon"],
                                 options=view["rayon_options"],
                                 className="navbar-filter navbar-filter-rayon"), width="auto"),
        ],
        className="g-2 align-items-center flex-nowrap navbar-filters",
    )
    user = html.Div()
    if has_request_context() and current_user.is_authenticated:
        # Signing out is a POST with the session's CSRF token: a link from another site cannot.
        sign_out = html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button("Keluar", id=ids.LOGOUT, type="submit", className="navbar-logout",
                        title="Keluar: mengakhiri semua sesi akun ini, di perangkat mana pun"),
        ], method="POST", action="/logout", className="d-inline")
        user = html.Div([html.I(className="bi bi-person-circle me-1"), current_user.username,
                         html.Span(f" · {ROLE_LABELS.get(current_user.role, current_user.role)}"), sign_out],
                        className="navbar-user")
    brand = html.Div([
        html.I(className="bi bi-droplet-fill brand-icon"),
        html.Div([html.Div("sunter_dash", className="brand-title"),
                  html.Div(branch_name, className="brand-subtitle")]),
    ], className="d-flex align-items-center gap-2")
    return dbc.Navbar(dbc.Container([brand, html.Div([filters, user],
                                             className="d-flex align-items-center gap-4 navbar-tools")],
                                    fluid=True, className="justify-content-between"),
                      color="primary", dark=True, className="shell-navbar")


def first_view() -> dict | None:
    """The view the page's address asks for, so the first paint already shows its tab and
    filters (the layout request carries the page's address as its Referer, same-origin), or
    None outside a signed-in request (layout validation)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    found = sync_view("?" + urlparse(request.referrer or "").query, None, None, None, True)
    return {key: None if value is no_update else value for key, value in found.items()}  # nothing stored: None


def shell(branch_name: str) -> html.Div:
    view = first_view()
    bar = navbar(branch_name, view)
    tab_ids = [tab.id for tab in visible_tabs()] or [TABS[0].id]
    active = view["tab"] if view and view["tab"] in tab_ids else tab_ids[0]
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Download(id=ids.DOWNLOAD),
        dcc.Store(id=ids.FAILURE),
        dcc.Store(id=ids.FAILURE_SHOWN),
        bar,
        html.Div(f"sunter_dash · {branch_name}", className="print-only print-header"),
        dbc.Container([
            dbc.Tabs([dbc.Tab(label=tab.label, tab_id=tab.id) for tab in visible_tabs()],
                     id=ids.TABS, active_tab=active, className="shell-tabs"),
            html.Div(id=ids.ALERT, className="shell-alert"),
            html.Main(id=ids.CONTENT, className="shell-content"),
        ], fluid=True),
    ])



def sync_view(search: str | None, periode, rayon, tab, triggered_by_url: bool) -> dict:
    """The filters and the URL in step: what the URL asks for when it changed, else the URL that
    shows the filters. Only changed values are sent: setting a value, even an equal one, fires
    what depends on it (a tab would be rebuilt and lose its state)."""
    engine = app_engine()
    found = queries.periodes(engine)
    stored, default = [p["periode"] for p in found], default_periode(found)
    rayons = queries.rayons(engine)
    tabs = [t.id for t in visible_tabs()] or [TABS[0].id]
    asked = (periode, rayon, tab)
    if triggered_by_url:
        periode, rayon, tab = urls.view(search, stored, rayons, tabs, default)
    # The tab's own parameters stay while the URL's tab stays open.
    _, _, url_tab = urls.view(search, stored, rayons, tabs)
    extra = urls.tab_params(search) if tab == url_tab else {}
    new_search = urls.link(periode, rayon, tab, TABS[0].id, **extra)

    def changed(new, old):
        return no_update if new == old else new
    return {"periode_options": periode_options(stored), "periode": changed(periode, asked[0]),
            "rayon_options": rayon_options(rayons),
            "rayon": changed(rayon, asked[1]), "tab": changed(tab, asked[2]),
            "search": changed(new_search, search or "")}


def register_callbacks(app: Dash) -> None:
    by_id = {tab.id: tab for tab in TABS}

    @app.callback(Output(ids.CONTENT, "children"), Input(ids.TABS, "active_tab"))
    def show_tab(active_tab: str):
        # A tab the user may not open is not rendered, whatever the request asked for.
        tab = by_id.get(active_tab)
        if tab is None or not may(tab.permission):
            tab = next(iter(visible_tabs()), None)
        return tab.layout() if tab else None

    # A callback that raised (failures.callback_error): its message on the panels of its outputs.
    app.clientside_callback(ClientsideFunction("sunter", "failed"), Output(ids.FAILURE_SHOWN, "data"),
                            Input(ids.FAILURE, "data"), prevent_initial_call=True)

    @app.callback(Output(ids.ALERT, "children"), Input(ids.TABS, "active_tab"), prevent_initial_call=True)
    def forget_failure(_active_tab: str):
        """A failure said above the last tab goes with it."""
        return None

    @app.callback(
        output={"periode_options": Output(ids.PERIODE, "options"), "periode": Output(ids.PERIODE, "value"),
                "rayon_options": Output(ids.RAYON, "options"), "rayon": Output(ids.RAYON, "value"),
                "tab": Output(ids.TABS, "active_tab"), "search": Output(ids.URL, "search")},
        inputs={"search": Input(ids.URL, "search"), "periode": Input(ids.PERIODE, "value"),
                "rayon": Input(ids.RAYON, "value"), "tab": Input(ids.TABS, "active_tab")},
    )
    def sync(search, periode, rayon, tab):
        return sync_view(search, periode, rayon, tab, ctx.triggered_id in (None, ids.URL))

    @app.callback(Output(ids.DOWNLOAD, "data"),
                  Input({"type": EXPORT, "dataset": ALL, "fmt": ALL, "place": ALL}, "n_clicks"),
                  State(ids.PERIODE, "value"), State(ids.RAYON, "value"), prevent_initial_call=True)
    @guarded("read")  # the branch's datasets: not a petugas's
    def download(_clicks, periode, rayon):
        # New buttons (a tab just rendered) fire with no clicks; only a real click downloads.
        if not ctx.triggered or not ctx.triggered[0]["value"] or not periode:
            return no_update
        wanted = ctx.triggered_id
        content, name, _mime = export.build(app_engine(), wanted["dataset"], wanted["fmt"], periode, rayon)
        return dcc.send_bytes(content, name)

    for tab in TABS:
        register_tab(app, tab)  # its callbacks answer only users who may open it
