"""Tab "Meter": the meter-reading anomalies of METRICS.md for the periode and rayon filters.

One card per anomaly with its count and change against the previous periode; a
card opens its list in an AG Grid that pages, sorts and filters on the server
(infinite row model), so a list of any length costs one page of rows. The whole
filtered list downloads; a selected row becomes an analysis case.
"""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from sqlalchemy import Engine

from .. import export, ids, queries, urls
from ..components import encoded
from ..components.cards import missing_alert
from ..components.export_buttons import download_buttons
from ..components.grids import LOCALE, column, nomen_column, purge_on
from ..domain import checks
from ..domain.checks import AnyOf, Thresholds
from ..domain.errors import BadParameter
from ..domain.listing import rayon_filter
from ..domain.periodes import periode_label
from ..extensions import app_engine
from ..formatting import number
from ..grid_model import filters_text, parse_filters, parse_sort, sort_from_grid
from ..queries.anomalies import DEFAULT_SORT, FIELDS, thresholds
from ..queries.cache import cached
from .base import Tab

TAB_ID = "meter"
CHECK_PARAM = "cek"  # the chosen card in the address: ?tab=meter&cek=spike
LABEL = "Meter"
ALERT = "meter-alert"
CARDS = "meter-cards"
CARD = "meter-card"
KEY = "meter-key"
QUERY = "meter-query"
TITLE = "meter-list-title"
GRID = "meter-grid"
NEW_CASE = "meter-new-case"
DOWNLOAD = "meter-download"
EXPORT_XLSX = "meter-export-xlsx"
EXPORT_CSV = "meter-export-csv"
PURGED = "meter-purged"
PAGE_SIZE = 50

COLUMNS = [
    nomen_column(pinned="left", minWidth=100, flex=0, width=110, filter="agTextColumnFilter"),
    column("nama", "Nama", minWidth=170, filter="agTextColumnFilter"),
    column("rayon", "Rayon", minWidth=75, flex=0, width=85, filter="agTextColumnFilter"),
    column("tarif", "Tarif", minWidth=70, flex=0, width=80, filter="agTextColumnFilter"),
    column("stand_lalu", "Stand Lalu", "number", minWidth=95, filter=True),
    column("stand_kini", "Stand Kini", "number", minWidth=95, filter=True),
    column("volume", "Pakai (m3)", "number", minWidth=95, filter=True),
    column("prev_volume", "Pakai Bln Lalu", "number", minWidth=110, filter=True,
           headerTooltip="Pemakaian periode sebelumnya (m3)"),
    column("median_volume", "Median Riwayat", "number", minWidth=115, filter=True,
           headerTooltip="Median pemakaian pelanggan pada periode-periode sebelumnya (m3)"),
    column("delta_m3", "Selisih (m3)", "number", minWidth=100, filter=True,
           headerTooltip="Volume yang dipersoalkan (lihat docs/ANOMALIES.md)"),
    column("at_stake", "Potensi (Rp)", "rupiah", minWidth=120, filter=True,
           headerTooltip="Selisih m3 x harga rata-rata per m3 pelanggan"),
    column("direction", "Arah", minWidth=110, flex=0, width=115, sortable=False,
           headerTooltip="Kurang tagih: Selisih negatif, air terpakai mungkin tak tertagih. "
                         "Lebih tagih: Selisih positif, tagihan di atas biasanya"),
    column("flag_names", "Anomali", minWidth=170, sortable=False),
    column("prev_stand_kini", "Stand Kini Bln Lalu", "number", minWidth=130, filter=True),
    column("read_method", "Metode Baca", minWidth=110, filter="agTextColumnFilter"),
    column("trouble_code", "Kode Trouble", minWidth=110, filter="agTextColumnFilter"),
    column("price_m3", "Harga/m3", "rupiah", minWidth=100, filter=True),
]


def layout() -> html.Div:
    return html.Div([
        dcc.Store(id=KEY, data=checks.checks()[0].key),
        dcc.Store(id=QUERY),
        dcc.Store(id=PURGED),
        dcc.Download(id=DOWNLOAD),
        html.Div(id=ALERT),
        html.Div(id=CARDS, className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.Div([
                html.H5(id=TITLE, className="card-title mb-0"),
                html.Div([
                    dbc.Button([html.I(className="bi bi-clipboard-plus me-1"), "Buat analisa"], id=NEW_CASE,
                               href="", external_link=False, size="sm", color="primary", disabled=True,
                               title="Pilih satu baris untuk membuat kasus analisa"),
                    *download_buttons(EXPORT_XLSX, EXPORT_CSV),
                ], className="d-flex align-items-center gap-2"),
            ], className="d-flex justify-content-between align-items-center mb-2 flex-wrap gap-2"),
            dag.AgGrid(
                id=GRID, columnDefs=COLUMNS, rowModelType="infinite",
                defaultColDef={"sortable": True, "resizable": True, "filter": False, "flex": 1, "minWidth": 90,
                               "floatingFilter": True, "suppressHeaderMenuButton": True,
                               "suppressFloatingFilterButton": True, "suppressHeaderFilterButton": True,
                               "wrapHeaderText": True, "autoHeaderHeight": True,
                               "filterParams": {"debounceMs": 400, "maxNumConditions": 1}},
                dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                                 "paginationPageSizeSelector": False, "maxBlocksInCache": 20,
                                 "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
                                 "suppressCellFocus": True, "localeText": LOCALE},
                getRowId="params.data.nomen", className="ag-theme-quartz", style={"height": "560px"},
            ),
        ])),
    ])


# --- cards ------------------------------------------------------------------------------------

def _change(count: int, previous: int | None, before: str | None) -> html.Div:
    if previous is None:
        return html.Div("Tidak ada pembanding", className="meter-card-delta text-muted")
    change = count - previous
    if change == 0:
        return html.Div(f"tetap vs {periode_label(before)}", className="meter-card-delta text-muted")
    tone = "bad" if change > 0 else "good"  # more anomalies is worse
    arrow = "bi-arrow-up-right" if change > 0 else "bi-arrow-down-right"
    return html.Div([html.I(className=f"bi {arrow} me-1"), f"{'+' if change > 0 else '−'}{number(abs(change))}",
                     html.Span(f" vs {periode_label(before)}", className="text-muted")],
                    className=f"meter-card-delta kpi-delta-{tone}")


def missing_text(key: str, missing: list[str], periode: str, thresholds: Thresholds) -> str:
    """What a card lacks: the files, or a history of "at least N of M" earlier periodes."""
    history = [n for n in checks.check(key).needs(thresholds) if isinstance(n, AnyOf) and n.at_least > 1]
    if history and not any(m.endswith(periode) for m in missing):
        group = history[0]
        return (f"Perlu riwayat {group.needs[0].file_type} minimal {group.at_least} dari {len(group.needs)} "
                "periode sebelumnya")
    return "Perlu " + ", ".join(f"{kind} {periode_label(p)}" for kind, p in (m.split(" ") for m in missing))


def no_actual_text(summary: dict) -> str:
    """METRICS.md: no read-method code of SBRS(P) is set as an actual read."""
    return (f"Tidak ada kode baca aktual ({', '.join(summary['read_methods'][:4])} bukan "
            f"{', '.join(summary['actual_read_methods'])}); admin dapat mengubahnya di Pengaturan")


def build_cards(summary: dict, selected: str, thresholds: Thresholds) -> dbc.Row:
    cards = []
    for key, figures in summary["anomalies"].items():
        missing = figures["missing"]
        body = [
            html.Div([html.Span(figures["name"], className="meter-card-title"),
                      html.I(className=f"bi {checks.check(key).icon} meter-card-icon")],
                     className="d-flex justify-content-between align-items-start gap-1"),
            html.Div(number(figures["count"]) if figures["count"] is not None else "—", className="meter-card-value"),
            (html.Div(missing_text(key, missing, summary["periode"], thresholds), className="meter-card-missing")
             if missing else _change(figures["count"], figures["previous"], summary["previous_periode"])),
        ]
        if figures.get("no_actual_reads"):
            body.append(html.Div(no_actual_text(summary), className="meter-card-missing meter-card-caveat"))
        active = " meter-card-active" if key == selected else ""
        cards.append(dbc.Col(html.Button(body, id={"type": CARD, "key": key}, n_clicks=0,
                                         className=f"meter-card{active}", **{"aria-pressed": "true" if active else "false"}),
                             xs=6, md=4, lg=3, xl=2))
    return dbc.Row(cards, className="g-2")


def cards_view(periode: str | None, rayon: str | None, selected: str):
    if not periode:
        return missing_alert("Belum ada data tersimpan. Unggah file SBRS."), None
    # The card chosen comes from the page: only a check's key is kept apart in the memo.
    return rendered_cards(app_engine(), periode, rayon_filter(rayon), selected if selected in checks.names() else None)


@cached
def rendered_cards(engine: Engine, periode: str, rayon: str | None, selected: str | None) -> list:
    """The alert and the cards, encoded as Dash sends them and memoized with the counts they show
    (as Ringkasan's answer is)."""
    summary = queries.anomaly_summary(engine, periode, rayon)
    alert = None
    if "SBRS" not in queries.types_of(engine, periode):
        alert = missing_alert(f"Belum ada data SBRS untuk {periode_label(periode)}. Unggah file baca meter (SBRS) "
                              "periode ini; tanpa itu hanya Rebill dari MAINBILL yang bisa dihitung.")
    return encoded([alert, build_cards(summary, selected, thresholds(engine))])


# --- the list ---------------------------------------------------------------------------------

def list_request(request: dict | None):
    """The grid's sort and filter models as the queries take them (BadParameter when unusable)."""
    request = request or {}
    return (parse_sort(sort_from_grid(request.get("sortModel"), FIELDS), FIELDS, DEFAULT_SORT),
            parse_filters(filters_text(request.get("filterModel")), FIELDS))


def display_rows(rows: list[dict]) -> list[dict]:
    names = checks.names()
    return [{**row, "flag_names": ", ".join(names.get(k, k) for k in row["flags"]),
             "direction": checks.direction(row.get("delta_m3"))} for row in rows]


def rows_page(query: dict | None, request: dict | None) -> dict:
    """The grid's getRowsResponse for a getRowsRequest."""
    if not query or not request:
        return {"rowData": [], "rowCount": 0}
    start, end = int(request.get("startRow", 0)), int(request.get("endRow", PAGE_SIZE))
    try:
        sort, filters = list_request(request)
    except BadParameter:
        return {"rowData": [], "rowCount": 0}
    found = queries.anomaly_page(app_engine(), query["periode"], query["key"], rayon_filter(query["rayon"]), start,
                                 max(1, min(end - start, 500)), sort, filters)
    return {"rowData": display_rows(found["rows"]), "rowCount": found["total"]}


def list_title(query: dict | None) -> str:
    if not query:
        return "Daftar anomali"
    return f"{checks.check(query['key']).name} · {periode_label(query['periode'])}"


def case_link(query: dict | None, selected: list[dict] | None, search: str | None) -> tuple[str, bool]:
    """The Analisa tab's prefilled form for the selected row (``search`` keeps the filters)."""
    if not query or not selected:
        return "", True
    rayon = urls.params(search).get("rayon")
    return urls.link(query["periode"], rayon, "analisa", new="1", nomen=selected[0]["nomen"],
                     anomaly=query["key"]), False


def key_asked(search: str | None) -> str | None:
    """The card a link asks for (``&cek=spike``), when it is a check."""
    asked = urls.tab_params(search).get(CHECK_PARAM)
    return asked if asked in checks.names() else None


def card_link(periode: str | None, rayon: str | None, key: str) -> str:
    """The address of the Meter tab with this card chosen, so the view can be shared."""
    return urls.link(periode, rayon, TAB_ID, **{CHECK_PARAM: key})


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(ALERT, "children"), Output(CARDS, "children"),
                  Input(ids.PERIODE, "value"), Input(ids.RAYON, "value"), Input(KEY, "data"))
    def refresh_cards(periode, rayon, key):
        return cards_view(periode, rayon, key)

    @app.callback(Output(KEY, "data"), Output(ids.URL, "search", allow_duplicate=True),
                  Input({"type": CARD, "key": ALL}, "n_clicks"), State(ids.PERIODE, "value"),
                  State(ids.RAYON, "value"), prevent_initial_call=True)
    def choose(clicks, periode, rayon):
        if not ctx.triggered_id or not any(clicks or []):
            return no_update, no_update
        key = ctx.triggered_id["key"]
        return key, card_link(periode, rayon, key)

    @app.callback(Output(KEY, "data", allow_duplicate=True), Input(ids.URL, "search"), State(KEY, "data"),
                  prevent_initial_call="initial_duplicate")
    def follow_url(search, key):
        asked = key_asked(search)
        return no_update if asked is None or asked == key else asked

    @app.callback(Output(QUERY, "data"), Output(TITLE, "children"),
                  Input(ids.PERIODE, "value"), Input(ids.RAYON, "value"), Input(KEY, "data"))
    def set_query(periode, rayon, key):
        query = {"periode": periode, "rayon": rayon, "key": key} if periode and key in checks.names() else None
        return query, list_title(query)

    purge_on(app, GRID, QUERY, PURGED)

    @app.callback(Output(GRID, "getRowsResponse"), Input(GRID, "getRowsRequest"), State(QUERY, "data"))
    def serve_rows(request, query):
        return rows_page(query, request)

    @app.callback(Output(NEW_CASE, "href"), Output(NEW_CASE, "disabled"),
                  Input(GRID, "selectedRows"), State(QUERY, "data"), State(ids.URL, "search"))
    def new_case(selected, query, search):
        return case_link(query, selected, search)

    @app.callback(Output(DOWNLOAD, "data"), Input(EXPORT_XLSX, "n_clicks"), Input(EXPORT_CSV, "n_clicks"),
                  State(QUERY, "data"), State(GRID, "getRowsRequest"), prevent_initial_call=True)
    def download(_xlsx, _csv, query, request):
        if not query or not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update
        fmt = "xlsx" if ctx.triggered_id == EXPORT_XLSX else "csv"
        try:
            sort, filters = list_request(request)
        except BadParameter:
            return no_update
        content, name = export.anomaly_list(app_engine(), query["periode"], query["key"],
                                            rayon_filter(query["rayon"]), sort, filters, fmt)
        return dcc.send_bytes(content, name)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks)
