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
from ..formatting import number
from ..progress import NO_TARGET, progress

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


# How each line of the month's progress (sunter_dash/progress.py) looks on paper.
_LOOK = {"last_year": {"color": MUTED, "linestyle": ":", "linewidth": 1.5},
         "last_month": {"color": WARNING, "linestyle": "--", "linewidth": 1.5},
         "forecast": {"color": PRIMARY, "linestyle": "--", "linewidth": 1.5},
         "month": {"color": PRIMARY, "linewidth": 2.5},
         "goal": {"color": SUCCESS, "linestyle": (0, (6, 3)), "linewidth": 1.5}}


def progress_chart(daily: dict, last_year: dict | None, goal: float | None, forecast: dict) -> bytes:
    """The report's chart of the month's progress: the same lines as Ringkasan's."""
    figure = Figure(figsize=SIZE)
    axes = figure.subplots()
    _style(axes)
    found = progress(daily, last_year, goal, forecast)
    if found is None:
        axes.text(.5, .5, NO_TARGET, transform=axes.transAxes, ha="center", color=MUTED)
        return _png(figure)
    lines = {line.role: line for line in found.lines}
    for line in found.lines:
        if line.role == "cone_high":
            axes.fill_between(line.x, lines["cone_low"].y, line.y, color=PRIMARY, alpha=.15, linewidth=0,
                              label=line.name)
        elif line.role in _LOOK:
            axes.plot(line.x, line.y, label=line.name, **_LOOK[line.role])
    axes.set_xlim(0.5, found.days + 0.5)
    axes.set_ylim(0, found.top * 1.05)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{number(v)}%"))
    axes.set_xlabel("Tanggal")
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
        return progress_chart(chart["daily"], chart["last_year"], chart["goal"], chart["forecast"])
    return buckets(chart["buckets"])
