"""The Unggah page's column mapping: selecting a listed file shows its type's columns beside the
file's, so a missing or optional column can be mapped to one of the file's, and the mapping saved
as a profile that applies by itself to later files with the same headers (DATA.md, column mapping)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from ..auth import current_actor
from ..components.forms import dropdown, heading, notice
from ..domain.errors import SunterError
from ..extensions import app_engine
from ..services import profiles
from ..services.staging import fields_for, restage

MAP_CARD = "upload-map-card"
MAP_TITLE = "upload-map-title"
MAP_FIELDS = "upload-map-fields"
MAP_FIELD = "upload-map-field"
MAP_LINE = "upload-map-line"
MAP_APPLY = "upload-map-apply"
MAP_ALERT = "upload-map-alert"
PROFILE_NAME = "upload-profile-name"
PROFILE_SAVE = "upload-profile-save"
NO_COLUMN = "(tidak ada)"


def mapping_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        heading("Kolom file", "Pilih kolom file untuk kolom yang tidak dikenali; kolom yang dipilih di sini "
                "didahulukan dari nama kolom yang dikenal."),
        html.Div(id=MAP_TITLE, className="fw-semibold mb-2 text-break"),
        html.Div(id=MAP_ALERT),
        html.Div(id=MAP_FIELDS, className="upload-map-fields"),
        html.Div([
            dbc.Button([html.I(className="bi bi-check2 me-1"), "Terapkan kolom"], id=MAP_APPLY, color="primary",
                       size="sm"),
            html.Div([
                dbc.Input(id=PROFILE_NAME, placeholder="Nama profil, mis. Collection Bank X", size="sm",
                          maxLength=64, className="upload-profile-name", debounce=False),
                dbc.Button([html.I(className="bi bi-bookmark-plus me-1"), "Simpan sebagai profil"],
                           id=PROFILE_SAVE, color="secondary", outline=True, size="sm"),
            ], className="d-flex gap-2 align-items-center flex-wrap"),
        ], className="d-flex justify-content-between align-items-center flex-wrap gap-2 mt-2"),
        html.Div("Profil yang disimpan diterapkan sendiri pada file berikutnya dengan judul kolom yang sama.",
                 className="text-muted small mt-1"),
    ]), id=MAP_CARD, className="mb-3", style={"display": "none"})


def mapping_fields(row: dict) -> list:
    """One line per column of the row's type: its name, required or not, and a choice of the
    file's columns (the one found or mapped chosen)."""
    found = fields_for(row)
    if found is None:
        return [html.Div("Pilih tipe file di kolom Tipe dulu; lalu pilih kolom file untuk tiap kolom tipe itu.",
                         className="text-muted small")]
    options = [{"label": str(c), "value": str(c)} for c in row["columns"]] if isinstance(row.get("columns"), list) \
        else []
    lines = []
    for item in found:
        state = "wajib" if item["required"] else "opsional"
        missing = item["required"] and not item["column"]
        lines.append(html.Div([
            html.Div([html.Span(item["header"], className="fw-semibold"),
                      html.Span(f" {state}", className="text-danger small" if missing else "text-muted small")],
                     className="upload-map-label"),
            dropdown(id={"type": MAP_FIELD, "field": item["header"]}, options=options, value=item["column"],
                         placeholder=NO_COLUMN, clearable=True, className="upload-map-choice"),
        ], id={"type": MAP_LINE, "field": item["field"]},
            className="upload-map-line" + (" upload-map-missing" if missing else "")))
    return lines


def grid_rows(rows) -> list[dict]:
    """The grid's rows as the browser sent them, each a dict (a crafted body may send anything)."""
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def selected_row(rows, selected) -> dict | None:
    chosen = grid_rows(selected)
    key = chosen[0].get("key") if chosen else None
    return next((r for r in grid_rows(rows) if key is not None and r.get("key") == key), None)


def swapped(rows, fresh: dict) -> list[dict]:
    return [fresh if r.get("key") == fresh["key"] else r for r in grid_rows(rows)]


def register_mapping(app: Dash, grid: str, token_store: str) -> None:
    """The mapping card's callbacks, on the page's list (``grid``) and its token (``token_store``)."""
    @app.callback(
        output={"style": Output(MAP_CARD, "style"), "title": Output(MAP_TITLE, "children"),
                "fields": Output(MAP_FIELDS, "children"), "alert": Output(MAP_ALERT, "children", allow_duplicate=True)},
        inputs={"selected": Input(grid, "selectedRows"), "rows": Input(grid, "rowData")},
        prevent_initial_call=True)
    def show_mapping(selected, rows):
        row = selected_row(rows, selected)
        if row is None or not row.get("loadable"):
            return {"style": {"display": "none"}, "title": "", "fields": [], "alert": None}
        title = f"{row.get('file')} · {row.get('type')}" + (f" · profil {row['profile']}" if row.get("profile") else "")
        return {"style": {}, "title": title, "fields": mapping_fields(row), "alert": no_update}

    @app.callback(
        output={"rows": Output(grid, "rowData", allow_duplicate=True),
                "alert": Output(MAP_ALERT, "children", allow_duplicate=True)},
        inputs={"_apply": Input(MAP_APPLY, "n_clicks"), "_save": Input(PROFILE_SAVE, "n_clicks")},
        state={"values": State({"type": MAP_FIELD, "field": ALL}, "value"),
               "fields": State({"type": MAP_FIELD, "field": ALL}, "id"), "selected": State(grid, "selectedRows"),
               "rows": State(grid, "rowData"), "token": State(token_store, "data"), "name": State(PROFILE_NAME, "value")},
        running=[(Output(MAP_APPLY, "disabled"), True, False), (Output(PROFILE_SAVE, "disabled"), True, False)],
        prevent_initial_call=True)
    def apply_mapping(_apply, _save, values, fields, selected, rows, token, name):
        row = selected_row(rows, selected)
        if row is None or fields_for(row) is None:
            return {"rows": no_update, "alert": notice("Pilih file dan tipenya dulu.", "warning")}
        mapping = {f["field"]: v for f, v in zip(fields, values) if isinstance(v, str) and v}
        engine, actor = app_engine(), current_actor()
        try:
            fresh = restage(engine, actor, token, row["key"], file_type=row["type"], mapping=mapping)
            message = "Kolom diterapkan."
            if ctx.triggered_id == PROFILE_SAVE and not fresh["refused"]:
                saved = profiles.save(engine, actor, name or "", fresh["type"], fresh["columns"], mapping)
                fresh = restage(engine, actor, token, row["key"], mapping=None)  # the profile applies now
                message = f"Profil '{saved['name']}' disimpan dan diterapkan."
        except SunterError as exc:
            return {"rows": no_update, "alert": notice(exc.told("page"), "danger")}
        outcome = notice(fresh["note"], "danger") if fresh["refused"] else notice(message)
        return {"rows": swapped(rows or [], fresh), "alert": outcome}
