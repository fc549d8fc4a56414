"""File writers: a fast streaming .xlsx writer, Excel 97 .xls via xlwt, delimited text.

All output bytes depend only on the inputs (fixed zip timestamps and document
properties), so a seed always gives the same files."""
from __future__ import annotations

import datetime as dt
import pathlib
import zipfile
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import concat_bytes, join, num_str, xml_escape
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


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_STYLE_DATE, _STYLE_BOLD, _STYLE_MONEY = 1, 2, 3


_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OOXML = "http://schemas.openxmlformats.org"
_REL = f"{_OOXML}/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-"
_OVERRIDES = [
    ("/xl/workbook.xml", "officedocument.spreadsheetml.sheet.main+xml"),
    ("/xl/worksheets/sheet1.xml", "officedocument.spreadsheetml.worksheet+xml"),
    ("/xl/styles.xml", "officedocument.spreadsheetml.styles+xml"),
    ("/docProps/core.xml", "package.core-properties+xml"),
    ("/docProps/app.xml", "officedocument.extended-properties+xml"),
]


def _rels(*rels: tuple[str, str]) -> str:
    """A relationships part; rels are (type URL, target)."""
    body = "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                   for i, (kind, target) in enumerate(rels, 1))
    return f'{_XML_DECL}<Relationships xmlns="{_OOXML}/package/2006/relationships">{body}</Relationships>'


def _xlsx_parts(sheet_name: str, stamp: dt.datetime) -> dict[str, str]:
    """Every part of the package except the worksheet, in writing order."""
    ts = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    overrides = "".join(f'<Override PartName="{part}" ContentType="{_CT}{kind}"/>'
                        for part, kind in _OVERRIDES)
    return {
        "[Content_Types].xml": (
            f'{_XML_DECL}<Types xmlns="{_OOXML}/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{_CT}package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'),
        "_rels/.rels": _rels((f"{_REL}/officeDocument", "xl/workbook.xml"),
                             (f"{_OOXML}/package/2006/relationships/metadata/core-properties",
                              "docProps/core.xml"),
                             (f"{_REL}/extended-properties", "docProps/app.xml")),
        "docProps/app.xml": (
            f'{_XML_DECL}<Properties xmlns="{_OOXML}/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel</Application></Properties>"),
        "docProps/core.xml": (
            f'{_XML_DECL}<cp:coreProperties xmlns:cp="{_OOXML}/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>SIMPEL PAM JAYA</dc:creator><cp:lastModifiedBy>ADMIN SUNTER</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{ts}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{ts}</dcterms:modified>'
            "</cp:coreProperties>"),
        "xl/workbook.xml": (
            f'{_XML_DECL}<workbook xmlns="{_OOXML}/spreadsheetml/2006/main" xmlns:r="{_REL}">'
            f'<sheets><sheet name="{_esc(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": _rels((f"{_REL}/worksheet", "worksheets/sheet1.xml"),
                                            (f"{_REL}/styles", "styles.xml")),
        "xl/styles.xml": _STYLES_XML,
    }


def _static_row(r: int, values: list, styles: list[int] | None = None) -> str:
    """XML of one small row built in Python (titles, header, totals)."""
    cells = []
    for j, v in enumerate(values):
        if v is None or v == "":
            continue
        s = styles[j] if styles else 0
        sa = f' s="{s}"' if s else ""
        ref = f"{_col_letter(j)}{r}"
        if isinstance(v, str):
            cells.append(f'<c r="{ref}"{sa} t="inlineStr"><is><t>{_esc(v)}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"{sa}><v>{int(v)}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def _data_rows_xml(cols: list[Col], first_row: int, lo: int, hi: int) -> bytes:
    rows = num_str(np.arange(first_row + lo, first_row + hi))
    cells = []
    for j, col in enumerate(cols):
        letter = _col_letter(j)
        if col.kind == "s":
            vals = xml_escape(col.values.slice(lo, hi - lo))
            head, tail = '" t="inlineStr"><is><t>', "</t></is></c>"
        else:
            raw = col.values[lo:hi]
            if col.kind == "d":  # Excel serial day number (1900 system)
                raw = raw.astype("datetime64[D]").astype(np.int64) + 25569
            vals = num_str(raw)
            style = _STYLE_DATE if col.kind == "d" else (_STYLE_MONEY if col.money else 0)
            head, tail = (f'" s="{style}"><v>' if style else '"><v>'), "</v></c>"
        if col.mask is not None:
            vals = pc.if_else(pa.array(col.mask[lo:hi]), pa.scalar(None, pa.string()), vals)
        cells.append(pc.fill_null(join(f'<c r="{letter}', rows, head, vals, tail), ""))
    return concat_bytes(join('<row r="', rows, '">', *cells, "</row>"))


def _zip_info(name: str, stamp: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def write_xlsx(path: pathlib.Path, sheet_name: str, cols: list[Col], stamp: dt.datetime,
               title_rows: tuple[str, ...] = (), footer: list | None = None) -> pathlib.Path:
    """Write a one-sheet .xlsx with inline strings; bytes depend only on the inputs."""
    n = len(cols[0].values)
    ncol = len(cols)
    head_r = len(title_rows) + 1
    last_r = head_r + n + (1 if footer else 0)
    last_letter = _col_letter(ncol - 1)
    sheet_head = (
        f'{_XML_DECL}<worksheet xmlns="{_OOXML}/spreadsheetml/2006/main" xmlns:r="{_REL}">'
        f'<dimension ref="A1:{last_letter}{last_r}"/>'
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols>'
        + "".join(f'<col min="{j + 1}" max="{j + 1}" width="{c.width}" customWidth="1"/>'
                  for j, c in enumerate(cols))
        + "</cols><sheetData>"
        + "".join(_static_row(i + 1, [t], [_STYLE_BOLD]) for i, t in enumerate(title_rows))
        + _static_row(head_r, [c.name for c in cols], [_STYLE_BOLD] * ncol))
    tail = ""
    if footer:
        styles = [_STYLE_MONEY if c.money else 0 for c in cols]
        tail = _static_row(last_r, footer, styles)
    tail += "</sheetData>"
    if title_rows:
        merged = "".join(f'<mergeCell ref="A{i}:{last_letter}{i}"/>' for i in range(1, len(title_rows) + 1))
        tail += f'<mergeCells count="{len(title_rows)}">{merged}</mergeCells>'
    tail += ('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
             "</worksheet>")
    big = n * ncol * 70 > 1_500_000_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        parts = _xlsx_parts(sheet_name, stamp)
        for name, text in parts.items():
            zf.writestr(_zip_info(name, stamp), text)
        with zf.open(_zip_info("xl/worksheets/sheet1.xml", stamp), "w", force_zip64=big) as fh:
            fh.write(sheet_head.encode())
            for lo in range(0, n, ROWS_PER_CHUNK):
                fh.write(_data_rows_xml(cols, head_r + 1, lo, min(n, lo + ROWS_PER_CHUNK)))
            fh.write(tail.encode())
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
