"""DATA.md rules on real files: type detection, periode, rayon, payment type, loading.

Every case writes a real file, runs it through ``ingest_file`` and checks
the database with SQL.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from sunter_dash.ingest import delete_upload, ingest_file, store, stored_rows
from sunter_dash.models import DATA_TABLES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import q  # noqa: E402
from make_fixtures import write_table, write_xls  # noqa: E402


def table_counts(engine) -> dict[str, int]:
    return {kind: q(engine, f"SELECT count(*) FROM {table.name}")[0][0] for kind, table in DATA_TABLES.items()}


def upload_row(engine, upload_id: int) -> tuple:
    return q(engine, "SELECT file_type, periode, periode_rule, status, rows_read, rows_stored, rows_rejected, "
                     "rows_duplicate FROM upload WHERE id = :i", i=upload_id)[0]


def loaded(result):
    assert result.status == "loaded", result.as_json()
    return result


# --- type detection ----------------------------------------------------------------------

DETECTION_CASES = {
    "MC": ([["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "NOMINAL"], ["60012345", "BUDI", "341010203", "187500"]],
           "SELECT nomen, nama, rayon, nominal FROM mc", [("60012345", "BUDI", "34", 187500)]),
    "COLLECTION": ([["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"], ["60012345", "05-12-2025", "-187500", "122025"]],
                   "SELECT nomen, pay_date, amount, jenis FROM payment", [("60012345", "2025-12-05", 187500, "CURRENT")]),
    "SBRS": ([["cmr_account", "cmr_prev_read", "cmr_reading", "SB_Stand", "cmr_route"],
              ["60012345", "1200", "1225", "25", "3510203"]],
             "SELECT nomen, stand_lalu, stand_kini, volume, rayon FROM sbrs", [("60012345", 1200, 1225, 25, "35")]),
    "MAINBILL": ([["NOMEN", "TOTAL_TAGIHAN", "TGL_TAGIHAN", "PCEZBK", "JENIS_REK"],
                  ["60012345", "187500", "01-12-2025", "34.101.02.03", "normal"]],
                 "SELECT nomen, total, tgl_tagihan, pcezbk, rayon, jenis_rek FROM mainbill",
                 [("60012345", 187500, "2025-12-01", "341010203", "34", "NORMAL")]),
    "MB": ([["NOMEN", "BULAN_REK", "TGL_BAYAR", "NOMINAL", "NOTAGIHAN"],
            ["60012345", "112025", "05-12-2025", "-126000", "T1"]],
           "SELECT nomen, bill_period, pay_date, amount, notag, periode FROM mb_payment",
           [("60012345", "2025-11", "2025-12-05", 126000, "T1", "2025-12")]),
    "ARDEBT-per-bill": ([["NOMEN", "PERIODE_BILL", "JUMLAH", "VOLUME"], ["60012345", "102025", "126.000", "18"]],
                        "SELECT nomen, bill_period, amount, volume, bills, total FROM ardebt",
                        [("60012345", "2025-10", 126000, 18, None, None)]),
    "ARDEBT-per-customer": ([["NOMEN", "JUMLAH_REK", "SALDO_TUNGGAKAN"], ["60012345", "3", "Rp 378.000"]],
                            "SELECT nomen, bill_period, amount, bills, total FROM ardebt",
                            [("60012345", None, None, 3, 378000)]),
    "RUTE": ([["PCEZ", "PETUGAS"], ["34.101.02", "anto wijaya"]],
             "SELECT pcez, petugas, rayon FROM rute", [("10102", "ANTO WIJAYA", "34")]),
}


@pytest.mark.parametrize("case", list(DETECTION_CASES))
@pytest.mark.parametrize("fmt", ["xlsx", "csv-semicolon"])
def test_type_detected_from_header(tmp_path, engine, case, fmt):
    rows, sql, expected = DETECTION_CASES[case]
    # a name without any type word: the header alone decides
    result = loaded(ingest_file(engine, write_table(tmp_path, "export_2025-12", fmt, rows)))
    assert result.type == case.split("-")[0]
    assert q(engine, sql) == expected
    assert sum(table_counts(engine).values()) == 1


ALIAS_CASES = {
    "MC": ("MC_2025-12", ["NO_PELANGGAN", "NAMA_PELANGGAN", "ALAMAT", "ZONA", "GOL_TARIF", "NO_METER", "TGL_BACA",
                          "STAND_LALU", "STAND_KINI", "KUBIKASI", "REK_AIR", "NOTAG", "STATUS_PELANGGAN"],
           ["60012345", "BUDI", "JL. SUNTER", "341010203", "2a", "M1", "10-11-2025", "100", "125", "25", "187.500",
            "T1", "aktif"],
           "SELECT nomen, nama, alamat, zona_novak, tarif, nomet, tgl_catat, stan_awal, stan_akir, kubik, nominal, "
           "notagihan, cust_type FROM mc",
           [("60012345", "BUDI", "JL. SUNTER", "341010203", "2A", "M1", "2025-11-10", 100, 125, 25, 187500, "T1",
             "AKTIF")]),
    "MC-target": ("MC_2025-12", ["NOPEL", "KODE_RAYON", "TARGET", "PAKAI"], ["60012345", "R-35", "50.000", "7"],
                  "SELECT nomen, rayon, nominal, kubik FROM mc", [("60012345", "35", 50000, 7)]),
    "COLLECTION": ("export_2025-12", ["NO_PLGGN", "TANGGAL_BAYAR", "JUMLAH_BAYAR", "PERIODE_REK", "NO_TAGIHAN",
                                      "ID_TRANSAKSI", "BANK"],
                   ["60012345", "05-12-2025", "-187.500", "112025", "T1", "TRX-1", "BANK DKI"],
                   "SELECT nomen, pay_date, amount, bill_period, jenis, notag, no_transaksi, loket FROM payment",
                   [("60012345", "2025-12-05", 187500, "2025-11", "UNDUE", "T1", "TRX-1", "BANK DKI")]),
    "COLLECTION-jml": ("export_2025-12", ["ID_PELANGGAN", "TGL_BAYAR", "JML_BAYAR", "BULAN_REK", "TIPE_BAYAR", "NO_REF",
                                          "CHANNEL"],
                       ["60012345", "05-12-2025", "187500", "", "current", "R-9", "INDOMARET"],
                       "SELECT nomen, amount, bill_period, jenis, no_transaksi, loket FROM payment",
                       [("60012345", 187500, None, "CURRENT", "R-9", "INDOMARET")]),
    "MB": ("MB_2025-12", ["NOPEL", "BULAN_REK", "TGL_BAYAR", "NOMINAL", "NOTAGIHAN"],
           ["60012345", "1025", "05-12-2025", "-126.000", "T9"],
           "SELECT nomen, bill_period, pay_date, amount, notag FROM mb_payment",
           [("60012345", "2025-10", "2025-12-05", 126000, "T9")]),
    "SBRS": ("SBRS_2025-12", ["NOMEN", "STAND_AWAL", "STAND_AKHIR", "PEMAKAIAN", "METODE_BACA", "KODE_SKIP",
                              "KODE_TROUBLE", "PESAN_KHUSUS", "TGL_BACA", "RUTE", "NAMA", "NOMET", "TARIF", "PERIODE",
                              "TAGIHAN"],
             ["60012345", "100", "125", "24", "actual", "", "bypass", "rebill", "15-11-2025", "3410102", "BUDI",
              "M1", "2a", "122025", "-50.000"],
             "SELECT nomen, stand_lalu, stand_kini, pakai, volume, read_method, trouble_code, special_msg, "
             "read_date, route, rayon, bill_period, bill_amount, periode FROM sbrs",
             [("60012345", 100, 125, 24, 24, "ACTUAL", "BYPASS", "REBILL", "2025-11-15", "3410102", "34",
               "2025-12", -50000, "2025-12")]),
    "SBRS-stand": ("SBRS_2025-12", ["NO_PELANGGAN", "STAN_AWAL", "STAN_AKIR", "VOLUME", "READMETHOD"],
                   ["60012345", "100", "125", "", "ESTIMATE"],
                   "SELECT nomen, stand_lalu, stand_kini, pakai, volume, read_method FROM sbrs",
                   [("60012345", 100, 125, None, 25, "ESTIMATE")]),
    "MAINBILL": ("MAINBILL_2025-12", ["NOMEN", "NOMINAL", "BULAN_REK", "VOLUME", "KODETARIF", "ZONA_NOVAK",
                                      "STATUS_REK"],
                 ["60012345", "187.500", "122025", "25", "2a", "351020301", "rebill"],
                 "SELECT nomen, total, bill_period, pakai, tarif, pcezbk, rayon, jenis_rek, periode FROM mainbill",
                 [("60012345", 187500, "2025-12", 25, "2A", "351020301", "35", "REBILL", "2025-12")]),
    "ARDEBT": ("ARDEBT_2025-12", ["NOMEN", "LEMBAR", "TUNGGAKAN"], ["60012345", "2", "252.000"],
               "SELECT nomen, bills, total FROM ardebt", [("60012345", 2, 252000)]),
    "ARDEBT-total": ("ARDEBT_2025-12", ["NOMEN", "TOTAL_TUNGGAKAN"], ["60012345", "1.000.000"],
                     "SELECT nomen, bills, total FROM ardebt", [("60012345", None, 1000000)]),
}


@pytest.mark.parametrize("case", list(ALIAS_CASES))
def test_aliases_of_every_type(tmp_path, engine, case):
    stem, header, row, sql, expected = ALIAS_CASES[case]
    result = loaded(ingest_file(engine, write_table(tmp_path, stem, "txt-pipe", [header, row])))
    assert result.type == case.split("-")[0]
    assert result.errors == []
    assert q(engine, sql) == expected


TIE = [["NO_PELANGGAN", "ZONA", "STAND_LALU", "STAND_KINI", "REK_AIR"], ["60012345", "341010203", "100", "110", "50000"]]


@pytest.mark.parametrize(("stem", "expected"), [
    ("MC_2025-12", "MC"), ("SBRS 2025-12", "SBRS"), ("master customer MC 2025-12", "MC")])
def test_tie_broken_by_file_name(tmp_path, engine, stem, expected):
    # these aliases fit both MC (NOMEN, ZONA, REK_AIR) and SBRS (NOMEN, STAND_LALU, STAND_KINI)
    result = loaded(ingest_file(engine, write_table(tmp_path, stem, "csv-comma", TIE)))
    assert result.type == expected
    assert table_counts(engine)[expected] == 1


def test_tie_without_a_name_is_refused(tmp_path, engine):
    result = ingest_file(engine, write_table(tmp_path, "data_2025-12", "csv-comma", TIE))
    assert result.status == "refused"
    assert "MC" in result.message and "SBRS" in result.message and result.told("cli").endswith("Pilih dengan --type.")
    assert result.told("page").endswith("Pilih tipenya di kolom Tipe pada daftar.")
    assert sum(table_counts(engine).values()) == 0
    forced = loaded(ingest_file(engine, write_table(tmp_path, "data_2025-12", "csv-comma", TIE), file_type="sbrs"))
    assert forced.type == "SBRS" and table_counts(engine)["SBRS"] == 1


def test_aliases_of_another_type_do_not_win_by_exact_names(tmp_path, engine):
    """An SBRS written with aliases fits MAINBILL too (NOMEN, TAGIHAN, PERIODE): refuse, don't guess."""
    rows = [["NOMEN", "STAND_AWAL", "STAND_AKHIR", "PEMAKAIAN", "METODE_BACA", "RUTE", "PERIODE", "TAGIHAN"],
            ["60012345", "100", "110", "10", "ACTUAL", "3410102", "122025", "50000"]]
    result = ingest_file(engine, write_table(tmp_path, "baca_meter", "csv-comma", rows))
    assert result.status == "refused" and "SBRS" in result.message and "MAINBILL" in result.message
    assert loaded(ingest_file(engine, write_table(tmp_path, "SBRS baca meter", "csv-comma", rows))).type == "SBRS"
    assert table_counts(engine) == {**{k: 0 for k in DATA_TABLES}, "SBRS": 1}


def test_real_export_names_beat_aliases_without_a_type_word(tmp_path, engine):
    # MB's own names also fit COLLECTION's aliases (TGL_BAYAR, NOMINAL, BULAN_REK, NOTAGIHAN)
    rows = [["NOMEN", "BULAN_REK", "TGL_BAYAR", "NOMINAL", "NOTAGIHAN"], ["60012345", "112025", "05-12-2025", "1000", "T1"]]
    assert loaded(ingest_file(engine, write_table(tmp_path, "riwayat_2025-12", "csv-comma", rows))).type == "MB"
    # ... and the file name breaks the tie the other way
    assert loaded(ingest_file(engine, write_table(tmp_path, "COLL_2025-12", "csv-comma", rows))).type == "COLLECTION"


def test_unknown_columns_refused_listing_found_and_missing(tmp_path, engine):
    rows = [["Kode", "Keterangan", "Tgl. Lahir"], ["1", "x", "01-01-1990"]]
    result = ingest_file(engine, write_table(tmp_path, "lain_2025-12", "xlsx", rows))
    assert result.status == "refused" and result.type is None
    for found in ("Kode", "Keterangan", "Tgl. Lahir"):
        assert found in result.message
    assert "NOMEN" in result.message  # what the nearest types lack
    assert sum(table_counts(engine).values()) == 0


def test_missing_required_column_names_it(tmp_path, engine):
    rows = [["NOMEN", "NAMA_PEL", "ZONA_NOVAK"], ["60012345", "BUDI", "341010203"]]
    result = ingest_file(engine, write_table(tmp_path, "MC_2025-12", "csv-comma", rows), file_type="MC")
    assert result.status == "refused"
    assert "NOMINAL" in result.message and "ZONA_NOVAK" in result.message


# --- periode -------------------------------------------------------------------------------

MAINBILL_ROWS = [["NOMEN", "TOTAL_TAGIHAN"], ["60012345", "187500"], ["60012346", "126000"]]


@pytest.mark.parametrize(("stem", "expected"), [
    ("MAINBILL_202512", "2025-12"), ("MAINBILL 2025-12", "2025-12"), ("MAINBILL_2025_12", "2025-12"),
    ("MAINBILL_12-2025", "2025-12"), ("MAINBILL_122025", "2025-12"), ("MAINBILL DES 2025", "2025-12"),
    ("MAINBILL_DESEMBER_2025", "2025-12"), ("Mainbill_Des25", "2025-12"), ("Mainbill Dec-2025", "2025-12"),
    ("mainbill_mei_2025", "2025-05"), ("MAINBILL-Agu25", "2025-08"), ("MAINBILL Okt 2025", "2025-10"),
    ("MAINBILL_Ags-2025", "2025-08"), ("MAINBILL_01-2026", "2026-01"), ("Mainbill January 2026", "2026-01"),
])
def test_periode_from_file_name(tmp_path, engine, stem, expected):
    result = loaded(ingest_file(engine, write_table(tmp_path, stem, "csv-semicolon", MAINBILL_ROWS)))
    assert (result.periode, result.periode_rule) == (expected, "filename")
    assert q(engine, "SELECT DISTINCT periode FROM mainbill") == [(expected,)]
    assert upload_row(engine, result.upload_id)[1:3] == (expected, "filename")


def test_explicit_periode_wins(tmp_path, engine):
    rows = [["NOMEN", "TOTAL_TAGIHAN", "PERIODE"], ["60012345", "187500", "122025"]]
    result = loaded(ingest_file(engine, write_table(tmp_path, "MAINBILL_2025-10", "csv-comma", rows),
                                periode="2025-11"))
    assert (result.periode, result.periode_rule) == ("2025-11", "explicit")
    assert q(engine, "SELECT periode, bill_period FROM mainbill") == [("2025-11", "2025-12")]


def test_malformed_explicit_periode_refused(tmp_path, engine):
    result = ingest_file(engine, write_table(tmp_path, "MAINBILL_2025-12", "csv-comma", MAINBILL_ROWS),
                         periode="12-2025")
    assert result.status == "refused" and "YYYY-MM" in result.message
    assert table_counts(engine)["MAINBILL"] == 0


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv-comma"])
def test_periode_from_sbrs_bill_period_column(tmp_path, engine, fmt):
    rows = [["cmr_account", "cmr_prev_read", "cmr_reading", "Bill_Period"],
            ["60012345", 100, 110, 122025], ["60012346", 200, 230, 122025]]
    # the column (rule 2) comes before the file name (rule 3)
    result = loaded(ingest_file(engine, write_table(tmp_path, "SBRS_2025-11", fmt, rows)))
    assert (result.periode, result.periode_rule) == ("2025-12", "column")
    assert q(engine, "SELECT nomen, periode, volume FROM sbrs ORDER BY nomen") == [
        ("60012345", "2025-12", 10), ("60012346", "2025-12", 30)]


def test_periode_column_with_two_values_falls_back_to_file_name(tmp_path, engine):
    rows = [["cmr_account", "cmr_prev_read", "cmr_reading", "Bill_Period"],
            ["60012345", "100", "110", "122025"], ["60012346", "200", "230", "112025"]]
    result = loaded(ingest_file(engine, write_table(tmp_path, "SBRS_2025-12", "csv-comma", rows)))
    assert (result.periode, result.periode_rule) == ("2025-12", "filename")


MC_ROWS = [["NOMEN", "ZONA_NOVAK", "NOMINAL", "TGL_CATAT"],
           [60012345.0, 341010203.0, 187500.0, dt.date(2025, 11, 10)],
           [60012346.0, 341010204.0, 126000.0, dt.date(2025, 11, 11)],
           [60012347.0, 351010204.0, 54000.0, dt.date(2025, 10, 31)]]


@pytest.mark.parametrize(("name", "expected"), [
    ("MC1125_AB_Sunter", "2025-12"), ("MC1225_AB_Sunter", "2026-01"), ("MC_0525 sunter", "2025-06")])
def test_periode_from_mc_file_name_is_reading_month_plus_one(tmp_path, engine, name, expected):
    result = loaded(ingest_file(engine, write_xls(tmp_path / f"{name}.xls", MC_ROWS)))
    assert (result.type, result.periode, result.periode_rule) == ("MC", expected, "mc_filename")
    assert q(engine, "SELECT DISTINCT periode FROM mc") == [(expected,)]


@pytest.mark.parametrize(("dates", "expected"), [
    ((dt.date(2025, 11, 10), dt.date(2025, 11, 11), dt.date(2025, 10, 31)), "2025-12"),
    ((dt.date(2025, 12, 1), dt.date(2025, 12, 2), dt.date(2025, 12, 3)), "2026-01"),
])
def test_periode_from_mc_reading_dates(tmp_path, engine, dates, expected):
    rows = [MC_ROWS[0]] + [[*r[:3], d] for r, d in zip(MC_ROWS[1:], dates)]
    result = loaded(ingest_file(engine, write_xls(tmp_path / "master_pelanggan_sunter.xls", rows)))
    assert (result.type, result.periode, result.periode_rule) == ("MC", expected, "mc_reading_date")
    assert q(engine, "SELECT count(*), min(periode), max(periode) FROM mc") == [(3, expected, expected)]


@pytest.mark.parametrize("kind", ["COLLECTION", "MB"])
def test_payments_take_their_own_payment_month(tmp_path, engine, kind):
    if kind == "COLLECTION":
        header = ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"]
        table = "payment"
    else:
        header = ["NOMEN", "TGL_BAYAR", "NOMINAL", "BULAN_REK"]
        table = "mb_payment"
    rows = [header, ["60012345", "05-12-2025", "-1000", "112025"], ["60012346", "20-12-2025", "-2000", "122025"],
            ["60012347", "02-01-2026", "-4000", "122025"]]
    result = loaded(ingest_file(engine, write_table(tmp_path, "pembayaran", "txt-pipe", rows), file_type=kind))
    assert (result.periode, result.periode_rule) == ("2025-12", "payment_date")
    assert q(engine, f"SELECT periode, count(*), sum(amount) FROM {table} GROUP BY periode ORDER BY periode") == [
        ("2025-12", 2, 3000), ("2026-01", 1, 4000)]


@pytest.mark.parametrize(("stem", "rows"), [
    ("tagihan", MAINBILL_ROWS),
    ("pelanggan", [["NOMEN", "ZONA_NOVAK", "NOMINAL"], ["60012345", "341010203", "1000"]]),
    ("tunggakan", [["NOMEN", "SALDO_TUNGGAKAN"], ["60012345", "1000"]]),
])
def test_no_periode_at_all_is_refused_asking_for_one(tmp_path, engine, stem, rows):
    result = ingest_file(engine, write_table(tmp_path, stem, "csv-comma", rows))
    assert result.status == "refused" and result.periode is None
    assert "periode" in result.message.lower() and "YYYY-MM" in result.message
    assert sum(table_counts(engine).values()) == 0
    assert upload_row(engine, result.upload_id)[3] == "refused"


# --- rayon -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv-comma"])
def test_rayon_from_zone_and_rayon_column(tmp_path, engine, fmt):
    rows = [
        ["NOMEN", "ZONA_NOVAK", "RAYON", "NOMINAL"],
        ["60000001", 341010203, None, 1000],
        ["60000002", "34.101.02.03", None, 1000],
        ["60000003", "351020301", None, 1000],
        ["60000004", None, "034", 1000],  # ZONA_NOVAK is required unless RAYON is given
        ["60000005", None, "Rayon 34", 1000],
        ["60000006", None, "R-35", 1000],
        ["60000007", "331000101", None, 1000],  # another rayon: kept, not dropped
        ["60000008", None, 33, 1000],
    ]
    result = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", fmt, rows)))
    assert (result.read, result.stored, result.rejected) == (8, 8, 0)
    assert q(engine, "SELECT nomen, zona_novak, rayon FROM mc ORDER BY nomen") == [
        ("60000001", "341010203", "34"), ("60000002", "341010203", "34"), ("60000003", "351020301", "35"),
        ("60000004", None, "34"), ("60000005", None, "34"), ("60000006", None, "35"),
        ("60000007", "331000101", "33"), ("60000008", None, "33")]


def test_row_without_zone_or_rayon_is_a_row_error(tmp_path, engine):
    rows = [["NOMEN", "ZONA_NOVAK", "RAYON", "NOMINAL"], ["60000001", "341010203", "", "1000"],
            ["60000002", "", "", "1000"], ["60000003", "", "35", "1000"]]
    result = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", "csv-comma", rows)))
    assert [(e.row, e.column) for e in result.errors] == [(3, "ZONA_NOVAK")]
    assert q(engine, "SELECT nomen, rayon FROM mc ORDER BY nomen") == [("60000001", "34"), ("60000003", "35")]


def test_rayon_of_sbrs_from_route_and_of_mc_from_rayon_column_only(tmp_path, engine):
    sbrs = [["cmr_account", "cmr_prev_read", "cmr_reading", "cmr_route"],
            ["60000001", "1", "2", "3410102"], ["60000002", "1", "2", "35-102-03"], ["60000003", "1", "2", "3310101"]]
    loaded(ingest_file(engine, write_table(tmp_path, "SBRS_2025-12", "txt-tab", sbrs)))
    assert q(engine, "SELECT nomen, rayon FROM sbrs ORDER BY nomen") == [
        ("60000001", "34"), ("60000002", "35"), ("60000003", "33")]
    mc = [["NOMEN", "RAYON", "NOMINAL"], ["60000001", "R-34", "1"], ["60000002", "035", "1"]]
    loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", "txt-tab", mc)))
    assert q(engine, "SELECT nomen, rayon, zona_novak FROM mc ORDER BY nomen") == [
        ("60000001", "34", None), ("60000002", "35", None)]


# --- COLLECTION: amounts and payment type --------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "xls", "txt-pipe"])
def test_collection_negative_amounts_stored_positive(tmp_path, engine, fmt):
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"],
            [60012345.0, dt.date(2025, 12, 5), -187500.0, 122025.0],
            ["60012346", "06-12-2025", "-1.234.567", "122025"],
            ["60012347", "07-12-2025", "Rp 50.000", "122025"],
            ["60012348", "08-12-2025", "-1,000,000", "122025"]]
    loaded(ingest_file(engine, write_table(tmp_path, "Collection-2025-12", fmt, rows)))
    assert q(engine, "SELECT nomen, amount FROM payment ORDER BY nomen") == [
        ("60012345", 187500), ("60012346", 1234567), ("60012347", 50000), ("60012348", 1000000)]
    assert q(engine, "SELECT sum(amount), min(amount) FROM payment") == [(2472067, 50000)]


def test_current_or_undue_from_bill_period_and_payment_month(tmp_path, engine):
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "JENIS"],
            ["60000001", "05-12-2025", "-100", "122025", ""],  # bill of the month paid: CURRENT
            ["60000002", "05-12-2025", "-200", "112025", ""],  # an older bill: UNDUE (arrears)
            ["60000003", "31-12-2025", "-300", "2025-06", ""],
            ["60000004", "02-01-2026", "-400", "122025", ""],  # December's bill paid in January: UNDUE
            ["60000005", "02-01-2026", "-500", "012026", ""],
            ["60000006", "10-12-2025", "-600", "122025", "UNDUE"],  # the bill periode decides, not JENIS
            ["60000007", "10-12-2025", "-700", "", "undue"]]  # no bill periode: JENIS decides
    loaded(ingest_file(engine, write_table(tmp_path, "Collection-2025-12", "txt-pipe", rows)))
    assert q(engine, "SELECT nomen, periode, jenis FROM payment ORDER BY nomen") == [
        ("60000001", "2025-12", "CURRENT"), ("60000002", "2025-12", "UNDUE"), ("60000003", "2025-12", "UNDUE"),
        ("60000004", "2026-01", "UNDUE"), ("60000005", "2026-01", "CURRENT"), ("60000006", "2025-12", "CURRENT"),
        ("60000007", "2025-12", "UNDUE")]
    assert q(engine, "SELECT jenis, sum(amount) FROM payment WHERE periode = '2025-12' GROUP BY jenis "
                     "ORDER BY jenis") == [("CURRENT", 700), ("UNDUE", 1200)]


def test_jenis_column_used_without_bill_period(tmp_path, engine):
    rows = [["NOMEN", "TGL_BAYAR", "JUMLAH_BAYAR", "JENIS"],
            ["60000001", "05-12-2025", "-100", "CURRENT"], ["60000002", "05-12-2025", "-200", " undue "],
            ["60000003", "05-12-2025", "-300", "Current"], ["60000004", "05-12-2025", "-400", "LAINNYA"],
            ["60000005", "05-12-2025", "-500", "UNDUE"]]
    result = loaded(ingest_file(engine, write_table(tmp_path, "Collection-2025-12", "csv-semicolon", rows)))
    assert [(e.row, e.column, e.value) for e in result.errors] == [(5, "JENIS", "LAINNYA")]
    assert q(engine, "SELECT nomen, jenis FROM payment ORDER BY nomen") == [
        ("60000001", "CURRENT"), ("60000002", "UNDUE"), ("60000003", "CURRENT"), ("60000005", "UNDUE")]


def test_collection_without_bill_period_or_jenis_refused(tmp_path, engine):
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT"], ["60000001", "05-12-2025", "-100"]]
    result = ingest_file(engine, write_table(tmp_path, "Collection-2025-12", "txt-pipe", rows))
    assert result.status == "refused"
    assert "BILL_PERIOD" in result.message and "JENIS" in result.message
    assert table_counts(engine)["COLLECTION"] == 0
    assert upload_row(engine, result.upload_id)[3] == "refused"


# --- loading rules: payments merged --------------------------------------------------------

def payments(first_day: int, last_day: int) -> list[list]:
    """The Dec 2025 payments of days first..last: two a day (one CURRENT, one UNDUE)."""
    rows = []
    for day in range(first_day, last_day + 1):
        rows.append([f"600{day:05d}", f"{day:02d}-12-2025 09:00:00", f"-{day * 1000}", "122025", f"T{day}"])
        rows.append([f"610{day:05d}", f"{day:02d}-12-2025 15:30:00", f"-{day * 100 + 7}", "112025", ""])
    return rows


HEADER = ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "NOTAG"]


def expected_sum(last_day: int) -> int:
    return sum(d * 1000 + d * 100 + 7 for d in range(1, last_day + 1))


@pytest.mark.parametrize("fmt", ["txt-pipe", "xlsx"])
def test_overlapping_collection_extracts_store_each_payment_once(tmp_path, engine, fmt):
    results = []
    for last in (10, 20, 31):
        path = write_table(tmp_path, f"Collection-2025-12-01_sd_2025-12-{last}", fmt, [HEADER, *payments(1, last)])
        results.append(ingest_file(engine, path))
    assert [(r.status, r.periode, r.periode_rule) for r in results] == [("loaded", "2025-12", "filename")] * 3
    assert [(r.read, r.stored, r.duplicate) for r in results] == [(20, 20, 0), (40, 20, 20), (62, 22, 40)]
    assert q(engine, "SELECT count(*), count(DISTINCT pay_key), sum(amount) FROM payment") == [
        (62, 62, expected_sum(31))]
    assert q(engine, "SELECT upload_id, count(*) FROM payment GROUP BY upload_id ORDER BY upload_id") == [
        (results[0].upload_id, 20), (results[1].upload_id, 20), (results[2].upload_id, 22)]
    assert [upload_row(engine, r.upload_id)[4:] for r in results] == [(20, 20, 0, 0), (40, 20, 0, 20),
                                                                       (62, 22, 0, 40)]


def test_same_collection_file_twice_stores_nothing_new(tmp_path, engine):
    path = write_table(tmp_path, "Collection-2025-12-01_sd_2025-12-10", "txt-pipe", [HEADER, *payments(1, 10)])
    first = loaded(ingest_file(engine, path))
    before = q(engine, "SELECT * FROM payment ORDER BY periode, nomen, pay_key")
    second = ingest_file(engine, path)
    assert not second.refused
    assert (second.read, second.stored, second.duplicate) == (20, 0, 20)
    assert q(engine, "SELECT * FROM payment ORDER BY periode, nomen, pay_key") == before
    assert (first.stored, len(before)) == (20, 20)
    assert upload_row(engine, second.upload_id)[5:] == (0, 0, 20)


def test_payment_repeated_inside_one_file_is_stored_once(tmp_path, engine):
    rows = [HEADER, ["60000001", "05-12-2025", "-100", "122025", "T1"], ["60000001", "05-12-2025", "-100", "122025", "T1"],
            ["60000001", "05-12-2025", "-100", "112025", "T0"]]
    result = loaded(ingest_file(engine, write_table(tmp_path, "Collection-2025-12", "txt-pipe", rows)))
    assert (result.stored, result.duplicate) == (2, 1)
    assert q(engine, "SELECT notag, amount FROM payment ORDER BY notag") == [("T0", 100), ("T1", 100)]


def test_no_transaksi_is_the_key_when_present(tmp_path, engine):
    header = ["NO_TRANSAKSI", "NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "LOKET"]
    first = [header,
             # the same customer, bill, day and amount twice: two payments told apart by their reference
             ["TRX-1", "60000001", "05-12-2025", "-100", "122025", "BANK DKI"],
             ["TRX-2", "60000001", "05-12-2025", "-100", "122025", "BANK DKI"],
             ["TRX-3", "60000002", "31-12-2025 23:59:00", "-300", "122025", "POS"]]
    loaded(ingest_file(engine, write_table(tmp_path, "Collection-2025-12-a", "txt-pipe", first)))
    assert q(engine, "SELECT no_transaksi, amount FROM payment ORDER BY no_transaksi") == [
        ("TRX-1", 100), ("TRX-2", 100), ("TRX-3", 300)]
    # a later extract: TRX-1 re-exported through another channel, TRX-3 posted on 1 January
    later = [header,
             ["TRX-1", "60000001", "05-12-2025", "-100", "122025", "LOKET 2"],
             ["TRX-3", "60000002", "01-01-2026", "-300", "122025", "POS"],
             ["TRX-4", "60000001", "05-12-2025", "-100", "122025", "BANK DKI"]]
    result = ingest_file(engine, write_table(tmp_path, "Collection-2025-12-b", "txt-pipe", later))
    assert (result.status, result.stored, result.duplicate) == ("loaded", 1, 2)
    assert q(engine, "SELECT no_transaksi, pay_date, amount, loket FROM payment ORDER BY no_transaksi") == [
        ("TRX-1", "2025-12-05", 100, "BANK DKI"), ("TRX-2", "2025-12-05", 100, "BANK DKI"),
        ("TRX-3", "2025-12-31", 300, "POS"), ("TRX-4", "2025-12-05", 100, "BANK DKI")]


@pytest.mark.parametrize("bulk_rows", [1, 10**9], ids=["bulk", "executemany"])
def test_a_payment_stored_meanwhile_under_another_pay_month_refuses_the_file_whole(tmp_path, engine, monkeypatch,
                                                                                    bulk_rows):
    """Another upload stored TRX-3 between this one's look-up of stored keys and its insert (the
    look-up is made to miss it here): the unique NO_TRANSAKSI key refuses the insert, on
    PostgreSQL's COPY straight into the table as on every other path, and the file is refused
    whole with the load's message, nothing of it stored."""
    header = ["NO_TRANSAKSI", "NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "LOKET"]
    loaded(ingest_file(engine, write_table(tmp_path, "Collection-2025-12-a", "txt-pipe", [
        header, ["TRX-3", "60000002", "31-12-2025 23:59:00", "-300", "122025", "POS"]])))
    monkeypatch.setattr(store, "BULK_ROWS", bulk_rows)
    monkeypatch.setattr(store, "_stored_keys", lambda *args: np.array([], dtype=np.int64))
    result = ingest_file(engine, write_table(tmp_path, "Collection-2026-01-b", "txt-pipe", [
        header, ["TRX-3", "60000002", "01-01-2026", "-300", "122025", "POS"],
        ["TRX-5", "60000001", "02-01-2026", "-100", "012026", "POS"]]))
    assert result.status == "refused" and "NO_TRANSAKSI sama" in result.message
    assert q(engine, "SELECT no_transaksi, pay_date FROM payment ORDER BY no_transaksi") == [("TRX-3", "2025-12-31")]
    assert q(engine, "SELECT COUNT(*) FROM pay_customer WHERE periode = '2026-01'") == [(0,)]


def test_mb_merged_like_payments(tmp_path, engine):
    header = ["NOMEN", "BULAN_REK", "TGL_BAYAR", "NOMINAL", "NOTAGIHAN"]
    rows = [header, ["60000001", "102025", "05-11-2025", "100", "A"], ["60000001", "112025", "05-12-2025", "110", "B"]]
    more = rows + [["60000001", "122025", "05-01-2026", "120", "C"]]
    loaded(ingest_file(engine, write_table(tmp_path, "MB_riwayat_a", "csv-comma", rows)))
    result = loaded(ingest_file(engine, write_table(tmp_path, "MB_riwayat_b", "csv-comma", more)))
    assert (result.stored, result.duplicate) == (1, 2)
    assert q(engine, "SELECT bill_period, periode, amount FROM mb_payment ORDER BY bill_period") == [
        ("2025-10", "2025-11", 100), ("2025-11", "2025-12", 110), ("2025-12", "2026-01", 120)]


# --- loading rules: snapshots replaced -----------------------------------------------------

def mc_rows(*customers: tuple[str, int]) -> list[list]:
    return [["NOMEN", "ZONA_NOVAK", "NOMINAL"], *[[n, "341010203", v] for n, v in customers]]


def test_second_mc_of_a_periode_replaces_the_first(tmp_path, engine):
    november = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-11", "xlsx", mc_rows(("60000009", 9)))))
    first = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", "xlsx",
                                                   mc_rows(("60000001", 100), ("60000002", 200), ("60000003", 300)))))
    second = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12 revisi", "xls",
                                                    mc_rows(("60000002", 250), ("60000004", 400)))))
    assert second.replaced == [first.upload_id]
    assert q(engine, "SELECT periode, nomen, nominal, upload_id FROM mc ORDER BY periode, nomen") == [
        ("2025-11", "60000009", 9, november.upload_id),
        ("2025-12", "60000002", 250, second.upload_id), ("2025-12", "60000004", 400, second.upload_id)]
    assert [upload_row(engine, u.upload_id)[3] for u in (november, first, second)] == ["loaded", "replaced", "loaded"]
    assert stored_rows(engine, first.upload_id) == 0


def test_refused_replacement_leaves_the_stored_snapshot(tmp_path, engine):
    first = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", "csv-comma",
                                                   mc_rows(("60000001", 100), ("60000002", 200)))))
    broken = ingest_file(engine, write_table(tmp_path, "MC_2025-12 baru", "csv-comma",
                                             mc_rows(("60000001", 100), ("X", 1), ("Y", 2))))
    assert broken.status == "refused"
    assert q(engine, "SELECT nomen, nominal, upload_id FROM mc ORDER BY nomen") == [
        ("60000001", 100, first.upload_id), ("60000002", 200, first.upload_id)]
    assert upload_row(engine, first.upload_id)[3] == "loaded"


def test_same_mc_file_twice_is_a_duplicate_and_changes_nothing(tmp_path, engine):
    path = write_xls(tmp_path / "MC1125_AB_Sunter.xls", MC_ROWS)
    first = loaded(ingest_file(engine, path))
    before = q(engine, "SELECT * FROM mc ORDER BY id")
    second = ingest_file(engine, path)
    assert second.status == "duplicate"
    assert (second.stored, second.duplicate, second.replaced) == (0, 3, [])
    assert str(first.upload_id) in second.message
    assert q(engine, "SELECT * FROM mc ORDER BY id") == before
    assert [upload_row(engine, u.upload_id)[3] for u in (first, second)] == ["loaded", "duplicate"]


@pytest.mark.parametrize(("kind", "stem", "rows"), [
    ("SBRS", "SBRS_2025-12", [["cmr_account", "cmr_prev_read", "cmr_reading"], ["60000001", "1", "5"]]),
    ("MAINBILL", "MAINBILL_2025-12", MAINBILL_ROWS),
    ("ARDEBT", "ARDEBT_2025-12", [["NOMEN", "SALDO_TUNGGAKAN"], ["60000001", "1000"], ["60000002", "2000"]]),
    ("RUTE", "RUTE_2025-12", [["PCEZ", "PETUGAS"], ["3410102", "ANTO"]]),
])
def test_every_snapshot_type_replaced_per_periode(tmp_path, engine, kind, stem, rows):
    table = DATA_TABLES[kind].name
    first = loaded(ingest_file(engine, write_table(tmp_path, stem, "csv-comma", rows)))
    second = loaded(ingest_file(engine, write_table(tmp_path, stem + " ulang", "csv-semicolon", rows[:2])))
    assert second.replaced == [first.upload_id]
    assert q(engine, f"SELECT count(*), min(upload_id) FROM {table}") == [(1, second.upload_id)]


# --- deleting an upload ----------------------------------------------------------------------

def test_delete_upload_removes_exactly_its_rows(tmp_path, engine):
    nov = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-11", "csv-comma", mc_rows(("60000001", 90)))))
    dec = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", "csv-comma",
                                                 mc_rows(("60000001", 100), ("60000002", 200)))))
    extracts = [loaded(ingest_file(engine, write_table(tmp_path, f"Collection-2025-12-01_sd_2025-12-{last}",
                                                       "txt-pipe", [HEADER, *payments(1, last)])))
                for last in (10, 20)]
    assert table_counts(engine)["COLLECTION"] == 40

    assert delete_upload(engine, dec.upload_id, username="admin").removed == 2
    assert q(engine, "SELECT periode, nomen FROM mc") == [("2025-11", "60000001")]
    assert q(engine, "SELECT status, deleted_by FROM upload WHERE id = :i", i=dec.upload_id) == [("deleted", "admin")]

    # the second extract stored only days 11-20; deleting it leaves days 1-10 whole
    assert delete_upload(engine, extracts[1].upload_id).removed == 20
    assert q(engine, "SELECT count(*), sum(amount), max(pay_date) FROM payment") == [
        (20, expected_sum(10), "2025-12-10")]
    assert table_counts(engine) == {**{k: 0 for k in DATA_TABLES}, "MC": 1, "COLLECTION": 20}
    assert upload_row(engine, nov.upload_id)[3] == "loaded"
    # ... and loading the extract again restores exactly those rows
    again = loaded(ingest_file(engine, tmp_path / "Collection-2025-12-01_sd_2025-12-20.txt"))
    assert (again.stored, again.duplicate) == (20, 20)
    assert q(engine, "SELECT count(*), sum(amount) FROM payment") == [(40, expected_sum(20))]


def test_delete_unknown_or_deleted_upload_refused(tmp_path, engine):
    from sunter_dash.domain.errors import SunterError as IngestError  # not found / deleted already

    result = loaded(ingest_file(engine, write_table(tmp_path, "MC_2025-12", "csv-comma", mc_rows(("60000001", 1)))))
    with pytest.raises(IngestError):
        delete_upload(engine, 999)
    delete_upload(engine, result.upload_id)
    with pytest.raises(IngestError):
        delete_upload(engine, result.upload_id)


# --- the upload record -------------------------------------------------------------------------

def test_every_upload_is_recorded_with_its_facts(tmp_path, engine):
    rows = [["NOMEN", "ZONA_NOVAK", "NOMINAL"], ["60000001", "341010203", "1"], ["6000000X", "341010203", "2"],
            ["60000003", "341010203", "3"]]
    path = write_table(tmp_path, "MC_2025-12", "xlsx", rows)
    result = loaded(ingest_file(engine, path, filename="MC Desember 2025.xlsx", username="admin"))
    [record] = q(engine, "SELECT filename, size, sha256, file_type, periode, periode_rule, username, created_at, "
                         "finished_at, rows_read, rows_stored, rows_rejected, rows_duplicate, status FROM upload")
    assert record[:7] == ("MC Desember 2025.xlsx", path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest(),
                          "MC", "2025-12", "filename", "admin")
    assert record[7] and record[8] and record[7] <= record[8]
    assert record[9:] == (3, 2, 1, 0, "loaded")
    assert q(engine, 'SELECT upload_id, "row", "column", value FROM upload_error') == [
        (result.upload_id, 3, "NOMEN", "6000000X")]
