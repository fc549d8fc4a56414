"""Tab "Tren": any KPI over a range of periodes, for all rayons or each, with the change
from the previous periode."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html, no_update
from flask import current_app

from .. import ids, queries, urls
from ..components import charts
from ..components.cards import missing_alert
from ..components.export_buttons import panel
from ..components.forms import dropdown, notice
from ..components.grids import column, grid
from ..domain.labels import rayon_label
from ..domain.listing import rayon_filter
from ..domain.periodes import MONTH_NAMES, date_label, month_end, periode_label
from ..extensions import app_engine
from ..services import settings
from .base import Tab

TAB_ID = "tren"
LABEL = "Tren"
METRIC = "trend-metric"
FIRST = "trend-first"
LAST = "trend-last"
SPLIT = "trend-split"
CHART = "trend-chart"
GRID = "trend-grid"
ALERT = "trend-alert"

# key -> (label, unit, path into a kpi() dict, higher is better)
METRICS = {
    "collection_rate": ("Collection Rate", "%", ("collection_rate",)),
    "target_nominal": ("Target (Rp)", "Rp", ("target", "nominal")),
    "paid_nominal": ("Terbayar (Rp)", "Rp", ("paid", "nominal")),
    "unpaid_nominal": ("Belum Bayar (Rp)", "Rp", ("unpaid", "nominal")),
    "undue_nominal": ("Tunggakan Tertagih (Rp)", "Rp", ("undue", "nominal")),
    "unmatched_nominal": ("Bayar di Luar MC (Rp)", "Rp", ("unmatched", "nominal")),
    "paid_nomen": ("Pelanggan Bayar", "", ("paid", "nomen")),
    "unpaid_nomen": ("Pelanggan Belum Bayar", "", ("unpaid", "nomen")),
    "total_pelanggan": ("Pelanggan", "", ("total_pelanggan",)),
    "total_kubikasi": ("Kubikasi (m³)", "", ("total_kubikasi",)),
    "os_nominal": ("Tunggakan OS (Rp)", "Rp", ("os", "nominal")),
    "os_nomen": ("Pelanggan Menunggak", "", ("os", "nomen")),
}
ARREARS_METRICS = {"os_nominal", "os_nomen"}  # from ARDEBT, the others from the collection KPI
GRID_KIND = {"%": "percent", "Rp": "rupiah", "": "number"}
DELTA_KIND = {"%": "delta_points", "Rp": "delta_rupiah", "": "delta_number"}
ALL_SERIES = "semua"
PER_RAYON = "per-rayon"


def layout() -> html.Div:
    controls = dbc.Row([
        dbc.Col([dbc.Label("Indikator", html_for=METRIC),
                 dropdown(id=METRIC, value="collection_rate", clearable=False,
                              options=[{"label": label, "value": key} for key, (label, _, _) in METRICS.items()])],
                md=4),
        dbc.Col([dbc.Label("Dari", html_for=FIRST), dropdown(id=FIRST, clearable=False)], md=2),
        dbc.Col([dbc.Label("Sampai", html_for=LAST), dropdown(id=LAST, clearable=False)], md=2),
        dbc.Col([dbc.Label("Tampilan"), dbc.RadioItems(
            id=SPLIT, value=ALL_SERIES, inline=True,
            options=[{"label": "Rayon terpilih", "value": ALL_SERIES}, {"label": "Per rayon", "value": PER_RAYON}])],
            md=4),
    ], className="g-3 align-items-end")
    return html.Div([
        dbc.Card(dbc.CardBody(controls), className="mb-3"),
        html.Div(id=ALERT),
        panel("Tren antar periode", [dcc.Graph(id=CHART, config={"displayModeBar": False}), grid(GRID, [])],
              "kpi-series"),
    ])


def _value(figures: dict, path: tuple[str, ...]):
    """The figure at ``path``; None when its file is not stored (METRICS.md: null, not 0)."""
    for key in path:
        if figures is None:
            return None
        figures = figures[key]
    return figures


def series_points(series: list[dict], metric: str, per_rayon: bool, rayon: str | None) -> list[dict]:
    """Points {series, periode, value, change} with the change from the previous periode of the same series."""
    _, _, path = METRICS[metric]
    points, last = [], {}
    if per_rayon:  # customers with no rayon: only where they have figures of their own (as the Ringkasan grid)
        unassigned = [f for f in series if not f["rayon"]]
        if not any(_value(f, path) for f in unassigned):
            series = [f for f in series if f["rayon"]]
    for figures in series:
        if per_rayon:
            name = rayon_label(figures["rayon"])
        else:
            name = f"Rayon {rayon}" if rayon else "Semua rayon"
        value = _value(figures, path)
        before = last.get(name)
        points.append({"series": name, "periode": figures["periode"], "periode_label": periode_label(figures["periode"]),
                       "value": value, "change": None if before is None or value is None else value - before})
        last[name] = value
    return points


PAYMENT_METRICS = {"collection_rate", "paid_nominal", "unpaid_nominal", "undue_nominal", "unmatched_nominal",
                   "paid_nomen", "unpaid_nomen"}  # read from COLLECTION: a month still being paid is partial


def mark_partial(points: list[dict], metric: str) -> tuple[list[dict], str | None]:
    """The newest periode shown, when its payments stop before its month ends (data as of,
    METRICS.md), is marked: its label says up to when, and the chart draws it hollow."""
    if metric not in PAYMENT_METRICS or not points:
        return points, None
    newest = max(p["periode"] for p in points)
    with app_engine().connect() as conn:
        as_of = queries.data_as_of(conn, newest)
    if as_of is None or as_of >= month_end(newest):
        return points, None
    shown = f"{as_of.day} {MONTH_NAMES[as_of.month - 1][:3]}"
    marked = [{**p, "partial": True, "periode_label": f"{p['periode_label']} (s.d. {shown})"}
              if p["periode"] == newest else p for p in points]
    return marked, (f"{periode_label(newest)} belum lengkap: pembayaran tersimpan sampai {date_label(as_of.isoformat())}"
                    "; titiknya digambar kosong.")


def _series(metric: str, first: str, last: str, rayon: str | None, per_rayon: bool) -> list[dict]:
    """The figures of every periode in range: one series, or one per rayon (only the
    filtered rayon when the header filter names one)."""
    engine = app_engine()
    if metric not in ARREARS_METRICS:
        series = queries.kpi_series_known(engine, first, last, None if per_rayon else rayon, per_rayon)
        return [s for s in series if s["rayon"] == rayon] if per_rayon and rayon else series
    if not per_rayon:
        return queries.arrears_series(engine, first, last, rayon)
    wanted = [rayon] if rayon else queries.rayons(engine)
    per = [s for r in wanted for s in queries.arrears_series(engine, first, last, r)]
    return sorted(per, key=lambda s: (s["periode"], s["rayon"]))


def update(metric: str, first: str | None, last: str | None, split: str, rayon: str | None) -> dict:
    label, unit, _ = METRICS[metric]
    kind = GRID_KIND[unit]
    columns = [column("periode_label", "Periode", minWidth=140), column("series", "Rayon", minWidth=120),
               # A column id per metric: AG Grid keeps a column's formatter while its id stays.
               column("value", label, kind, colId=f"value-{metric}"),
               column("change", "Perubahan dari periode sebelumnya", DELTA_KIND[unit], colId=f"change-{metric}")]
    if not first or not last:
        return {"alert": missing_alert("Belum ada data tersimpan."), "chart": charts.empty(), "rows": [],
                "columns": columns}
    note = range_note(first, last)
    first, last = min(first, last), max(first, last)
    rayon = rayon_filter(rayon)
    per_rayon = split == PER_RAYON
    series = _series(metric, first, last, rayon, per_rayon)
    points = series_points(series, metric, per_rayon, rayon)
    alert = None if points else missing_alert(
        f"Belum ada data KPI antara {periode_label(first)} dan {periode_label(last)}.")
    points, partial = mark_partial(points, metric)
    notes = [n for n in (note, partial) if n]
    if notes:
        alert = [*(notice(n, "info") for n in notes), alert]
    goals = None
    if metric == "collection_rate":
        # METRICS.md's goal of each periode shown (an admin's for it, else the default).
        engine, defaults = app_engine(), current_app.config["SUNTER_CONFIG"].thresholds
        goals = settings.goals_of(engine, defaults, list(dict.fromkeys(pt["periode"] for pt in points)))
        columns.insert(3, column("goal", "Target (%)", "percent", colId="goal"))
        points = [{**p, "goal": goals[p["periode"]]} for p in points]
    return {"alert": alert, "chart": charts.trend_chart(points, label, unit, goals), "rows": list(reversed(points)),
            "columns": columns}


# The choices in the address, so a view can be shared: ?tab=tren&metrik=paid_nominal&dari=2025-01
# &sampai=2025-12&tampilan=per-rayon (a default is left out).
DEFAULTS = {"metrik": "collection_rate", "tampilan": ALL_SERIES}


def asked_choices(search: str | None) -> dict:
    """The metric and view a link asks for, where they are ones the tab offers."""
    asked = urls.tab_params(search)
    return {"metric": asked.get("metrik") if asked.get("metrik") in METRICS else DEFAULTS["metrik"],
            "split": asked.get("tampilan") if asked.get("tampilan") in (ALL_SERIES, PER_RAYON) else ALL_SERIES}


def choices_link(periode, rayon, metric, first, last, split) -> str:
    return urls.link(periode, rayon, TAB_ID, metrik=None if metric == DEFAULTS["metrik"] else metric,
                     dari=first, sampai=last, tampilan=None if split == ALL_SERIES else split)


def range_of(values: list[str], periode: str | None, search: str | None) -> tuple[str, str]:
    """The range shown: the one the address asks for where both ends are stored, else the
    twelve periodes up to the header's."""
    asked = urls.tab_params(search)
    if asked.get("dari") in values and asked.get("sampai") in values:
        return asked["dari"], asked["sampai"]
    last = periode if periode in values else values[-1]
    earlier = [v for v in values if v <= last]
    return earlier[max(0, len(earlier) - 12)], last


def range_note(first: str, last: str) -> str | None:
    """What the page says when "Dari" comes after "Sampai" (it shows the range the right way)."""
    if first <= last:
        return None
    return (f"\"Dari\" ({periode_label(first)}) sesudah \"Sampai\" ({periode_label(last)}): ditampilkan "
            f"{periode_label(last)} s/d {periode_label(first)}.")


def register_callbacks(app: Dash) -> None:
    @app.callback(
        output={"first_options": Output(FIRST, "options"), "first": Output(FIRST, "value"),
                "last_options": Output(LAST, "options"), "last": Output(LAST, "value")},
        inputs={"options": Input(ids.PERIODE, "options"), "periode": Input(ids.PERIODE, "value")},
        state={"search": State(ids.URL, "search"), "shown": State(FIRST, "value")},
    )
    def fill_range(options, periode, search, shown):
        options = options or []
        values = sorted(o["value"] for o in options)
        if not values:
            return {"first_options": [], "first": None, "last_options": [], "last": None}
        # A link's range on the tab's first fill; later the header's periode moves the range.
        first, last = range_of(values, periode, search if shown is None else None)
        return {"first_options": options, "first": first, "last_options": options, "last": last}

    @app.callback(Output(METRIC, "value"), Output(SPLIT, "value"), Input(ids.URL, "search"),
                  State(METRIC, "value"), State(SPLIT, "value"))
    def follow_url(search, metric, split):
        asked = asked_choices(search)
        return (no_update if asked["metric"] == metric else asked["metric"],
                no_update if asked["split"] == split else asked["split"])

    @app.callback(Output(ids.URL, "search", allow_duplicate=True),
                  Input(METRIC, "value"), Input(FIRST, "value"), Input(LAST, "value"), Input(SPLIT, "value"),
                  State(ids.PERIODE, "value"), State(ids.RAYON, "value"), State(ids.URL, "search"),
                  prevent_initial_call=True)
    def keep_in_url(metric, first, last, split, periode, rayon, search):
        if not first or not last:
            return no_update
        wanted = choices_link(periode, rayon, metric, first, last, split)
        return no_update if wanted == (search or "") else wanted

    @app.callback(
        output={"alert": Output(ALERT, "children"), "chart": Output(CHART, "figure"),
                "rows": Output(GRID, "rowData"), "columns": Output(GRID, "columnDefs")},
        inputs={"metric": Input(METRIC, "value"), "first": Input(FIRST, "value"), "last": Input(LAST, "value"),
                "split": Input(SPLIT, "value"), "rayon": Input(ids.RAYON, "value")},
    )
    def refresh(metric, first, last, split, rayon):
        return update(metric, first, last, split, rayon)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks)
