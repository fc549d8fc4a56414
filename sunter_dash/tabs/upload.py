"""Tab "Unggah" (admins): several files at once, checked before loading, loaded with progress.

1. Dropped files are size-checked in the browser (a larger file gets a message and is
   never sent), then join the admin's list on the server (services/staging.py, which checks
   the role): type, periode and deciding rule are previewed, with the snapshot it would
   replace, the column profile that applies and columns no type knows. The list outlives the
   page: leaving the tab, or reloading, finds it again.
2. The list is a grid whose type and periode cells can be edited (a periode in any of DATA.md's
   forms, checked as it is typed); a file can be taken off it. Its Status column marks what
   cannot be loaded. Selecting a file shows the type's columns beside the file's: a missing or
   optional column can be mapped to one of the file's, and the mapping saved as a profile that
   applies by itself to later files with the same headers (DATA.md, column mapping).
3. "Muat semua" says what it will skip, asks first when a snapshot would replace one with more
   than twice its customers (the shrink guard, both counts shown), then runs a background
   callback (a worker process) that loads the loadable files through the upload service. The
   job only loads what a manifest holds, and a manifest is only ever written for an admin, so a
   crafted request cannot load anything (the token naming the list is random).
4. Progress, then the batch's summary ("17 dimuat, 1 ditolak"), stay at the top of the page;
   the result per file (stored / rejected / duplicate / warnings, the notes, the row errors
   and warnings, which download as CSV) follows below, and the figures of every page follow at
   once. Refused and skipped files stay in the list to be corrected and loaded again. A page
   that comes back during a load polls the job's status file until it ends.
5. The formats card lists each type's columns and offers an example file (tabs/upload_formats.py).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app, jsonify, request
from flask_wtf.csrf import CSRFError, generate_csrf

from .. import ids, queries
from ..auth import csrf, current_actor
from ..components.forms import heading, notice, periode_options, rayon_options
from ..components.grids import column, grid
from ..domain import files
from ..domain.errors import BadParameter, SunterError
from ..domain.periodes import default_periode, periode_label
from ..export import upload_problems
from ..extensions import app_engine
from ..formatting import number
from ..services import staging
from ..services.staging import AUTO, CONFIRM, REFUSED, UNUSABLE, confirm_replace, restage, stage
from ..services.staging_job import claim_job, load_staged
from .base import Background, Tab, state_value
from .upload_formats import formats_card, register_formats
from .upload_mapping import grid_rows, mapping_card, register_mapping, selected_row, swapped
from .upload_results import ERRORS_BUTTON, progress_view, results_view, summary_view

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
REPLACE_MODAL = "upload-replace-modal"
REPLACE_BODY = "upload-replace-body"
REPLACE_CONFIRM = "upload-replace-confirm"
REPLACE_CANCEL = "upload-replace-cancel"
REMOVE = "upload-remove"
ASKED = "upload-replace-asked"  # the files the shrink guard's question showed
READINESS = "upload-readiness"
BATCH = "upload-batch"
SUMMARY = "upload-summary"
POLL = "upload-poll"

STAGE_ROUTE = "/upload/stage"  # the page's file transfer (multipart; the only page route taking large bodies)
MAX_FILES = 10  # files at once
ACCEPT = ".xlsx,.xls,.xlsm,.dbf,.csv,.txt,.tsv,.dat"


def staged_columns() -> list[dict]:
    return [
        column("status", "Status", minWidth=120, flex=0, width=130, wrapText=True, autoHeight=True,
               cellClassRules={"upload-status-unusable": f"params.value === '{UNUSABLE}'",
                               "upload-status-refused": f"params.value === '{REFUSED}'",
                               "upload-status-confirm": f"params.value === '{CONFIRM}'"}),
        column("file", "File", minWidth=180, tooltipField="file", wrapText=True, autoHeight=True,
               cellStyle={"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px", "wordBreak": "break-all"}),
        column("size_label", "Ukuran", minWidth=90, flex=0, width=100),
        column("type", "Tipe", minWidth=130, flex=0, width=150, editable=True, cellEditor="agSelectCellEditor",
               cellEditorParams={"values": [AUTO, *files.names()]}, cellClass="upload-editable"),
        column("periode", "Periode", minWidth=130, flex=0, width=140, editable=True, cellClass="upload-editable",
               headerTooltip="Tulis 2025-12, 122025 atau Des 2025"),
        column("rule_label", "Ditentukan dari", minWidth=150),
        column("note", "Catatan", minWidth=260, tooltipField="note", wrapText=True, autoHeight=True,
               cellClassRules={"upload-note-refused": f"params.data.refused || params.data.status === '{REFUSED}'",
                               "upload-note-confirm": "params.data.replaces && params.data.replaces.needs_replace"}),
    ]


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
    # The admin's list as the server keeps it: a page that comes back finds its files, and a
    # load still running (polled until it ends) or the outcome of the last one.
    now = staging.current(app_engine(), current_actor()) or {}
    staged = grid(STAGED, staged_columns(), now.get("rows"), singleClickEdit=True,
                  stopEditingWhenCellsLoseFocus=True, tooltipShowDelay=400,
                  rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True})
    staged.getRowId = "params.data.key"
    running, done = bool(now.get("running")), now.get("done") or {}
    return html.Div([
        dcc.Store(id=INCOMING),
        dcc.Store(id=TOKEN, data=now.get("token")),
        dcc.Store(id=RUN, data=0),
        dcc.Store(id=ASKED, data=[]),
        dcc.Store(id=PROGRESS_STORE, data=now.get("progress")),
        dcc.Store(id=RESULTS_STORE),
        dcc.Interval(id=POLL, interval=1000, disabled=not running),
        dcc.Download(id=ERRORS_DOWNLOAD),
        html.Div([html.Div(summary_view(done) if done else None, id=SUMMARY),
                  html.Div(progress_view(now.get("progress")), id=PROGRESS)], id=BATCH, className="upload-batch"),
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
            ], id=DROP, className="upload-drop" + (" upload-drop-busy" if running else ""), htmlFor=CHOOSER,
                **{"data-limit": str(limit), "data-max-files": str(MAX_FILES), "data-route": STAGE_ROUTE,
                   "data-csrf": generate_csrf()}),
            html.Div(id=SIZE_ALERT),
            html.Div(id=STAGE_ALERT),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            heading("Siap dimuat", "Periksa tipe dan periode; klik sel untuk mengubahnya. Klik baris untuk "
                    "memilih kolom file atau mengeluarkannya dari daftar.",
                    html.Div([
                        dbc.Button([html.I(className="bi bi-x-lg me-1"), "Keluarkan dari daftar"], id=REMOVE,
                                   color="secondary", outline=True, disabled=True, className="text-nowrap"),
                        dbc.Button([html.I(className="bi bi-play-fill me-1"), "Muat semua"], id=START,
                                   color="primary", disabled=running or not _usable(staged.rowData),
                                   className="text-nowrap"),
                    ], className="d-flex gap-2 flex-wrap justify-content-end")),
            html.Div(readiness_text(staged.rowData), id=READINESS, className="small mb-2"),
            staged,
        ]), className="mb-3"),
        mapping_card(),
        html.Div(results_view(done.get("results")) if done else None, id=RESULTS),
        formats_card(),
        _replace_modal(),
    ])


def _usable(rows) -> list[dict]:
    return [r for r in grid_rows(rows) if r.get("loadable") and r.get("status") != UNUSABLE]


def readiness_text(rows: list[dict] | None) -> str | None:
    """What "Muat semua" will do with the list: how many it loads, and which it skips."""
    rows = grid_rows(rows)
    if not rows:
        return None
    usable = _usable(rows)
    skipped = [str(r.get("file", "?")) for r in rows if r not in usable]
    text = f"{number(len(usable))} file akan dimuat." if usable else "Belum ada file yang dapat dimuat."
    if skipped:
        text += (f" {number(len(skipped))} file dilewati sampai diperbaiki (lihat Status dan Catatan): "
                 f"{', '.join(skipped)}.")
    return text


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
    return [r for r in rows if r["status"] == CONFIRM]


def _outcome(done) -> bool:
    """Is this a job's outcome (services/staging_job.py), as a page can show it?"""
    counts = ("read", "stored", "rejected", "duplicate", "error_count", "warning_count")
    return isinstance(done, dict) and isinstance(done.get("results"), list) and all(
        isinstance(r, dict) and isinstance(r.get("file"), str) and isinstance(r.get("status"), str)
        and all(isinstance(r.get(c, 0), int) for c in counts) for r in done["results"]) and isinstance(done.get("skipped", []), list) and all(
        isinstance(f, str) for f in done.get("skipped", [])) and isinstance(done.get("staged", []), list)


def _edits(changed) -> list[dict]:
    """AG Grid's cellValueChanged: one event or a list of them."""
    return [e for e in (changed if isinstance(changed, list) else [changed]) if isinstance(e, dict)]


def _register_staging(app: Dash) -> None:
    @app.callback(
        output={"rows": Output(STAGED, "rowData"), "token": Output(TOKEN, "data"),
                "alert": Output(STAGE_ALERT, "children")},
        inputs={"incoming": Input(INCOMING, "data")}, prevent_initial_call=True)
    def staged(incoming):
        """What the file transfer (STAGE_ROUTE) answered: the admin's list with the new files, or why not."""
        incoming = incoming if isinstance(incoming, dict) else {}
        if incoming.get("error"):
            return {"rows": no_update, "token": no_update, "alert": notice(str(incoming["error"]), "danger")}
        rows = incoming.get("rows") if isinstance(incoming.get("rows"), list) else []
        if not rows:
            return {"rows": no_update, "token": no_update, "alert": no_update}
        return {"rows": rows, "token": incoming.get("token"), "alert": None}

    @app.callback(
        output={"start": Output(START, "disabled", allow_duplicate=True), "text": Output(READINESS, "children")},
        inputs={"rows": Input(STAGED, "rowData")}, prevent_initial_call=True)
    def readiness(rows):
        """"Muat semua" is offered when a file can be loaded, and says what it will skip."""
        return {"start": not _usable(rows), "text": readiness_text(rows)}

    @app.callback(Output(REMOVE, "disabled"), Input(STAGED, "selectedRows"), prevent_initial_call=True)
    def removable(selected):
        return not selected

    @app.callback(
        output={"rows": Output(STAGED, "rowData", allow_duplicate=True),
                "alert": Output(STAGE_ALERT, "children", allow_duplicate=True)},
        inputs={"_remove": Input(REMOVE, "n_clicks")},
        state={"selected": State(STAGED, "selectedRows"), "rows": State(STAGED, "rowData"),
               "token": State(TOKEN, "data")}, prevent_initial_call=True)
    def remove(_remove, selected, rows, token):
        """Take the selected file off the list."""
        row = selected_row(rows, selected)
        if row is None:
            return {"rows": no_update, "alert": None}
        if not row.get("loadable"):  # never kept on the server: only listed to say why
            return {"rows": [r for r in grid_rows(rows) if r.get("key") != row["key"]], "alert": None}
        try:
            left = staging.unstage(current_actor(), token, row["key"])
        except SunterError as exc:
            return {"rows": no_update, "alert": notice(exc.told("page"), "danger")}
        return {"rows": left, "alert": notice(f"{row.get('file', 'File')} dikeluarkan dari daftar.", "info")}

    @app.callback(
        output={"rows": Output(STAGED, "rowData", allow_duplicate=True),
                "alert": Output(STAGE_ALERT, "children", allow_duplicate=True)},
        inputs={"changed": Input(STAGED, "cellValueChanged")},
        state={"rows": State(STAGED, "rowData"), "token": State(TOKEN, "data")}, prevent_initial_call=True)
    def edited(changed, rows, token):
        """A type or periode typed in the grid: the file is previewed again with it. A periode that
        names no month is refused at once, and the cell shows the file's periode again."""
        rows = grid_rows(rows)
        for event in _edits(changed):
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            key, column, value = data.get("key"), event.get("colId"), event.get("value")
            if not isinstance(key, str) or column not in ("type", "periode"):
                continue
            try:
                if column == "type":
                    rows = swapped(rows, restage(app_engine(), current_actor(), token, key, file_type=value))
                elif column == "periode":
                    rows = swapped(rows, restage(app_engine(), current_actor(), token, key, periode=value))
            except SunterError as exc:
                back = [{**r, column: event.get("oldValue")} if r.get("key") == key and column else r for r in rows]
                return {"rows": back, "alert": notice(exc.told("page"), "danger")}
        return {"rows": rows, "alert": None}

def _register_loading(app: Dash) -> None:
    config = app.server.config["SUNTER_CONFIG"]

    @app.callback(
        output={"open": Output(REPLACE_MODAL, "is_open"), "body": Output(REPLACE_BODY, "children"),
                "asked": Output(ASKED, "data"), "run": Output(RUN, "data"),
                "alert": Output(STAGE_ALERT, "children", allow_duplicate=True)},
        inputs={"_start": Input(START, "n_clicks"), "_confirm": Input(REPLACE_CONFIRM, "n_clicks"),
                "_cancel": Input(REPLACE_CANCEL, "n_clicks")},
        state={"run": State(RUN, "data"), "token": State(TOKEN, "data"), "asked": State(ASKED, "data")},
        prevent_initial_call=True)
    def go(_start, _confirm, _cancel, run, token, asked):
        """Load, after asking when the shrink guard would refuse a file (DATA.md). The list is the
        server's (never what the page sends back), and only the files the question showed are
        confirmed: one that needs confirming since is asked about first."""
        unchanged = {"open": False, "body": no_update, "asked": no_update, "run": no_update, "alert": no_update}
        if ctx.triggered_id == REPLACE_CANCEL:
            return unchanged
        run = run if isinstance(run, int) else 0
        actor = current_actor()
        try:
            claim_job(actor, token, claim=False)  # says now why the job would be refused
            asking = _needing_confirmation(staging.rows_of(actor, token))
            shown = {str(k) for k in asked} if isinstance(asked, list) else set()
            if asking and (ctx.triggered_id != REPLACE_CONFIRM or {r["key"] for r in asking} - shown):
                return {**unchanged, "open": True, "body": replace_question(asking),
                        "asked": [r["key"] for r in asking]}
            if ctx.triggered_id == REPLACE_CONFIRM:
                confirm_replace(actor, token, [r["key"] for r in asking])
        except SunterError as exc:
            return {**unchanged, "alert": notice(exc.told("page"), "danger")}
        return {**unchanged, "asked": [], "run": run + 1, "alert": None}

    @app.callback(Output(RESULTS_STORE, "data"), Input(RUN, "data"), State(TOKEN, "data"),
                  background=True, progress=[Output(PROGRESS_STORE, "data")],
                  running=[(Output(START, "disabled"), True, True),
                           (Output(DROP, "className"), "upload-drop upload-drop-busy", "upload-drop")],
                  prevent_initial_call=True)
    def start(set_progress, _run, token):
        # Loads only what the manifest of an admin's list says (services/staging_job.py).
        return load_staged(config.database_url, config.max_upload_bytes, token, set_progress)


def _register_results(app: Dash) -> None:
    @app.callback(Output(PROGRESS, "children"), Input(PROGRESS_STORE, "data"), prevent_initial_call=True)
    def show_progress(items):
        return progress_view(items)

    @app.callback(
        output={"progress": Output(PROGRESS_STORE, "data", allow_duplicate=True),
                "done": Output(RESULTS_STORE, "data", allow_duplicate=True), "stop": Output(POLL, "disabled")},
        inputs={"_tick": Input(POLL, "n_intervals")}, state={"token": State(TOKEN, "data")},
        prevent_initial_call=True)
    def poll(_tick, token):
        """A page that came back during a load follows the job through its status file."""
        try:
            state = staging.job_state(current_actor(), token)
        except SunterError:
            return {"progress": no_update, "done": no_update, "stop": True}
        if state["running"]:
            return {"progress": state["progress"] or no_update, "done": no_update, "stop": False}
        return {"progress": no_update, "done": state["done"] or no_update, "stop": True}

    @app.callback(
        output={"results": Output(RESULTS, "children"), "staged": Output(STAGED, "rowData", allow_duplicate=True),
                "summary": Output(SUMMARY, "children"), "progress": Output(PROGRESS, "children", allow_duplicate=True),
                "drop": Output(DROP, "className", allow_duplicate=True),
                "periodes": Output(ids.PERIODE, "options", allow_duplicate=True),
                "rayons": Output(ids.RAYON, "options", allow_duplicate=True),
                "periode": Output(ids.PERIODE, "value", allow_duplicate=True)},
        inputs={"done": Input(RESULTS_STORE, "data")}, state={"periode": State(ids.PERIODE, "value")},
        prevent_initial_call=True)
    def show_results(done, periode):
        # The header's periode and rayon lists follow what was just stored (the job ran in
        # another process, whose cache this one does not share); a header that had no
        # periode yet takes the default (the newest with an MC). Skipped and refused files are listed again.
        if not _outcome(done):
            raise PreventUpdate  # the store appearing with the tab, empty: no load has ended
        queries.invalidate()
        engine = app_engine()
        found = queries.periodes(engine)
        stored = [p["periode"] for p in found]
        return {"results": results_view(done.get("results")), "staged": grid_rows(done.get("staged")),
                "summary": summary_view(done), "progress": None, "drop": "upload-drop",
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
        return jsonify({**exc.as_json(), "error": exc.told("page")}), exc.status
    return jsonify(token=token, rows=rows)


def register_callbacks(app: Dash) -> None:
    app.server.add_url_rule(STAGE_ROUTE, "upload_stage", stage_files, methods=["POST"])
    _register_staging(app)
    register_mapping(app, STAGED, TOKEN)
    _register_loading(app)
    _register_results(app)
    register_formats(app)


def claim(body: dict) -> None:
    """Before Dash spawns the loading job: the admin's own staged set, and a free slot."""
    claim_job(current_actor(), state_value(body, TOKEN))


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION,
          background=(Background(f"{RESULTS_STORE}.data", PERMISSION, claim),))
