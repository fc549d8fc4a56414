"""The report's charts, drawn with matplotlib (pure PyPI wheels, no display, no browser) as PNG:
the month's cumulative progress (as on Ringkasan) and the arrears by age."""
from __future__ import annotations

import io

# Figures made directly, not through pyplot: no global state, so threads of one server may draw
# at once, and no display is needed.
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..components.charts import DANGER, MUTED, PRIMARY, SUCCESS, WARNING, rupiah_short
from ..domain.labels import BUCKET_LABELS
from ..domain.periodes import periode_label
from ..formatting import number

SIZE = (7.2, 3.1)  # inches: the text width of A4 portrait
DPI = 150


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _style(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color="#e9edf2")
    axes.set_axisbelow(True)


def progress(daily: dict, last_year: dict | None, goal: float | None, forecast: dict) -> bytes:
    """The cumulative collection rate by day: this month to its data, last month, last year, the goal
    and the forecast's range to month end (the same lines as Ringkasan's chart)."""
    figure = Figure(figsize=SIZE)
    axes = figure.subplots()
    _style(axes)
    days = daily["days"]
    end, day = len(days), forecast["day"] or 0
    if last_year and last_year["target_nominal"]:
        rates = [d["cumulative_rate"] for d in last_year["days"]]
        axes.plot(range(1, len(rates) + 1), rates, color=MUTED, linestyle=":", linewidth=1.5,
                  label=periode_label(last_year["periode"]))
    if daily["previous_target_nominal"]:
        axes.plot(range(1, end + 1), [d["previous_cumulative_rate"] for d in days], color=WARNING, linestyle="--",
                  linewidth=1.5, label=periode_label(daily["previous_periode"]))
    now = days[day - 1]["cumulative_rate"] if day else 0.0
    found = forecast["forecast"]
    if found and daily["target_nominal"]:
        axes.fill_between([day, end], [now, found["low"]], [now, found["high"]], color=PRIMARY, alpha=.15,
                          linewidth=0, label="Rentang perkiraan")
        axes.plot([day, end], [now, found["rate"]], color=PRIMARY, linestyle="--", linewidth=1.5, label="Perkiraan")
    if day and daily["target_nominal"]:
        axes.plot(range(1, day + 1), [d["cumulative_rate"] for d in days[:day]], color=PRIMARY, linewidth=2.5,
                  label=periode_label(daily["periode"]))
    if goal is not None:
        axes.axhline(goal, color=SUCCESS, linestyle=(0, (6, 3)), linewidth=1.5,
                     label=f"Target {number(goal, 1)}%")
    axes.set_xlim(0.5, end + 0.5)
    axes.set_ylim(0, max(100.0, *(found["high"] for _ in [0] if found), goal or 0) * 1.05)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{number(v)}%"))
    axes.set_xlabel("Tanggal")
    if not daily["target_nominal"]:
        axes.text(.5, .5, "Belum ada target (MC) untuk periode ini", transform=axes.transAxes, ha="center",
                  color=MUTED)
    else:
        axes.legend(loc="upper center", bbox_to_anchor=(.5, -.2), fontsize=7, frameon=False, ncols=3)
    return _png(figure)


def buckets(rows: list[dict]) -> bytes:
    """The arrears outstanding by the bills owed."""
    figure = Figure(figsize=(SIZE[0], 2.8))
    axes = figure.subplots()
    _style(axes)
    labels = [BUCKET_LABELS[b["bucket"]] for b in rows]
    bars = axes.bar(labels, [b["nominal"] for b in rows], color=[PRIMARY, "#5a9ee9", WARNING, "#ff9a55", DANGER])
    axes.bar_label(bars, labels=[f"{number(b['nomen'])} plg" for b in rows], fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: rupiah_short(v)))
    axes.set_xlabel("Jumlah rekening tertunggak")
    return _png(figure)


def draw(chart: dict) -> bytes:
    if chart["kind"] == "progress":
        return progress(chart["daily"], chart["last_year"], chart["goal"], chart["forecast"])
    return buckets(chart["buckets"])
