"""What the Unggah page shows of a load: the progress bar of each file while the job runs, then
a card per file with its counts, notes, row errors and warnings (a grid, and all of them as a
CSV download)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from ..components.grids import column, grid
from ..domain.periodes import periode_label
from ..domain.uploads import UPLOAD_STATUSES, shown_periodes
from ..export import PROBLEM_KINDS
from ..formatting import number

STATUS_COLORS = {"loaded": "success", "duplicate": "secondary", "refused": "danger"}
ERRORS_BUTTON = "upload-errors-button"
RESULT = "upload-result"
PROBLEMS_GRID = "upload-problems-grid"
PROBLEM_COLUMNS = [
    column("kind", "Jenis", flex=0, width=110), column("row", "Baris", "number", flex=0, width=90),
    column("column", "Kolom", minWidth=120), column("value", "Nilai", minWidth=140),
    column("reason", "Alasan", minWidth=260),
]


STAGES = {"menunggu": "menunggu", "membaca": "membaca file", "menyimpan": "menyimpan baris",
          "meringkas": "memperbarui ringkasan", "selesai": "selesai"}


def progress_view(items: list[dict] | None):
    """One bar for the batch and the file being loaded, then a line per file (kept short, so
    the bar stays in view whatever the number of files)."""
    items = [i for i in items if isinstance(i, dict) and isinstance(i.get("file"), str)
             and isinstance(i.get("stage"), str) and isinstance(i.get("pct"), (int, float))] \
        if isinstance(items, list) else []
    if not items:
        return None
    done = sum(1 for i in items if i.get("pct") == 100)
    overall = round(sum(i.get("pct") or 0 for i in items) / len(items))
    now = next((i for i in items if (i.get("pct") or 0) < 100), items[-1])
    lines = [html.Li([html.Span(i["file"], className="text-break"), " · ",
                      html.Span(f"{STAGES.get(i['stage'], i['stage'])} {i['pct']}%", className="text-muted")],
                     className="upload-progress-item") for i in items]
    return dbc.Card(dbc.CardBody([
        html.Div([html.Strong(f"Memuat {number(done)} dari {number(len(items))} file"),
                  html.Span(f"{now['file']}: {STAGES.get(now['stage'], now['stage'])}",
                            className="text-muted small text-break")],
                 className="d-flex justify-content-between gap-2 flex-wrap"),
        dbc.Progress(value=overall, striped=overall < 100, animated=overall < 100, label=f"{overall}%",
                     color="success" if overall == 100 else "primary", className="my-2 upload-progress-bar"),
        html.Details([html.Summary("Rincian per file", className="small"), html.Ul(lines, className="small mb-0")]),
    ]), className="mb-3 upload-progress")


def summary_view(done: dict | None):
    """The batch at a glance, at the top of the page: '17 dimuat, 1 ditolak, 1 dilewati'."""
    done = done if isinstance(done, dict) else {}
    results, skipped = done.get("results") or [], done.get("skipped") or []
    if done.get("stopped"):
        return dbc.Alert([html.Strong("Pemuatan terhenti sebelum selesai."), html.Div(
            "Server dihentikan di tengah pemuatan. Yang sudah dimuat tercatat di tab Riwayat; file yang belum dimuat "
            "masih di daftar: klik Muat semua lagi.", className="small")], color="warning",
            className="mb-3 upload-summary", dismissable=True)
    if not results and not skipped:
        return None
    counts = {status: sum(1 for r in results if r.get("status") == status) for status in ("loaded", "duplicate",
                                                                                         "refused")}
    parts = [f"{number(counts['loaded'])} dimuat"]
    if counts["duplicate"]:
        parts.append(f"{number(counts['duplicate'])} sudah pernah dimuat")
    if counts["refused"]:
        parts.append(f"{number(counts['refused'])} ditolak")
    if skipped:
        parts.append(f"{number(len(skipped))} dilewati")
    lines = [html.Strong("Selesai: " + ", ".join(parts) + ".")]
    refused = [r["file"] for r in results if r.get("status") == "refused"]
    if refused or skipped:
        lines.append(html.Div(f"Masih di daftar, untuk diperbaiki lalu dimuat lagi: {', '.join(refused + skipped)}.",
                              className="small text-break"))
    if results:
        lines.append(html.Div(html.A("Lihat hasil per file", href="#upload-results", className="small")))
    return dbc.Alert(lines, color="warning" if refused or skipped else "success", className="mb-3 upload-summary",
                     dismissable=True)


def periode_text(result: dict) -> str:
    """A payment file names the periodes its rows landed in; a snapshot its periode."""
    periodes, by_row = shown_periodes(result.get("type"), result.get("periode"), result.get("row_periodes") or [])
    return ", ".join(periode_label(p) for p in periodes) + (" (menurut tanggal bayar)" if by_row else "")


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def result_card(result: dict, index: int) -> dbc.Card:
    label = UPLOAD_STATUSES.get(result["status"], result["status"])
    color = STATUS_COLORS.get(result["status"], "secondary")
    counts = (f"dibaca {number(result.get('read', 0))} · disimpan {number(result.get('stored', 0))} · "
              f"ditolak {number(result.get('rejected', 0))} · duplikat {number(result.get('duplicate', 0))} · "
              f"peringatan {number(result.get('warning_count', 0))}")
    problems = ([{**e, "kind": PROBLEM_KINDS["error"]} for e in _dicts(result.get("errors"))
                 if e.get("row") is not None]
                + [{**w, "kind": PROBLEM_KINDS["warning"]} for w in _dicts(result.get("warnings"))])
    detail = [html.Div(counts, className="small")]
    if result.get("type"):
        detail.insert(0, html.Div(f"{result['type']} · {periode_text(result)}", className="small"))
    if result.get("profile"):
        detail.append(html.Div(f"Profil kolom: {result['profile']}", className="small"))
    if result.get("message"):
        detail.append(html.Div(result["message"], className="small mt-1"))
    detail.extend(html.Div(note, className="small mt-1 upload-result-note") for note in result.get("notes") or [])
    if problems:
        detail.append(html.Div(grid({"type": PROBLEMS_GRID, "index": index}, PROBLEM_COLUMNS, problems),
                               className="mt-2"))
    total = (result.get("error_count") or 0) + (result.get("warning_count") or 0)
    if total and result.get("upload_id"):
        detail.append(dbc.Button([html.I(className="bi bi-filetype-csv me-1"),
                                  f"Unduh semua {number(total)} kesalahan dan peringatan"],
                                 id={"type": ERRORS_BUTTON, "upload": result["upload_id"]}, size="sm",
                                 color="light", className="export-btn mt-2"))
    return dbc.Card(dbc.CardBody([
        html.Div([html.Span(result["file"], className="fw-semibold"), dbc.Badge(label, color=color)],
                 className="d-flex justify-content-between align-items-center mb-1"),
        *detail,
    ]), className="mb-2 upload-result", id={"type": RESULT, "index": index})


def results_view(results: list[dict] | None):
    if not results:
        return None
    return dbc.Card(dbc.CardBody([html.H5("Hasil", className="card-title"),
                                  *[result_card(r, i) for i, r in enumerate(results)]]))
