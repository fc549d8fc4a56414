"""The route sheet of an officer (issue 15): the officer's unpaid customers of a periode in route
order (PCEZ, then address), with empty columns for what the visit found, as an A4 PDF (fpdf2,
pure Python: no browser, no system package) and as a printable HTML page. Both are built from
the same rows (``rows``), the unpaid list of queries/collection.py."""
from __future__ import annotations

import datetime as dt
import html

from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import Engine

from .domain.labels import pcez_label
from .domain.periodes import periode_label
from .formatting import rupiah
from .queries.collection import whole_list

HEADINGS = ("No", "Nomen", "Nama", "Alamat", "PCEZ", "Tagihan", "Tunggakan", "Hasil kunjungan", "Tgl janji",
            "Catatan")
WIDTHS = (9, 20, 40, 62, 14, 23, 27, 30, 18, 34)  # millimetres, A4 landscape less its margins (277)


def rows(engine: Engine, periode: str, petugas: str | None,
         rayon: str | None = None) -> tuple[list[tuple[str, ...]], int]:
    """The sheet's lines (number, nomen, name, address, PCEZ, what is owed this month, arrears with
    bills, three blanks) and the Rupiah owed in all."""
    found = whole_list(engine, "unpaid", periode, rayon, None, petugas, "route")
    lines = []
    for number, row in enumerate(found, start=1):
        arrears = "" if row["arrears"] is None else f"{rupiah(row['arrears'])} ({row['bills']} rek)"
        lines.append((str(number), row["nomen"], row["nama"] or "", row["alamat"] or "", pcez_label(row["pcez"]),
                      rupiah(row["sisa"]), arrears, "", "", ""))
    return lines, sum(row["sisa"] for row in found)


def title(periode: str, petugas: str | None) -> str:
    """The sheet of one officer, or of every officer when none is named."""
    return f"Daftar tagih {petugas.strip().upper() if petugas else 'semua petugas'} · {periode_label(periode)}"


def _latin(text: str) -> str:
    """The PDF's core font holds Latin-1: anything else is shown as '?', never an error."""
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf(engine: Engine, periode: str, petugas: str | None, branch: str, printed: dt.datetime,
        rayon: str | None = None) -> bytes:
    lines, total = rows(engine, periode, petugas, rayon)
    document = FPDF(orientation="L", format="A4", unit="mm")
    document.set_auto_page_break(auto=True, margin=12)
    document.set_margins(10, 10, 10)
    heading = _latin(f"{title(periode, petugas)} · {branch}")
    footer = _latin(f"{len(lines)} pelanggan belum bayar · {rupiah(total)} · dicetak {printed:%d-%m-%Y %H:%M} WIB")
    document.set_title(heading)
    document.set_creator("sunter_dash")
    document.add_page()
    document.set_font("Helvetica", "B", 12)
    document.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "", 8)
    document.cell(0, 5, footer, new_x="LMARGIN", new_y="NEXT")
    document.ln(2)
    document.set_font("Helvetica", "", 7.5)
    with document.table(col_widths=WIDTHS, line_height=5.2, text_align="LEFT", repeat_headings=1,
                        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 245))) as table:
        table.row([_latin(h) for h in HEADINGS])
        for line in lines:
            table.row([_latin(cell) for cell in line])
    if not lines:
        document.cell(0, 8, "Tidak ada pelanggan belum bayar.", new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def page(engine: Engine, periode: str, petugas: str | None, branch: str, printed: dt.datetime,
         rayon: str | None = None, pdf_href: str = "") -> str:
    """The same sheet as an HTML page laid out for printing on A4 (landscape)."""
    lines, total = rows(engine, periode, petugas, rayon)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in line) + "</tr>" for line in lines)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADINGS)
    heading = html.escape(f"{title(periode, petugas)} · {branch}")
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        f"<title>{heading}</title><link rel='stylesheet' href='/assets/10-sunter.css'></head>"
        "<body class='route-sheet'>"
        f"<div class='route-sheet-tools'><a href='{html.escape(pdf_href)}' id='route-sheet-pdf'>Unduh PDF</a> · "
        "<span>Cetak dengan Ctrl+P (A4 mendatar)</span></div>"
        f"<h1>{heading}</h1><p>{len(lines)} pelanggan belum bayar · {rupiah(total)} · dicetak {printed:%d-%m-%Y %H:%M} WIB</p>"
        f"<table id='route-sheet-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>")
