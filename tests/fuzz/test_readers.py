"""Fuzzing the readers (issue 13): random and mutated files seeded from real exports, through the
reader and the validation, and a few through the whole load into a database.

Properties:
- no exception but a refusal (FileRefused) escapes: no crash, no traceback;
- a stored value is never a cut one: every row kept from a text file equals its source line
  parsed whole;
- a refused file has a reason and stores nothing.

The example count is fixed and the examples derandomized, so CI runs the same few minutes of
cases every time; ``SUNTER_FUZZ_EXAMPLES=2000`` searches wider on a developer's machine. A file
that ever crashed is kept under ``corpus/`` and replayed by ``test_the_corpus``.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunter_dash.domain.errors import FileRefused
from sunter_dash.ingest import ingest_file
from sunter_dash.ingest.prepare import prepare
from sunter_dash.ingest.read import read_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import q  # noqa: E402

EXAMPLES = int(os.environ.get("SUNTER_FUZZ_EXAMPLES", "150"))
CORPUS = Path(__file__).parent / "corpus"
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# Seeds: the real exports' shapes (DATA.md), as the billing system writes them.
SEEDS = {
    "Collection-2025-12-01_sd_2025-12-10.txt": (
        "|", "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD|NOTAG|JENIS",
        ["60012345|05-12-2025|-187500|122025|T0001|CURRENT", "60012346|06-12-2025|-95000|112025|T0002|UNDUE",
         "60012347|07-12-2025|-45000|122025|T0003|CURRENT", "60012348|08-12-2025|-150000|122025|T0004|CURRENT"]),
    "MAINBILL_DES_2025.csv": (
        ";", "NOMEN;TOTAL_TAGIHAN;PERIODE;PAKAI;TARIF;PCEZBK;JENIS_REK",
        ["60012345;187.500;122025;25;2A2;341511001;NORMAL", "60012346;95.000,50;122025;12;2A2;351511002;KOREKSI",
         "60012347;45.000;122025;5;3A;341511003;NORMAL"]),
    "MC_2025-12.csv": (
        ",", "NOMEN,NAMA_PEL,ALM1_PEL,ZONA_NOVAK,TARIF,NOMINAL,TGL_CATAT",
        ['60012345,BUDI,"JL. SUNTER, BLOK A",341511001,2A2,187500,10-11-2025',
         "60012346,SITI,JL. DANAU,351511002,2A2,95000,11-11-2025",
         "60012347,ANTO,JL. AGUNG,341511003,3A,45000,12-11-2025"]),
    "SBRS_202512.txt": (
        "\t", "cmr_account\tcmr_prev_read\tcmr_reading\tRead_Method\tcmr_rd_date\tcmr_route",
        ["60012345\t100\t125\tACTUAL\t22112025\t3415110", "60012346\t50\t50\tSE\t23112025\t3515110",
         "60012347\t7\t19\t30/PE\t24112025\t3415110"]),
}
NASTY = ["", '"', '""', "\r", "\n", "\r\n", "\x00", "\ufeff", "|", ";", ",", "\t", "=1+2", "9" * 40, "A" * 40_000,
         "\xe9", "Ø", "🙂", "  ", "'60012345", "1.234.567,00", "31-02-2025", "-0", "NaN", "TOTAL"]


@st.composite
def mutated_text(draw) -> tuple[str, bytes]:
    """A seed export, mutated as files get damaged: lines cut, dropped, repeated or shuffled,
    fields added, removed or replaced by nasty values, the whole cut at any byte, re-encoded."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    delimiter, header, lines = SEEDS[name]
    lines = list(lines) * draw(st.integers(1, 3))
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        fields = lines[i].split(delimiter)
        action = draw(st.sampled_from(["cut", "drop", "repeat", "extra", "fewer", "nasty", "swap"]))
        if action == "cut":
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
        elif action == "drop":
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "extra":
            lines[i] += delimiter + draw(st.sampled_from(NASTY))
        elif action == "fewer" and len(fields) > 1:
            lines[i] = delimiter.join(fields[:-1])
        elif action == "nasty":
            fields[draw(st.integers(0, len(fields) - 1))] = draw(st.sampled_from(NASTY) | st.text(max_size=12))
            lines[i] = delimiter.join(fields)
        elif action == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = header + ending + ending.join(lines) + draw(st.sampled_from([ending, ""]))
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])), errors="replace")
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return name, data


def _parsed_whole(data: bytes, encoding: str, delimiter: str, line: int) -> list[str] | None:
    """The record that starts on physical line ``line`` (1-based), parsed from there."""
    text = data.decode(encoding.replace("utf-8-sig", "utf-8"), errors="replace").lstrip("\ufeff")
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n" and i and text[i - 1] == "\r":
            starts[-1] = i + 1
        elif ch in "\r\n":
            starts.append(i + 1)
    if line - 1 >= len(starts):
        return None
    return next(csv.reader(io.StringIO(text[starts[line - 1]:], newline=""), delimiter=delimiter), None)


def _checked(path: Path, name: str, data: bytes) -> None:
    """The properties of one file through reader and validation (no database)."""
    try:
        table = read_table(path, name)
    except FileRefused as refused:
        assert refused.message.strip()
        return
    if table.fmt.get("format") == "text":
        header = list(table.frame.columns)
        for row, line in zip(table.frame.itertuples(index=False), table.source_rows):
            cells = ["" if v is None else str(v) for v in row]
            if not any(c.strip() for c in cells):
                continue  # a blank line, dropped later
            whole = _parsed_whole(data, table.fmt["encoding"], table.fmt["delimiter"], int(line))
            assert whole is not None, (line, cells)
            whole = whole[:len(header)] + [""] * (len(header) - len(whole))
            assert cells == whole, (line, cells, whole)  # never a cut value
    try:
        prepared = prepare(table, name, None, None)
    except FileRefused as refused:
        assert refused.message.strip()
        return
    assert len(prepared.frame) + prepared.rejected <= prepared.rows_read


@FUZZ
@given(mutated_text())
def test_mutated_text_exports_never_crash_nor_keep_a_cut_value(case):
    name, data = case
    folder = Path(tempfile.mkdtemp(prefix="sunter-fuzz-"))
    try:
        path = folder / name
        path.write_bytes(data)
        _checked(path, name, data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@st.composite
def crafted_xlsx(draw) -> bytes:
    """Workbooks as a hostile user makes them: random cells anywhere up to XFD1048576, formulas,
    huge and odd strings, several sheets."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NOMEN", "ZONA_NOVAK", "NOMINAL", "NAMA_PEL"])
    for _ in range(draw(st.integers(0, 20))):
        sheet.append([draw(st.sampled_from(["60012345", 60012345, 60012345.0, None, "x"])),
                      draw(st.sampled_from(["341511001", 341511001, "", None])),
                      draw(st.integers(-10**12, 10**12) | st.sampled_from(["1.234", "=1+2", None])),
                      draw(st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30))])
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(1, 1_048_576))
        column = draw(st.integers(1, 16_384))
        sheet.cell(row=row, column=column, value=draw(st.sampled_from(["x", 1, "=A1"])))
    if draw(st.booleans()):
        book.create_sheet("Lain").append(["A"] * draw(st.integers(1, 50)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@FUZZ
@given(crafted_xlsx())
def test_crafted_workbooks_are_read_or_refused_never_a_crash(data):
    folder = Path(tempfile.mkdtemp(prefix="sunter-fuzz-"))
    try:
        path = folder / "MC_2025-12.xlsx"
        path.write_bytes(data)
        _checked(path, path.name, data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 10))
@given(mutated_text())
def test_through_the_whole_load_a_refusal_stores_nothing(engine, case):
    name, data = case
    folder = Path(tempfile.mkdtemp(prefix="sunter-fuzz-"))
    try:
        path = folder / name
        path.write_bytes(data)
        before = q(engine, "SELECT count(*) FROM upload")[0][0]
        result = ingest_file(engine, path)
        stored = result.stored
        assert q(engine, "SELECT count(*) FROM upload")[0][0] == before + 1  # every attempt recorded
        if result.status == "refused":
            assert result.message.strip() and stored == 0
            assert q(engine, "SELECT status FROM upload WHERE id = :i", i=result.upload_id) == [("refused",)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_the_corpus(path, engine):
    """Every file that ever crashed a reader: read or refused, and recorded."""
    _checked(path, path.name, path.read_bytes())
    result = ingest_file(engine, path)
    assert result.upload_id is not None
    assert result.status in ("loaded", "refused", "duplicate") and (result.status != "refused" or result.message)
