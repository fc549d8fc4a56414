"""Plotly figures of the dashboard, built from the query functions' plain data.

Figures are plain dicts in plotly.js's own schema: a callback that builds them
stays within a few milliseconds, where plotly.graph_objects' validation and
template copies took about 40 ms per chart.
"""
from __future__ import annotations

import math

from ..domain.labels import BUCKET_LABELS
from ..domain.periodes import periode_label, short_periode
from ..formatting import number, percent
from ..progress import NO_TARGET, progress

PRIMARY = "#2780e3"
MUTED = "#adb5bd"
SUCCESS = "#3fb618"
WARNING = "#ff7518"
DANGER = "#ff0039"
PALETTE = [PRIMARY, WARNING, SUCCESS, "#9954bb", DANGER, "#373a3c", "#17a2b8"]
EMPTY_TEXT = "Belum ada data"


AXIS = {"gridcolor": "#e9edf2", "linecolor": "#d6dde6", "zerolinecolor": "#d6dde6", "automargin": True,
        "tickfont": {"size": 12}}


class Figure(dict):
    """A figure dict with the two helpers the builders need."""

    def add(self, trace_type: str, **trace) -> None:
        self["data"].append({"type": trace_type, **trace})

    def update_layout(self, **layout) -> None:
        for key, value in layout.items():
            if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
                self["layout"][key] = {**AXIS, **self["layout"].get(key, {}), **value}
            else:
                self["layout"][key] = value


def _base(height: int = 340) -> Figure:
    font = "Source Sans 3, system-ui, sans-serif"
    return Figure(data=[], layout={
        "height": height, "separators": ",.",  # Indonesian: 1.234.567,89
        "paper_bgcolor": "#fff", "plot_bgcolor": "#fff",
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"family": font, "size": 13, "color": "#373a3c"},
        # Above the plot, where no axis title is: below it the legend sat on "Tanggal".
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "hoverlabel": {"font": {"family": font}},
        "xaxis": {**AXIS, "showgrid": False}, "yaxis": dict(AXIS),
    })


def empty(message: str = EMPTY_TEXT, height: int = 340) -> Figure:
    figure = _base(height)
    figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False},
                         annotations=[{"text": message, "showarrow": False, "font": {"size": 15, "color": MUTED},
                                       "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])
    return figure


def rupiah_short(value: float) -> str:
    """Axis label in the units Indonesian readers use: rb (ribu), jt (juta), M (miliar), T (triliun)."""
    for size, unit in ((1e12, "T"), (1e9, "M"), (1e6, "jt"), (1e3, "rb")):
        if abs(value) >= size:
            return f"Rp {number(value / size, 1 if value % size else 0)} {unit}"
    return f"Rp {number(value)}"


def rupiah_axis(values: list[float]) -> dict:
    """Five or so round ticks from 0 to the largest value, labelled with rupiah_short."""
    top = max([v for v in values if v] or [1])
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [step * i for i in range(0, int(top / step) + 2)]
    return {"tickvals": ticks, "ticktext": [rupiah_short(t) for t in ticks], "rangemode": "tozero"}


def rayon_chart(by_rayon: dict, selected: str | None) -> Figure:
    """Target against Terbayar per rayon; a bar click filters the page by its rayon."""
    rows = [r for r in by_rayon["rayons"] if r["rayon"]]
    if not rows:
        return empty("Belum ada target (MC) untuk periode ini")
    labels = [f"Rayon {r['rayon']}" for r in rows]
    codes = [r["rayon"] for r in rows]
    faded = [0.35 if selected and code != selected else 1.0 for code in codes]
    figure = _base()
    figure.add("bar", name="Target", x=labels, y=[r["target"]["nominal"] for r in rows], customdata=codes,
                   marker={"color": "#d6e6f9", "opacity": faded},
                   hovertemplate="%{x}<br>Target Rp %{y:,.0f}<extra></extra>")
    figure.add("bar", name="Terbayar", x=labels, y=[r["paid"]["nominal"] for r in rows], customdata=codes,
                   marker={"color": PRIMARY, "opacity": faded},
                   text=[percent(r["collection_rate"]) for r in rows], textposition="outside",
                   hovertemplate="%{x}<br>Terbayar Rp %{y:,.0f} (%{text})<extra></extra>")
    figure.update_layout(barmode="group", bargap=0.3, clickmode="event",
                         yaxis=rupiah_axis([r["target"]["nominal"] for r in rows] + [r["paid"]["nominal"] for r in rows]))
    return figure


def daily_chart(daily: dict) -> Figure:
    """Daily payments (bars) with the cumulative collection rate and last month's curve."""
    days = daily["days"]
    if not any(d["nominal"] for d in days) and not daily["target_nominal"]:
        return empty("Belum ada pembayaran atau target untuk periode ini")
    x = [int(d["date"][8:10]) for d in days]
    figure = _base()
    figure.add("bar", name="Pembayaran harian", x=x, y=[d["nominal"] for d in days], marker={"color": "#9ec5f2"},
                   customdata=[d["nomen"] for d in days],
                   hovertemplate="Tanggal %{x}<br>Rp %{y:,.0f}<br>%{customdata:,} pembayaran<extra></extra>")
    if daily["target_nominal"]:
        figure.add("scatter", name=f"Kumulatif {periode_label(daily['periode'])}", x=x, yaxis="y2",
                           y=[d["cumulative_rate"] for d in days], mode="lines+markers",
                           line={"color": PRIMARY, "width": 3}, marker={"size": 5},
                           hovertemplate="Tanggal %{x}<br>%{y:,.2f}%<extra></extra>")
    if daily["previous_target_nominal"]:
        figure.add("scatter", name=f"Kumulatif {periode_label(daily['previous_periode'])}", x=x, yaxis="y2",
                           y=[d["previous_cumulative_rate"] for d in days], mode="lines",
                           line={"color": WARNING, "width": 2, "dash": "dash"},
                           hovertemplate="Tanggal %{x}<br>%{y:,.2f}%<extra></extra>")
    figure.update_layout(
        xaxis={"title": {"text": "Tanggal"}, "dtick": 1 if len(x) <= 16 else 2, "range": [0.4, len(x) + 0.6]},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "entrywidth": 210,
                "entrywidthmode": "pixels"},
        yaxis=rupiah_axis([d["nominal"] for d in days]),
        yaxis2={"overlaying": "y", "side": "right", "ticksuffix": "%", "range": [0, 105], "dtick": 25,
                "showgrid": False},
    )
    return figure




# How each line of the month's progress (sunter_dash/progress.py) looks on the page.
_PROGRESS_LOOK = {
    "last_year": {"mode": "lines", "line": {"color": MUTED, "width": 2, "dash": "dot"}},
    "last_month": {"mode": "lines", "line": {"color": WARNING, "width": 2, "dash": "dash"}},
    "cone_low": {"mode": "lines", "line": {"color": "rgba(39, 128, 227, .25)", "width": 1}, "showlegend": False,
                 "hoverinfo": "skip"},
    "cone_high": {"mode": "lines", "fill": "tonexty", "fillcolor": "rgba(39, 128, 227, .15)",
                  "line": {"color": "rgba(39, 128, 227, .25)", "width": 1}, "hoverinfo": "skip"},
    "forecast": {"mode": "lines+markers", "line": {"color": PRIMARY, "width": 2, "dash": "dash"},
                 "marker": {"size": [0, 7]}},
    "month": {"mode": "lines", "line": {"color": PRIMARY, "width": 3}},
    "goal": {"mode": "lines", "line": {"color": SUCCESS, "width": 2, "dash": "longdash"}},
}


def progress_chart(daily: dict, last_year: dict | None, goal: float | None, forecast: dict) -> Figure:
    """Ringkasan's chart of the month's progress (the lines: sunter_dash/progress.py)."""
    found = progress(daily, last_year, goal, forecast)
    if found is None:
        return empty(NO_TARGET)
    figure = _base()
    hover = "Tanggal %{x}<br>%{y:,.2f}%<extra>%{fullData.name}</extra>"
    for line in found.lines:
        figure.add("scatter", name=line.name, x=line.x, y=line.y, **{"hovertemplate": hover,
                                                                        **_PROGRESS_LOOK[line.role]})
    figure.update_layout(
        xaxis={"dtick": 5, "range": [0.5, found.days + 0.5], "ticksuffix": " ", "tickprefix": "tgl "},
        yaxis={"ticksuffix": "%", "range": [0, found.top * 1.08], "title": {"text": ""}},
        legend={"orientation": "h", "y": -0.12, "x": 0, "entrywidth": 150, "entrywidthmode": "pixels"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return figure


def bucket_chart(summary: dict) -> Figure:
    buckets = summary["buckets"]
    if summary["os"] is None:
        return empty(f"Belum ada ARDEBT {periode_label(summary['periode'])}: unggah file tunggakan")
    if not summary["os"]["nomen"]:
        return empty("Tidak ada pelanggan menunggak pada periode ini")
    figure = _base()
    figure.add("bar", x=[BUCKET_LABELS[b["bucket"]] for b in buckets], y=[b["nominal"] for b in buckets],
                   customdata=[b["nomen"] for b in buckets],
                   text=[f"{b['nomen']:,} plg".replace(",", ".") for b in buckets], textposition="outside",
                   marker={"color": [PRIMARY, "#5a9ee9", WARNING, "#ff9a55", DANGER]},
                   hovertemplate="%{x}<br>Rp %{y:,.0f}<br>%{customdata:,} pelanggan<extra></extra>")
    figure.update_layout(yaxis=rupiah_axis([b["nominal"] for b in buckets]), xaxis={"title": {"text": "Jumlah rekening tertunggak"}},
                         showlegend=False)
    return figure


def trend_chart(points: list[dict], label: str, unit: str, goals: dict[str, float] | None = None) -> Figure:
    """One line per series: points are {"series", "periode", "value"}; ``goals`` (periode -> goal
    in percent, for the collection rate) draws the goal of each periode as a stepped line."""
    if not points:
        return empty("Belum ada data pada rentang periode ini")
    figure = _base(380)
    hover = {"Rp": "Rp %{y:,.0f}", "%": "%{y:,.2f}%", "": "%{y:,.0f}"}[unit]
    names = list(dict.fromkeys(p["series"] for p in points))
    for index, name in enumerate(names):
        mine = [p for p in points if p["series"] == name]
        # A partial month (still being paid; tabs/trend.py marks it) is drawn hollow.
        figure.add("scatter", name=name, x=[short_periode(p["periode"]) for p in mine], y=[p["value"] for p in mine],
                   mode="lines+markers", line={"color": PALETTE[index % len(PALETTE)], "width": 3},
                   marker={"size": [12 if p.get("partial") else 7 for p in mine],
                           "symbol": ["circle-open" if p.get("partial") else "circle" for p in mine]},
                   customdata=[p["periode_label"] for p in mine],
                   hovertemplate=f"{name}<br>%{{customdata}}<br>{hover}<extra></extra>")
    if goals:
        shown = list(dict.fromkeys(p["periode"] for p in points))
        figure.add("scatter", name="Target", x=[short_periode(p) for p in shown], y=[goals[p] for p in shown],
                   mode="lines", line={"color": SUCCESS, "width": 2, "dash": "longdash", "shape": "hvh"},
                   hovertemplate="Target<br>%{x}<br>%{y:,.1f}%<extra></extra>")
    values = [p["value"] or 0 for p in points]  # a figure whose file is not stored is a gap in its line
    axis = {"Rp": rupiah_axis(values), "%": {"ticksuffix": "%"}, "": {"tickformat": ",d"}}[unit]
    figure.update_layout(yaxis={**axis, "title": {"text": label, "standoff": 12}}, xaxis={"type": "category"})
    return figure


def reading_chart(history: list[dict], names: dict[str, str]) -> Figure:
    """A customer's volume per periode (bars), its flagged readings (red markers, the flags
    in the hover) and its meter stand (line, right axis): history rows of
    queries.customer_profile; ``names`` of the flags."""
    read = [h for h in history if h["volume"] is not None or h["stand_kini"] is not None]
    if not read:
        return empty("Belum ada data pembacaan meter (SBRS) untuk pelanggan ini", 300)
    shown = history[history.index(read[0]):history.index(read[-1]) + 1]  # gaps inside stay visible
    x = [short_periode(h["periode"]) for h in shown]
    figure = _base(300)
    figure.add("bar", name="Pemakaian (m³)", x=x, y=[h["volume"] for h in shown], marker={"color": "#9ec5f2"},
               hovertemplate="%{x}<br>%{y:,.0f} m³<extra></extra>")
    flagged = [h for h in shown if h["flags"]]
    if flagged:
        figure.add("scatter", name="Anomali", mode="markers", x=[short_periode(h["periode"]) for h in flagged],
                   y=[h["volume"] or 0 for h in flagged], marker={"color": DANGER, "size": 11, "symbol": "diamond"},
                   customdata=[", ".join(names.get(f, f) for f in h["flags"]) for h in flagged],
                   hovertemplate="%{x}<br>%{customdata}<extra></extra>")
    stands = [h["stand_kini"] for h in shown if h["stand_kini"] is not None]
    # At least 10 m3 of axis, so that whole-number ticks never repeat.
    pad = max(5, (max(stands) - min(stands)) * 0.15) if stands else 5
    figure.add("scatter", name="Stand kini", x=x, y=[h["stand_kini"] for h in shown], yaxis="y2",
               mode="lines+markers", line={"color": PRIMARY, "width": 2}, marker={"size": 6},
               hovertemplate="%{x}<br>Stand %{y:,.0f}<extra></extra>")
    figure.update_layout(
        xaxis={"type": "category"},
        yaxis={"title": {"text": "m³"}, "rangemode": "tozero", "tickformat": ",d",
               **({} if max((h["volume"] or 0) for h in shown) >= 5 else {"range": [0, 5]})},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "tickformat": ",d", "title": {"text": "Stand"},
                **({"range": [min(stands) - pad, max(stands) + pad]} if stands else {})})
    return figure
