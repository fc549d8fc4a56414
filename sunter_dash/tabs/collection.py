"""Tab "Penagihan" (collection work, METRICS.md): who has not paid, where, and whose route it is.

Cards for the unpaid customers and Rupiah, the disconnection candidates and the promises; the
collection per officer and per PCEZ, whose names are links that filter the lists; the unpaid
list or the disconnection candidates in a grid that asks the server for one page at a time
(infinite row model), downloadable whole. The officer and PCEZ filters live in the address
(``petugas``, ``pcez``), beside the shell's periode and rayon.
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import current_app, request

from .. import export, ids, queries, route_sheet, urls
from ..api_args import petugas_arg, rayon_arg
from ..auth import current_actor, may
from ..components.cards import kpi_card, missing_alert
from ..components.export_buttons import download_buttons
from ..components.grids import LOCALE, column, nomen_column, purge_on
from ..domain.clock import local, now_utc
from ..domain.errors import BadParameter, Forbidden
from ..domain.followups import RESULT_LABELS
from ..domain.labels import officer_label, pcez_label
from ..domain.listing import rayon_filter
from ..domain.periodes import periode_label, valid_periode
from ..extensions import app_engine
from ..formatting import number, percent, rupiah
from ..services import scope
from ..services import settings as settings_service
from . import followup_form
from .base import Tab, guarded
from .followup_form import FormIds

TAB_ID = "penagihan"
LABEL = "Penagihan"
ALERT = "collection-alert"
CARDS = "collection-cards"
OFFICERS = "collection-officers"
PCEZS = "collection-pcezs"
FILTERS = "collection-filters"
QUERY = "collection-query"
KIND = "collection-kind"
SORT = "collection-sort"
TITLE = "collection-title"
GRID = "collection-grid"
PURGED = "collection-purged"
EXPORT_XLSX = "collection-xlsx"
EXPORT_CSV = "collection-csv"
DOWNLOAD = "collection-download"
FORM = FormIds("collection")  # the follow-up form: collection-followup, collection-followup-who, ...
SAVED_COUNT = "collection-followup-count"  # follow-ups saved on this page: each refetches the list
PERMISSION = "collection"  # who may open the tab, its lists and the route sheets
PAGE_SIZE = 50
SHEET_ROUTE = "/penagihan/rute"  # an officer's route sheet: the printable page, and with .pdf the PDF
KINDS = {"unpaid": "Belum bayar", "disconnect": "Calon segel"}
SORTS = {"unpaid": {"nominal": "Tagihan terbesar", "route": "Urut rute (PCEZ, alamat)", "nomen": "Nomen",
                    "arrears": "Tunggakan terbesar"},
         "disconnect": {"arrears": "Tunggakan terbesar", "route": "Urut rute (PCEZ, alamat)", "nomen": "Nomen"}}

COLUMNS = [
    nomen_column(pinned="left", sortable=False),
    column("nama", "Nama", minWidth=150, sortable=False),
    column("alamat", "Alamat", minWidth=180, sortable=False),
    column("pcez_text", "PCEZ", minWidth=80, flex=0, width=90, sortable=False),
    column("petugas_text", "Petugas", minWidth=110, sortable=False),
    column("nominal", "Tagihan", "rupiah", minWidth=110, flex=0, width=120, sortable=False),
    column("sisa", "Sisa", "rupiah", minWidth=110, flex=0, width=120, sortable=False),
    column("bills", "Rek", "number", minWidth=60, flex=0, width=70, sortable=False),
    column("arrears", "Tunggakan", "rupiah", minWidth=110, flex=0, width=125, sortable=False),
    column("last_payment", "Bayar Terakhir", "date", minWidth=110, flex=0, width=120, sortable=False),
    column("followup_text", "Tindak Lanjut", minWidth=150, sortable=False),
]


def layout() -> html.Div:
    return html.Div([
        dcc.Store(id=QUERY), dcc.Store(id=PURGED), dcc.Store(id=SAVED_COUNT, data=0), dcc.Download(id=DOWNLOAD),
        html.Div(id=ALERT),
        html.Div(id=CARDS),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody([html.H5("Per petugas", className="card-title"),
                                           html.Div(id=OFFICERS, className="collection-table")]), className="h-100"),
                    lg=6),
            dbc.Col(dbc.Card(dbc.CardBody([html.H5("Per PCEZ", className="card-title"),
                                           html.Div(id=PCEZS, className="collection-table")]), className="h-100"),
                    lg=6),
        ], className="g-3 mb-3"),
        dbc.Card(dbc.CardBody([
            html.Div([
                html.H5("Daftar", id=TITLE, className="card-title mb-0"),
                html.Div([
                    dbc.RadioItems(id=KIND, options=[{"label": label, "value": key} for key, label in KINDS.items()],
                                   value="unpaid", inline=True, className="collection-kind"),
                    html.Label("Urutkan", htmlFor=SORT, className="visually-hidden"),
                    dbc.Select(id=SORT, size="sm", className="collection-sort", value="nominal",
                               options=[{"label": label, "value": key} for key, label in SORTS["unpaid"].items()]),
                    *download_buttons(EXPORT_XLSX, EXPORT_CSV),
                ], className="d-flex align-items-center gap-2 flex-wrap"),
            ], className="d-flex justify-content-between align-items-center mb-2 flex-wrap gap-2"),
            html.Div(id=FILTERS, className="mb-2"),
            dag.AgGrid(
                id=GRID, columnDefs=COLUMNS, rowModelType="infinite",
                defaultColDef={"resizable": True, "flex": 1, "minWidth": 90, "wrapHeaderText": True,
                               "autoHeaderHeight": True, "suppressHeaderMenuButton": True},
                dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                                 "paginationPageSizeSelector": False, "maxBlocksInCache": 20,
                                 "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
                                 "suppressCellFocus": True, "localeText": LOCALE},
                getRowId="params.data.nomen", className="ag-theme-quartz", style={"height": "520px"},
            ),
        ]), className="mb-3"),
        followup_form.card(FORM, "Pilih pelanggan di daftar.", False) if may(followup_form.PERMISSION) else None,
    ])


# --- what the tab shows ------------------------------------------------------------------------

def _query(search: str | None, periode: str | None, rayon: str | None, kind: str | None, sort: str | None,
           saved: int | None = None) -> dict:
    params = urls.tab_params(search)
    kind = kind if kind in KINDS else "unpaid"
    return {"periode": periode, "rayon": rayon_filter(rayon), "pcez": params.get("pcez") or None,
            "petugas": params.get("petugas") or None, "kind": kind,
            "sort": sort if sort in SORTS[kind] else next(iter(SORTS[kind])),
            "saved": saved or 0}  # follow-ups saved here: a new one refetches the list


def _scoped(query: dict) -> dict:
    """The query as this user may run it: a petugas's holds its own name and one of its own PCEZs
    (services/scope.py), whatever the address or a crafted request carries; Forbidden else."""
    actor = current_actor()
    return {**query, "petugas": scope.petugas_filter(actor, query.get("petugas")),
            "pcez": scope.pcez_filter(app_engine(), actor, query["periode"], query.get("pcez"))}


def _link(search: str | None, **changes) -> str:
    """This tab's address with its filters changed (None removes one)."""
    shell = urls.params(search)
    params = {**urls.tab_params(search), **changes}
    return urls.link(shell.get("periode"), shell.get("rayon"), TAB_ID,
                     **{key: value for key, value in params.items() if value})


def _settings() -> tuple[int, int]:
    """(N, G) in force: an admin's saved values, else the environment's (Pengaturan)."""
    return settings_service.collection_settings(app_engine(), current_app.config["SUNTER_CONFIG"].thresholds)


def cards_view(query: dict) -> tuple[list, object]:
    engine, periode, rayon = app_engine(), query["periode"], query["rayon"]
    figures = queries.kpi(engine, periode, rayon)
    # Filtered by a PCEZ or an officer, the cards are that group's, as the lists are.
    for key, grouped in (("pcez", queries.kpi_by_pcez), ("petugas", queries.kpi_by_petugas)):
        if query[key]:
            rows = grouped(engine, periode, rayon)["rows"]
            group = next((row for row in rows if row[key] == query[key].strip().upper()), None)
            empty = {"nomen": 0, "nominal": 0}
            figures = {**figures, "unpaid": group["unpaid"] if group else empty,
                       "target": group["target"] if group else empty}
            break
    if not figures["has_mc"]:
        return [], missing_alert(f"MC {periode_label(periode)} belum diunggah: daftar belum bayar dihitung dari MC.")
    bills, grace = _settings()
    candidates = queries.disconnect(engine, periode, rayon, query["pcez"], query["petugas"], 1, 1, bills=bills)
    promised = queries.promises(engine, periode, query["petugas"], grace=grace)
    counts = promised["counts"]
    cards = [
        kpi_card("card-unpaid-nomen", "Belum Bayar", number(figures["unpaid"]["nomen"]),
                 f"dari {number(figures['target']['nomen'])} pelanggan bertagihan", "bi-person-x", None, None,
                 accent="danger", compared=False),
        kpi_card("card-unpaid-nominal", "Rupiah Belum Dibayar", rupiah(figures["unpaid"]["nominal"]),
                 "termasuk sisa pembayar sebagian", "bi-cash-stack", None, None, accent="warning", compared=False),
        kpi_card("card-disconnect", "Calon Segel", number(candidates["total"]) if candidates["has_ardebt"] else "-",
                 f"tunggakan {bills} rekening atau lebih, tanpa bayar bulan ini" if candidates["has_ardebt"]
                 else "ARDEBT periode ini belum diunggah", "bi-scissors", None, None, accent="secondary",
                 compared=False),
        kpi_card("card-promises", "Janji Bayar", f"{number(counts['pending'])} menunggu",
                 f"{number(counts['kept'])} ditepati · {number(counts['broken'])} diingkari", "bi-calendar-check",
                 None, None, accent="info", compared=False),
    ]
    alert = None if figures["has_collection"] else missing_alert(
        f"COLLECTION {periode_label(periode)} belum diunggah: semua pelanggan bertagihan tampak belum bayar.")
    return dbc.Row([dbc.Col(card, md=6, xl=3) for card in cards], className="g-3 mb-3"), alert


def group_table(rows: list[dict], total: dict, key: str, search: str | None, chosen: str | None) -> html.Div:
    """The KPI per officer or PCEZ; a named group links to this tab filtered on it."""
    def name(row):
        value = row[key]
        text = pcez_label(value) if key == "pcez" else officer_label(value)
        if value is None:
            return text
        active = " fw-bold" if value == chosen else ""
        return dcc.Link(text, href=_link(search, **{key: value}), className=f"collection-link{active}")

    head = html.Thead(html.Tr([html.Th("Petugas" if key == "petugas" else "PCEZ"),
                               html.Th("Target", className="text-end"),
                               html.Th("Terbayar", className="text-end"), html.Th("%", className="text-end"),
                               html.Th("Belum bayar", className="text-end"), html.Th("Rp belum", className="text-end")]))

    def line(row, label=None):
        return html.Tr([html.Td(label or name(row)), html.Td(rupiah(row["target"]["nominal"]), className="text-end"),
                        html.Td(rupiah(row["paid"]["nominal"]), className="text-end"),
                        html.Td(percent(row["collection_rate"]), className="text-end"),
                        html.Td(number(row["unpaid"]["nomen"]), className="text-end"),
                        html.Td(rupiah(row["unpaid"]["nominal"]), className="text-end")])

    body = [line(row) for row in rows] + [line(total, html.Strong("Total"))]
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, className="mb-0",
                     id=f"collection-{key}-table")


def display_rows(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["pcez_text"] = pcez_label(row["pcez"])
        row["petugas_text"] = officer_label(row["petugas"])
        followup = row.pop("followup")
        row["followup_text"] = "" if followup is None else (
            f"{RESULT_LABELS[followup['result']]} · {followup['visit_date']}"
            + (f" → {followup['promise_date']}" if followup["promise_date"] else ""))
    return rows


def filters_view(query: dict, search: str | None):
    chips = []
    held = scope.officer(current_actor())  # a petugas's own name is no filter it can clear
    for key, label in (("petugas", "Petugas"), ("pcez", "PCEZ")):
        if key == "petugas" and held:
            chips.append(html.Span(f"{label}: {held}", className="badge text-bg-primary me-2"))
        elif query[key]:
            shown = pcez_label(query[key]) if key == "pcez" else query[key]
            chips.append(dcc.Link([f"{label}: {shown} ", html.I(className="bi bi-x-lg")],
                                  href=_link(search, **{key: None}), className="badge text-bg-primary me-2",
                                  id=f"collection-clear-{key}"))
    if query["petugas"]:
        chips += [html.A([html.I(className="bi bi-file-earmark-pdf me-1"), "Lembar rute (PDF)"],
                         href=sheet_href(query, "pdf"), target="_blank", id="collection-sheet-pdf",
                         className="btn btn-outline-secondary btn-sm me-2"),
                  html.A([html.I(className="bi bi-printer me-1"), "Cetak"], href=sheet_href(query, "html"),
                         target="_blank", id="collection-sheet-page", className="btn btn-outline-secondary btn-sm")]
    return chips or html.Span("Semua petugas dan PCEZ; klik nama petugas atau PCEZ untuk menyaring, lalu cetak "
                              "lembar rute petugasnya.", className="text-muted small")


def _sheet_args():
    """periode, petugas and rayon of a route sheet's address; BadParameter says which is wrong."""
    periode = request.args.get("periode", "").strip()
    if not valid_periode(periode):
        raise BadParameter(f"Periode harus berbentuk TTTT-BB (mis. 2025-12), bukan {periode!r}.",
                           "periode must be YYYY-MM", field="periode")
    if not may(PERMISSION):
        raise Forbidden("Anda tidak berhak membuka lembar rute.", "Not allowed to read route sheets.")
    return periode, scope.petugas_filter(current_actor(), petugas_arg()), rayon_arg()


def sheet_href(query: dict, fmt: str) -> str:
    params = {"periode": query["periode"], "petugas": query["petugas"], "rayon": query["rayon"]}
    return f"{SHEET_ROUTE}{'.pdf' if fmt == 'pdf' else ''}?" + urlencode({k: v for k, v in params.items() if v})


def _sheet(fmt: str):
    config = current_app.config["SUNTER_CONFIG"]
    try:
        periode, petugas, rayon = _sheet_args()
    except (BadParameter, Forbidden) as refused:
        return refused.message, refused.status, {"Content-Type": "text/plain; charset=utf-8"}
    printed = local(now_utc(), config.timezone)
    if fmt == "pdf":
        content = route_sheet.pdf(app_engine(), periode, petugas, config.branch_name, printed, rayon)
        name = f"rute_{(petugas.strip().upper() if petugas else 'semua').replace(' ', '-')}_{periode}.pdf"
        return content, 200, {"Content-Type": "application/pdf",
                              "Content-Disposition": f'inline; filename="{name}"'}
    href = sheet_href({"periode": periode, "petugas": petugas, "rayon": rayon}, "pdf")
    return route_sheet.page(app_engine(), periode, petugas, config.branch_name, printed, rayon, href), 200, {
        "Content-Type": "text/html; charset=utf-8"}


def register_callbacks(app: Dash) -> None:
    app.server.add_url_rule(SHEET_ROUTE, "route_sheet_page", lambda: _sheet("html"))
    app.server.add_url_rule(f"{SHEET_ROUTE}.pdf", "route_sheet_pdf", lambda: _sheet("pdf"))

    @app.callback(Output(SORT, "options"), Output(SORT, "value"), Input(KIND, "value"), State(SORT, "value"))
    def sorts(kind, sort):
        options = SORTS.get(kind, SORTS["unpaid"])
        return [{"label": label, "value": key} for key, label in options.items()], \
            sort if sort in options else next(iter(options))

    @app.callback(
        output={"query": Output(QUERY, "data"), "cards": Output(CARDS, "children"), "alert": Output(ALERT, "children"),
                "officers": Output(OFFICERS, "children"), "pcezs": Output(PCEZS, "children"),
                "filters": Output(FILTERS, "children"), "title": Output(TITLE, "children")},
        inputs={"search": Input(ids.URL, "search"), "periode": Input(ids.PERIODE, "value"),
                "rayon": Input(ids.RAYON, "value"), "kind": Input(KIND, "value"), "sort": Input(SORT, "value"),
                "saved": Input(SAVED_COUNT, "data")})
    def view(search, periode, rayon, kind, sort, saved):
        if not periode:
            return {"query": None, "cards": [], "alert": missing_alert("Belum ada data: unggah MC dan COLLECTION."),
                    "officers": None, "pcezs": None, "filters": None, "title": "Daftar"}
        try:
            query = _scoped(_query(search, periode, rayon, kind, sort, int(saved or 0)))
        except Forbidden as refused:
            return {"query": None, "cards": [], "alert": missing_alert(refused.message), "officers": None,
                    "pcezs": None, "filters": None, "title": "Daftar"}
        cards, alert = cards_view(query)
        engine, actor = app_engine(), current_actor()
        officers = scope.groups(engine, actor, queries.kpi_by_petugas(engine, periode, query["rayon"]), "petugas")
        pcezs = scope.groups(engine, actor, queries.kpi_by_pcez(engine, periode, query["rayon"]), "pcez")
        return {"query": query, "cards": cards, "alert": alert,
                "officers": group_table(officers["rows"], officers["total"], "petugas", search, query["petugas"]),
                "pcezs": group_table(pcezs["rows"], pcezs["total"], "pcez", search, query["pcez"]),
                "filters": filters_view(query, search),
                "title": f"{KINDS[query['kind']]} · {periode_label(periode)}"}

    purge_on(app, GRID, QUERY, PURGED)

    @app.callback(Output(GRID, "getRowsResponse"), Input(GRID, "getRowsRequest"), State(QUERY, "data"))
    def serve_rows(request, query):
        if not query or not request:
            return {"rowData": [], "rowCount": 0}
        query = _scoped(query)  # the store is the browser's: checked again
        start, end = int(request.get("startRow", 0)), int(request.get("endRow", PAGE_SIZE))
        size = max(1, min(end - start, 500))
        args = (app_engine(), query["periode"], query["rayon"], query["pcez"], query["petugas"], start // size + 1,
                size, query["sort"])
        page = queries.unpaid(*args) if query["kind"] == "unpaid" else queries.disconnect(*args, _settings()[0])
        return {"rowData": display_rows([dict(row) for row in page["rows"]]), "rowCount": page["total"]}

    _register_form(app)

    @app.callback(Output(DOWNLOAD, "data"), Input(EXPORT_XLSX, "n_clicks"), Input(EXPORT_CSV, "n_clicks"),
                  State(QUERY, "data"), prevent_initial_call=True)
    def download(_xlsx, _csv, query):
        if not query or not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update
        query = _scoped(query)
        fmt = "xlsx" if ctx.triggered_id == EXPORT_XLSX else "csv"
        content, name = export.collection_list(app_engine(), query["kind"], query["periode"], query["rayon"],
                                               query["pcez"], query["petugas"], query["sort"], fmt, _settings()[0])
        return dcc.send_bytes(content, name)


def _register_form(app: Dash) -> None:
    @app.callback(Output(FORM.who, "children"), Output(FORM.save, "disabled"), Input(GRID, "selectedRows"),
                  prevent_initial_call=True)
    @guarded(followup_form.PERMISSION)
    def chosen(selected):
        if not selected:
            return "Pilih pelanggan di daftar.", True
        row = selected[0]
        return f"{row['nomen']} · {row.get('nama') or ''} · {row.get('alamat') or ''}", False

    @app.callback(
        output={"saved": Output(FORM.saved, "children"), "count": Output(SAVED_COUNT, "data")},
        inputs={"_save": Input(FORM.save, "n_clicks")},
        state={"selected": State(GRID, "selectedRows"), "query": State(QUERY, "data"),
               "result": State(FORM.result, "value"), "visit": State(FORM.visit, "value"),
               "promise": State(FORM.promise, "value"), "note": State(FORM.note, "value"),
               "count": State(SAVED_COUNT, "data")},
        prevent_initial_call=True)
    @guarded(followup_form.PERMISSION,
             saved=dbc.Alert("Anda tidak berhak mencatat tindak lanjut.", color="danger"))
    def save(_save, selected, query, result, visit, promise, note, count):
        if not selected or not query:
            return {"saved": dbc.Alert("Pilih pelanggan di daftar dulu.", color="warning"), "count": no_update}
        told, saved = followup_form.save(FORM, selected[0]["nomen"], query["periode"], result, visit, promise, note)
        return {"saved": told, "count": int(count or 0) + 1 if saved else no_update}


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
