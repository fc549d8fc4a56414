"""File writers: .xlsx via XlsxWriter (streamed), Excel 97 .xls via xlwt, delimited text.

All output bytes depend only on the inputs (fixed zip timestamps and document
properties), so a seed always gives the same files."""
from __future__ import annotations

import datetime as dt
import pathlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from .common import concat_bytes, fmt_date, join, num_str
from .vocab import ROWS_PER_CHUNK


@dataclass
class Col:
    """One spreadsheet column. kind: 's' text, 'n' integer, 'd' date (datetime64[D]).
    ``values`` is a pyarrow string array for 's', a numpy array otherwise; ``mask``
    marks blank cells (numpy bool, True = blank)."""
    name: str
    kind: str
    values: object
    mask: np.ndarray | None = None
    money: bool = False
    width: float = 12


def _py_values(col: Col, lo: int, hi: int) -> list:
    """Rows lo:hi of a column as a plain Python list (str / int / datetime.date), None where
    masked: one bulk conversion per chunk, so the row loop never reaches into pyarrow."""
    if col.kind == "s":
        values = col.values.slice(lo, hi - lo).to_pylist()
    elif col.kind == "d":
        values = col.values[lo:hi].astype("datetime64[D]").astype(object).tolist()
    else:
        values = col.values[lo:hi].astype(np.int64).tolist()
    if col.mask is not None:
        for i in np.flatnonzero(col.mask[lo:hi]).tolist():
            values[i] = None
    return values


SHARED_STRINGS_MAX_CELLS = 4_000_000  # ~1 GB of XlsxWriter's in-memory cells


def write_xlsx(path: pathlib.Path, sheet_name: str, cols: list[Col], stamp: dt.datetime,
               title_rows: tuple[str, ...] = (), footer: list | None = None) -> pathlib.Path:
    """Write a one-sheet .xlsx with XlsxWriter; bytes depend only on the inputs.

    Layout: each title row bold and merged across all columns, a bold header row, the
    data (dates as dd/mm/yyyy date cells, money with a thousands format, masked values as
    blank cells), then the optional footer row (money format under money columns)."""
    n = len(cols[0].values)
    ncol = len(cols)
    # The creation date is the only time-dependent part of the package (XlsxWriter
    # gives every zip member a fixed timestamp), so a fixed one makes the bytes
    # reproducible.  Strings stay strings (no formula / URL guessing); allow_zip64
    # only matters for a sheet past 4 GiB (zipfile uses ZIP64 only when needed).
    # Excel itself keeps text in a shared-strings table, which readers parse faster
    # than inline strings; XlsxWriter can only do that holding the sheet in memory,
    # so the largest sheets are streamed (constant_memory, inline strings) instead.
    streamed = n * ncol > SHARED_STRINGS_MAX_CELLS
    options = {"constant_memory": streamed, "strings_to_formulas": False, "strings_to_urls": False,
               "allow_zip64": True}
    with xlsxwriter.Workbook(str(path), options) as wb:
        wb.set_properties({"created": stamp, "author": "SIMPEL PAM JAYA"})
        ws = wb.add_worksheet(sheet_name)
        bold = wb.add_format({"bold": True})
        fmt_date = wb.add_format({"num_format": "dd/mm/yyyy"})
        fmt_money = wb.add_format({"num_format": "#,##0"})
        fmts = [fmt_date if c.kind == "d" else (fmt_money if c.money else None) for c in cols]
        for j, c in enumerate(cols):
            ws.set_column(j, j, c.width)

        for r, title in enumerate(title_rows):
            if ncol > 1:
                ws.merge_range(r, 0, r, ncol - 1, title, bold)
            else:
                ws.write_string(r, 0, title, bold)
        head_r = len(title_rows)
        ws.write_row(head_r, 0, [c.name for c in cols], bold)

        # One bound writer per column; values go in row by row (constant_memory streams
        # each finished row to disk).  A masked value is a blank cell: write_blank writes
        # a formatted empty cell in a formatted column and nothing in a plain one.
        kinds = {"s": ws.write_string, "n": ws.write_number, "d": ws.write_datetime}
        col_writers = [kinds[c.kind] for c in cols]
        write_blank = ws.write_blank
        for lo in range(0, n, ROWS_PER_CHUNK):
            hi = min(n, lo + ROWS_PER_CHUNK)
            lists = [_py_values(c, lo, hi) for c in cols]
            for r, row in enumerate(zip(*lists), head_r + 1 + lo):
                for j, v in enumerate(row):
                    if v is not None:
                        col_writers[j](r, j, v, fmts[j])
                    elif fmts[j] is not None:
                        write_blank(r, j, None, fmts[j])

        if footer:
            r = head_r + 1 + n
            for j, v in enumerate(footer):
                if v is None:
                    continue
                f = fmt_money if cols[j].money else None
                if isinstance(v, str):
                    ws.write_string(r, j, v, f)
                else:
                    ws.write_number(r, j, v, f)
    return path


def write_xls(path: pathlib.Path, sheet_name: str, cols: list[Col],
              title_rows: tuple[str, ...] = (), footer: list | None = None) -> pathlib.Path:
    """Excel 97 (BIFF8) via xlwt: numbers as NUMBER cells, dates as date cells."""
    import xlwt  # only needed here

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet_name[:31])
    bold = xlwt.easyxf("font: bold on")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    money_style = xlwt.easyxf(num_format_str="#,##0")
    ncol = len(cols)
    for i, title in enumerate(title_rows):
        ws.write_merge(i, i, 0, ncol - 1, title, bold)
    head_r = len(title_rows)
    for j, col in enumerate(cols):
        ws.write(head_r, j, col.name, bold)
        ws.col(j).width = int(col.width * 256)
    n = len(cols[0].values)
    for j, col in enumerate(cols):
        if col.kind == "s":
            values = col.values.to_pylist()
            style = None
        elif col.kind == "d":
            values = col.values.astype("datetime64[D]").astype(object).tolist()
            style = date_style
        else:
            values = col.values.astype(np.int64).tolist()
            style = money_style if col.money else None
        blank = col.mask.tolist() if col.mask is not None else None
        for i in range(n):
            if blank is not None and blank[i]:
                continue
            if style is None:
                ws.write(head_r + 1 + i, j, values[i])
            else:
                ws.write(head_r + 1 + i, j, values[i], style)
    if footer:
        r = head_r + 1 + n
        for j, v in enumerate(footer):
            if v is not None:
                ws.write(r, j, v, money_style if not isinstance(v, str) and cols[j].money else bold)
    wb.save(str(path))
    return path


def text_lines(cols: list[pa.Array], sep: str, newline: str) -> pa.Array:
    """One text line per row: the fields joined by sep, plus the newline."""
    return join(pc.binary_join_element_wise(*cols, sep), newline)


def write_text(path: pathlib.Path, header: list[str], lines: pa.Array, sep: str,
               newline: str = "\n", encoding: str = "utf-8") -> pathlib.Path:
    """Header plus pre-rendered lines; encoding 'utf-8', 'utf-8-sig' (BOM) or e.g. 'cp1252'."""
    text = (sep.join(header) + newline).encode() + concat_bytes(lines)
    if encoding == "utf-8-sig":
        text = b"\xef\xbb\xbf" + text
    elif encoding != "utf-8":
        text = text.decode("utf-8").encode(encoding)
    path.write_bytes(text)
    return path


def col_text(col: Col, date_sep: str) -> pa.Array:
    """A column as the text a delimited export holds: dates as dd<date_sep>mm<date_sep>yyyy,
    integers as digits, masked cells empty."""
    if col.kind == "s":
        values = col.values
    elif col.kind == "d":
        values = fmt_date(col.values.astype("datetime64[D]"), date_sep)
    else:
        values = num_str(col.values)
    if col.mask is not None:
        values = pc.if_else(pa.array(col.mask), "", values)
    return pc.fill_null(values, "")


def write_cols_text(path: pathlib.Path, cols: list[Col], sep: str, newline: str,
                    date_sep: str) -> pathlib.Path:
    """The columns of a spreadsheet export as delimited text (no title or total rows). Fields are
    not quoted, as the billing system's own text exports are not: a value holding the separator
    would shift its row's columns, so it is refused here."""
    fields = [col_text(col, date_sep) for col in cols]
    for col, values in zip(cols, fields):
        if col.kind == "s" and pc.any(pc.match_substring(values, sep)).as_py():
            raise ValueError(f"a value of {col.name} holds the separator {sep!r}")
    lines = text_lines(fields, sep, newline)
    return write_text(path, [col.name for col in cols], lines, sep, newline)
