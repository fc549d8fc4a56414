"""Tab "Riwayat" (admins): every upload, the rows each one rejected, and deleting an upload.

Deleting goes through ``ingest.load.delete_upload``, which removes exactly the rows the
upload stored and bumps the data version, so every page's figures follow at once.
Every callback checks ``may(PERMISSION)`` on the server: hiding the tab from viewers is
not authorization, anyone signed in can POST to ``/_dash-update-component``.
"""
from __future__ import annotations

import io

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import current_app
from flask_login import current_user

from .. import queries
from ..auth import audit, may
from ..components.grids import column, grid
from ..export import FORMATS, neutralise
from ..formatting import number, periode_label
from ..ingest.errors import IngestError
from ..ingest.load import delete_upload

TAB_ID = "history"
LABEL = "Riwayat"
PERMISSION = "delete"

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

REFUSED = "Hanya admin yang dapat membaca riwayat unggahan dan menghapus unggahan."
STATUS_LABELS = {"loaded": "Dimuat", "duplicate": "Duplikat", "refused": "Ditolak", "replaced": "Diganti",
                 "deleted": "Dihapus", "running": "Berjalan"}
# ingest/detect.py: which evidence decided an upload's periode (DATA.md's order).
PERIODE_RULES = {"explicit": "diisi pengguna", "column": "kolom periode", "filename": "nama file",
                 "mc_filename": "nama file MC", "mc_reading_date": "tanggal baca MC",
                 "payment_date": "tanggal bayar"}
# Only these may be deleted: a refused upload stored nothing, a replaced snapshot's rows
# went when its successor landed, a deleted upload's rows are gone already.
DELETABLE = {"loaded", "duplicate"}
ERROR_HEADERS = {"row": "Baris", "column": "Kolom", "value": "Nilai", "reason": "Alasan"}
# AG Grid's pager and text filter in Indonesian.
COLUMNS = [
    # Thirteen columns do not fit 1280 px: the upload's number and file stay pinned while
    # the rest scrolls, and the selected upload's note is repeated under the grid.
    column("id", "#", minWidth=60, flex=0, width=64, sort="desc", type="rightAligned", pinned="left"),
    column("file", "File", minWidth=180, flex=0, width=230, filter=True, tooltipField="file", pinned="left"),
    column("created_at", "Waktu (UTC)", minWidth=150, flex=0, width=160, filter=True),
    column("type", "Tipe", minWidth=110, flex=0, width=115, filter=True),
    column("periode_text", "Periode", minWidth=150, flex=0, width=160, filter=True,
           headerTooltip="Periode unggahan, dan dari mana periode itu ditentukan"),
    column("user", "Pengguna", minWidth=110, flex=0, width=120, filter=True),
    column("status_label", "Status", minWidth=105, flex=0, width=110, filter=True,
           cellClass="history-status",
           cellClassRules={f"history-status-{status}": f"params.data.status === '{status}'"
                           for status in STATUS_LABELS}),
    column("read", "Dibaca", "number", minWidth=80, flex=0, width=85),
    column("stored", "Disimpan", "number", minWidth=88, flex=0, width=92),
    column("rejected", "Ditolak", "number", minWidth=80, flex=0, width=85),
    column("duplicate", "Duplikat", "number", minWidth=85, flex=0, width=90),
    column("note", "Keterangan", minWidth=260, filter=True, tooltipField="note"),
]
ERROR_COLUMNS = [
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
            html.Div([
                html.Div([html.H5("Riwayat unggahan", className="card-title mb-0"),
                          html.Div("Setiap file yang pernah diunggah, terbaru di atas. Klik baris untuk melihat "
                                   "baris yang ditolak atau menghapus unggahan.", className="text-muted small")]),
            ], className="mb-2"),
            history,
            html.Div([
                html.Div("Belum ada unggahan terpilih.", id=SELECTION, className="history-selection"),
                dbc.Button([html.I(className="bi bi-trash me-1"), "Hapus unggahan"], id=DELETE, color="danger",
                           outline=True, size="sm", disabled=True),
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

def history_rows(uploads: list[dict]) -> list[dict]:
    """queries.uploads() as grid rows: Indonesian status, periode with its rule, one note."""
    rows = []
    for item in uploads:
        rule = PERIODE_RULES.get(item["periode_rule"], item["periode_rule"])
        periode = item["periode"] or "-"
        note = item["message"] or ""
        if item["status"] == "deleted":
            note = f"Dihapus oleh {item['deleted_by'] or '-'} pada {item['deleted_at']} UTC. {note}".strip()
        rows.append({**item, "row_id": str(item["id"]), "note": note,
                     "status_label": STATUS_LABELS.get(item["status"], item["status"]),
                     "periode_text": f"{periode} · {rule}" if rule else periode})
    return rows


def describe(upload: dict) -> str:
    """'#12 MC_2025-12.csv · MC · Desember 2025'."""
    return " · ".join(filter(None, [f"#{upload['id']} {upload['file']}", upload["type"],
                                    periode_label(upload["periode"]) if upload["periode"] else None]))


def refusal(upload: dict | None, upload_id) -> str | None:
    """Why this upload cannot be deleted (None: it can)."""
    if upload is None:
        return f"Unggahan #{upload_id} tidak ada."
    if upload["status"] == "deleted":
        return f"Unggahan #{upload['id']} sudah dihapus."
    if upload["status"] not in DELETABLE:
        label = STATUS_LABELS.get(upload["status"], upload["status"])
        return f"Unggahan #{upload['id']} berstatus {label}: tidak ada baris tersimpan yang dapat dihapus."
    return None


def confirmation(upload: dict) -> list:
    facts = [("File", upload["file"]), ("Tipe", upload["type"] or "-"),
             ("Periode", f"{periode_label(upload['periode'])} ({upload['periode']})" if upload["periode"] else "-"),
             ("Baris tersimpan", number(upload["stored"])),
             ("Diunggah", f"{upload['created_at']} UTC oleh {upload['user'] or '-'}")]
    return [
        html.P(f"Unggahan #{upload['id']} akan dihapus:"),
        html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))],
                className="history-facts"),
        html.P(f"{number(upload['stored'])} baris yang disimpan unggahan ini dikeluarkan dari database dan "
               "semua angka di dasbor dihitung ulang. Catatan unggahan tetap ada dengan status Dihapus.",
               className="mb-0"),
    ]


def errors_file(upload_id: int, errors: list[dict], fmt: str) -> tuple[bytes, str]:
    """The row errors of an upload as .csv or .xlsx, formula cells neutralised like every export."""
    frame = neutralise(pd.DataFrame(errors, columns=list(ERROR_HEADERS)).rename(columns=ERROR_HEADERS))
    frame["Baris"] = frame["Baris"].astype("Int64")
    name = f"baris-bermasalah_unggahan-{upload_id}.{fmt}"
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig"), name
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as writer:
        frame.to_excel(writer, index=False, sheet_name=f"unggahan-{upload_id}")
    return buffer.getvalue(), name


def selected_id(rows: list[dict] | None) -> int | None:
    try:
        return int(rows[0]["id"]) if rows else None
    except (KeyError, TypeError, ValueError):
        return None


def denied() -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-shield-lock me-2"), REFUSED], color="danger")


def outcome(message: str, ok: bool) -> dbc.Alert:
    icon = "bi-check-circle" if ok else "bi-exclamation-triangle"
    return dbc.Alert([html.I(className=f"bi {icon} me-2"), message], color="success" if ok else "danger",
                     dismissable=True)


# --- what the callbacks do ---------------------------------------------------------------------

def show_selection(rows: list[dict] | None):
    """(error rows, errors title, errors note, selection text, delete disabled, downloads disabled)."""
    upload_id = selected_id(rows)
    upload = queries.upload(upload_id) if upload_id is not None else None
    if upload is None:
        return [], "Baris bermasalah", "Pilih unggahan di tabel atas.", "Belum ada unggahan terpilih.", True, True
    errors = queries.upload_errors(upload_id)
    status = STATUS_LABELS.get(upload["status"], upload["status"])
    note = (f"{number(len(errors))} masalah dicatat (baris menurut nomor baris di file sumber)." if errors
            else "Unggahan ini tidak mencatat baris bermasalah.")
    selection = [html.Strong("Terpilih: "), describe(upload),
                 f" · {status} · {number(upload['stored'])} baris tersimpan"]
    if upload["message"]:
        selection.append(html.Div(upload["message"], className="history-selection-note"))
    return (errors, f"Baris bermasalah unggahan #{upload_id}", note, selection,
            upload["status"] not in DELETABLE, not errors)


def remove(upload_id) -> tuple[str, bool]:
    """Delete an upload for the signed-in admin: (message, done)."""
    try:
        upload_id = int(upload_id)
    except (TypeError, ValueError):
        return "Tidak ada unggahan terpilih.", False
    upload = queries.upload(upload_id)
    reason = refusal(upload, upload_id)
    if reason:
        return reason, False
    try:
        removed = delete_upload(current_app.extensions["sunter_engine"], upload_id, current_user.username)
    except IngestError as exc:
        return exc.message, False
    audit("upload_deleted", detail=f"#{upload_id} {upload['file']} ({upload['type']} {upload['periode']}): "
                                   f"{removed} baris dikeluarkan")
    return f"Unggahan #{upload_id} dihapus: {number(removed)} baris dikeluarkan ({describe(upload)}).", True


def register_callbacks(app: Dash) -> None:
    # CHANGED fires when the tab mounts and after each deletion: the grid is read then only.
    @app.callback(Output(GRID, "rowData"), Output(ALERT, "children"), Input(CHANGED, "data"))
    def refresh(_changed):
        if not may(PERMISSION):
            return [], denied()
        return history_rows(queries.uploads()), None

    @app.callback(Output(ERRORS_GRID, "rowData"), Output(ERRORS_TITLE, "children"), Output(ERRORS_NOTE, "children"),
                  Output(SELECTION, "children"), Output(DELETE, "disabled"), Output(ERRORS_XLSX, "disabled"),
                  Output(ERRORS_CSV, "disabled"),
                  Input(GRID, "selectedRows"), Input(CHANGED, "data"))
    def select(rows, _changed):
        # The status is read again on the server: the grid's copy of a row may be stale.
        if not may(PERMISSION):
            return [], "Baris bermasalah", REFUSED, "", True, True, True
        errors, title, note, selection, cannot_delete, no_errors = show_selection(rows)
        return errors, title, note, selection, cannot_delete, no_errors, no_errors

    @app.callback(Output(MODAL, "is_open"), Output(MODAL_BODY, "children"), Output(PENDING, "data"),
                  Output(RESULT, "children"), Output(CHANGED, "data"),
                  Input(DELETE, "n_clicks"), Input(CONFIRM, "n_clicks"), Input(CANCEL, "n_clicks"),
                  State(GRID, "selectedRows"), State(PENDING, "data"), State(CHANGED, "data"),
                  running=[(Output(CONFIRM, "disabled"), True, False)], prevent_initial_call=True)
    def delete_flow(_ask, _confirm, _cancel, rows, pending, changed):
        if ctx.triggered_id == CANCEL:
            return False, no_update, None, no_update, no_update
        if not may(PERMISSION):
            return False, None, None, denied(), no_update
        if ctx.triggered_id == DELETE:
            upload_id = selected_id(rows)
            upload = queries.upload(upload_id) if upload_id is not None else None
            reason = refusal(upload, upload_id) if upload_id is not None else "Tidak ada unggahan terpilih."
            if reason:
                return False, None, None, outcome(reason, False), no_update
            return True, confirmation(upload), upload_id, None, no_update
        message, done = remove(pending)
        # Refreshed even when refused: another admin may have changed the upload meanwhile.
        return False, no_update, None, outcome(message, done), (changed or 0) + 1

    @app.callback(Output(ERRORS_DOWNLOAD, "data"), Output(ERRORS_ALERT, "children"),
                  Input(ERRORS_XLSX, "n_clicks"), Input(ERRORS_CSV, "n_clicks"), State(GRID, "selectedRows"),
                  prevent_initial_call=True)
    def download(_xlsx, _csv, rows):
        if not may(PERMISSION):
            return None, denied()
        upload_id = selected_id(rows)
        if upload_id is None or not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update, None
        fmt = "xlsx" if ctx.triggered_id == ERRORS_XLSX else "csv"
        content, name = errors_file(upload_id, queries.upload_errors(upload_id), fmt)
        return dcc.send_bytes(content, name, type=FORMATS[fmt]), None
