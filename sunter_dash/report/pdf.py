"""The monthly report as an A4 PDF (fpdf2, pure Python): each section on its own page, the text
selectable in a Unicode font (matplotlib's DejaVu Sans, installed with it), the charts as images."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from . import charts
from .content import Report, Section, Table, shown

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
WIDTH = 190  # millimetres: A4 portrait less its margins
ALIGN = {"rupiah": "RIGHT", "percent": "RIGHT", "number": "RIGHT", "text": "LEFT"}
HEAD = FontFace(emphasis="BOLD", fill_color=(230, 236, 245))


class _Document(FPDF):
    """A4 portrait with the report's title and the page number on every page."""

    def __init__(self, report: Report):
        super().__init__(orientation="P", format="A4", unit="mm")
        self.report = report
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(10, 12, 10)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(report.title)
        self.set_creator("sunter_dash")

    def header(self):
        self.set_font(FONT, "", 7.5)
        self.set_text_color(110, 117, 125)
        self.cell(0, 4, f"{self.report.title} · {self.report.subtitle}", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self):
        self.set_y(-10)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(110, 117, 125)
        self.cell(0, 4, f"Halaman {self.page_no()} dari {{nb}}", align="R")


def _facts(document: FPDF, facts: list[tuple[str, object, str]]) -> None:
    document.set_font(FONT, "", 9)
    with document.table(col_widths=(70, 120), text_align=("LEFT", "LEFT"), line_height=5.5, first_row_as_headings=False,
                        borders_layout="HORIZONTAL_LINES") as table:
        for label, value, kind in facts:
            table.row([label, shown(value, kind)])
    document.ln(4)


def _table(document: FPDF, found: Table) -> None:
    document.set_font(FONT, "B", 10)
    document.cell(0, 6, found.title, new_x="LMARGIN", new_y="NEXT")
    if not found.rows:
        document.set_font(FONT, "", 9)
        document.cell(0, 6, found.note or "Tidak ada data.", new_x="LMARGIN", new_y="NEXT")
        document.ln(2)
        return
    document.set_font(FONT, "", 7.5 if len(found.columns) > 4 else 8.5)
    line_height = 3.9 if len(found.rows[:found.printed]) > 20 else 4.6
    kinds = [kind for _heading, kind in found.columns]
    widths = [2.2 if kind == "text" else 1.0 for kind in kinds]
    with document.table(col_widths=widths, width=WIDTH, text_align=tuple(ALIGN[k] for k in kinds), line_height=line_height,
                        repeat_headings=1, headings_style=HEAD) as table:
        table.row([heading for heading, _kind in found.columns])
        for row in found.rows[:found.printed]:
            table.row([shown(value, kind) for value, kind in zip(row, kinds)])
    if found.note:
        document.set_font(FONT, "", 8)
        document.cell(0, 5, found.note, new_x="LMARGIN", new_y="NEXT")
    document.ln(4)


def _section(document: FPDF, section: Section, first: bool) -> None:
    document.add_page()
    if first:
        document.set_font(FONT, "B", 16)
        document.cell(0, 9, document.report.title, new_x="LMARGIN", new_y="NEXT")
        document.set_font(FONT, "", 9)
        document.cell(0, 5, document.report.subtitle, new_x="LMARGIN", new_y="NEXT")
        document.ln(3)
    document.set_font(FONT, "B", 13)
    document.cell(0, 8, section.title, new_x="LMARGIN", new_y="NEXT")
    if section.lead:
        document.set_font(FONT, "B", 11)
        document.set_fill_color(238, 244, 252)
        document.multi_cell(0, 7, section.lead, new_x="LMARGIN", new_y="NEXT", fill=True, padding=2, align="L")
        document.set_fill_color(255, 255, 255)
        document.ln(3)
    if section.note:
        document.set_font(FONT, "", 9)
        document.multi_cell(0, 5, section.note, new_x="LMARGIN", new_y="NEXT")
        document.ln(2)
    if section.facts:
        _facts(document, section.facts)
    if section.chart:
        document.image(io.BytesIO(charts.draw(section.chart)), w=WIDTH)
        document.ln(3)
    for found in section.tables:
        _table(document, found)


def render(report: Report) -> bytes:
    document = _Document(report)
    for index, section in enumerate(report.sections):
        _section(document, section, index == 0)
    return bytes(document.output())
