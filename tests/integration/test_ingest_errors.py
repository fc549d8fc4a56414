"""Bad input: files refused whole with a message naming the problem, and row errors.

A refused file stores nothing in any data table, and is recorded as an upload
with status ``refused`` and its message. Broken rows inside a good file are
reported with their source row number, column, value and reason while the
rest of the file loads.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from sunter_dash.ingest import ingest_file
from sunter_dash.models import DATA_TABLES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_fixtures import FORMATS, write_table, write_text, write_xls, write_xlsx  # noqa: E402

TITLES = [["LAPORAN MASTER CUSTOMER RAYON 34"], ["Dicetak 01-12-2025"]]


def q(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def stored_anywhere(engine) -> int:
    return sum(q(engine, f"SELECT count(*) FROM {t.name}")[0][0] for t in DATA_TABLES.values())


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def good_mc_rows(n: int) -> list[list]:
    return [[f"6000{i:04d}", "341010203", 1000 + i] for i in range(1, n + 1)]


def make_empty(tmp_path):
    return write_text(tmp_path / "MC_2025-12.csv", [])


def make_empty_xlsx(tmp_path):
    path = tmp_path / "MC_2025-12.xlsx"
    path.write_bytes(b"")
    return path


def make_random_xlsx(tmp_path):
    path = tmp_path / "MC_2025-12.xlsx"
    path.write_bytes(random_bytes(5000))
    return path


def make_random_xls(tmp_path):
    path = tmp_path / "MC1125_AB_Sunter.xls"
    path.write_bytes(random_bytes(5000, seed=8))
    return path


def make_zip_xlsx(tmp_path):
    path = tmp_path / "MC_2025-12.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.txt", "NOMEN,NOMINAL\n")
    return path


def make_binary_txt(tmp_path):
    path = tmp_path / "Collection-2025-12.txt"
    path.write_bytes(b"NOMEN|PAY_DT|AMT_COLLECT\n" + random_bytes(3000))
    return path


def make_blank_lines(tmp_path):
    path = tmp_path / "Collection-2025-12.txt"
    path.write_bytes(b"\r\n   \r\n\r\n")
    return path


def make_header_only(tmp_path):
    return write_table(tmp_path, "MC_2025-12", "xlsx", [["NOMEN", "ZONA_NOVAK", "NOMINAL"]], titles=TITLES)


def make_unknown_columns(tmp_path):
    return write_table(tmp_path, "MC_2025-12", "csv-semicolon", [["KODE", "URAIAN", "Tgl. Lahir"], ["1", "x", "y"]])


def make_half_broken(tmp_path):
    rows = [["NOMEN", "ZONA_NOVAK", "NOMINAL"], *good_mc_rows(2), ["BUDI", "341010203", 1], ["ANI", "341010203", 2],
            ["6000X003", "341010203", 3]]
    return write_table(tmp_path, "MC_2025-12", "xls", rows)


def make_unsupported(tmp_path):
    path = tmp_path / "MC_2025-12.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    return path


def make_no_delimiter(tmp_path):
    path = tmp_path / "MC_2025-12.txt"
    path.write_bytes(b"NOMEN ZONA_NOVAK NOMINAL\n60000001 341010203 1000\n")
    return path


BAD_FILES = {
    # name: (maker, words the message must contain, extra ingest kwargs)
    "empty-csv": (make_empty, ["kosong"], {}),
    "empty-xlsx": (make_empty_xlsx, ["kosong"], {}),
    "random-bytes-xlsx": (make_random_xlsx, ["Excel"], {}),
    "random-bytes-xls": (make_random_xls, ["Excel"], {}),
    "zip-not-a-workbook": (make_zip_xlsx, ["Excel"], {}),
    "binary-txt": (make_binary_txt, ["bukan file teks"], {}),
    "only-blank-lines": (make_blank_lines, ["kosong"], {}),
    "header-without-rows": (make_header_only, ["baris data"], {}),
    "unknown-columns": (make_unknown_columns, ["KODE", "URAIAN", "Tgl. Lahir", "NOMEN"], {}),
    "over-half-rows-broken": (make_half_broken, ["separuh", "3 dari 5"], {}),
    "unsupported-suffix": (make_unsupported, [".pdf", ".xlsx", ".csv"], {}),
    "no-delimiter": (make_no_delimiter, ["Pemisah kolom"], {}),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_refused_and_recorded(tmp_path, engine, case):
    maker, words, kwargs = BAD_FILES[case]
    path = maker(tmp_path)
    result = ingest_file(engine, path, username="tester", **kwargs)
    assert result.status == "refused" and result.refused
    assert result.stored == 0 and result.duplicate == 0
    for word in words:
        assert word in result.message, result.message
    assert stored_anywhere(engine) == 0
    uploads = q(engine, "SELECT id, filename, size, status, message, username, rows_stored FROM upload")
    assert uploads == [(result.upload_id, path.name, path.stat().st_size, "refused", result.message, "tester", 0)]
    reasons = q(engine, 'SELECT "row", reason FROM upload_error WHERE upload_id = :u', u=result.upload_id)
    assert reasons
    if case != "over-half-rows-broken":
        assert reasons == [(None, result.message)]


def test_over_half_broken_reports_the_broken_rows(tmp_path, engine):
    result = ingest_file(engine, make_half_broken(tmp_path))
    assert (result.status, result.type, result.read, result.rejected) == ("refused", "MC", 5, 3)
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (4, "NOMEN", "BUDI"), (5, "NOMEN", "ANI"), (6, "NOMEN", "6000X003")]
    assert q(engine, 'SELECT "row", "column", value FROM upload_error ORDER BY "row"') == [
        (4, "NOMEN", "BUDI"), (5, "NOMEN", "ANI"), (6, "NOMEN", "6000X003")]


def test_exactly_half_broken_still_loads(tmp_path, engine):
    rows = [["NOMEN", "ZONA_NOVAK", "NOMINAL"], *good_mc_rows(2), ["BUDI", "341010203", 1], ["ANI", "341010203", 2]]
    result = ingest_file(engine, write_table(tmp_path, "MC_2025-12", "csv-comma", rows))
    assert (result.status, result.read, result.stored, result.rejected) == ("loaded", 4, 2, 2)
    assert q(engine, "SELECT nomen FROM mc ORDER BY nomen") == [("60000001",), ("60000002",)]


@pytest.mark.parametrize(("limit", "refused"), [(None, True), (0, False)])
def test_file_over_the_size_limit_refused_before_reading(tmp_path, engine, limit, refused):
    path = write_table(tmp_path, "MC_2025-12", "csv-comma", [["NOMEN", "ZONA_NOVAK", "NOMINAL"], *good_mc_rows(50)])
    size = path.stat().st_size
    max_bytes = size - 1 if limit is None else size  # a file exactly at the limit loads
    result = ingest_file(engine, path, max_bytes=max_bytes)
    if refused:
        assert result.status == "refused" and "terlalu besar" in result.message
        assert (result.read, result.type) == (0, None)
        assert stored_anywhere(engine) == 0
        # refused before it is read: not even hashed
        assert q(engine, "SELECT status, size, sha256 FROM upload") == [("refused", size, None)]
    else:
        assert (result.status, result.stored) == ("loaded", 50)


def test_missing_file_refused(tmp_path, engine):
    result = ingest_file(engine, tmp_path / "tidak_ada.csv")
    assert result.status == "refused" and "tidak_ada.csv" in result.message
    assert q(engine, "SELECT filename, status FROM upload") == [("tidak_ada.csv", "refused")]


# --- renamed files -------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "renamed"), [("xlsx", ".xls"), ("xls", ".xlsx"), ("txt-tab", ".xls"),
                                                  ("xlsx", ".csv"), ("csv-semicolon", ".txt")])
def test_hand_renamed_file_read_by_its_content(tmp_path, engine, written, renamed):
    source = write_table(tmp_path, "asli", written, [["NOMEN", "ZONA_NOVAK", "NOMINAL"], *good_mc_rows(3)])
    path = tmp_path / f"MC_2025-12{renamed}"
    shutil.copy(source, path)
    result = ingest_file(engine, path)
    assert (result.status, result.type, result.stored) == ("loaded", "MC", 3), result.message
    assert q(engine, "SELECT sum(nominal) FROM mc") == [(3006,)]


# --- row errors inside a good file --------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_broken_rows_reported_while_the_rest_loads(tmp_path, engine, fmt):
    header = ["NOMEN", "ZONA_NOVAK", "Tgl Baca", "Rek Air"]  # errors name the file's own headers
    rows = [header]
    rows += [[f"6000{i:04d}", 341010203.0, dt.date(2025, 11, 10), 1000.0 * i] for i in range(1, 9)]
    # titles: rows 1-2; header: row 3; data from row 4
    rows.insert(2, ["6001234A", 341010203.0, dt.date(2025, 11, 10), 5.0])  # row 5
    rows.insert(4, ["60009991", 341010203.0, dt.date(2025, 11, 10), "seribu"])  # row 7
    rows.insert(5, ["60009992", 341010203.0, "32-13-2025", 7.0])  # row 8: an optional date, a warning
    rows.insert(7, ["60009993", None, dt.date(2025, 11, 10), 8.0])  # row 10: no zone and no rayon
    rows.insert(8, ["6000999X", 341010203.0, "kemarin", 9.0])  # row 11: rejected; its date is not reported
    path = write_table(tmp_path, "MC_2025-12", fmt, rows, titles=TITLES)
    result = ingest_file(engine, path)
    assert (result.status, result.read, result.stored, result.rejected) == ("loaded", 13, 9, 4)
    got = [(e.row, e.column, e.value) for e in result.errors]
    assert got == [(5, "NOMEN", "6001234A"), (7, "Rek Air", "seribu"), (10, "ZONA_NOVAK", None),
                   (11, "NOMEN", "6000999X")]
    assert all(e.reason for e in result.errors)
    assert len({e.reason for e in result.errors}) == 3  # nomen, number, required: each its own reason
    # DATA.md: an unreadable optional value leaves its field empty and is a warning, not an error.
    assert [(w.row, w.column, w.value, w.reason) for w in result.warnings] == [
        (8, "Tgl Baca", "32-13-2025",
         "tanggal tidak dikenali (contoh: 31-12-2025); dibiarkan kosong, baris tetap dimuat")]
    assert q(engine, 'SELECT "row", "column", value, reason, kind FROM upload_error ORDER BY "row", id') == sorted(
        [(e.row, e.column, e.value, e.reason, "error") for e in result.errors]
        + [(w.row, w.column, w.value, w.reason, "warning") for w in result.warnings])
    assert q(engine, "SELECT count(*), sum(nominal), min(nomen), max(nomen) FROM mc") == [
        (9, 36007, "60000001", "60009992")]
    assert q(engine, "SELECT tgl_catat FROM mc WHERE nomen = '60009992'") == [(None,)]
    assert q(engine, "SELECT rows_read, rows_stored, rows_rejected, rows_warned, status FROM upload") == [
        (13, 9, 4, 1, "loaded")]


def test_text_line_with_too_many_fields_is_a_row_error(tmp_path, engine):
    path = tmp_path / "MC_2025-12.txt"
    path.write_bytes(b"NOMEN|ZONA_NOVAK|NOMINAL\r\n60000001|341010203|1000\r\n60000002|341010203|2000|x|y\r\n"
                     b"60000003|341010203|3000\r\n60000004|341010203\r\n60000005|341010203|5000\r\n")
    result = ingest_file(engine, path)
    assert (result.status, result.read, result.stored, result.rejected) == ("loaded", 5, 3, 2)
    assert [(e.row, e.column) for e in result.errors] == [(3, None), (5, None)]
    assert "5" in result.errors[0].reason and "3" in result.errors[0].reason
    assert result.errors[1].reason.startswith("baris ini berisi 2 kolom, padahal judul kolom berisi 3: baris terpotong")
    assert q(engine, "SELECT nomen FROM mc ORDER BY nomen") == [("60000001",), ("60000003",), ("60000005",)]


def test_payment_row_errors(tmp_path, engine):
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"],
            ["60000001", "05-12-2025", "-1000", "122025"],
            ["60000002", "", "-1000", "122025"],
            ["60000003", "05-12-2025", "lunas", "122025"],
            ["60000004", "05-12-2025", "-1000", "13-2025"],
            ["60000005", "06-12-2025", "-2000", "122025"],
            ["60000006", "07-12-2025", "-3000", "112025"],
            ["60000007", "08-12-2025", "-4000", "102025"]]
    result = ingest_file(engine, write_table(tmp_path, "Collection-2025-12", "txt-pipe", rows))
    assert (result.status, result.stored, result.rejected) == ("loaded", 4, 3)
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (3, "PAY_DT", None), (4, "AMT_COLLECT", "lunas"), (5, "BILL_PERIOD", "13-2025")]
    assert q(engine, "SELECT count(*), sum(amount) FROM payment") == [(4, 10000)]


def test_xlsx_and_xls_writers_give_real_workbooks(tmp_path):
    """Guard for the suite itself: the Excel files are real, not text with an Excel name."""
    xlsx = write_xlsx(tmp_path / "a.xlsx", [["NOMEN"], [1]])
    xls = write_xls(tmp_path / "a.xls", [["NOMEN"], [1]])
    assert xlsx.read_bytes()[:4] == b"PK\x03\x04"
    assert xls.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")


@pytest.mark.parametrize("case", ["first readings", "a correction"])
def test_a_failure_inside_the_load_is_logged_as_itself_and_stores_nothing(tmp_path, engine, monkeypatch, caplog,
                                                                         case):
    """A statement that fails while the flags are kept (a bug, a server gone) rolls the whole load
    back, and the log holds that failure: on PostgreSQL a clean-up statement of the aborted
    transaction used to fail in its turn and take its place. Both while the readings of a first
    SBRS are checked and while a correction is compared with the readings it replaces."""
    from sunter_dash.ingest import flag_store

    header = ["cmr_account", "cmr_prev_read", "cmr_reading"]
    first = [header, ["60000001", 100, 100], ["60000002", 100, 250], ["60000003", 100, 120]]
    if case == "a correction":
        assert ingest_file(engine, write_table(tmp_path, "SBRS_202512", "csv-comma", first)).status == "loaded"

    def failing(conn, *args):
        conn.exec_driver_sql("SELECT nomen FROM no_such_table")
    # A correction of one reading in three recomputes that customer alone (``replace_some``).
    monkeypatch.setattr(flag_store, "replace" if case == "first readings" else "replace_some", failing)
    corrected = [first[0], first[1], ["60000002", 100, 260], first[3]]
    (tmp_path / "koreksi").mkdir()
    with caplog.at_level("ERROR", logger="sunter_dash.ingest.load"):
        result = ingest_file(engine, write_table(tmp_path / "koreksi", "SBRS_202512", "csv-comma",
                                                 first if case == "first readings" else corrected),
                             file_type="SBRS", periode="2025-12")
    assert result.status == "refused" and "kesalahan tak terduga" in result.message
    assert q(engine, "SELECT nomen, stand_kini FROM sbrs ORDER BY nomen") == (
        [] if case == "first readings" else [("60000001", 100), ("60000002", 250), ("60000003", 120)])
    [record] = [r for r in caplog.records if r.exc_info]
    assert "no_such_table" in str(record.exc_info[1])
