"""The monthly report as an .xlsx workbook: one sheet per section, figures as numbers (Rupiah
whole, rates in percent as the API gives them) with Indonesian-looking formats."""
from __future__ import annotations

import io

import xlsxwriter

from .content import Report, Section

FORMATS = {"rupiah": '"Rp" #,##0', "percent": '0.00"%"', "number": "#,##0", "text": "@"}


def _sheet_name(section: Section) -> str:
    # "1. Ringkasan" -> "1 Ringkasan"; Excel allows 31 characters and no ':\/?*[]'.
    return section.title.replace(".", "")[:31]


def render(report: Report) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#E6ECF5", "border": 1})
    formats = {kind: book.add_format({"num_format": pattern}) for kind, pattern in FORMATS.items()}
    for section in report.sections:
        sheet = book.add_worksheet(_sheet_name(section))
        sheet.write(0, 0, f"{report.title}: {section.title}", title)
        sheet.write(1, 0, report.subtitle)
        line = 3
        if section.lead:
            sheet.write(line, 0, section.lead, bold)
            line += 2
        if section.note:
            sheet.write(line, 0, section.note)
            line += 2
        for label, value, kind in section.facts:
            sheet.write(line, 0, label, bold)
            _write(sheet, line, 1, value, kind, formats)
            line += 1
        line += 1 if section.facts else 0
        for table in section.tables:
            sheet.write(line, 0, table.title, bold)
            line += 1
            for column, (heading, _kind) in enumerate(table.columns):
                sheet.write(line, column, heading, head)
            line += 1
            for row in table.rows:
                for column, (value, (_heading, kind)) in enumerate(zip(row, table.columns)):
                    _write(sheet, line, column, value, kind, formats)
                line += 1
            if table.note and not table.rows:
                sheet.write(line, 0, table.note)
                line += 1
            line += 1
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 6, 18)
    book.close()
    return buffer.getvalue()


def _write(sheet, row: int, column: int, value, kind: str, formats: dict) -> None:
    if value is None:
        sheet.write_blank(row, column, None)
    elif kind == "text" or isinstance(value, str):
        sheet.write_string(row, column, str(value))  # a string cell, never a formula
    else:
        sheet.write_number(row, column, value, formats[kind])
