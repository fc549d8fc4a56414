"""Tab "Riwayat": every upload and the rows each one rejected (everyone signed in, as
``/api/uploads``), and deleting an upload (admins).

Deleting goes through services/uploads.py, which removes exactly the rows the upload stored
and bumps the data version, so every page's figures follow at once. Every callback answers only
users who may open the tab (tabs/base.py), and deleting checks its own permission (``guarded``).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from .. import queries
from ..auth import current_actor, may
from ..components.forms import heading, notice
from ..components.grids import column, grid
from ..domain import files
from ..domain.clock import wall
from ..domain.errors import SunterError
from ..domain.periodes import periode_label
from ..domain.uploads import PERIODE_RULES, UPLOAD_STATUSES
from ..export import FORMATS, PROBLEM_KINDS, upload_problems
from ..extensions import app_engine, branch_zone
from ..formatting import number
from ..services import uploads
from ..services.uploads import describe
from .base import Tab, guarded

TAB_ID = "history"
LABEL = "Riwayat"
PERMISSION = "read"  # the history is everyone's to read, as /api/uploads is
DELETING = "delete"

ALERT = "history-alert"
RESULT = "history-result"
GRID = "history-grid"
SELECTION = "history-selection"
DELETE = "history-delete"
ERRORS_TITLE = "history-errors-title"
ERRORS_NOTE = "history-errors-note"
ERRORS_GRID = "history-errors-grid"
ERRORS_XLSX = "history-errors-xlsx"
ERRORS_CSV = "history-errors-csv"
ERRORS_DOWNLOAD = "history-errors-download"
ERRORS_ALERT = "history-errors-alert"
MODAL = "history-modal"
MODAL_BODY = "history-modal-body"
CONFIRM = "history-confirm"
CANCEL = "history-cancel"
PENDING = "history-pending"
CHANGED = "history-changed"

REPLACED_UNKEPT = ("Diganti sebelum data lama mulai disimpan (pembaruan 0.2.0): tidak dapat dikembalikan dengan "
                   "menghapus penggantinya.")
NOT_DELETING = "Hanya admin yang dapat menghapus unggahan."
# AG Grid's pager and text filter in Indonesian.
COLUMNS = [
    # Thirteen columns do not fit 1280 px: the upload's number and file stay pinned while
    # the rest scrolls, and the selected upload's note is repeated under the grid.
    column("id", "#", minWidth=60, flex=0, width=64, sort="desc", type="rightAligned", pinned="left"),
    column("file", "File", minWidth=180, flex=0, width=230, filter=True, tooltipField="file", pinned="left"),
    column("created_at_shown", "Waktu", minWidth=160, flex=0, width=170, filter=True),
    column("type", "Tipe", minWidth=110, flex=0, width=115, filter=True),
    column("periode_text", "Periode", minWidth=150, flex=0, width=160, filter=True,
           headerTooltip="Periode unggahan, dan dari mana periode itu ditentukan"),
    column("user", "Pengguna", minWidth=110, flex=0, width=120, filter=True),
    column("status_label", "Status", minWidth=105, flex=0, width=110, filter=True,
           cellClass="history-status",
           cellClassRules={f"history-status-{status}": f"params.data.status === '{status}'"
                           for status in UPLOAD_STATUSES}),
    column("read", "Dibaca", "number", minWidth=80, flex=0, width=85),
    column("stored", "Disimpan", "number", minWidth=88, flex=0, width=92),
    column("rejected", "Ditolak", "number", minWidth=80, flex=0, width=85),
    column("duplicate", "Duplikat", "number", minWidth=85, flex=0, width=90),
    column("warned", "Peringatan", "number", minWidth=95, flex=0, width=100,
           headerTooltip="Nilai kolom opsional yang tidak terbaca: dikosongkan, barisnya tetap dimuat"),
    column("note", "Keterangan", minWidth=260, filter=True, tooltipField="note"),
]
ERROR_COLUMNS = [
    column("kind_label", "Jenis", minWidth=100, flex=0, width=110, filter=True,
           cellClassRules={"history-warning": "params.data.kind === 'warning'"}),
    column("row", "Baris", "number", minWidth=80, flex=0, width=90),
    column("column", "Kolom", minWidth=130, flex=0, width=170, filter=True),
    column("value", "Nilai", minWidth=140, filter=True, tooltipField="value"),
    column("reason", "Alasan", minWidth=260, flex=2, filter=True, tooltipField="reason"),
]


def download_button(button_id: str, icon: str, text: str) -> dbc.Button:
    return dbc.Button([html.I(className=f"bi {icon} me-1"), text], id=button_id, size="sm", color="light",
                      className="export-btn", disabled=True)


def layout() -> html.Div:
    history = grid(GRID, COLUMNS, height="340px", pagination=True, paginationPageSize=50,
                   paginationPageSizeSelector=[20, 50, 100], tooltipShowDelay=400,
                   rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                   localeText={"noRowsToShow": "Belum ada unggahan"})
    history.getRowId = "params.data.row_id"
    errors = grid(ERRORS_GRID, ERROR_COLUMNS, height="240px", pagination=True, paginationPageSize=100,
                  paginationPageSizeSelector=[20, 50, 100], tooltipShowDelay=400,
                  localeText={"noRowsToShow": "Tidak ada baris bermasalah"})
    return html.Div([
        html.Div(id=ALERT),
        html.Div(id=RESULT),
        dbc.Card(dbc.CardBody([
            heading("Riwayat unggahan", "Setiap file yang pernah diunggah, terbaru di atas. Klik baris untuk "
                    "melihat baris yang ditolak" + (" atau menghapus unggahan." if may(DELETING) else ".")),
            history,
            html.Div([
                html.Div("Belum ada unggahan terpilih.", id=SELECTION, className="history-selection"),
                dbc.Button([html.I(className="bi bi-trash me-1"), "Hapus unggahan"], id=DELETE, color="danger",
                           outline=True, size="sm", disabled=True,
                           style=None if may(DELETING) else {"display": "none"}),
            ], className="d-flex justify-content-between align-items-center gap-3 mt-2"),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.Div([
                html.H5("Baris bermasalah", id=ERRORS_TITLE, className="card-title mb-0"),
                html.Div([
                    html.Span("Unduh", className="export-label"),
                    dbc.ButtonGroup([download_button(ERRORS_XLSX, "bi-file-earmark-excel", "XLSX"),
                                     download_button(ERRORS_CSV, "bi-filetype-csv", "CSV")], size="sm"),
                ], className="export-buttons d-flex align-items-center gap-2"),
            ], className="d-flex justify-content-between align-items-center mb-1"),
            html.Div(id=ERRORS_ALERT),
            html.Div("Pilih unggahan di tabel atas.", id=ERRORS_NOTE, className="text-muted small mb-2"),
            errors,
            dcc.Download(id=ERRORS_DOWNLOAD),
        ])),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Hapus unggahan?")),
            dbc.ModalBody(id=MODAL_BODY),
            dbc.ModalFooter([
                dbc.Button("Batal", id=CANCEL, color="secondary", outline=True),
                dbc.Button([html.I(className="bi bi-trash me-1"), "Ya, hapus"], id=CONFIRM, color="danger"),
            ]),
        ], id=MODAL, is_open=False, centered=True),
        dcc.Store(id=PENDING),
        dcc.Store(id=CHANGED, data=0),
    ])


# --- pure builders ----------------------------------------------------------------------------

def history_rows(uploads: list[dict], zone: str) -> list[dict]:
    """queries.uploads() as grid rows: Indonesian status, periode with its rule, one note."""
    rows = []
    for item in uploads:
        rule = PERIODE_RULES.get(item["periode_rule"], item["periode_rule"])
        periode = item["periode"] or "-"
        note = item["message"] or ""
        if item["profile"]:
            note = f"Profil kolom: {item['profile']}. {note}".strip()
        if item["status"] == "deleted":
            note = f"Dihapus oleh {item['deleted_by'] or '-'} pada {wall(item['deleted_at'], zone)}. {note}".strip()
        elif item["status"] == "replaced" and not item["kept"]:
            note = f"{REPLACED_UNKEPT} {note}".strip()
        rows.append({**item, "row_id": str(item["id"]), "note": note, "created_at_shown": wall(item["created_at"], zone),
                     "status_label": UPLOAD_STATUSES.get(item["status"], item["status"]),
                     "periode_text": f"{periode} · {rule}" if rule else periode})
    return rows


def confirmation(upload: dict, zone: str) -> list:
    facts = [("File", upload["file"]), ("Tipe", upload["type"] or "-"),
             ("Periode", f"{periode_label(upload['periode'])} ({upload['periode']})" if upload["periode"] else "-"),
             ("Baris tersimpan", number(upload["stored"])),
             ("Diunggah", f"{wall(upload['created_at'], zone)} oleh {upload['user'] or '-'}")]
    return [
        html.P(f"Unggahan #{upload['id']} akan dihapus:"),
        html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))],
                className="history-facts"),
        html.P(f"{number(upload['stored'])} baris yang disimpan unggahan ini dikeluarkan dari database dan "
               "semua angka di dasbor dihitung ulang. Catatan unggahan tetap ada dengan status Dihapus.",
               className="mb-0"),
    ]


def selected_id(rows: list[dict] | None) -> int | None:
    try:
        return int(rows[0]["id"]) if rows else None
    except (KeyError, TypeError, ValueError):
        return None


def denied(message: str) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-shield-lock me-2"), message], color="danger")


# --- what the callbacks do ---------------------------------------------------------------------

def show_selection(rows: list[dict] | None):
    """(error rows, errors title, errors note, selection text, delete disabled, downloads disabled)."""
    upload_id = selected_id(rows)
    engine = app_engine()
    upload = queries.upload(engine, upload_id) if upload_id is not None else None
    if upload is None:
        return [], "Baris bermasalah", "Pilih unggahan di tabel atas.", "Belum ada unggahan terpilih.", True, True
    errors = [{**e, "kind_label": PROBLEM_KINDS.get(e["kind"], e["kind"])}
              for e in queries.upload_errors(engine, upload_id)]
    status = UPLOAD_STATUSES.get(upload["status"], upload["status"])
    warned = sum(e["kind"] == "warning" for e in errors)
    note = (f"{number(len(errors) - warned)} kesalahan dan {number(warned)} peringatan dicatat (baris menurut nomor "
            "baris di file sumber; peringatan: nilai dikosongkan, baris tetap dimuat)." if errors
            else "Unggahan ini tidak mencatat baris bermasalah.")
    selection = [html.Strong("Terpilih: "), describe(upload),
                 f" · {status} · {number(upload['stored'])} baris tersimpan"]
    if upload["message"]:
        selection.append(html.Div(upload["message"], className="history-selection-note"))
    return (errors, f"Baris bermasalah unggahan #{upload_id}", note, selection,
            not may(DELETING) or uploads.refusal(upload, upload_id) is not None, not errors)


def remove(upload_id) -> tuple[str, bool]:
    """Delete an upload for the signed-in admin: (message, done)."""
    try:
        upload_id = int(upload_id)
    except (TypeError, ValueError):
        return "Tidak ada unggahan terpilih.", False
    try:
        deleted, upload, restored = uploads.delete(app_engine(), current_actor(), upload_id)
    except SunterError as exc:
        return exc.message, False
    message = f"Unggahan #{upload_id} dihapus: {number(deleted.removed)} baris dikeluarkan ({describe(upload)})."
    if deleted.kept:
        message += (f" {number(deleted.kept)} pembayaran tetap tersimpan karena juga dibawa unggahan "
                    f"{uploads.kept_by_text(deleted.kept_by)}, dan kini menjadi miliknya.")
    if restored:
        message += (f" {upload['type']} {periode_label(upload['periode'])} kembali ke unggahan #{restored['id']} "
                    f"{restored['file']} ({number(restored['stored'])} baris).")
    elif upload["status"] == "loaded" and upload["type"] in files.names() and \
            files.spec(upload["type"]).mode == files.SNAPSHOT:
        message += f" {upload['type']} {periode_label(upload['periode'])} kini kosong."
    return message, True


def ask_to_delete(rows: list[dict] | None) -> dict:
    """The confirmation of the selected upload's deletion, or why it cannot be deleted."""
    upload_id = selected_id(rows)
    upload = queries.upload(app_engine(), upload_id) if upload_id is not None else None
    reason = uploads.refusal(upload, upload_id) if upload_id is not None else None
    if upload_id is None or reason:
        message = reason.message if reason else "Tidak ada unggahan terpilih."
        return {"open": False, "body": None, "pending": None, "result": notice(message, "danger")}
    return {"open": True, "body": confirmation(upload, branch_zone()), "pending": upload_id, "result": None}


def register_callbacks(app: Dash) -> None:
    # CHANGED fires when the tab mounts and after each deletion: the grid is read then only.
    @app.callback(output={"rows": Output(GRID, "rowData"), "alert": Output(ALERT, "children")},
                  inputs={"_changed": Input(CHANGED, "data")})
    def refresh(_changed):
        return {"rows": history_rows(queries.uploads(app_engine()), branch_zone()), "alert": None}

    @app.callback(
        output={"errors": Output(ERRORS_GRID, "rowData"), "title": Output(ERRORS_TITLE, "children"),
                "note": Output(ERRORS_NOTE, "children"), "selection": Output(SELECTION, "children"),
                "cannot_delete": Output(DELETE, "disabled"), "no_xlsx": Output(ERRORS_XLSX, "disabled"),
                "no_csv": Output(ERRORS_CSV, "disabled")},
        inputs={"rows": Input(GRID, "selectedRows"), "_changed": Input(CHANGED, "data")})
    def select(rows, _changed):
        # The status is read again on the server: the grid's copy of a row may be stale.
        errors, title, note, selection, cannot_delete, no_errors = show_selection(rows)
        return {"errors": errors, "title": title, "note": note, "selection": selection,
                "cannot_delete": cannot_delete, "no_xlsx": no_errors, "no_csv": no_errors}

    @app.callback(
        output={"open": Output(MODAL, "is_open"), "body": Output(MODAL_BODY, "children"),
                "pending": Output(PENDING, "data"), "result": Output(RESULT, "children"),
                "changed": Output(CHANGED, "data")},
        inputs={"_ask": Input(DELETE, "n_clicks"), "_confirm": Input(CONFIRM, "n_clicks"),
                "_cancel": Input(CANCEL, "n_clicks")},
        state={"rows": State(GRID, "selectedRows"), "pending": State(PENDING, "data"),
               "changed": State(CHANGED, "data")},
        running=[(Output(CONFIRM, "disabled"), True, False)], prevent_initial_call=True)
    @guarded(DELETING, open=False, body=None, pending=None, result=denied(NOT_DELETING))
    def delete_flow(_ask, _confirm, _cancel, rows, pending, changed):
        if ctx.triggered_id == CANCEL:
            return {"open": False, "body": no_update, "pending": None, "result": no_update, "changed": no_update}
        if ctx.triggered_id == DELETE:
            return {**ask_to_delete(rows), "changed": no_update}
        message, done = remove(pending)
        # Refreshed even when refused: another admin may have changed the upload meanwhile.
        return {"open": False, "body": no_update, "pending": None, "result": notice(message, "success" if done else
                                                                                      "danger"),
                "changed": (changed or 0) + 1}

    @app.callback(output={"file": Output(ERRORS_DOWNLOAD, "data"), "alert": Output(ERRORS_ALERT, "children")},
                  inputs={"_xlsx": Input(ERRORS_XLSX, "n_clicks"), "_csv": Input(ERRORS_CSV, "n_clicks")},
                  state={"rows": State(GRID, "selectedRows")}, prevent_initial_call=True)
    def download(_xlsx, _csv, rows):
        upload_id = selected_id(rows)
        if upload_id is None or not ctx.triggered or not ctx.triggered[0]["value"]:
            return {"file": no_update, "alert": None}
        fmt = "xlsx" if ctx.triggered_id == ERRORS_XLSX else "csv"
        content, name = upload_problems(app_engine(), upload_id, fmt)
        return {"file": dcc.send_bytes(content, name, type=FORMATS[fmt]), "alert": None}


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
