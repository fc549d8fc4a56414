"""Tab "Ringkasan": first the answer to "will we make it this month?" (the rate against the goal,
the forecast with its range, the gap and the data's date, beside the month's cumulative progress),
then the KPI cards with their change against last month and last year, the rayon breakdown and
the daily trend."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html, no_update
from flask import current_app
from sqlalchemy import Engine

from .. import ids, queries, report, urls
from ..auth import may
from ..components import charts, encoded
from ..components.cards import Delta, kpi_card, missing_alert
from ..components.export_buttons import panel
from ..components.grids import column, grid
from ..domain.checks import Thresholds
from ..domain.forecast import known_gap
from ..domain.labels import rayon_label
from ..domain.listing import ALL_RAYONS, rayon_filter
from ..domain.periodes import date_label, periode_label, shift_periode
from ..extensions import app_engine
from ..formatting import number, percent, rupiah
from ..queries.cache import cached
from ..queries.kpi import known
from ..services import settings
from .base import Tab

TAB_ID = "ringkasan"
LABEL = "Ringkasan"
ALERT = "overview-alert"
HEADLINE = "overview-headline"
REPORT = "overview-report"
PROGRESS_CHART = "overview-progress-chart"
PROGRESS_TITLE = "overview-progress-title"
CARDS = "overview-cards"
RAYON_CHART = "overview-rayon-chart"
RAYON_GRID = "overview-rayon-grid"
DAILY_CHART = "overview-daily-chart"
DAILY_TITLE = "overview-daily-title"

RAYON_COLUMNS = [
    column("label", "Rayon", minWidth=100, flex=0, width=110),
    column("target_nominal", "Target", "rupiah", minWidth=125),
    column("paid_nominal", "Terbayar", "rupiah", minWidth=125),
    column("unpaid_nominal", "Belum Bayar", "rupiah", minWidth=115),
    column("rate", "CR", "percent", minWidth=75, headerTooltip="Collection rate"),
    column("gap", "Kurang", "rupiah", minWidth=115, headerTooltip="Kurang dari target collection rate"),
    column("rate_last_year", "CR thn lalu", "percent", minWidth=90,
           headerTooltip="Collection rate bulan yang sama tahun lalu"),
    column("paid_nomen", "Plg Bayar", "number", minWidth=85, headerTooltip="Pelanggan sudah bayar"),
]


def layout() -> html.Div:
    return html.Div([
        html.Div(id=ALERT),
        html.Div(id=REPORT, className="d-flex justify-content-end align-items-center gap-2 mb-2 no-print"),
        dbc.Row([
            dbc.Col(html.Div(id=HEADLINE, className="h-100"), lg=5),
            dbc.Col(panel(html.H5(id=PROGRESS_TITLE), [
                dcc.Graph(id=PROGRESS_CHART, config={"displayModeBar": False}),
            ], "kpi-daily", "progress", className="h-100"), lg=7),
        ], className="g-3 mb-3"),
        html.Div(id=CARDS),
        dbc.Row([
            dbc.Col(panel("Target dan realisasi per rayon", [
                dcc.Graph(id=RAYON_CHART, config={"displayModeBar": False}),
                html.Div("Klik batang rayon untuk menyaring halaman; klik lagi untuk kembali ke semua rayon.",
                         className="text-muted small"),
            ], "kpi-rayon", "chart", className="h-100"), lg=5),
            dbc.Col(panel("Rincian per rayon", [grid(RAYON_GRID, RAYON_COLUMNS)], "kpi-rayon", className="h-100"),
                    lg=7),
        ], className="g-3 mb-3"),
        panel(html.H5(id=DAILY_TITLE), [dcc.Graph(id=DAILY_CHART, config={"displayModeBar": False})], "kpi-daily"),
    ])


def missing_message(figures: dict, periode: str) -> str | None:
    label = periode_label(periode)
    if not figures["has_mc"] and not figures["has_collection"]:
        return f"Belum ada data MC dan COLLECTION untuk {label}. Unggah MC (target) dan file pembayaran periode ini."
    if not figures["has_mc"]:
        return (f"Belum ada data MC untuk {label}: target belum diketahui, jadi collection rate belum bisa "
                "dihitung. Unggah file MC periode ini.")
    if not figures["has_collection"]:
        return f"Belum ada data COLLECTION untuk {label}. Unggah file pembayaran periode ini."
    return None


def report_links(periode: str, rayon: str | None) -> list:
    """The monthly report of the periode (and rayon) shown, as PDF and as a workbook."""
    def button(fmt: str, icon: str, label: str):
        return dbc.Button([html.I(className=f"bi {icon} me-1"), label], id=f"overview-report-{fmt}",
                          href=urls.report_link(periode, rayon, fmt), external_link=True, size="sm", color="light",
                          className="export-btn", download=report.filename(periode, rayon, fmt))
    return [html.Span("Laporan bulanan", className="export-label"),
            dbc.ButtonGroup([button("pdf", "bi-file-earmark-pdf", "PDF"),
                             button("xlsx", "bi-file-earmark-excel", "XLSX")], size="sm")]


def figure_at(figures: dict | None, path: tuple[str, ...]):
    """A figure by its path (("target", "nominal")); None where the figures or the figure are null."""
    value = figures
    for key in path:
        if value is None:
            return None
        value = value[key]
    return value


def headline(month: dict, forecast: dict) -> dbc.Card:
    """The rate against the goal, the gap in Rupiah, the forecast with its range (or why there is
    none), last year's rate, and the date the data runs to."""
    rate, goal, gap = month["collection_rate"], month["goal"], month["gap"]
    as_of = f"data per {date_label(month['data_as_of'])}" if month["data_as_of"] else "belum ada pembayaran"
    if gap is None:
        gap_text = "Kekurangan terhadap target belum dapat dihitung"
    elif not figure_at(month, ("target", "nominal")):
        gap_text = "Tidak ada tagihan (target MC) untuk pilihan ini"
    elif gap == 0:
        gap_text = "Target tercapai"
    else:
        gap_text = [html.Span(rupiah(gap), className="fw-bold"), " lagi untuk mencapai target"]
    found = forecast["forecast"]
    if found:
        outlook = [html.Span("Perkiraan akhir bulan ", className="text-muted"),
                   html.Span(percent(found["rate"]), className="fw-bold headline-forecast"),
                   html.Span(f" ({percent(found['low'])} – {percent(found['high'])})", className="text-muted text-nowrap"),
                   html.Div(f"{rupiah(found['nominal'])} terbayar di akhir bulan", className="small text-muted")]
    else:
        outlook = [html.Span("Perkiraan akhir bulan: ", className="text-muted"),
                   html.Span(forecast["reason"] or "-", className="headline-no-forecast")]
    year = month["previous_year"]
    last_year = (html.Div([html.Span(f"Tahun lalu, {periode_label(year['periode'])}: ", className="text-muted"),
                           percent(year["collection_rate"])], className="headline-last-year")
                 if year and year["collection_rate"] is not None else None)
    share = 0 if rate is None or not goal else max(0.0, min(100.0, 100 * rate / goal))
    paid, target = figure_at(month, ("paid", "nominal")), figure_at(month, ("target", "nominal"))
    facts = [("Terbayar", rupiah(paid)), ("Target", rupiah(target))]
    if forecast["day"]:
        facts.append(("Hari", f"ke-{forecast['day']} dari {forecast['last_day']}"))
    if found:
        facts.append(("Dasar perkiraan", f"{len(forecast['periodes'])} bulan sebelumnya pada hari yang sama"))
    return dbc.Card(dbc.CardBody([
        html.Div([html.Span(f"Collection rate · {periode_label(month['periode'])}"
                            + (f" · Rayon {month['rayon']}" if month["rayon"] else ""), className="kpi-title"),
                  html.Span([html.I(className="bi bi-clock-history me-1"), as_of], className="headline-as-of")],
                 className="d-flex justify-content-between align-items-start gap-2 flex-wrap"),
        html.Div([html.Span(percent(rate), className="headline-rate"),
                  html.Span(f"target {percent(goal, 1)}", className="headline-goal")],
                 className="d-flex align-items-baseline gap-2 flex-wrap"),
        # Bootstrap's progress markup, so the bar carries its accessible name (dbc.Progress has none).
        html.Div(html.Div(className="progress-bar " + ("bg-success" if gap == 0 and figure_at(month, ("target", "nominal"))
                                                      else "bg-primary"), style={"width": f"{share:.1f}%"}),
                 className="progress headline-bar mb-2", role="progressbar", style={"height": ".6rem"},
                 **{"aria-label": "Collection rate terhadap target", "aria-valuenow": f"{share:.1f}",
                    "aria-valuemin": "0", "aria-valuemax": "100"}),
        html.Div(gap_text, className="headline-gap"),
        html.Div(outlook, className="headline-outlook mt-2"),
        last_year,
        html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))],
                className="headline-facts mt-3 mb-0"),
    ]), id="card-headline", className="kpi-card headline-card h-100")


def build_cards(current: dict, previous: dict | None) -> dbc.Row:
    """The KPI cards; each compares with last month and, when stored, the same month last year
    (figures whose file is not stored show '-', never 0)."""
    year = current["previous_year"]

    def delta(path: tuple[str, ...], better: bool = True, points: bool = False) -> Delta | None:
        if previous is None:
            return None
        return Delta(figure_at(current, path), figure_at(previous, path), better, points)

    def yearly(path: tuple[str, ...], better: bool = True, points: bool = False) -> Delta | None:
        return Delta(figure_at(current, path), figure_at(year, path), better, points) if year else None

    def card(card_id, title, path, value, detail, icon, better=True, points=False, accent="primary"):
        return kpi_card(card_id, title, value, detail, icon, delta(path, better, points),
                        previous["periode"] if previous else None, accent,
                        year=(yearly(path, better, points), year["periode"]) if year else None)

    def count(path: tuple[str, ...], words: str) -> str:
        value = figure_at(current, path)
        return f"{number(value)} {words}" if value is not None else "Belum ada data"

    source = current["kubikasi_source"]
    volume = current["total_kubikasi"]
    cards = [
        card("card-target", "Target", ("target", "nominal"), rupiah(figure_at(current, ("target", "nominal"))),
             count(("target", "nomen"), "pelanggan bertagihan"), "bi-bullseye"),
        card("card-paid", "Terbayar", ("paid", "nominal"), rupiah(figure_at(current, ("paid", "nominal"))),
             count(("paid", "nomen"), "pelanggan sudah bayar"), "bi-cash-coin", accent="success"),
        card("card-unpaid", "Belum Bayar", ("unpaid", "nominal"), rupiah(figure_at(current, ("unpaid", "nominal"))),
             count(("unpaid", "nomen"), "pelanggan belum bayar"), "bi-hourglass-split", better=False,
             accent="danger"),
        card("card-rate", "Collection Rate", ("collection_rate",), percent(current["collection_rate"]),
             "Terbayar dibanding target", "bi-speedometer2", points=True),
        card("card-undue", "Tunggakan Tertagih", ("undue", "nominal"), rupiah(figure_at(current, ("undue", "nominal"))),
             count(("undue", "nomen"), "pelanggan bayar tunggakan (UNDUE)"), "bi-arrow-repeat", accent="info"),
        card("card-unmatched", "Bayar di Luar MC", ("unmatched", "nominal"),
             rupiah(figure_at(current, ("unmatched", "nominal"))),
             count(("unmatched", "count"), "pembayaran tanpa nomen di MC"), "bi-question-diamond", better=False,
             accent="warning"),
        card("card-customers", "Pelanggan", ("total_pelanggan",), number(current["total_pelanggan"]),
             "Baris MC periode ini", "bi-people", accent="secondary"),
        card("card-volume", "Kubikasi", ("total_kubikasi",), f"{number(volume)} m³" if volume is not None else "-",
             "Dari MC" if source == "MC" else "Dari SBRS (MC tanpa kubikasi)" if source == "SBRS" else "Belum ada data",
             "bi-droplet-half", accent="secondary"),
    ]
    return dbc.Row([dbc.Col(c, xs=12, sm=6, xl=3) for c in cards], className="g-3 mb-3")


def rayon_rows(by_rayon: dict, goal: float | None = None, last_year: dict | None = None,
               stored: set[str] | None = None) -> tuple[list[dict], list[dict]]:
    """The rayon grid's rows and its total: each with its gap to the goal and last year's rate
    (None when the same month last year has no payments stored); ``stored``: the file types of
    the periode, so a figure whose file is missing is None, not 0 (all known when not given)."""
    before = {r["rayon"]: r for r in last_year["rayons"]} if last_year else {}

    def row(figures: dict, label: str, year: dict | None) -> dict:
        if stored is not None:
            figures = known(figures, stored)[0]
        target, paid = figure_at(figures, ("target", "nominal")), figure_at(figures, ("paid", "nominal"))
        rate = figures["collection_rate"]
        return {"rayon": figures["rayon"], "label": label, "target_nominal": target, "paid_nominal": paid,
                "unpaid_nominal": figure_at(figures, ("unpaid", "nominal")),
                "rate": None if rate is None else round(rate, 2),
                "gap": known_gap(goal, target, paid) if target else None,
                "rate_last_year": round(year["collection_rate"], 2) if year else None,
                "target_nomen": figure_at(figures, ("target", "nomen")),
                "paid_nomen": figure_at(figures, ("paid", "nomen"))}
    # Customers without a rayon show only when they carry a target (their payments
    # outside MC are on the cards), so the rows still add up to the total.
    rows = [row(r, rayon_label(r["rayon"]), before.get(r["rayon"])) for r in by_rayon["rayons"]
            if r["rayon"] or r["target"]["nominal"] or r["paid"]["nominal"]]
    return rows, [row(by_rayon["total"], "Total", last_year["total"] if last_year else None)]


def empty_branch(can_upload: bool) -> list | str:
    """What an empty dashboard says: where to upload (a link to Unggah), or whom to ask."""
    if not can_upload:
        return "Belum ada data tersimpan. Minta admin cabang mengunggah file MC dan COLLECTION."
    return ["Belum ada data tersimpan. Unggah file MC (target) dan COLLECTION (pembayaran) di ",
            dcc.Link("tab Unggah", href=urls.link(None, None, "upload"), id="overview-upload-link"), "."]


def update(periode: str | None, rayon: str | None) -> dict:
    """Everything the tab shows for a periode and rayon (the callback's outputs)."""
    if not periode:
        empty = charts.empty("Belum ada data")
        return {"alert": missing_alert(empty_branch(may("upload"))),
                "headline": None, "report": None, "progress": empty, "progress_title": "Progres bulan ini",
                "cards": None, "rayon_chart": empty, "rows": [], "total": [], "daily": empty,
                "title": "Grafik harian"}
    return rendered(app_engine(), periode, rayon_filter(rayon), current_app.config["SUNTER_CONFIG"].thresholds)


@cached
def rendered(engine: Engine, periode: str, rayon: str | None, defaults: Thresholds) -> dict:
    """The tab's outputs for a periode and rayon, encoded as Dash sends them: memoized with the
    figures and the goal it shows (setting a goal bumps the data version), so a warm answer is
    one cache lookup rather than the 8 of its figures and goal, 117 components built again and
    their encoding (9.9 ms p95 at 200k customers, 21 at 1M). ``defaults``: the settings of the
    environment, under what admins saved."""
    goal = settings.goal(engine, defaults, periode)
    current = queries.kpi_month(engine, periode, rayon, goal)
    previous_periode = shift_periode(periode, -1)
    # Last month's figures for the cards' deltas only (kpi_month would also read P-13 for nothing).
    before = queries.types_of(engine, previous_periode)
    previous = known(queries.kpi(engine, previous_periode, rayon), before)[0] if before else None
    message = missing_message(current, periode)
    by_rayon = queries.kpi_by_rayon(engine, periode)
    year = current["previous_year"]
    # Last year's curve and rates only where its rate is known (its MC and its payments stored).
    year_ago = year["periode"] if year and year["collection_rate"] is not None else None
    rows, total = rayon_rows(by_rayon, goal, queries.kpi_by_rayon(engine, year_ago) if year_ago else None,
                             queries.types_of(engine, periode))
    forecast = queries.kpi_forecast(engine, periode, rayon)
    daily = queries.kpi_daily(engine, periode, rayon)
    where = f" · Rayon {rayon}" if rayon else ""
    return encoded({
        "alert": missing_alert(message) if message else None, "headline": headline(current, forecast),
        "report": report_links(periode, rayon),
        "progress": charts.progress_chart(daily, queries.kpi_daily(engine, year_ago, rayon) if year_ago else None,
                                          goal, forecast),
        "progress_title": f"Progres {periode_label(periode)}{where}",
        "cards": build_cards(current, previous),
        "rayon_chart": charts.rayon_chart(by_rayon, rayon), "rows": rows, "total": total,
        "daily": charts.daily_chart(daily), "title": f"Grafik harian {periode_label(periode)}{where}"})


def clicked_rayon(click: dict | None, current: str | None) -> str:
    """The rayon a chart click asks for; clicking the selected rayon again clears the filter."""
    points = (click or {}).get("points") or []
    code = points[0].get("customdata") if points else None
    if not code:
        return no_update
    return ALL_RAYONS if code == current else code


def register_callbacks(app: Dash) -> None:
    @app.callback(
        output={"alert": Output(ALERT, "children"), "headline": Output(HEADLINE, "children"),
                "report": Output(REPORT, "children"),
                "progress": Output(PROGRESS_CHART, "figure"), "progress_title": Output(PROGRESS_TITLE, "children"),
                "cards": Output(CARDS, "children"),
                "rayon_chart": Output(RAYON_CHART, "figure"), "rows": Output(RAYON_GRID, "rowData"),
                "grid_options": Output(RAYON_GRID, "dashGridOptions"), "daily": Output(DAILY_CHART, "figure"),
                "title": Output(DAILY_TITLE, "children")},
        inputs={"periode": Input(ids.PERIODE, "value"), "rayon": Input(ids.RAYON, "value")},
        state={"grid_options": State(RAYON_GRID, "dashGridOptions")},
    )
    def refresh(periode, rayon, grid_options):
        shown = update(periode, rayon)
        return {**{name: value for name, value in shown.items() if name != "total"},
                "grid_options": {**(grid_options or {}), "pinnedBottomRowData": shown["total"]}}

    @app.callback(Output(ids.RAYON, "value", allow_duplicate=True), Input(RAYON_CHART, "clickData"),
                  State(ids.RAYON, "value"), prevent_initial_call=True)
    def cross_filter(click, current):
        return clicked_rayon(click, current)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks)
