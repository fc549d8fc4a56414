"""What a workbook may hold, checked before calamine reads it (docs/SECURITY.md): a zipped
.xlsx may unfold to at most ten times the upload limit, a sheet may not have more rows than
Excel allows, nor span more than MAX_CELLS cells (a single far cell such as XFD1048576 makes the
reader allocate the whole rectangle). The sheets' XML is streamed, never parsed whole."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..domain.errors import UnreadableFile
from ..formatting import number

UNFOLD_FACTOR = 10  # a workbook may unfold to ten times the upload limit
MAX_CELLS = 20_000_000  # cells a sheet may span
MAX_SHEET_ROWS = 1_048_576  # Excel's own rows per sheet: a sheet with more was not made by Excel

_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?(\d+)?:?([A-Z]{1,3})?(\d+)?"')
_ROW = re.compile(rb"""<row\b[^>]*?\sr\s*=\s*["'](\d+)["']""")
# A cell reference past column Z, in any spelling XML allows (spaces around `=`, either quote).
# Matching that is slow (0.5 s for 93 MB of sheet XML), so a chunk is first searched for the
# shape `r="AB` alone (any spacing or quote: 0.13 s), which holds in no sheet of fewer than 27 columns; only a chunk
# where it does is scanned whole. The leading whitespace keeps an attribute such as
# `error="RT05..."` from counting as a cell.
_MAYBE_WIDE = re.compile(rb"""r\s*=\s*["'][A-Z]{2}""")
_WIDE_CELL = re.compile(rb"""\sr\s*=\s*["']([A-Z]{2,3})[0-9]""")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_extent(stream) -> tuple[int, int, bool]:
    """(last row, last column, whether a dimension said so) of a worksheet's XML, read as a stream:
    rows come in order, so the last row element names the last row; the widest cell reference
    names the last column."""
    last_row = last_column = 0
    declared, tail, first = False, b"", True
    while chunk := stream.read(1 << 20):
        text = tail + chunk
        if first:
            first = False
            found = _DIMENSION.search(text[:4096])
            if found and found.group(4):
                last_row = int(found.group(4))
                last_column = _column_number(found.group(3) or found.group(1) or b"A")
                declared = True
        if _MAYBE_WIDE.search(text):
            for letters in set(_WIDE_CELL.findall(text)):
                last_column = max(last_column, _column_number(letters))
        rows = _ROW.findall(text[-65536:])
        if rows:
            last_row = max(last_row, int(rows[-1]))
        tail = text[-256:]
    return last_row, last_column, declared


def check_workbook(path: Path, max_bytes: int) -> None:
    """Refuse a zipped workbook that would unfold to more than ten times the upload limit, whose
    sheet has more rows than Excel allows, or whose sheet spans more than MAX_CELLS cells (a single far cell such as XFD1048576 makes the reader
    allocate the whole rectangle), before any of it is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            unfolded = sum(m.file_size for m in members)
            limit = max_bytes * UNFOLD_FACTOR
            if unfolded > limit:
                raise UnreadableFile(
                    f"File Excel ini mengembang menjadi {number(unfolded / 1048576, 0)} MB saat dibuka; batasnya "
                    f"{number(limit / 1048576, 0)} MB (10 kali batas unggah). Simpan ulang hanya sheet datanya, atau "
                    "ekspor sebagai .csv.", f"The workbook unfolds to {unfolded} bytes; the limit is {limit}.")
            if not any(m.filename == "xl/workbook.xml" for m in members):
                raise UnreadableFile("File ini bukan buku kerja Excel .xlsx (mis. .ods atau .xlsb); simpan ulang "
                                     "sebagai .xlsx atau .csv.", "A zip that is no .xlsx workbook.")
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                    with archive.open(member) as stream:
                        rows, columns, _declared = _sheet_extent(stream)
                    if rows > MAX_SHEET_ROWS:
                        sheet = _sheet_title(archive, member.filename)
                        raise UnreadableFile(
                            f"Sheet '{sheet}' berisi {number(rows)} baris; Excel sendiri hanya memuat "
                            f"{number(MAX_SHEET_ROWS)} baris per sheet, jadi file ini bukan ekspor yang utuh. "
                            "Ekspor ulang dari sistem billing, sebagai .csv/.txt bila datanya sebanyak itu.",
                            f"The sheet has {rows} rows; Excel holds {MAX_SHEET_ROWS} per sheet.")
                    if rows * columns > MAX_CELLS:
                        sheet = _sheet_title(archive, member.filename)
                        raise UnreadableFile(
                            f"Sheet '{sheet}' membentang sampai sel {_column_letters(columns)}{rows} "
                            f"({number(rows)} baris x {number(columns)} kolom); batasnya {number(MAX_CELLS)} sel. "
                            "Hapus isi sel yang jauh di luar tabel, atau salin tabelnya ke file baru.",
                            f"The sheet spans {rows} rows x {columns} columns; the limit is {MAX_CELLS} cells.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise UnreadableFile("File Excel ini rusak (arsip .xlsx tidak utuh); simpan ulang dari Excel atau ekspor "
                             "ulang.", f"The workbook is not a readable zip: {exc}") from None


def _sheet_title(archive: zipfile.ZipFile, member: str) -> str:
    """The name a user sees for a worksheet part (sheet1.xml is the first sheet's, usually)."""
    try:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
        names = re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', workbook)
        index = int(re.search(r"sheet(\d+)\.xml$", member).group(1)) - 1
        return names[index]
    except (KeyError, AttributeError, IndexError, ValueError):
        return Path(member).stem
