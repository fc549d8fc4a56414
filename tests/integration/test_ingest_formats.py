"""DATA.md cell formats and file layouts, on real files in every accepted format.

Each test writes a real file into tmp_path (.xlsx by openpyxl, .xls by xlwt,
.csv/.txt as bytes with the delimiter and encoding under test), runs it
through ``ingest_file`` and reads back what the database holds.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from sunter_dash.ingest import ingest_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import q  # noqa: E402
from make_fixtures import FORMATS, MC_FIXTURE, write_table, write_text, write_xls, write_xlsx  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ALL_FORMATS = list(FORMATS)
EXCEL_FORMATS = ["xlsx", "xls"]
TITLES = [["LAPORAN MASTER CUSTOMER RAYON 34"], ["Tanggal cetak: 01-12-2025"]]



def error_dicts(result) -> list[dict]:
    return [e.as_dict() for e in result.errors]


def assert_loaded(result, read: int, rejected: int = 0) -> None:
    """Loaded, with ``read`` data rows of which ``rejected`` were refused and the rest stored."""
    assert result.status == "loaded", result.message
    assert (result.read, result.stored, result.rejected) == (read, read - rejected, rejected), result.as_json()


# --- the same MC in every format ----------------------------------------------------

MC_HEADER = ["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "TGL_CATAT", "STAN_AWAL", "STAN_AKIR", "KUBIK", "NOMINAL", "TARIF"]
MC_NATIVE = [
    MC_HEADER,
    [60012345.0, "BUDI SANTOSO", 341010203.0, dt.date(2025, 11, 10), 1200.0, 1225.0, 25.0, 187500.0, "2a"],
    [60012346.0, "SITI AMINAH", 351020301.0, dt.date(2025, 11, 11), 880.0, 898.0, 18.0, 126000.0, " 2B "],
    [33000001.0, "RAYON LAIN", 331000101.0, dt.date(2025, 11, 12), 10.0, 10.0, 0.0, 54000.0, "4a"],
]
MC_STORED = [
    ("33000001", "RAYON LAIN", "331000101", "33", "2025-11-12", 10, 10, 0, 54000, "4A", "2025-12"),
    ("60012345", "BUDI SANTOSO", "341010203", "34", "2025-11-10", 1200, 1225, 25, 187500, "2A", "2025-12"),
    ("60012346", "SITI AMINAH", "351020301", "35", "2025-11-11", 880, 898, 18, 126000, "2B", "2025-12"),
]
MC_COLUMNS = "nomen, nama, zona_novak, rayon, tgl_catat, stan_awal, stan_akir, kubik, nominal, tarif, periode"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_mc_native_cells_in_every_format(tmp_path, engine, fmt):
    # Excel: number and date cells; text: "60012345.0", "341010203.0", "10-11-2025".
    path = write_table(tmp_path, "MC_2025-12", fmt, MC_NATIVE, titles=TITLES)
    result = ingest_file(engine, path)
    assert (result.type, result.periode, result.periode_rule) == ("MC", "2025-12", "filename")
    assert_loaded(result, 3)
    assert result.fmt["header_row"] == 3
    assert q(engine, f"SELECT {MC_COLUMNS} FROM mc ORDER BY nomen") == MC_STORED
    # a number cell never becomes 6.0012345E7: the stored nomen is text
    if engine.dialect.name == "sqlite":  # SQLite stores any type in any column; PostgreSQL can't
        assert q(engine, "SELECT DISTINCT typeof(nomen), typeof(zona_novak) FROM mc") == [("text", "text")]


@pytest.mark.parametrize(("fmt", "delimiter"), [
    ("csv-comma", ","), ("csv-semicolon", ";"), ("txt-pipe", "|"), ("txt-tab", "\t")])
def test_text_delimiter_is_sniffed(tmp_path, engine, fmt, delimiter):
    path = write_table(tmp_path, "MC_2025-12", fmt, MC_NATIVE)
    result = ingest_file(engine, path)
    assert_loaded(result, 3)
    assert result.fmt["delimiter"] == delimiter
    assert q(engine, f"SELECT {MC_COLUMNS} FROM mc ORDER BY nomen") == MC_STORED


def test_committed_xls_fixture(engine):
    """The committed raw MC export: a real BIFF .xls with title rows, number and date cells."""
    path = FIXTURES / MC_FIXTURE
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE2 (Excel 97-2003) file
    result = ingest_file(engine, path)
    assert (result.type, result.periode, result.periode_rule) == ("MC", "2025-12", "mc_filename")
    assert_loaded(result, 4)
    assert result.errors == []  # the TOTAL row is not data
    assert q(engine, "SELECT nomen, alamat, zona_novak, rayon, tarif, tgl_catat, stan_awal, stan_akir, kubik, "
                     "nominal, notagihan, cust_type, periode FROM mc ORDER BY nomen") == [
        ("33000001", "JL. KELAPA GADING", "331000101", "33", "2A", "2025-11-12", 10, 10, 0, 54000,
         "T2512-0004", "AKTIF", "2025-12"),
        ("60012345", "JL. SUNTER AGUNG RT 01/05", "341010203", "34", "2A", "2025-11-10", 1200, 1225, 25,
         187500, "T2512-0001", "AKTIF", "2025-12"),
        ("60012346", "JL. DANAU SUNTER", "341010204", "34", "2B", "2025-11-11", 880, 898, 18, 126000,
         "T2512-0002", "AKTIF", "2025-12"),
        ("60023456", "JL. YOS SUDARSO KAV 5", "351020301", "35", "4A", "2025-11-12", 15000, 15410, 410,
         6150000, "T2512-0003", "AKTIF", "2025-12"),
    ]
    assert q(engine, "SELECT rayon, count(*), sum(nominal) FROM mc GROUP BY rayon ORDER BY rayon") == [
        ("33", 1, 54000), ("34", 2, 313500), ("35", 1, 6150000)]


# --- nomen ---------------------------------------------------------------------------

NOMEN_CELLS = [
    (60012345.0, "60012345"),  # a number cell (text: "60012345.0")
    (60012346, "60012346"),
    ("'60012347", "60012347"),
    (" 60012348 ", "60012348"),
    ("60012349.0", "60012349"),
    ("60012350", "60012350"),
]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_nomen_forms_stored_as_digits_and_letters_are_a_row_error(tmp_path, engine, fmt):
    rows = [["NOMEN", "ZONA_NOVAK", "NOMINAL"]]
    rows += [[cell, "341010203", 1000] for cell, _ in NOMEN_CELLS]
    rows.insert(4, ["6001234X", "341010203", 1000])  # file row 2 titles + header + 3 rows + 1 = 7
    path = write_table(tmp_path, "MC_2025-12", fmt, rows, titles=TITLES)
    result = ingest_file(engine, path)
    assert_loaded(result, 7, rejected=1)
    assert error_dicts(result) == [
        {"row": 7, "column": "NOMEN", "value": "6001234X", "reason": result.errors[0].reason}]
    assert "NOMEN" in result.errors[0].reason
    assert q(engine, "SELECT nomen FROM mc ORDER BY nomen") == [(expected,) for _, expected in NOMEN_CELLS]
    assert q(engine, 'SELECT "row", "column", value FROM upload_error WHERE upload_id = :u',
             u=result.upload_id) == [(7, "NOMEN", "6001234X")]


# --- money and volume ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_money_and_volume_text_forms(tmp_path, engine, fmt):
    rows = [
        ["NOMEN", "ZONA_NOVAK", "NOMINAL", "KUBIK"],
        ["60000001", "341010203", "Rp 1.234.567", "12,0"],
        ["60000002", "341010203", "1.234.567", "1.234"],
        ["60000003", "341010203", "1,234,567", "12"],
        ["60000004", "341010203", "1.234.567,00", 12.0],
        ["60000005", "341010203", 1234567.0, "0"],
    ]
    path = write_table(tmp_path, "MC_2025-12", fmt, rows)
    result = ingest_file(engine, path)
    assert_loaded(result, 5)
    assert q(engine, "SELECT nomen, nominal, kubik FROM mc ORDER BY nomen") == [
        ("60000001", 1234567, 12), ("60000002", 1234567, 1234), ("60000003", 1234567, 12),
        ("60000004", 1234567, 12), ("60000005", 1234567, 0)]
    assert q(engine, "SELECT sum(nominal), sum(kubik) FROM mc") == [(6172835, 1270)]
    if engine.dialect.name == "sqlite":  # SQLite stores any type in any column; PostgreSQL can't
        assert q(engine, "SELECT DISTINCT typeof(nominal) FROM mc") == [("integer",)]


# --- dates ---------------------------------------------------------------------------------

DATE_CELLS = [
    ("60000001", dt.date(2025, 12, 31), "2025-12-31"),  # an Excel date cell
    ("60000002", dt.datetime(2025, 12, 30, 14, 30), "2025-12-30"),  # a date cell with a time
    ("60000003", 46006, "2025-12-15"),  # an Excel serial number
    ("60000004", "31-12-2025", "2025-12-31"),
    ("60000005", "31/12/2025", "2025-12-31"),
    ("60000006", "2025-12-31", "2025-12-31"),
    ("60000007", "31-Des-25", "2025-12-31"),
    ("60000008", "31 Desember 2025", "2025-12-31"),
    ("60000009", "01-12-2025 08:15:00", "2025-12-01"),
    ("60000010", "02/12/2025 8:15", "2025-12-02"),
]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_date_forms(tmp_path, engine, fmt):
    rows = [["NOMEN", "ZONA_NOVAK", "NOMINAL", "TGL_CATAT"]]
    rows += [[nomen, "341010203", 1000, cell] for nomen, cell, _ in DATE_CELLS]
    path = write_table(tmp_path, "MC_2025-12", fmt, rows)
    result = ingest_file(engine, path, periode="2026-01")
    assert_loaded(result, len(DATE_CELLS))
    assert q(engine, "SELECT nomen, tgl_catat FROM mc ORDER BY nomen") == [(n, d) for n, _, d in DATE_CELLS]


def test_xls_date_cells_are_real_date_cells(tmp_path, engine):
    """The .xls writer stores dates as date-formatted numbers, as the billing system does."""
    from python_calamine import CalamineWorkbook

    path = write_xls(tmp_path / "MC_2025-12.xls", [["NOMEN", "ZONA_NOVAK", "NOMINAL", "TGL_CATAT"],
                                                    [60000001.0, 341010203.0, 1000.0, dt.date(2025, 12, 31)]])
    workbook = CalamineWorkbook.from_path(str(path))
    cells = workbook.get_sheet_by_index(0).to_python()[1]
    workbook.close()
    assert isinstance(cells[3], dt.date) and not isinstance(cells[0], str)
    assert_loaded(ingest_file(engine, path), 1)
    assert q(engine, "SELECT nomen, zona_novak, tgl_catat FROM mc") == [("60000001", "341010203", "2025-12-31")]


# --- bill months -----------------------------------------------------------------------------

BILL_MONTH_CELLS = ["122025", "202512", "2025-12", "12/2025", "1225", 122025.0]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_bill_month_forms(tmp_path, engine, fmt):
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"]]
    rows += [[f"6000000{i}", f"0{i + 1}-12-2025", -10000 * (i + 1), cell] for i, cell in enumerate(BILL_MONTH_CELLS)]
    path = write_table(tmp_path, "Collection-2025-12", fmt, rows)
    result = ingest_file(engine, path)
    assert_loaded(result, len(BILL_MONTH_CELLS))
    assert q(engine, "SELECT bill_period, jenis, count(*), sum(amount) FROM payment GROUP BY 1, 2") == [
        ("2025-12", "CURRENT", 6, 210000)]


# --- layout: title rows, total rows, blank rows --------------------------------------------

BODY = [
    ["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "NOMINAL", "KUBIK"],
    [60012345.0, "A", 341010203.0, 1000.0, 12.0],
    [None, None, None, None, None],  # a fully blank row amid the data: skipped
    [60012346.0, "B", 341010204.0, 2000.0, 13.0],
    [60012347.0, "C", 351010204.0, 3000.0, 14.0],
]


@pytest.mark.parametrize("n_titles", [1, 15])
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_header_below_title_rows(tmp_path, engine, fmt, n_titles):
    titles = [["LAPORAN MASTER CUSTOMER RAYON 34"]] + [[f"keterangan {i}"] if i % 3 else [] for i in range(1, n_titles)]
    # xlsx: the title cells are merged across the table's width
    path = write_table(tmp_path, "MC_2025-12", fmt, BODY, titles=titles)
    result = ingest_file(engine, path)
    assert_loaded(result, 3)
    assert result.errors == []
    assert result.fmt["header_row"] == n_titles + 1
    assert q(engine, "SELECT nomen, nominal FROM mc ORDER BY nomen") == [
        ("60012345", 1000), ("60012346", 2000), ("60012347", 3000)]


def test_xlsx_merged_title_cells_are_merged(tmp_path):
    import openpyxl

    path = write_xlsx(tmp_path / "MC.xlsx", BODY, titles=TITLES)
    assert sorted(str(r) for r in openpyxl.load_workbook(path).active.merged_cells.ranges) == ["A1:E1", "A2:E2"]


@pytest.mark.parametrize("trailer", [
    [["TOTAL", None, None, 6000.0, 39.0]],
    [["JUMLAH", None, None, 6000.0, 39.0]],
    [["Grand Total", None, None, 6000.0, 39.0], [None, None, None, None, None]],
    [[None, "JUMLAH PELANGGAN: 3", None, 6000.0, 39.0]],  # a blank nomen after the last data row
    [["Sub Total", None, None, 6000.0, None], [None, None, None, 6000.0, None], [None, None, None, None, None]],
], ids=["total", "jumlah", "grand-total", "blank-nomen", "several"])
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_trailing_total_rows_are_not_data(tmp_path, engine, fmt, trailer):
    path = write_table(tmp_path, "MC_2025-12", fmt, [*BODY, *trailer], titles=TITLES)
    result = ingest_file(engine, path)
    assert_loaded(result, 3)
    assert result.errors == []
    assert q(engine, "SELECT count(*), sum(nominal) FROM mc") == [(3, 6000)]
    assert q(engine, "SELECT count(*) FROM upload_error") == [(0,)]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_blank_nomen_amid_data_is_a_row_error(tmp_path, engine, fmt):
    rows = [*BODY[:2], [None, "TANPA NOMEN", 341010203.0, 500.0, 1.0], *BODY[2:]]
    path = write_table(tmp_path, "MC_2025-12", fmt, rows, titles=TITLES)
    result = ingest_file(engine, path)
    assert_loaded(result, 4, rejected=1)
    # titles on rows 1-2, header row 3, first data row 4: the nameless row is row 5
    assert {(e.row, e.column, e.value) for e in result.errors} == {(5, "NOMEN", None)}
    assert q(engine, "SELECT nomen FROM mc ORDER BY nomen") == [("60012345",), ("60012346",), ("60012347",)]


def test_first_sheet_with_a_header_is_used(tmp_path, engine):
    path = write_xlsx(tmp_path / "MC_2025-12.xlsx", BODY, sheet_before=True)
    result = ingest_file(engine, path)
    assert_loaded(result, 3)
    assert result.fmt["sheet"] == "Data"


# --- text encodings and quoting ------------------------------------------------------------

TEXT_ROWS = [
    ["NOMEN", "NAMA_PEL", "ALM1_PEL", "ZONA_NOVAK", "NOMINAL"],
    ["60012345", "JOSÉ ÂNGELO", "JL. SUNTER", "341010203", "1.000"],
    ["60012346", "CAFÉ SÉNTOSA", "JL. DANAU", "341010203", "2.000"],
]


@pytest.mark.parametrize("delimiter", ["|", ";", ",", "\t"])
@pytest.mark.parametrize(("encoding", "bom"), [("cp1252", False), ("utf-8", True), ("utf-8", False)])
def test_text_encodings(tmp_path, engine, encoding, bom, delimiter):
    path = write_text(tmp_path / "MC_2025-12.csv", TEXT_ROWS, delimiter=delimiter, encoding=encoding, bom=bom)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") is bom
    assert ("JOS\xc9".encode("latin-1") in raw) is (encoding == "cp1252")  # é as one cp1252 byte
    result = ingest_file(engine, path)
    assert_loaded(result, 2)
    assert result.fmt["delimiter"] == delimiter
    # the BOM does not stick to the first header: NOMEN was found
    assert q(engine, "SELECT nomen, nama, nominal FROM mc ORDER BY nomen") == [
        ("60012345", "JOSÉ ÂNGELO", 1000), ("60012346", "CAFÉ SÉNTOSA", 2000)]


@pytest.mark.parametrize("delimiter", ["|", ";", ",", "\t"])
def test_quoted_fields_with_delimiters_and_newlines(tmp_path, engine, delimiter):
    rows = [
        ["NOMEN", "NAMA_PEL", "ALM1_PEL", "ZONA_NOVAK", "NOMINAL"],
        ["60012345", 'PT "SUNTER, JAYA"', "JL. A | B; C,\r\nRT 01\tRW 02", "341010203", "1,234,567"],
        ["60012346", "BIASA", "JL. B", "341010203", "2000"],
    ]
    path = write_text(tmp_path / "MC_2025-12.csv", rows, delimiter=delimiter)
    assert b'"' in path.read_bytes()
    result = ingest_file(engine, path)
    assert_loaded(result, 2)
    assert q(engine, "SELECT nomen, nama, alamat, nominal FROM mc ORDER BY nomen") == [
        ("60012345", 'PT "SUNTER, JAYA"', "JL. A | B; C, RT 01 RW 02", 1234567),
        ("60012346", "BIASA", "JL. B", 2000)]


# --- headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pay_header", ["Tgl. Bayar", "TGL_BAYAR", "tgl bayar", "PAY_DT", "pay-dt", "Tanggal Bayar"])
@pytest.mark.parametrize("fmt", ["xlsx", "txt-pipe"])
def test_pay_date_header_variants(tmp_path, engine, fmt, pay_header):
    rows = [["Nomen", pay_header, "Jumlah Bayar", "Bill Period"],
            ["60012345", "05-12-2025", "-150.000", "122025"],
            ["60012346", "06-12-2025", "-200.000", "112025"]]
    result = ingest_file(engine, write_table(tmp_path, "Collection-2025-12", fmt, rows))
    assert result.type == "COLLECTION"
    assert_loaded(result, 2)
    assert q(engine, "SELECT nomen, pay_date, amount, bill_period, jenis FROM payment ORDER BY nomen") == [
        ("60012345", "2025-12-05", 150000, "2025-12", "CURRENT"),
        ("60012346", "2025-12-06", 200000, "2025-11", "UNDUE")]


@pytest.mark.parametrize("names", [
    ["cmr_account", "cmr_prev_read", "cmr_reading", "Read_Method"],
    ["CMR_ACCOUNT", "CMR_PREV_READ", "CMR_READING", "READ_METHOD"],
    ["Cmr Account", "Cmr Prev Read", "Cmr-Reading", "read.method"],
])
def test_sbrs_headers_any_case(tmp_path, engine, names):
    rows = [names, ["60012345", "100", "112", "actual"], ["60012346", "50", "50", " estimate "]]
    result = ingest_file(engine, write_table(tmp_path, "SBRS_2025-12", "csv-semicolon", rows))
    assert result.type == "SBRS"
    assert_loaded(result, 2)
    assert q(engine, "SELECT nomen, stand_lalu, stand_kini, volume, read_method FROM sbrs ORDER BY nomen") == [
        ("60012345", 100, 112, 12, "ACTUAL"), ("60012346", 50, 50, 0, "ESTIMATE")]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv-comma"])
def test_columns_in_any_order_and_unknown_columns_ignored(tmp_path, engine, fmt):
    rows = [
        ["KETERANGAN", "NOMINAL", "Petugas Lapangan", "ZONA_NOVAK", "X", "NOMEN"],
        ["lunas?", 187500.0, "ANTO", "341010203", 1.0, 60012345.0],
        ["", 126000.0, "BUDI", "351020301", 2.0, 60012346.0],
    ]
    result = ingest_file(engine, write_table(tmp_path, "MC_2025-12", fmt, rows))
    assert result.type == "MC"
    assert_loaded(result, 2)
    assert q(engine, "SELECT nomen, zona_novak, rayon, nominal, nama FROM mc ORDER BY nomen") == [
        ("60012345", "341010203", "34", 187500, None), ("60012346", "351020301", "35", 126000, None)]
