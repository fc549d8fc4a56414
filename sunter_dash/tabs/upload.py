"""Tab "Unggah" (admins): several files at once, checked before loading, loaded with progress.

1. Dropped files are size-checked in the browser (a larger file gets a message and is
   never sent), then staged on the server (services/uploads.py, which checks the role):
   each file is written to a staging folder with a manifest naming the admin, and its
   type, periode and deciding rule are previewed.
2. The staged files are listed in a grid whose type and periode cells can be edited.
3. "Muat" runs a background callback (a worker process): it loads every staged file
   through the upload service, reporting progress per file. The job only loads what a
   manifest holds, and a manifest is only ever written for an admin, so a crafted
   request cannot load anything (the token naming the staging folder is random).
4. The result per file (stored / rejected / duplicate, the message, the row errors, which
   download as CSV) appears below; the figures of every page follow at once.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import current_app

from .. import ids, queries
from ..auth import current_actor
from ..components.forms import heading, periode_options, rayon_options
from ..components.grids import column, grid
from ..domain import files
from ..domain.periodes import periode_label
from ..domain.uploads import UPLOAD_STATUSES
from ..export import neutralise
from ..extensions import app_engine
from ..formatting import number
from ..services.uploads import AUTO, load_staged, stage
from .base import Tab, guarded

TAB_ID = "upload"
LABEL = "Unggah"
PERMISSION = "upload"

DROP = "upload-drop"
LIMIT = "upload-limit"
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
ERRORS_BUTTON = "upload-errors-button"

STATUS_COLORS = {"loaded": "success", "duplicate": "secondary", "refused": "danger"}
def staged_columns() -> list[dict]:
    return [
        column("file", "File", minWidth=260),
        column("size_label", "Ukuran", minWidth=90, flex=0, width=110),
        column("type", "Tipe", minWidth=130, flex=0, width=150, editable=True, cellEditor="agSelectCellEditor",
               cellEditorParams={"values": [AUTO, *files.names()]}, cellClass="upload-editable"),
        column("periode", "Periode (YYYY-MM)", minWidth=150, flex=0, width=170, editable=True,
               cellClass="upload-editable"),
        column("rule_label", "Ditentukan dari", minWidth=160),
        column("note", "Catatan", minWidth=260),
    ]

# Sizes are judged in the browser, so a file over the limit is never sent.
CHECK_SIZES = """
function (contents, names, limit) {
    if (!contents) { return [window.dash_clientside.no_update, null]; }
    const accepted = [], refused = [];
    contents.forEach(function (content, i) {
        const comma = content.indexOf(',');
        const bytes = Math.floor((content.length - comma - 1) * 3 / 4);
        if (bytes > limit) { refused.push(names[i] + ' (' + (bytes / 1048576).toFixed(1) + ' MB)'); }
        else { accepted.push({name: names[i], content: content}); }
    });
    const message = refused.length ? 'Terlalu besar, tidak diunggah: ' + refused.join(', ') +
        '. Batasnya ' + Math.round(limit / 1048576) + ' MB per file; pecah file per periode atau per rayon.' : null;
    return [accepted.length ? {files: accepted, at: Date.now()} : window.dash_clientside.no_update, message];
}
"""


def layout() -> html.Div:
    limit = current_app.config["SUNTER_CONFIG"].max_upload_bytes
    return html.Div([
        dcc.Store(id=LIMIT, data=limit),
        dcc.Store(id=INCOMING),
        dcc.Store(id=TOKEN),
        dcc.Store(id=PROGRESS_STORE),
        dcc.Store(id=RESULTS_STORE),
        dcc.Download(id=ERRORS_DOWNLOAD),
        dbc.Card(dbc.CardBody([
            html.H5("Unggah file ekspor billing", className="card-title"),
            dcc.Upload(
                id=DROP, multiple=True,
                children=html.Div([
                    html.I(className="bi bi-cloud-arrow-up upload-icon"),
                    html.Div([html.Strong("Tarik dan lepas file di sini"), " atau klik untuk memilih"]),
                    html.Div(f"{', '.join(files.names())} · .xlsx .xls .csv .txt · "
                             f"maks {limit // 1048576} MB per file; beberapa file sekaligus",
                             className="text-muted small"),
                ], className="upload-drop-inner"),
                className="upload-drop",
            ),
            html.Div(id=SIZE_ALERT),
            html.Div(id=STAGE_ALERT),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            heading("Siap dimuat", "Periksa tipe dan periode; klik sel untuk mengubahnya sebelum memuat.",
                    dbc.Button([html.I(className="bi bi-play-fill me-1"), "Muat semua"], id=START, color="primary",
                               disabled=True)),
            grid(STAGED, staged_columns(), singleClickEdit=True, stopEditingWhenCellsLoseFocus=True),
            html.Div(id=PROGRESS, className="mt-3"),
        ]), className="mb-3"),
        html.Div(id=RESULTS),
    ])


# --- showing ----------------------------------------------------------------------------------

def progress_view(items: list[dict] | None):
    if not items:
        return None
    stages = {"menunggu": "menunggu", "membaca": "membaca file", "menyimpan": "menyimpan baris",
              "meringkas": "memperbarui ringkasan", "selesai": "selesai"}
    return html.Div([html.Div([
        html.Div([html.Span(item["file"], className="fw-semibold"),
                  html.Span(f"{stages.get(item['stage'], item['stage'])} · {item['pct']}%",
                            className="text-muted small")], className="d-flex justify-content-between"),
        dbc.Progress(value=item["pct"], striped=item["pct"] < 100, animated=item["pct"] < 100,
                     color="success" if item["pct"] == 100 else "primary", className="mb-2 upload-progress-bar"),
    ], className="upload-progress-item") for item in items])


def result_card(result: dict) -> dbc.Card:
    label = UPLOAD_STATUSES.get(result["status"], result["status"])
    color = STATUS_COLORS.get(result["status"], "secondary")
    counts = (f"dibaca {number(result.get('read', 0))} · disimpan {number(result.get('stored', 0))} · "
              f"ditolak {number(result.get('rejected', 0))} · duplikat {number(result.get('duplicate', 0))}")
    errors = [e for e in result.get("errors", []) if e.get("row") is not None]
    detail = [html.Div(counts, className="small")]
    if result.get("type"):
        detail.insert(0, html.Div(f"{result['type']} · {periode_label(result.get('periode'))}", className="small"))
    if result.get("message"):
        detail.append(html.Div(result["message"], className="small mt-1"))
    if errors:
        detail.append(_errors_grid(result, errors))
    if result.get("error_count") and result.get("upload_id"):
        detail.append(dbc.Button([html.I(className="bi bi-filetype-csv me-1"),
                                  f"Unduh semua {number(result['error_count'])} kesalahan"],
                                 id={"type": ERRORS_BUTTON, "upload": result["upload_id"]}, size="sm",
                                 color="light", className="export-btn mt-2"))
    return dbc.Card(dbc.CardBody([
        html.Div([html.Span(result["file"], className="fw-semibold"), dbc.Badge(label, color=color)],
                 className="d-flex justify-content-between align-items-center mb-1"),
        *detail,
    ]), className="mb-2 upload-result", id={"type": "upload-result", "upload": result.get("upload_id") or 0})


def _errors_grid(result: dict, errors: list[dict]):
    return html.Div(grid(f"upload-errors-{result['upload_id']}", [
        column("row", "Baris", "number", flex=0, width=90), column("column", "Kolom", minWidth=120),
        column("value", "Nilai", minWidth=140), column("reason", "Alasan", minWidth=260),
    ], errors), className="mt-2")


def results_view(results: list[dict] | None):
    if not results:
        return None
    return dbc.Card(dbc.CardBody([html.H5("Hasil", className="card-title"),
                                  *[result_card(r) for r in results]]))


def _register_loading(app: Dash) -> None:
    config = app.server.config["SUNTER_CONFIG"]

    app.clientside_callback(CHECK_SIZES, Output(INCOMING, "data"), Output(SIZE_ALERT, "children"),
                            Input(DROP, "contents"), State(DROP, "filename"), State(LIMIT, "data"),
                            prevent_initial_call=True)

    @app.callback(
        output={"rows": Output(STAGED, "rowData"), "token": Output(TOKEN, "data"),
                "alert": Output(STAGE_ALERT, "children"), "disabled": Output(START, "disabled"),
                "contents": Output(DROP, "contents")},
        inputs={"incoming": Input(INCOMING, "data")}, prevent_initial_call=True)
    @guarded(PERMISSION, rows=[], token=None, alert=dbc.Alert("Hanya admin yang dapat mengunggah file.",
                                                              color="danger"), disabled=True, contents=None)
    def staged(incoming):
        sent = (incoming or {}).get("files") or []
        if not sent:
            return {"rows": no_update, "token": no_update, "alert": no_update, "disabled": no_update,
                    "contents": None}
        token, rows = stage(current_actor(), sent)
        return {"rows": rows, "token": token, "alert": None, "disabled": not any(r["path"] for r in rows),
                "contents": None}

    @app.callback(Output(RESULTS_STORE, "data"), Input(START, "n_clicks"),
                  State(TOKEN, "data"), State(STAGED, "rowData"),
                  background=True, progress=[Output(PROGRESS_STORE, "data")],
                  running=[(Output(START, "disabled"), True, True), (Output(DROP, "disabled"), True, False)],
                  prevent_initial_call=True)
    def start(set_progress, _clicks, token, rows):
        return load_staged(config.database_url, config.max_upload_bytes, token, rows or [], set_progress)


def _register_results(app: Dash) -> None:
    @app.callback(Output(PROGRESS, "children"), Input(PROGRESS_STORE, "data"))
    def show_progress(items):
        return progress_view(items)

    @app.callback(
        output={"results": Output(RESULTS, "children"), "staged": Output(STAGED, "rowData", allow_duplicate=True),
                "periodes": Output(ids.PERIODE, "options", allow_duplicate=True),
                "rayons": Output(ids.RAYON, "options", allow_duplicate=True),
                "periode": Output(ids.PERIODE, "value", allow_duplicate=True)},
        inputs={"results": Input(RESULTS_STORE, "data")}, state={"periode": State(ids.PERIODE, "value")},
        prevent_initial_call=True)
    def show_results(results, periode):
        # The header's periode and rayon lists follow what was just stored (the job ran in
        # another process, whose cache this one does not share); a header that had no
        # periode yet takes the newest.
        queries.invalidate()
        engine = app_engine()
        stored = [p["periode"] for p in queries.periodes(engine)]
        return {"results": results_view(results), "staged": [], "periodes": periode_options(stored),
                "rayons": rayon_options(queries.rayons(engine)),
                "periode": periode if periode in stored else (stored[0] if stored else None)}

    @app.callback(Output(ERRORS_DOWNLOAD, "data"), Input({"type": ERRORS_BUTTON, "upload": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    @guarded(PERMISSION)
    def download_errors(_clicks):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update
        upload_id = ctx.triggered_id["upload"]
        frame = pd.DataFrame(queries.upload_errors(app_engine(), upload_id), columns=["row", "column", "value", "reason"])
        frame.columns = ["Baris", "Kolom", "Nilai", "Alasan"]
        return dcc.send_bytes(neutralise(frame).to_csv(index=False).encode("utf-8-sig"),
                              f"kesalahan-unggahan-{upload_id}.csv")


def register_callbacks(app: Dash) -> None:
    _register_loading(app)
    _register_results(app)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
