"""Tab "Unggah" (admins): several files at once, checked before loading, loaded with progress.

1. Dropped files are size-checked in the browser (a larger file gets a message and is
   never sent), then staged on the server by a normal callback that checks the role:
   each file is written to a staging folder with a manifest naming the admin, and its
   type, periode and deciding rule are previewed (ingest/preview.py).
2. The staged files are listed in a grid whose type and periode cells can be edited.
3. "Muat" runs a background callback (a worker process): it loads every staged file
   through ``ingest_file``, reporting progress per file. The job only loads what a
   manifest holds, and a manifest is only ever written for an admin, so a crafted
   request cannot load anything (the token naming the staging folder is random).
4. The result per file (stored / rejected / duplicate, the message, the row errors, which
   download as CSV) appears below; the figures of every page follow at once.
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import current_app
from flask_login import current_user
from werkzeug.utils import secure_filename

from .. import ids, queries
from ..auth import audit_as, client_address, may
from ..components.grids import column, grid
from ..export import neutralise
from ..formatting import number, periode_label
from ..ingest.specs import SPECS

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

STAGING = Path(tempfile.gettempdir()) / "sunter_dash-uploads"
MANIFEST = "manifest.json"
AUTO = "(otomatis)"
STATUS = {"loaded": ("Dimuat", "success"), "duplicate": ("Duplikat", "secondary"),
          "refused": ("Ditolak", "danger")}
RULES = {"explicit": "ditentukan pengguna", "column": "kolom periode", "filename": "nama file",
         "mc_filename": "nama file MC (bulan baca + 1)", "mc_reading_date": "tanggal baca MC (+1 bulan)",
         "payment_date": "tanggal bayar"}

STAGED_COLUMNS = [
    column("file", "File", minWidth=260),
    column("size_label", "Ukuran", minWidth=90, flex=0, width=110),
    column("type", "Tipe", minWidth=130, flex=0, width=150, editable=True, cellEditor="agSelectCellEditor",
           cellEditorParams={"values": [AUTO, *SPECS]}, cellClass="upload-editable"),
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
                    html.Div(f"MC, COLLECTION, SBRS, MAINBILL, MB, ARDEBT, RUTE · .xlsx .xls .csv .txt · "
                             f"maks {limit // 1048576} MB per file; beberapa file sekaligus",
                             className="text-muted small"),
                ], className="upload-drop-inner"),
                className="upload-drop",
            ),
            html.Div(id=SIZE_ALERT),
            html.Div(id=STAGE_ALERT),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.Div([
                html.Div([html.H5("Siap dimuat", className="card-title mb-0"),
                          html.Div("Periksa tipe dan periode; klik sel untuk mengubahnya sebelum memuat.",
                                   className="text-muted small")]),
                dbc.Button([html.I(className="bi bi-play-fill me-1"), "Muat semua"], id=START, color="primary",
                           disabled=True),
            ], className="d-flex justify-content-between align-items-center mb-2"),
            grid(STAGED, STAGED_COLUMNS, singleClickEdit=True, stopEditingWhenCellsLoseFocus=True),
            html.Div(id=PROGRESS, className="mt-3"),
        ]), className="mb-3"),
        html.Div(id=RESULTS),
    ])


# --- staging ------------------------------------------------------------------------------

def _size_label(size: int) -> str:
    return f"{number(size / 1048576, 1)} MB" if size >= 1048576 else f"{number(size / 1024, 0)} KB"


def stage(files: list[dict], username: str, address: str) -> tuple[str, list[dict]]:
    """Write the files to a new staging folder with a manifest; preview each one."""
    from ..ingest.preview import preview

    _forget_abandoned()
    token = secrets.token_urlsafe(24)
    folder = STAGING / token
    folder.mkdir(parents=True)
    rows = []
    for index, item in enumerate(files):
        name = Path(item["name"]).name or f"file-{index}"
        try:
            content = base64.b64decode(item["content"].split(",", 1)[1], validate=True)
        except (IndexError, ValueError, binascii.Error):
            rows.append({"key": f"{index}", "file": name, "size_label": "-", "type": AUTO, "periode": "",
                         "rule_label": "", "note": "File tidak terbaca oleh peramban; unggah ulang.",
                         "path": None})
            continue
        path = folder / f"{index:03d}-{secure_filename(name) or 'file'}"
        path.write_bytes(content)
        seen = preview(path, name)
        rows.append({
            "key": f"{index}", "file": name, "size": len(content), "size_label": _size_label(len(content)),
            "type": seen["type"] or AUTO, "periode": seen["periode"] or "",
            "rule_label": RULES.get(seen["rule"], seen["rule"] or ""),
            "note": seen["error"] or "", "path": path.name,
        })
    (folder / MANIFEST).write_text(json.dumps({"username": username, "address": address,
                                               "files": [r["path"] for r in rows if r["path"]]}))
    return token, rows


def _forget_abandoned(max_age_seconds: int = 24 * 3600) -> None:
    """Staged files nobody loaded (the page was closed) are removed after a day."""
    if not STAGING.is_dir():
        return
    cutoff = time.time() - max_age_seconds
    for folder in STAGING.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def _manifest(token: str | None) -> tuple[Path, dict] | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = STAGING / token
    try:
        return folder, json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


# --- loading (runs in the background worker) -------------------------------------------------

def load_staged(database_url: str, max_bytes: int, token: str, rows: list[dict], set_progress) -> list[dict]:
    """Load every staged file of a manifest; report progress after each step of each file."""
    from ..db import get_engine
    from ..ingest import ingest_file
    from ..models import User
    from sqlalchemy import select

    found = _manifest(token)
    if found is None:
        return [{"file": "-", "status": "refused", "message": "Unggahan ini sudah tidak ada; pilih file lagi."}]
    folder, manifest = found
    engine = get_engine(database_url)
    engine.dispose(close=False)  # a forked worker must not share the parent's connections
    with engine.connect() as conn:
        role = conn.execute(select(User.role).where(User.username == manifest["username"],
                                                    User.active.is_(True))).scalar()
    if role != "admin":
        shutil.rmtree(folder, ignore_errors=True)
        return [{"file": "-", "status": "refused", "message": "Hanya admin yang dapat memuat file."}]
    wanted = [r for r in rows if r.get("path") in manifest["files"]]
    progress = [{"file": r["file"], "pct": 0, "stage": "menunggu"} for r in wanted]
    results = []
    for index, row in enumerate(wanted):
        def report(stage: str, done: int, total: int, index=index) -> None:
            share = {"membaca": 5, "menyimpan": 10 + 80 * (done / total if total else 1), "meringkas": 92}
            progress[index] = {"file": row["file"], "pct": round(share.get(stage, 50)), "stage": stage}
            set_progress([list(progress)])
        report("membaca", 0, 1)
        result = ingest_file(engine, folder / row["path"], filename=row["file"],
                             file_type=None if row.get("type") in (None, "", AUTO) else row["type"],
                             periode=(row.get("periode") or "").strip() or None,
                             username=manifest["username"], max_bytes=max_bytes, progress=report)
        progress[index] = {"file": row["file"], "pct": 100, "stage": "selesai"}
        set_progress([list(progress)])
        audit_as(engine, manifest["username"], manifest.get("address"), "upload",
                 f"#{result.upload_id} {row['file']}: {result.status}, {result.type or '-'} "
                 f"{result.periode or '-'}, {result.stored} baris disimpan")
        results.append(result.as_json())
    shutil.rmtree(folder, ignore_errors=True)
    return results


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
    label, color = STATUS.get(result["status"], (result["status"], "secondary"))
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


def register_callbacks(app: Dash) -> None:
    config = app.server.config["SUNTER_CONFIG"]

    app.clientside_callback(CHECK_SIZES, Output(INCOMING, "data"), Output(SIZE_ALERT, "children"),
                            Input(DROP, "contents"), State(DROP, "filename"), State(LIMIT, "data"),
                            prevent_initial_call=True)

    @app.callback(Output(STAGED, "rowData"), Output(TOKEN, "data"), Output(STAGE_ALERT, "children"),
                  Output(START, "disabled"), Output(DROP, "contents"),
                  Input(INCOMING, "data"), prevent_initial_call=True)
    def staged(incoming):
        if not may(PERMISSION):
            return [], None, dbc.Alert("Hanya admin yang dapat mengunggah file.", color="danger"), True, None
        files = (incoming or {}).get("files") or []
        if not files:
            return no_update, no_update, no_update, no_update, None
        token, rows = stage(files, current_user.username, client_address())
        ready = any(r["path"] for r in rows)
        return rows, token, None, not ready, None

    @app.callback(Output(RESULTS_STORE, "data"), Input(START, "n_clicks"),
                  State(TOKEN, "data"), State(STAGED, "rowData"),
                  background=True, progress=[Output(PROGRESS_STORE, "data")],
                  running=[(Output(START, "disabled"), True, True), (Output(DROP, "disabled"), True, False)],
                  prevent_initial_call=True)
    def start(set_progress, _clicks, token, rows):
        return load_staged(config.database_url, config.max_upload_bytes, token, rows or [], set_progress)

    @app.callback(Output(PROGRESS, "children"), Input(PROGRESS_STORE, "data"))
    def show_progress(items):
        return progress_view(items)

    @app.callback(Output(RESULTS, "children"), Output(STAGED, "rowData", allow_duplicate=True),
                  Output(ids.PERIODE, "options", allow_duplicate=True),
                  Output(ids.RAYON, "options", allow_duplicate=True),
                  Output(ids.PERIODE, "value", allow_duplicate=True),
                  Input(RESULTS_STORE, "data"), State(ids.PERIODE, "value"), prevent_initial_call=True)
    def show_results(results, periode):
        # The header's periode and rayon lists follow what was just stored; a header that
        # had no periode yet takes the newest.
        queries.invalidate()
        stored = [p["periode"] for p in queries.periodes()]
        periodes = [{"label": periode_label(p), "value": p} for p in stored]
        rayons = [{"label": "Semua", "value": queries.ALL_RAYONS}] + [
            {"label": f"Rayon {r}", "value": r} for r in queries.rayons()]
        keep = periode if periode in stored else (stored[0] if stored else None)
        return results_view(results), [], periodes, rayons, keep

    @app.callback(Output(ERRORS_DOWNLOAD, "data"), Input({"type": ERRORS_BUTTON, "upload": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def download_errors(_clicks):
        if not ctx.triggered or not ctx.triggered[0]["value"] or not may(PERMISSION):
            return no_update
        upload_id = ctx.triggered_id["upload"]
        frame = pd.DataFrame(queries.upload_errors(upload_id), columns=["row", "column", "value", "reason"])
        frame.columns = ["Baris", "Kolom", "Nilai", "Alasan"]
        return dcc.send_bytes(neutralise(frame).to_csv(index=False).encode("utf-8-sig"),
                              f"kesalahan-unggahan-{upload_id}.csv")
