"""The monthly report (Laporan Bulanan) of a periode and an optional rayon, in six sections
(content.py), as an A4 PDF (pdf.py, charts.py) or an .xlsx workbook (xlsx.py). The button on
Ringkasan, ``python -m sunter_dash report`` and ``GET /api/report/<periode>.<fmt>`` all call
``render``; the subscriptions attach it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from . import pdf, xlsx
from .content import Report, build

FORMATS = {"pdf": ("application/pdf", pdf.render),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.render)}


def filename(periode: str, rayon: str | None, fmt: str) -> str:
    return f"laporan-bulanan_{periode}{f'_rayon-{rayon}' if rayon else ''}.{fmt}"


def render(engine: Engine, periode: str, rayon: str | None, fmt: str, goal: float, branch: str,
           printed: dt.datetime) -> bytes:
    """The report as the bytes of a file of ``fmt`` (pdf or xlsx)."""
    return FORMATS[fmt][1](build(engine, periode, rayon, goal, branch, printed))


__all__ = ["FORMATS", "Report", "build", "filename", "render"]
