"""Tab "Tunggakan" (the OS view): outstanding arrears from ARDEBT, aging, top debtors."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from .. import ids, queries
from ..components import charts
from ..components.cards import Delta, kpi_card, missing_alert
from ..components.export_buttons import panel
from ..components.grids import column, grid, nomen_column
from ..domain.listing import rayon_filter
from ..domain.periodes import periode_label
from ..extensions import app_engine
from ..formatting import number, percent, rupiah
from .base import Tab

TAB_ID = "tunggakan"
LABEL = "Tunggakan"
ALERT = "arrears-alert"
CARDS = "arrears-cards"
BUCKET_CHART = "arrears-bucket-chart"
TOP_GRID = "arrears-top-grid"

TOP_COLUMNS = [
    nomen_column(pinned="left", minWidth=100, flex=0, width=105, filter=True),
    column("nama", "Nama", minWidth=180, filter=True),
    column("total", "Tunggakan", "rupiah", minWidth=130, flex=0, width=140, sort="desc", filter=True),
    column("alamat", "Alamat", minWidth=200, filter=True),
    column("rayon", "Rayon", minWidth=80, flex=0, width=90),
    column("tarif", "Tarif", minWidth=80, flex=0, width=90),
    column("bills", "Rek", "number", minWidth=80, flex=0, width=90),
    column("oldest_bill", "Rek Tertua", minWidth=110, flex=0, width=120),
]


def layout() -> html.Div:
    return html.Div([
        html.Div(id=ALERT),
        html.Div(id=CARDS),
        dbc.Row([
            dbc.Col(panel("Umur tunggakan", [dcc.Graph(id=BUCKET_CHART, config={"displayModeBar": False})],
                          "arrears-buckets", className="h-100"), lg=5),
            dbc.Col(panel("Penunggak terbesar", [
                grid(TOP_GRID, TOP_COLUMNS, height="340px", pagination=True, paginationPageSize=50)],
                "arrears-top", className="h-100"), lg=7),
        ], className="g-3"),
    ])


def build_cards(summary: dict, previous: dict | None) -> dbc.Row:
    """The four OS cards; a figure whose file is not stored says which file to upload, never 0."""
    before = previous["periode"] if previous else None
    os, collected = summary["os"], summary["collected"]
    month = periode_label(summary["periode"])
    no_ardebt, no_payments = f"Belum ada data: unggah ARDEBT {month}", f"Belum ada data: unggah COLLECTION {month}"

    def delta(key: str, better: bool) -> Delta | None:
        return Delta(os[key], previous["os"][key], better) if previous and os else None
    share = collected["share"]
    cards = [
        kpi_card("card-os-nomen", "Pelanggan Menunggak", number(os["nomen"]) if os else "—",
                 "Pelanggan dengan saldo tunggakan" if os else no_ardebt, "bi-person-exclamation",
                 delta("nomen", False), before, "danger", compared=os is not None),
        kpi_card("card-os-nominal", "Total Tunggakan (OS)", rupiah(os["nominal"]) if os else "—",
                 "Saldo tunggakan di ARDEBT" if os else no_ardebt, "bi-wallet2", delta("nominal", False), before,
                 "danger", compared=os is not None),
        kpi_card("card-os-collected", "Tunggakan Tertagih",
                 rupiah(collected["nominal"]) if collected["nominal"] is not None else "—",
                 f"{number(collected['nomen'])} pelanggan bayar tunggakan bulan ini"
                 if collected["nominal"] is not None else no_payments, "bi-arrow-repeat",
                 None, None, "success", compared=False),
        kpi_card("card-os-share", "Tertagih dari OS Bulan Lalu", percent(share) if share is not None else "—",
                 f"OS {periode_label(collected['previous_periode'])}: {rupiah(collected['previous_os_nominal'])}"
                 if collected["previous_os_nominal"] is not None
                 else f"Belum ada data: unggah ARDEBT {periode_label(collected['previous_periode'])}",
                 "bi-pie-chart", None, None, "info", compared=False),
    ]
    return dbc.Row([dbc.Col(card, xs=12, sm=6, xl=3) for card in cards], className="g-3 mb-3")


def update(periode: str | None, rayon: str | None) -> dict:
    if not periode:
        return {"alert": missing_alert("Belum ada data tersimpan. Unggah file ARDEBT."), "cards": None,
                "chart": charts.empty(), "top": []}
    engine = app_engine()
    rayon = rayon_filter(rayon)
    summary = queries.arrears_summary(engine, periode, rayon)
    previous_periode = summary["collected"]["previous_periode"]
    previous = queries.arrears_summary(engine, previous_periode, rayon) if summary["collected"][
        "previous_os_nominal"] is not None else None
    alert = None if summary["has_ardebt"] else missing_alert(
        f"Belum ada data ARDEBT untuk {periode_label(periode)}. Unggah file tunggakan (ARDEBT) periode ini.")
    return {"alert": alert, "cards": build_cards(summary, previous), "chart": charts.bucket_chart(summary),
            "top": queries.arrears_top(engine, periode, rayon)}


def register_callbacks(app: Dash) -> None:
    @app.callback(
        output={"alert": Output(ALERT, "children"), "cards": Output(CARDS, "children"),
                "chart": Output(BUCKET_CHART, "figure"), "top": Output(TOP_GRID, "rowData")},
        inputs={"periode": Input(ids.PERIODE, "value"), "rayon": Input(ids.RAYON, "value")},
    )
    def refresh(periode, rayon):
        return update(periode, rayon)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks)
