"""Readers: a file in, a raw table out (header found, rows numbered as in the source).

Excel (.xlsx, .xls, .xlsm, .ods) is read by fastexcel (calamine, into Arrow); dBase (.dbf) by
dbfread in the file's own code page; text (.csv, .txt) by pyarrow's CSV reader, or pandas' C
parser, after sniffing encoding, delimiter and the header row. The header of a spreadsheet or a
text file may sit below up to 15 title or blank rows; a .dbf's header is its field list, and
its rows are numbered by record.
"""
from __future__ import annotations

import codecs
import csv
import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

import dbfread
import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..domain.errors import EmptyFile, UnreadableFile
from ..domain.files import header_score
from ..formatting import number
from .errors import RowError
from .workbooks import check_workbook

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
DBF_SUFFIXES = {".dbf"}
DBF_FALLBACK_ENCODING = "cp1252"  # a .dbf that names no code page: the billing system's Windows one
DBF_SKIPPED_TYPES = frozenset("MGBP")  # memo and binary fields: not columns of any export
DBF_TEXT_TYPES = frozenset("CNFDL")  # fields a record holds as text (character, numbers, dates, logicals)
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".dat"}
FIELD_LIMIT = 32_768  # characters in one text cell; a longer one is a row error (no export writes one)
TEXT_CHUNK = 100_000  # records gathered before they become Arrow columns
csv.field_size_limit(FIELD_LIMIT)
HEADER_SEARCH_ROWS = 16  # the header may sit below up to 15 title rows
DELIMITERS = ("|", ";", "\t", ",")
ZIP_MAGIC = b"PK\x03\x04"  # xlsx
EXCEL_MAGIC = (ZIP_MAGIC, bytes.fromhex("D0CF11E0A1B11AE1"))  # zip (xlsx), OLE2 (xls)
DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # the upload limit's default (config.py)


@dataclass
class RawTable:
    frame: pd.DataFrame  # columns: the file's headers; cells as read
    source_rows: np.ndarray  # 1-based row number in the source file of each frame row
    fmt: dict = field(default_factory=dict)  # what the reader detected
    bad_lines: list[RowError] = field(default_factory=list)


def read_table(path: Path, filename: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> RawTable:
    """The file's raw table. ``max_bytes`` is the upload limit: a workbook may unfold to at most
    ten times it (docs/SECURITY.md)."""
    name = filename or path.name
    suffix = Path(name).suffix.lower()
    if path.stat().st_size == 0:
        raise EmptyFile("File kosong (0 byte).", "The file is empty (0 bytes).")
    with path.open("rb") as fh:
        head = fh.read(4096)
    # Files arrive hand-renamed: a workbook is read as one whatever its suffix says, and a
    # text export saved under an Excel name (.xls) as text.
    if head.startswith(EXCEL_MAGIC):
        if head.startswith(ZIP_MAGIC):
            check_workbook(path, max_bytes)
        return read_excel(path)
    if suffix in DBF_SUFFIXES:
        return read_dbf(path)
    if suffix in EXCEL_SUFFIXES:
        return read_text(path) if b"\x00" not in head else read_excel(path)
    if suffix in TEXT_SUFFIXES or not suffix:
        return read_text(path)
    raise UnreadableFile(f"Format file '{suffix}' tidak didukung; gunakan .xlsx, .xls, .dbf, .csv atau .txt.",
                         f"Files of type {suffix!r} are not read; use .xlsx, .xls, .dbf, .csv or .txt.")


def _find_header(rows: list[list[object]]) -> int:
    """Index of the header row: the row among the first 16 naming most known columns."""
    best, best_score = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(row)
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    # No known header: take the first non-blank row so detection can say what it found.
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(str(c).strip() for c in row if c is not None):
            return i
    raise EmptyFile("File tidak berisi data: 16 baris pertama kosong.", "The first 16 rows are blank.")


def _header_names(cells: list[object]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, cell in enumerate(cells):
        name = str(cell).strip() if cell not in (None, "") else f"(kolom {j + 1})"
        if isinstance(cell, float) and cell.is_integer():
            name = str(int(cell))
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _open_workbook(path: Path) -> fastexcel.ExcelReader:
    try:
        try:
            return fastexcel.read_excel(path)
        except fastexcel.FastExcelError:
            # The suffix lies (an .xlsx renamed .xls): let calamine tell the format by content.
            return fastexcel.read_excel(path.read_bytes())
    except (fastexcel.FastExcelError, OSError, ValueError) as exc:
        raise UnreadableFile(
            f"File tidak dapat dibaca sebagai Excel (rusak, terenkripsi, atau bukan file Excel): {exc}",
            f"The file cannot be read as Excel: {exc}") from None


def _load_sheet(workbook: fastexcel.ExcelReader, index: int) -> pd.DataFrame:
    """The whole sheet as text cells (None when empty), one row per sheet row from row 1.

    fastexcel (calamine underneath) hands the cells over as Arrow columns, so no
    Python object is made per cell; as text, a number cell reads '60012345' and a
    date cell '2025-12-31 00:00:00', which the cell parsers understand.
    """
    sheet = workbook.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
    return sheet.to_arrow().to_pandas()


def read_excel(path: Path) -> RawTable:
    workbook = _open_workbook(path)
    names = workbook.sheet_names
    if not names:
        raise EmptyFile("File Excel tidak memiliki sheet.", "The workbook has no sheet.")
    try:
        chosen = None
        for index, sheet_name in enumerate(names):
            cells = _load_sheet(workbook, index)
            head = cells.head(HEADER_SEARCH_ROWS).to_numpy(dtype=object, na_value=None).tolist()
            if chosen is None or any(header_score(r) >= 2 for r in head):
                chosen = (cells, head, sheet_name)
            if any(header_score(r) >= 2 for r in head):
                break
    except (fastexcel.FastExcelError, ValueError) as exc:
        raise UnreadableFile(f"Sheet Excel tidak dapat dibaca: {exc}", f"The sheet cannot be read: {exc}") from None
    cells, head, sheet_name = chosen
    if cells.empty:
        raise EmptyFile("File Excel kosong: sheet pertama tidak berisi baris.", "The first sheet has no rows.")
    h = _find_header(head)
    frame = cells.iloc[h + 1:].reset_index(drop=True)
    frame.columns = _header_names(head[h])
    source_rows = np.arange(h + 2, h + 2 + len(frame))
    return RawTable(frame, source_rows, {"format": "excel", "sheet": sheet_name, "header_row": h + 1})


def read_dbf(path: Path) -> RawTable:
    """A dBase table: its fields are the header, its records the rows, text in its code page.
    dbfread reads the header; the records of the common table (text fields, a single-byte code
    page) are cut into columns at once, any other table goes record by record through dbfread."""
    try:
        table = dbfread.DBF(str(path), recfactory=None, ignorecase=False, load=False, ignore_missing_memofile=True,
                            char_decode_errors="replace")
        encoding = table.encoding if table.header.language_driver else DBF_FALLBACK_ENCODING
        columns = _dbf_columns(path, table, encoding)
        if columns is None:  # binary fields (integers, timestamps, ...) or a multi-byte code page
            table.encoding = encoding
            records = [[value for _, value in record] for record in table]
            columns = {spec.name: _dbf_values([record[i] for record in records])
                       for i, spec in enumerate(table.fields) if spec.type not in DBF_SKIPPED_TYPES}
    except (ValueError, OSError, struct.error, dbfread.exceptions.DBFNotFound) as exc:
        raise UnreadableFile("File .dbf ini rusak atau bukan tabel dBase; ekspor ulang dari sistem billing, atau "
                             "simpan sebagai .xlsx atau .csv.", f"The file cannot be read as dBase: {exc}") from None
    if not columns:
        raise EmptyFile("File .dbf ini tidak memiliki kolom data; ekspor ulang dari sistem billing.",
                        "The .dbf file has no data fields.")
    frame = pd.DataFrame(columns)
    frame.columns = _header_names(list(columns))
    return RawTable(frame, np.arange(1, len(frame) + 1), {"format": "dbf", "encoding": encoding})


def _dbf_values(values: list) -> pd.Series:
    """dbfread's values of a field (text, numbers, dates, booleans) as the text cells parse.py reads."""
    text = pd.Series([None if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v)
                      for v in values], dtype="str").str.strip(" \x00")
    return text.where(text != "")


def _dbf_columns(path: Path, table: dbfread.DBF, encoding: str) -> dict[str, pd.Series] | None:
    """Every field of a table whose fields are all stored as text, in a single-byte code page, as
    columns, from fixed-width slices of the record block; None for any other table."""
    if any(f.type not in DBF_TEXT_TYPES | DBF_SKIPPED_TYPES for f in table.fields) or \
            len(bytes(range(256)).decode(encoding, errors="replace")) != 256:
        return None
    width, count = table.header.recordlen, table.header.numrecords
    with path.open("rb") as fh:
        fh.seek(table.header.headerlen)
        block = fh.read(width * count)
    records = np.frombuffer(block, dtype=np.uint8, count=len(block) // width * width).reshape(-1, width)
    records = records[records[:, 0] == ord(" ")]  # "*" marks a deleted record
    columns, offset = {}, 1  # each record starts with its deletion flag
    for spec in table.fields:
        if spec.type not in DBF_SKIPPED_TYPES:
            cut = np.ascontiguousarray(records[:, offset:offset + spec.length]).tobytes()
            # A single-byte code page gives one character per byte, so the fixed widths hold.
            cells = np.frombuffer(cut.decode(encoding, errors="replace").encode("utf-32-le"), dtype=f"<U{spec.length}")
            text = pd.Series(cells, dtype="str").str.strip(" \x00")
            columns[spec.name] = text.where(text != "")
        offset += spec.length
    return columns


def _sniff_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        start = fh.read(4)
        if start.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            encoding = "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return encoding


def _head_lines(path: Path, encoding: str, limit: int = 60) -> str:
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        return "".join(line[:FIELD_LIMIT] for _, line in zip(range(limit), fh))


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The records of a short text (the head), a record that cannot be read skipped."""
    found, reader = [], csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            found.append(next(reader))
        except StopIteration:
            return found
        except csv.Error:
            continue


def _sniff_delimiter(head: str) -> str:
    """The delimiter that splits the head into the most consistent, widest rows."""
    def score(delim: str) -> tuple[float, int]:
        rows = [r for r in _records(head, delim) if any(c.strip() for c in r)]
        widths = [len(r) for r in rows]
        # Title lines above the header ("LAPORAN ...") are one field wide whatever the
        # delimiter: the table's width is the commonest among the rows it splits.
        split = [w for w in widths if w >= 2]
        if not split:
            return (0.0, 0)
        common = max(set(split), key=lambda w: (split.count(w), w))
        return (widths.count(common) / len(widths), common)

    ranked = sorted(DELIMITERS, key=score, reverse=True)
    best = ranked[0]
    if score(best)[1] < 2:
        raise UnreadableFile(
            "Pemisah kolom tidak dikenali: file teks harus dipisah dengan |, ;, koma, atau tab.",
            "No column delimiter found: text files are split by |, ;, comma or tab.")
    return best


def _physical_lines(path: Path) -> int:
    """Lines of the file as an editor counts them: ended by CR LF, LF or a lone CR; a last line
    without its end counts too."""
    lines, last, previous_cr = 0, b"", False
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            if previous_cr and chunk.startswith(b"\n"):
                lines -= 1  # a CR LF split between two chunks
            previous_cr, last = chunk.endswith(b"\r"), chunk[-1:]
    return lines + (1 if last not in (b"\n", b"\r", b"") else 0)


def _read_text_arrow(path: Path, encoding: str, delimiter: str, h: int,
                     names: list[str]) -> pd.DataFrame | None:
    """pyarrow's multi-threaded CSV reader, for the common well-formed file.

    Returns None when any line does not split into the header's columns (a blank line, a
    short or cut one, a trailing delimiter, a line no block holds), or when a quoted value
    holds a line break (records then no longer match lines): the exact reader then reads the
    file again and numbers every line, which is what row errors need.
    """
    invalid: list[int] = []

    def on_invalid(row) -> str:
        invalid.append(row.number)
        return "skip"

    if not encoding.startswith("utf-8") and encoding != "cp1252":
        return None
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                skip_rows=h + 1, column_names=names,
                encoding="utf8" if encoding.startswith("utf-8") else encoding),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char='"', newlines_in_values=True,
                ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.large_string() for name in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeError, LookupError):
        return None
    if invalid or table.num_rows + h + 1 != _physical_lines(path):
        return None
    if any(table.num_rows and pc.max(pc.utf8_length(column)).as_py() > FIELD_LIMIT for column in table.columns):
        return None  # a cell over the limit: the exact reader reports its line
    # A byte-order mark sits on the first line, which is skipped (title or header).
    return table.to_pandas()


def _field_count_error(line: int, found: int, width: int) -> RowError:
    why = "baris terpotong atau kolomnya bergeser" if found < width else "ada kolom berlebih (pemisah di dalam nilai?)"
    return RowError(line, None, None, f"baris ini berisi {found} kolom, padahal judul kolom berisi {width}: {why}; "
                                      "perbaiki atau hapus baris ini")


def _read_text_exact(path: Path, encoding: str, delimiter: str, h: int,
                     names: list[str]) -> tuple[pd.DataFrame, np.ndarray, list[RowError]]:
    """Python's csv reader, record by record: each record numbered by the line it starts on; a
    record with fewer or more fields than the header, a field over the limit or a line break
    inside an unquoted field is a row error, never an exception. Columns are built in chunks
    of Arrow strings, so a large file never holds a Python object per cell for long."""
    width = len(names)
    columns: list[list[str]] = [[] for _ in names]
    chunks: list[list[pa.Array]] = [[] for _ in names]
    starts: list[int] = []
    errors: list[RowError] = []

    def flush() -> None:
        for j, values in enumerate(columns):
            chunks[j].append(pa.array(values, type=pa.large_string()))
            values.clear()

    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"')
        ended = 0  # the physical line the previous record ended on
        record = -1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record += 1
                if record > h:
                    reason = (f"baris ini berisi nilai lebih dari {number(FIELD_LIMIT)} karakter"
                              if "field limit" in str(exc) else "baris baru (CR) di tengah nilai tanpa tanda kutip")
                    errors.append(RowError(ended + 1, None, None, f"{reason}; perbaiki atau hapus baris ini"))
                ended = reader.line_num
                continue
            record += 1
            line, ended = ended + 1, reader.line_num
            if record <= h:
                continue  # titles and the header
            if len(row) > width and not any(cell.strip() for cell in row[width:]):
                row = row[:width]  # a trailing delimiter is no extra column
            if not any(cell.strip() for cell in row):
                row = [""] * width  # a blank line: dropped later, never an error
            elif len(row) != width:
                errors.append(_field_count_error(line, len(row), width))
                continue
            for j, cell in enumerate(row):
                columns[j].append(cell)
            starts.append(line)
            if len(starts) % TEXT_CHUNK == 0:
                flush()
    flush()
    frame = pa.table([pa.chunked_array(c, type=pa.large_string()) for c in chunks], names=names).to_pandas()
    return frame, np.asarray(starts, dtype=np.int64), errors


def read_text(path: Path) -> RawTable:
    encoding = _sniff_encoding(path)
    head = _head_lines(path, encoding)
    if not head.strip():
        raise EmptyFile("File kosong: tidak ada baris berisi data.", "The file holds no line with data.")
    if "\x00" in head:
        raise UnreadableFile("File ini bukan file teks (berisi data biner); periksa format file.",
                             "The file is not text (it holds binary data).")
    delimiter = _sniff_delimiter(head)
    head_rows = _records(head, delimiter)
    h = _find_header(head_rows)
    names = _header_names(head_rows[h])
    fmt = {"format": "text", "encoding": encoding, "delimiter": delimiter, "header_row": h + 1}
    frame = _read_text_arrow(path, encoding, delimiter, h, names)
    if frame is not None:
        return RawTable(frame, np.arange(h + 2, h + 2 + len(frame)), fmt)
    frame, lines, errors = _read_text_exact(path, encoding, delimiter, h, names)
    frame.columns = names
    return RawTable(frame, lines, fmt, errors)
