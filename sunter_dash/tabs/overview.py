"""Tab "Ringkasan": the collection KPI cards, the rayon breakdown and the daily trend."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html, no_update

from .. import ids, queries
from ..components import charts
from ..components.cards import Delta, kpi_card, missing_alert
from ..components.export_buttons import panel
from ..components.grids import column, grid
from ..domain.labels import rayon_label
from ..domain.listing import ALL_RAYONS, rayon_filter
from ..domain.periodes import periode_label, shift_periode
from ..extensions import app_engine
from ..formatting import number, percent, rupiah
from .base import Tab

TAB_ID = "ringkasan"
LABEL = "Ringkasan"
ALERT = "overview-alert"
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
    column("paid_nomen", "Plg Bayar", "number", minWidth=85, headerTooltip="Pelanggan sudah bayar"),
]


def layout() -> html.Div:
    return html.Div([
        html.Div(id=ALERT),
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


def build_cards(current: dict, previous: dict | None) -> dbc.Row:
    def delta(path: tuple[str, ...], better: bool = True, points: bool = False) -> Delta | None:
        if previous is None or not previous["has_mc"]:
            return None
        def get(figures):
            value = figures
            for key in path:
                value = value[key]
            return value
        return Delta(get(current), get(previous), better, points)

    before = previous["periode"] if previous else None
    cards = [
        kpi_card("card-target", "Target", rupiah(current["target"]["nominal"]),
                 f"{number(current['target']['nomen'])} pelanggan bertagihan", "bi-bullseye",
                 delta(("target", "nominal")), before),
        kpi_card("card-paid", "Terbayar", rupiah(current["paid"]["nominal"]),
                 f"{number(current['paid']['nomen'])} pelanggan sudah bayar", "bi-cash-coin",
                 delta(("paid", "nominal")), before, "success"),
        kpi_card("card-unpaid", "Belum Bayar", rupiah(current["unpaid"]["nominal"]),
                 f"{number(current['unpaid']['nomen'])} pelanggan belum bayar", "bi-hourglass-split",
                 delta(("unpaid", "nominal"), better=False), before, "danger"),
        kpi_card("card-rate", "Collection Rate", percent(current["collection_rate"]),
                 "Terbayar dibanding target", "bi-speedometer2",
                 delta(("collection_rate",), points=True), before),
        kpi_card("card-undue", "Tunggakan Tertagih", rupiah(current["undue"]["nominal"]),
                 f"{number(current['undue']['nomen'])} pelanggan bayar tunggakan (UNDUE)", "bi-arrow-repeat",
                 delta(("undue", "nominal")), before, "info"),
        kpi_card("card-unmatched", "Bayar di Luar MC", rupiah(current["unmatched"]["nominal"]),
                 f"{number(current['unmatched']['count'])} pembayaran tanpa nomen di MC", "bi-question-diamond",
                 delta(("unmatched", "nominal"), better=False), before, "warning"),
        kpi_card("card-customers", "Pelanggan", number(current["total_pelanggan"]),
                 "Baris MC periode ini", "bi-people", delta(("total_pelanggan",)), before, "secondary"),
        kpi_card("card-volume", "Kubikasi", f"{number(current['total_kubikasi'])} m³",
                 "Dari MC" if current["kubikasi_source"] == "MC" else
                 "Dari SBRS (MC tanpa kubikasi)" if current["kubikasi_source"] == "SBRS" else "Belum ada data",
                 "bi-droplet-half", delta(("total_kubikasi",)), before, "secondary"),
    ]
    return dbc.Row([dbc.Col(card, xs=12, sm=6, xl=3) for card in cards], className="g-3 mb-3")


def rayon_rows(by_rayon: dict) -> tuple[list[dict], list[dict]]:
    def row(figures: dict, label: str) -> dict:
        return {"rayon": figures["rayon"], "label": label,
                "target_nominal": figures["target"]["nominal"], "paid_nominal": figures["paid"]["nominal"],
                "unpaid_nominal": figures["unpaid"]["nominal"], "rate": round(figures["collection_rate"], 2),
                "target_nomen": figures["target"]["nomen"], "paid_nomen": figures["paid"]["nomen"]}
    # Customers without a rayon show only when they carry a target (their payments
    # outside MC are on the cards), so the rows still add up to the total.
    rows = [row(r, rayon_label(r["rayon"])) for r in by_rayon["rayons"]
            if r["rayon"] or r["target"]["nominal"] or r["paid"]["nominal"]]
    return rows, [row(by_rayon["total"], "Total")]


def update(periode: str | None, rayon: str | None) -> dict:
    """Everything the tab shows for a periode and rayon (the callback's outputs)."""
    if not periode:
        empty = charts.empty("Belum ada data")
        return {"alert": missing_alert("Belum ada data tersimpan. Unggah file MC dan COLLECTION di tab Unggah, "
                                       "atau jalankan: python -m sunter_dash ingest FILE..."),
                "cards": None, "rayon_chart": empty, "rows": [], "total": [], "daily": empty,
                "title": "Grafik harian"}
    engine = app_engine()
    rayon = rayon_filter(rayon)
    current = queries.kpi(engine, periode, rayon)
    previous_periode = shift_periode(periode, -1)
    previous = queries.kpi(engine, previous_periode, rayon) if any(
        p["periode"] == previous_periode for p in queries.periodes(engine)) else None
    message = missing_message(current, periode)
    by_rayon = queries.kpi_by_rayon(engine, periode)
    rows, total = rayon_rows(by_rayon)
    where = f" · Rayon {rayon}" if rayon else ""
    return {"alert": missing_alert(message) if message else None, "cards": build_cards(current, previous),
            "rayon_chart": charts.rayon_chart(by_rayon, rayon), "rows": rows, "total": total,
            "daily": charts.daily_chart(queries.kpi_daily(engine, periode, rayon)),
            "title": f"Grafik harian {periode_label(periode)}{where}"}


def clicked_rayon(click: dict | None, current: str | None) -> str:
    """The rayon a chart click asks for; clicking the selected rayon again clears the filter."""
    points = (click or {}).get("points") or []
    code = points[0].get("customdata") if points else None
    if not code:
        return no_update
    return ALL_RAYONS if code == current else code


def register_callbacks(app: Dash) -> None:
    @app.callback(
        output={"alert": Output(ALERT, "children"), "cards": Output(CARDS, "children"),
                "rayon_chart": Output(RAYON_CHART, "figure"), "rows": Output(RAYON_GRID, "rowData"),
                "grid_options": Output(RAYON_GRID, "dashGridOptions"), "daily": Output(DAILY_CHART, "figure"),
                "title": Output(DAILY_TITLE, "children")},
        inputs={"periode": Input(ids.PERIODE, "value"), "rayon": Input(ids.RAYON, "value")},
        state={"grid_options": State(RAYON_GRID, "dashGridOptions")},
    )
    def refresh(periode, rayon, grid_options):
        shown = update(periode, rayon)
        total = shown.pop("total")
        return {**shown, "grid_options": {**(grid_options or {}), "pinnedBottomRowData": total}}

    @app.callback(Output(ids.RAYON, "value", allow_duplicate=True), Input(RAYON_CHART, "clickData"),
                  State(ids.RAYON, "value"), prevent_initial_call=True)
    def cross_filter(click, current):
        return clicked_rayon(click, current)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks)
