"""Tab "Riwayat" on the server: the history grid, an upload's row errors and their download,
deleting an upload, and the same requests crafted by a viewer refused.

The uploads, in order (ids 1-5):
#1 MC_2025-12_awal.csv   MC 2025-12, 2 rows           replaced by #2
#2 MC_2025-12.csv        MC 2025-12, 5 read, 3 stored, rows 4 (NOMEN "=1+2") and 5 (NOMINAL "abc") refused
#3 Collection-...txt     COLLECTION, 4 read, 3 stored, row 3 (PAY_DT 32-12-2025) refused
#4 the same file again   duplicate: nothing new
#5 MC_2025-11.csv        refused: both rows broken

KPI 2025-12 (MC #2: 60000001 150.000 R34, 60000002 200.000 R34, 60000005 95.000 R35):
target 445.000 (3 plg); paid CURRENT 150.000 + 125.000 = 275.000 (2 plg); undue 95.000 (bill 11-2025).
Deleting #3 leaves the target and takes paid and undue to 0.
"""
from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, update

from sunter_dash.config import Config
from sunter_dash.ingest import ingest_file
from sunter_dash.models import DATA_TABLES, AuditLog, Upload
from sunter_dash.tabs import history

FILES = [
    ("MC_2025-12_awal.csv", "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;140000\n60000002;341010102;210000\n"),
    ("MC_2025-12.csv", (
        "NOMEN;ZONA_NOVAK;NOMINAL\n"
        "60000001;341010101;150000\n"
        "60000002;341010102;200000\n"
        "=1+2;351010101;180000\n"
        "60000004;351010101;abc\n"
        "60000005;351010102;95000\n")),
    ("Collection-2025-12-01_sd_2025-12-31.txt", (
        "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
        "60000001|03-12-2025|-150000|122025\n"
        "60000002|32-12-2025|-125000|122025\n"
        "60000002|10-12-2025|-125000|122025\n"
        "60000005|22-12-2025|-95000|112025\n")),
    ("Collection-2025-12-01_sd_2025-12-31.txt", None),  # the same file again
    ("MC_2025-11.csv", "NOMEN;ZONA_NOVAK;NOMINAL\nX1;341010101;1\nX2;341010102;2\n"),
]
COLLECTION = "Collection-2025-12-01_sd_2025-12-31.txt"
GRID_FIELDS = ("id", "file", "type", "periode_text", "user", "status", "status_label", "read", "stored",
               "rejected", "duplicate")
GRID_ROWS = [
    (5, "MC_2025-11.csv", "MC", "-", None, "refused", "Ditolak", 2, 0, 2, 0),
    (4, COLLECTION, "COLLECTION", "2025-12 · nama file", None, "duplicate", "Duplikat", 4, 0, 1, 3),
    (3, COLLECTION, "COLLECTION", "2025-12 · nama file", None, "loaded", "Dimuat", 4, 3, 1, 0),
    (2, "MC_2025-12.csv", "MC", "2025-12 · nama file", None, "loaded", "Dimuat", 5, 3, 2, 0),
    (1, "MC_2025-12_awal.csv", "MC", "2025-12 · nama file", None, "replaced", "Diganti", 2, 2, 0, 0),
]


@pytest.fixture
def config(db_url: str) -> Config:
    """A real cache (not the suite's NullCache): a deletion must reach cached figures too."""
    return Config(database_url=db_url, secret_key="test-secret", secret_key_is_generated=False,
                  cache_type="SimpleCache", admin_password="admin-pass-123")


@pytest.fixture
def uploads(engine, tmp_path: Path) -> list:
    results = []
    for name, text in FILES:
        path = tmp_path / name
        if text is not None:
            path.write_text(text, encoding="utf-8")
        results.append(ingest_file(engine, path))
    assert [(r.upload_id, r.status) for r in results] == [
        (1, "loaded"), (2, "loaded"), (3, "loaded"), (4, "duplicate"), (5, "refused")]
    return results


@pytest.fixture
def admin(client, users, uploads, log_in):
    assert log_in(client, *users["admin"]).status_code == 302
    return client


@pytest.fixture
def viewer(client, users, uploads, log_in):
    assert log_in(client, *users["viewer"]).status_code == 302
    return client


# --- crafted requests, as the browser sends them -------------------------------------------------

def call(client, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
         state: list[tuple[str, str, object]] = (), changed: str | None = None) -> dict:
    """POST one callback to /_dash-update-component; its response, keyed by component id."""
    key = "...".join(f"{i}.{p}" for i, p in outputs)
    body = {"output": f"..{key}.." if len(outputs) > 1 else key,
            "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    return response.get_json()["response"] if response.status_code == 200 else {}


def history_grid(client) -> tuple[list[dict], object]:
    answer = call(client, [(history.GRID, "rowData"), (history.ALERT, "children")],
                  [(history.CHANGED, "data", 0)])
    return answer[history.GRID]["rowData"], answer[history.ALERT]["children"]


def pick(client, upload_id: int | None) -> dict:
    rows = [{"id": upload_id}] if upload_id is not None else []
    return call(client, [(history.ERRORS_GRID, "rowData"), (history.ERRORS_TITLE, "children"),
                         (history.ERRORS_NOTE, "children"), (history.SELECTION, "children"),
                         (history.DELETE, "disabled"), (history.ERRORS_XLSX, "disabled"),
                         (history.ERRORS_CSV, "disabled")],
                [(history.GRID, "selectedRows", rows), (history.CHANGED, "data", 0)])


FLOW_OUTPUTS = [(history.MODAL, "is_open"), (history.MODAL_BODY, "children"), (history.PENDING, "data"),
                (history.RESULT, "children"), (history.CHANGED, "data")]


def flow(client, button: str, selected: int | None = None, pending: int | None = None) -> dict:
    clicks = {history.DELETE: None, history.CONFIRM: None, history.CANCEL: None, button: 1}
    return call(client, FLOW_OUTPUTS, [(b, "n_clicks", n) for b, n in clicks.items()],
                [(history.GRID, "selectedRows", [{"id": selected}] if selected else []),
                 (history.PENDING, "data", pending), (history.CHANGED, "data", 0)],
                changed=f"{button}.n_clicks")


def download(client, fmt: str, upload_id: int) -> dict:
    button = history.ERRORS_XLSX if fmt == "xlsx" else history.ERRORS_CSV
    return call(client, [(history.ERRORS_DOWNLOAD, "data"), (history.ERRORS_ALERT, "children")],
                [(history.ERRORS_XLSX, "n_clicks", 1 if fmt == "xlsx" else None),
                 (history.ERRORS_CSV, "n_clicks", 1 if fmt == "csv" else None)],
                [(history.GRID, "selectedRows", [{"id": upload_id}])], changed=f"{button}.n_clicks")


def text_of(component) -> str:
    """The visible text of a serialised Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, list):
        return "".join(text_of(c) for c in component)
    return text_of(component.get("props", {}).get("children"))


def stored(engine) -> dict[int, int]:
    """Rows each upload has in its data table now."""
    counts = {}
    with engine.connect() as conn:
        for table in DATA_TABLES.values():
            for upload_id, n in conn.execute(select(table.c.upload_id, func.count()).group_by(table.c.upload_id)):
                counts[upload_id] = n
    return counts


def kpi(client) -> dict:
    figures = client.get("/api/kpi?periode=2025-12").get_json()
    return {"target": figures["target"], "paid": figures["paid"], "undue": figures["undue"]}


# --- admin ---------------------------------------------------------------------------------------

def test_admin_sees_every_upload_newest_first(admin):
    rows, alert = history_grid(admin)
    assert alert is None
    assert [tuple(row[f] for f in GRID_FIELDS) for row in rows] == GRID_ROWS
    assert rows[0]["note"].startswith("Lebih dari separuh baris bermasalah (2 dari 2)")
    assert rows[1]["note"] == "Semua pembayaran di file ini sudah tersimpan; tidak ada yang baru."
    assert all(row["row_id"] == str(row["id"]) and len(row["created_at"]) == 19 for row in rows)


def test_selecting_an_upload_shows_its_row_errors(admin):
    answer = pick(admin, 2)
    error = {"kind": "error", "kind_label": "Kesalahan"}
    assert answer[history.ERRORS_GRID]["rowData"] == [
        {"row": 4, "column": "NOMEN", "value": "=1+2", "reason": "NOMEN harus berupa angka", **error},
        {"row": 5, "column": "NOMINAL", "value": "abc", "reason": "bukan angka yang valid", **error},
    ]
    assert answer[history.ERRORS_TITLE]["children"] == "Baris bermasalah unggahan #2"
    assert answer[history.ERRORS_NOTE]["children"].startswith("2 kesalahan dan 0 peringatan dicatat")
    assert text_of(answer[history.SELECTION]["children"]) == (
        "Terpilih: #2 MC_2025-12.csv · MC · Desember 2025 · Dimuat · 3 baris tersimpan"
        "menggantikan MC Desember 2025: 2 pelanggan, unggahan #1")
    assert answer[history.DELETE]["disabled"] is False
    assert answer[history.ERRORS_CSV]["disabled"] is False

    collection = pick(admin, 3)[history.ERRORS_GRID]["rowData"]
    assert collection == [{"row": 3, "column": "PAY_DT", "value": "32-12-2025",
                           "reason": "tanggal tidak dikenali (contoh: 31-12-2025)", **error}]
    # A file refused whole: its errors, but nothing to delete.
    refused = pick(admin, 5)
    assert [e["row"] for e in refused[history.ERRORS_GRID]["rowData"]] == [2, 3]
    assert refused[history.DELETE]["disabled"] is True
    # Nothing to download for an upload without errors; nothing selected, nothing shown.
    assert pick(admin, 1)[history.ERRORS_CSV]["disabled"] is True
    assert pick(admin, 1)[history.DELETE]["disabled"] is False  # a replaced snapshot: its kept rows can go
    assert pick(admin, None)[history.ERRORS_GRID]["rowData"] == []
    assert pick(admin, None)[history.DELETE]["disabled"] is True


def test_row_errors_download_as_csv_and_xlsx_with_formulas_neutralised(admin):
    sent = download(admin, "csv", 2)[history.ERRORS_DOWNLOAD]["data"]
    assert sent["filename"] == "baris-bermasalah_unggahan-2.csv"
    content = base64.b64decode(sent["content"]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(content))) == [
        ["Jenis", "Baris", "Kolom", "Nilai", "Alasan"],
        ["Kesalahan", "4", "NOMEN", "'=1+2", "NOMEN harus berupa angka"],
        ["Kesalahan", "5", "NOMINAL", "abc", "bukan angka yang valid"],
    ]
    sent = download(admin, "xlsx", 2)[history.ERRORS_DOWNLOAD]["data"]
    assert sent["filename"] == "baris-bermasalah_unggahan-2.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"]))).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Jenis", "Baris", "Kolom", "Nilai", "Alasan"],
        ["Kesalahan", 4, "NOMEN", "'=1+2", "NOMEN harus berupa angka"],
        ["Kesalahan", 5, "NOMINAL", "abc", "bukan angka yang valid"],
    ]


def test_delete_asks_first_naming_the_upload(admin, engine):
    before = stored(engine)
    answer = flow(admin, history.DELETE, selected=3)
    assert answer[history.MODAL]["is_open"] is True
    assert answer[history.PENDING]["data"] == 3
    body = text_of(answer[history.MODAL_BODY]["children"])
    for part in (COLLECTION, "COLLECTION", "Desember 2025 (2025-12)", "Baris tersimpan3", "3 baris yang disimpan"):
        assert part in body, part
    # Cancelling closes the question; nothing is deleted.
    cancelled = flow(admin, history.CANCEL, pending=3)
    assert cancelled[history.MODAL]["is_open"] is False
    assert cancelled[history.PENDING]["data"] is None
    assert stored(engine) == before


def test_delete_removes_exactly_the_uploads_rows_and_every_figure_follows(admin, engine):
    assert stored(engine) == {2: 3, 3: 3}
    # Read (and cache) the figures first: the deletion must not be hidden by the cache.
    paid = {"target": {"nomen": 3, "nominal": 445000}, "paid": {"nomen": 2, "nominal": 275000},
            "undue": {"count": 1, "nomen": 1, "nominal": 95000}}
    assert kpi(admin) == paid

    # #4 carried the same payments (the same file again): deleting #3 hands them to #4 (DATA.md).
    answer = flow(admin, history.CONFIRM, pending=3)
    assert answer[history.MODAL]["is_open"] is False
    assert text_of(answer[history.RESULT]["children"]) == (
        f"Unggahan #3 dihapus: 0 baris dikeluarkan (#3 {COLLECTION} · COLLECTION · Desember 2025). 3 pembayaran "
        "tetap tersimpan karena juga dibawa unggahan #4, dan kini menjadi miliknya.")
    assert answer[history.CHANGED]["data"] == 1
    assert stored(engine) == {2: 3, 4: 3}
    assert kpi(admin) == paid

    # Deleting #4 as well takes them out, and every figure follows.
    answer = flow(admin, history.CONFIRM, pending=4)
    assert text_of(answer[history.RESULT]["children"]) == (
        f"Unggahan #4 dihapus: 3 baris dikeluarkan (#4 {COLLECTION} · COLLECTION · Desember 2025).")
    assert stored(engine) == {2: 3}
    # No COLLECTION of the periode is left: what was paid is unknown now (null, METRICS.md), not 0.
    assert kpi(admin) == {"target": {"nomen": 3, "nominal": 445000}, "paid": None, "undue": None}
    with engine.connect() as conn:
        upload = conn.execute(select(Upload).where(Upload.id == 3)).one()
        events = conn.execute(select(AuditLog.action, AuditLog.username, AuditLog.detail)
                              .where(AuditLog.action == "upload_deleted")).all()
    assert (upload.status, upload.deleted_by, upload.rows_stored) == ("deleted", "admin", 3)
    assert upload.deleted_at is not None
    assert events == [
        ("upload_deleted", "admin", f"#3 {COLLECTION} (COLLECTION 2025-12): 0 baris dikeluarkan; 3 pembayaran tetap, "
                                    "kini milik unggahan #4"),
        ("upload_deleted", "admin", f"#4 {COLLECTION} (COLLECTION 2025-12): 3 baris dikeluarkan")]
    # The grid shows it deleted, and the delete button is no longer offered for it.
    rows, _alert = history_grid(admin)
    deleted = next(r for r in rows if r["id"] == 3)
    assert (deleted["status_label"], deleted["note"][:18]) == ("Dihapus", "Dihapus oleh admin")
    assert pick(admin, 3)[history.DELETE]["disabled"] is True


@pytest.mark.parametrize("upload_id, message", [
    (1, "Unggahan #1 diganti sebelum data lama mulai disimpan (pembaruan 0.2.0): barisnya sudah tidak ada, jadi "
        "tidak ada yang dapat dihapus atau dipulihkan."),
    (5, "Unggahan #5 berstatus Ditolak: tidak ada baris tersimpan yang dapat dihapus."),
    (99, "Unggahan #99 tidak ada."),
])
def test_uploads_with_nothing_stored_are_refused_on_the_server(admin, engine, upload_id, message):
    with engine.begin() as conn:  # #1 as replaced by a version that did not keep replaced rows
        conn.execute(update(Upload).where(Upload.id == 1).values(kept=False))
    before = stored(engine)
    for button, args in ((history.DELETE, {"selected": upload_id}), (history.CONFIRM, {"pending": upload_id})):
        answer = flow(admin, button, **args)
        assert answer[history.MODAL]["is_open"] is False
        assert text_of(answer[history.RESULT]["children"]) == message
    assert stored(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditLog)
                            .where(AuditLog.action == "upload_deleted")).scalar() == 0


def test_deleting_twice_is_refused_with_the_message(admin, engine):
    done = text_of(flow(admin, history.CONFIRM, pending=2)[history.RESULT]["children"])
    assert done == ("Unggahan #2 dihapus: 3 baris dikeluarkan (#2 MC_2025-12.csv · MC · Desember 2025). MC Desember "
                    "2025 kembali ke unggahan #1 MC_2025-12_awal.csv (2 baris).")
    again = flow(admin, history.CONFIRM, pending=2)
    assert text_of(again[history.RESULT]["children"]) == "Unggahan #2 sudah dihapus."
    assert stored(engine) == {1: 2, 3: 3}  # the MC #2 replaced is back (DATA.md)


# --- viewer --------------------------------------------------------------------------------------

def test_viewer_reads_the_history_but_deletes_nothing(viewer, engine):
    """Viewers read Riwayat as they read /api/uploads (issue 14); deleting stays the admins'."""
    before = stored(engine)
    rows, alert = history_grid(viewer)
    assert [r["id"] for r in rows] == [5, 4, 3, 2, 1] and alert is None

    answer = pick(viewer, 2)
    assert [e["row"] for e in answer[history.ERRORS_GRID]["rowData"]] == [4, 5]
    assert answer[history.DELETE]["disabled"] is True  # even for an upload an admin could delete
    downloaded = download(viewer, "csv", 2)
    assert downloaded[history.ERRORS_DOWNLOAD]["data"]["filename"] == "baris-bermasalah_unggahan-2.csv"

    # The deletion, crafted by hand, is refused on the server.
    for button, args in ((history.DELETE, {"selected": 3}), (history.CONFIRM, {"pending": 3})):
        answer = flow(viewer, button, **args)
        assert answer[history.MODAL]["is_open"] is False
        assert answer[history.MODAL_BODY]["children"] is None
        assert "Hanya admin yang dapat menghapus unggahan." in text_of(answer[history.RESULT]["children"])
    assert stored(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(Upload.status).where(Upload.id == 3)).scalar() == "loaded"
        assert conn.execute(select(func.count()).select_from(AuditLog)
                            .where(AuditLog.action == "upload_deleted")).scalar() == 0
    assert kpi(viewer)["paid"] == {"nomen": 2, "nominal": 275000}


def test_viewer_is_offered_the_tab_without_the_delete_button(viewer):
    assert '"tab_id":"history"' in viewer.get("/_dash-layout").get_data(as_text=True).replace(" ", "")
    tab = json.dumps(call(viewer, [("shell-content", "children")], [("shell-tabs", "active_tab", history.TAB_ID)]))
    assert history.GRID in tab
    assert '"display": "none"' in tab.split(f'"id": "{history.DELETE}"')[1][:400]
