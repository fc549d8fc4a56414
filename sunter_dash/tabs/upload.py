"""Tab "Unggah" (admins): several files at once, checked before loading, loaded with progress.

1. Dropped files are size-checked in the browser (a larger file gets a message and is
   never sent), then staged on the server (services/uploads.py, which checks the role):
   each file is written to a staging folder with a manifest naming the admin, and its
   type, periode and deciding rule are previewed, with the snapshot it would replace, the
   column profile that applies and columns no type knows.
2. The staged files are listed in a grid whose type and periode cells can be edited.
   Selecting a file shows the type's columns beside the file's: a missing or optional
   column can be mapped to one of the file's, and the mapping saved as a profile that
   applies by itself to later files with the same headers (DATA.md, column mapping).
3. "Muat semua" asks first when a snapshot would replace one with more than twice its
   customers (the shrink guard, both counts shown), then runs a background callback (a
   worker process) that loads every staged file through the upload service, reporting
   progress per file. The job only loads what a manifest holds, and a manifest is only
   ever written for an admin, so a crafted request cannot load anything (the token naming
   the staging folder is random).
4. The result per file (stored / rejected / duplicate / warnings, the notes, the row errors
   and warnings, which download as CSV) appears below; the figures of every page follow at
   once. A file the shrink guard refused at load time goes back to the list to confirm.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import current_app, jsonify, request
from flask_wtf.csrf import CSRFError, generate_csrf

from .. import ids, queries
from ..auth import csrf, current_actor
from ..components.forms import dropdown, heading, notice, periode_options, rayon_options
from ..components.grids import column, grid
from ..domain import files
from ..domain.errors import BadParameter, SunterError
from ..domain.periodes import default_periode, periode_label
from ..export import upload_problems
from ..extensions import app_engine
from ..formatting import number
from ..services import profiles
from ..services.uploads import AUTO, claim_job, confirm_replace, fields_for, load_staged, restage, stage
from .base import Background, Tab, state_value
from .upload_results import ERRORS_BUTTON, progress_view, results_view

TAB_ID = "upload"
LABEL = "Unggah"
PERMISSION = "upload"

DROP = "upload-drop"
CHOOSER = "upload-chooser"
CHOOSER_SLOT = "upload-chooser-slot"
INCOMING = "upload-incoming"
SIZE_ALERT = "upload-size-alert"
STAGE_ALERT = "upload-stage-alert"
TOKEN = "upload-token"
STAGED = "upload-staged-grid"
START = "upload-start"
PROGRESS_STORE = "upload-progress-store"
PROGRESS = "upload-progress"
RESULTS_STORE = "upload-results-store"
RESULTS = "upload-results"
ERRORS_DOWNLOAD = "upload-errors-download"
RUN = "upload-run"
MAP_CARD = "upload-map-card"
MAP_TITLE = "upload-map-title"
MAP_FIELDS = "upload-map-fields"
MAP_FIELD = "upload-map-field"
MAP_LINE = "upload-map-line"
MAP_APPLY = "upload-map-apply"
MAP_ALERT = "upload-map-alert"
PROFILE_NAME = "upload-profile-name"
PROFILE_SAVE = "upload-profile-save"
REPLACE_MODAL = "upload-replace-modal"
REPLACE_BODY = "upload-replace-body"
REPLACE_CONFIRM = "upload-replace-confirm"
REPLACE_CANCEL = "upload-replace-cancel"

STAGE_ROUTE = "/upload/stage"  # the page's file transfer (multipart; the only page route taking large bodies)
MAX_FILES = 10  # files at once
ACCEPT = ".xlsx,.xls,.xlsm,.dbf,.csv,.txt,.tsv,.dat"
NO_COLUMN = "(tidak ada)"


def staged_columns() -> list[dict]:
    return [
        column("file", "File", minWidth=220, tooltipField="file", wrapText=True, autoHeight=True,
               cellStyle={"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px", "wordBreak": "break-all"}),
        column("size_label", "Ukuran", minWidth=90, flex=0, width=100),
        column("type", "Tipe", minWidth=130, flex=0, width=150, editable=True, cellEditor="agSelectCellEditor",
               cellEditorParams={"values": [AUTO, *files.names()]}, cellClass="upload-editable"),
        column("periode", "Periode (YYYY-MM)", minWidth=150, flex=0, width=170, editable=True,
               cellClass="upload-editable"),
        column("rule_label", "Ditentukan dari", minWidth=150),
        column("note", "Catatan", minWidth=300, tooltipField="note", wrapText=True, autoHeight=True,
               cellClassRules={"upload-note-refused": "params.data.refused",
                               "upload-note-confirm": "params.data.replaces && params.data.replaces.needs_replace"}),
    ]


def _mapping_card() -> dbc.Card:
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


def _replace_modal() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Ganti data yang tersimpan?")),
        dbc.ModalBody(id=REPLACE_BODY),
        dbc.ModalFooter([
            dbc.Button("Batal", id=REPLACE_CANCEL, color="secondary", outline=True),
            dbc.Button([html.I(className="bi bi-arrow-repeat me-1"), "Ya, ganti dan muat"], id=REPLACE_CONFIRM,
                       color="danger"),
        ]),
    ], id=REPLACE_MODAL, is_open=False, centered=True)


def layout() -> html.Div:
    limit = current_app.config["SUNTER_CONFIG"].max_upload_bytes
    staged = grid(STAGED, staged_columns(), singleClickEdit=True, stopEditingWhenCellsLoseFocus=True,
                  rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                  tooltipShowDelay=400)
    staged.getRowId = "params.data.key"
    return html.Div([
        dcc.Store(id=INCOMING),
        dcc.Store(id=TOKEN),
        dcc.Store(id=RUN, data=0),
        dcc.Store(id=PROGRESS_STORE),
        dcc.Store(id=RESULTS_STORE),
        dcc.Download(id=ERRORS_DOWNLOAD),
        dbc.Card(dbc.CardBody([
            html.H5("Unggah file ekspor billing", className="card-title"),
            # assets/30-upload.js sends the chosen or dropped files, streamed as multipart, to
            # STAGE_ROUTE (sizes judged first in the browser, so a file over the limit is never sent)
            # and hands the answer to INCOMING: files never travel through Dash's callback route.
            html.Label([
                # Dash has no file input: the script puts one (id CHOOSER) in this empty slot, which
                # React never re-renders, so the label opens the browser's file chooser.
                html.Span(id=CHOOSER_SLOT, **{"data-accept": ACCEPT}),
                html.Div([
                    html.I(className="bi bi-cloud-arrow-up upload-icon"),
                    html.Div([html.Strong("Tarik dan lepas file di sini"), " atau klik untuk memilih"]),
                    html.Div(f"{', '.join(files.names())} · .xlsx .xls .dbf .csv .txt · "
                             f"maks {limit // 1048576} MB per file; sampai {MAX_FILES} file sekaligus",
                             className="text-muted small"),
                ], className="upload-drop-inner"),
            ], id=DROP, className="upload-drop", htmlFor=CHOOSER,
                **{"data-limit": str(limit), "data-max-files": str(MAX_FILES), "data-route": STAGE_ROUTE,
                   "data-csrf": generate_csrf()}),
            html.Div(id=SIZE_ALERT),
            html.Div(id=STAGE_ALERT),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            heading("Siap dimuat", "Periksa tipe dan periode; klik sel untuk mengubahnya. Klik baris untuk "
                    "memilih kolom file.",
                    dbc.Button([html.I(className="bi bi-play-fill me-1"), "Muat semua"], id=START, color="primary",
                               disabled=True, className="text-nowrap")),
            staged,
            html.Div(id=PROGRESS, className="mt-3"),
        ]), className="mb-3"),
        _mapping_card(),
        html.Div(id=RESULTS),
        _replace_modal(),
    ])


def mapping_fields(row: dict) -> list:
    """One line per column of the row's type: its name, required or not, and a choice of the
    file's columns (the one found or mapped chosen)."""
    found = fields_for(row)
    if found is None:
        return [html.Div("Pilih tipe file di kolom Tipe dulu; lalu pilih kolom file untuk tiap kolom tipe itu.",
                         className="text-muted small")]
    options = [{"label": c, "value": c} for c in row.get("columns") or []]
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


def replace_question(rows: list[dict]) -> list:
    """The confirmation of the shrink guard: each file with both counts (DATA.md)."""
    items = []
    for row in rows:
        found, unit = row["replaces"], files.spec(row["type"]).unit
        now = number(found["file_customers"]) if found.get("file_customers") is not None else "?"
        items.append(html.Li([html.Strong(row["file"]), f" ({row['type']} {periode_label(row['periode'])}): "
                              f"{now} {unit}, menggantikan {number(found['stored_customers'])} {unit} unggahan "
                              f"#{found['upload_id']}."]))
    return [html.P("File berikut berisi kurang dari separuh data yang tersimpan untuk periode yang sama:"),
            html.Ul(items),
            html.P("Bila file ini memang pengganti lengkapnya, lanjutkan. Data lama disimpan: menghapus unggahan "
                   "baru di tab Riwayat mengembalikannya.", className="mb-0")]


def _needing_confirmation(rows: list[dict]) -> list[dict]:
    return [r for r in rows if (r.get("replaces") or {}).get("needs_replace")]


def _selected(rows: list[dict] | None, selected: list[dict] | None) -> dict | None:
    key = (selected or [{}])[0].get("key")
    return next((r for r in rows or [] if r.get("key") == key), None)


def _swap(rows: list[dict], fresh: dict) -> list[dict]:
    return [fresh if r.get("key") == fresh["key"] else r for r in rows]


def _edits(changed) -> list[dict]:
    """AG Grid's cellValueChanged: one event or a list of them."""
    return [e for e in (changed if isinstance(changed, list) else [changed]) if isinstance(e, dict)]


def _register_staging(app: Dash) -> None:
    @app.callback(
        output={"rows": Output(STAGED, "rowData"), "token": Output(TOKEN, "data"),
                "alert": Output(STAGE_ALERT, "children"), "disabled": Output(START, "disabled")},
        inputs={"incoming": Input(INCOMING, "data")}, prevent_initial_call=True)
    def staged(incoming):
        """What the file transfer (STAGE_ROUTE) answered: the staged files, or why not."""
        incoming = incoming if isinstance(incoming, dict) else {}
        if incoming.get("error"):
            return {"rows": no_update, "token": no_update, "alert": notice(str(incoming["error"]), "danger"),
                    "disabled": no_update}
        rows = incoming.get("rows") if isinstance(incoming.get("rows"), list) else []
        if not rows:
            return {"rows": no_update, "token": no_update, "alert": no_update, "disabled": no_update}
        return {"rows": rows, "token": incoming.get("token"), "alert": None,
                "disabled": not any(isinstance(r, dict) and r.get("loadable") for r in rows)}

    @app.callback(
        output={"rows": Output(STAGED, "rowData", allow_duplicate=True),
                "alert": Output(STAGE_ALERT, "children", allow_duplicate=True)},
        inputs={"changed": Input(STAGED, "cellValueChanged")},
        state={"rows": State(STAGED, "rowData"), "token": State(TOKEN, "data")}, prevent_initial_call=True)
    def edited(changed, rows, token):
        """A type or periode typed in the grid: the file is previewed again with it."""
        rows = rows or []
        try:
            for event in _edits(changed):
                key, column, value = (event.get("data") or {}).get("key"), event.get("colId"), event.get("value")
                if column == "type":
                    rows = _swap(rows, restage(app_engine(), current_actor(), token, key, file_type=value))
                elif column == "periode":
                    rows = _swap(rows, restage(app_engine(), current_actor(), token, key, periode=value))
        except SunterError as exc:
            return {"rows": no_update, "alert": notice(exc.message, "danger")}
        return {"rows": rows, "alert": None}

    @app.callback(
        output={"style": Output(MAP_CARD, "style"), "title": Output(MAP_TITLE, "children"),
                "fields": Output(MAP_FIELDS, "children"), "alert": Output(MAP_ALERT, "children", allow_duplicate=True)},
        inputs={"selected": Input(STAGED, "selectedRows"), "rows": Input(STAGED, "rowData")},
        prevent_initial_call=True)
    def show_mapping(selected, rows):
        row = _selected(rows, selected)
        if row is None or not row.get("loadable"):
            return {"style": {"display": "none"}, "title": "", "fields": [], "alert": None}
        title = f"{row['file']} · {row['type']}" + (f" · profil {row['profile']}" if row.get("profile") else "")
        return {"style": {}, "title": title, "fields": mapping_fields(row), "alert": no_update}

    @app.callback(
        output={"rows": Output(STAGED, "rowData", allow_duplicate=True),
                "alert": Output(MAP_ALERT, "children", allow_duplicate=True)},
        inputs={"_apply": Input(MAP_APPLY, "n_clicks"), "_save": Input(PROFILE_SAVE, "n_clicks")},
        state={"values": State({"type": MAP_FIELD, "field": ALL}, "value"),
               "fields": State({"type": MAP_FIELD, "field": ALL}, "id"), "selected": State(STAGED, "selectedRows"),
               "rows": State(STAGED, "rowData"), "token": State(TOKEN, "data"), "name": State(PROFILE_NAME, "value")},
        running=[(Output(MAP_APPLY, "disabled"), True, False), (Output(PROFILE_SAVE, "disabled"), True, False)],
        prevent_initial_call=True)
    def apply_mapping(_apply, _save, values, fields, selected, rows, token, name):
        row = _selected(rows, selected)
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
            return {"rows": no_update, "alert": notice(exc.message, "danger")}
        outcome = notice(fresh["note"], "danger") if fresh["refused"] else notice(message)
        return {"rows": _swap(rows or [], fresh), "alert": outcome}


def _register_loading(app: Dash) -> None:
    config = app.server.config["SUNTER_CONFIG"]

    @app.callback(
        output={"open": Output(REPLACE_MODAL, "is_open"), "body": Output(REPLACE_BODY, "children"),
                "run": Output(RUN, "data"), "alert": Output(STAGE_ALERT, "children", allow_duplicate=True)},
        inputs={"_start": Input(START, "n_clicks"), "_confirm": Input(REPLACE_CONFIRM, "n_clicks"),
                "_cancel": Input(REPLACE_CANCEL, "n_clicks")},
        state={"rows": State(STAGED, "rowData"), "run": State(RUN, "data"), "token": State(TOKEN, "data")},
        prevent_initial_call=True)
    def go(_start, _confirm, _cancel, rows, run, token):
        """Load, after asking when the shrink guard would refuse a file (DATA.md); the
        confirmation is kept with the staged files, on the server."""
        asking = _needing_confirmation(rows or [])
        if ctx.triggered_id == REPLACE_CANCEL:
            return {"open": False, "body": no_update, "run": no_update, "alert": no_update}
        if ctx.triggered_id == START and asking:
            return {"open": True, "body": replace_question(asking), "run": no_update, "alert": no_update}
        try:
            if ctx.triggered_id == REPLACE_CONFIRM:
                confirm_replace(current_actor(), token, [r["key"] for r in asking])
            claim_job(current_actor(), token, claim=False)  # says now why the job would be refused
        except SunterError as exc:
            return {"open": False, "body": no_update, "run": no_update, "alert": notice(exc.message, "danger")}
        return {"open": False, "body": no_update, "run": (run or 0) + 1, "alert": None}

    @app.callback(Output(RESULTS_STORE, "data"), Input(RUN, "data"), State(TOKEN, "data"),
                  background=True, progress=[Output(PROGRESS_STORE, "data")],
                  running=[(Output(START, "disabled"), True, True),
                           (Output(DROP, "className"), "upload-drop upload-drop-busy", "upload-drop")],
                  prevent_initial_call=True)
    def start(set_progress, _run, token):
        # Loads only what the manifest of an admin's staging folder says (services/uploads.py).
        return load_staged(config.database_url, config.max_upload_bytes, token, set_progress)


def _register_results(app: Dash) -> None:
    @app.callback(Output(PROGRESS, "children"), Input(PROGRESS_STORE, "data"))
    def show_progress(items):
        return progress_view(items)

    @app.callback(
        output={"results": Output(RESULTS, "children"), "staged": Output(STAGED, "rowData", allow_duplicate=True),
                "start": Output(START, "disabled", allow_duplicate=True),
                "periodes": Output(ids.PERIODE, "options", allow_duplicate=True),
                "rayons": Output(ids.RAYON, "options", allow_duplicate=True),
                "periode": Output(ids.PERIODE, "value", allow_duplicate=True)},
        inputs={"done": Input(RESULTS_STORE, "data")}, state={"periode": State(ids.PERIODE, "value")},
        prevent_initial_call=True)
    def show_results(done, periode):
        # The header's periode and rayon lists follow what was just stored (the job ran in
        # another process, whose cache this one does not share); a header that had no
        # periode yet takes the default (the newest with an MC). A file the shrink guard refused is listed again.
        queries.invalidate()
        engine = app_engine()
        found = queries.periodes(engine)
        stored = [p["periode"] for p in found]
        done = done if isinstance(done, dict) else {}
        again = done.get("staged") or []
        return {"results": results_view(done.get("results")), "staged": again, "start": not again,
                "periodes": periode_options(stored), "rayons": rayon_options(queries.rayons(engine)),
                "periode": periode if periode in stored else default_periode(found)}

    @app.callback(Output(ERRORS_DOWNLOAD, "data"), Input({"type": ERRORS_BUTTON, "upload": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def download_errors(_clicks):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update
        try:
            upload_id = int(ctx.triggered_id["upload"])
        except (TypeError, ValueError, KeyError):
            return no_update
        content, name = upload_problems(app_engine(), upload_id, "csv")
        return dcc.send_bytes(content, name)


def stage_files():
    """STAGE_ROUTE: the chosen files, streamed to the staging folder and previewed (admins)."""
    config = current_app.config["SUNTER_CONFIG"]
    try:
        try:
            csrf.protect()
        except CSRFError:
            raise BadParameter("Halaman ini sudah kedaluwarsa; muat ulang halaman lalu pilih file lagi.",
                               "The page's CSRF token is missing or stale.") from None
        sent = request.files.getlist("file")
        if not sent or len(sent) > MAX_FILES:
            raise BadParameter(f"Kirim 1 sampai {MAX_FILES} file sekaligus.", f"Send 1 to {MAX_FILES} files.",
                               field="file")
        token, rows = stage(app_engine(), current_actor(), sent, config.max_upload_bytes)
    except SunterError as exc:
        return jsonify(exc.as_json()), exc.status
    return jsonify(token=token, rows=rows)


def register_callbacks(app: Dash) -> None:
    app.server.add_url_rule(STAGE_ROUTE, "upload_stage", stage_files, methods=["POST"])
    _register_staging(app)
    _register_loading(app)
    _register_results(app)


def claim(body: dict) -> None:
    """Before Dash spawns the loading job: the admin's own staged set, and a free slot."""
    claim_job(current_actor(), state_value(body, TOKEN))


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION,
          background=(Background(f"{RESULTS_STORE}.data", PERMISSION, claim),))
