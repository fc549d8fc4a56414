"""The branch's real export variants (DATA.md), each written as the billing system or a clerk
writes it: .dbf by a dBase library (with its code page), .xlsx by openpyxl with number cells,
text in its own encoding. Each test asserts the rows stored, the figures that follow, the
warnings and the rule that decided the periode.

Also: the snapshot shrink guard and the restore of a replaced snapshot, MC's one row per
customer, RUTE dated and undated, read-method codes as a setting, column mapping and profiles,
and METRICS.md's rayon fallback for every figure filtered by rayon.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path

import dbf
import openpyxl
import pytest
from sqlalchemy import select

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.domain.checks import Thresholds
from sunter_dash.domain.errors import SunterError
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.models import AuditLog
from sunter_dash.queries.analyses import rute_officer
from sunter_dash.services import Actor, profiles, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic, q  # noqa: E402

P = "2025-12"
ADMIN = Actor("admin", "admin", "127.0.0.1")


def write_text(folder: Path, name: str, lines: list[str], encoding: str = "utf-8", sep: str = "|") -> Path:
    path = folder / name
    path.write_bytes(("\r\n".join(sep.join(map(str, line)) for line in lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(folder: Path, name: str, rows: list[list], titles: list[str] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for title in titles:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    path = folder / name
    book.save(path)
    return path


def write_dbf(folder: Path, name: str, fields: str, rows: list[tuple], codepage: str = "cp1252") -> Path:
    path = folder / name
    table = dbf.Table(str(path), fields, codepage=codepage)
    table.open(dbf.READ_WRITE)
    for row in rows:
        table.append(row)
    table.close()
    return path


def mc_lines(count: int, start: int = 1, nominal: int = 100_000) -> list[list]:
    """An MC of ``count`` customers, half in rayon 34 and half in 35."""
    return [["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "NOMINAL"]] + [
        [f"6{i:07d}", f"PELANGGAN {i}", f"{34 + i % 2}1511001", nominal] for i in range(start, start + count)]


def loaded(result):
    assert result.status == "loaded", (result.message, result.errors[:3])
    return result


# --- every variant loads ---------------------------------------------------------------------------

def test_sbrs_with_8_digit_read_dates_loads_and_a_bad_one_is_only_a_warning(tmp_path, engine):
    path = write_text(tmp_path, "sbrs_rayon34.txt", [
        ["cmr_account", "cmr_prev_read", "cmr_reading", "Read_Method", "cmr_rd_date", "cmr_route"],
        ["60000001", 100, 120, "ACTUAL", "22072025", "3415110"],
        ["60000002", 50, 55, "ACTUAL", "02072025", "3515110"],
        ["60000003", 10, 10, "ACTUAL", "99999999", "3415110"],
    ])
    result = loaded(ingest_file(engine, path, periode="2025-07"))
    assert (result.periode, result.periode_rule, result.stored, result.rejected) == ("2025-07", "explicit", 3, 0)
    assert [(w.row, w.column, w.value) for w in result.warnings] == [(4, "cmr_rd_date", "99999999")]
    assert "dibiarkan kosong, baris tetap dimuat" in result.warnings[0].reason
    assert q(engine, "SELECT nomen, read_date, volume, rayon FROM sbrs ORDER BY nomen") == [
        ("60000001", "2025-07-22", 20, "34"), ("60000002", "2025-07-02", 5, "35"), ("60000003", None, 0, "34")]
    assert q(engine, "SELECT rows_warned, status FROM upload") == [(1, "loaded")]


def test_sbrs_read_dates_as_number_cells_in_excel_lose_no_day(tmp_path, engine):
    """Excel keeps 22072025 as a number, and 02072025 as 2072025 (the leading zero gone)."""
    path = write_xlsx(tmp_path, "SBRS_072025.xlsx", [
        ["cmr_account", "cmr_prev_read", "cmr_reading", "cmr_rd_date"],
        [60000001, 100, 120, 22072025], [60000002, 50, 55, 2072025]])
    result = loaded(ingest_file(engine, path))
    assert (result.periode, result.periode_rule) == ("2025-07", "filename")
    assert q(engine, "SELECT nomen, read_date FROM sbrs ORDER BY nomen") == [
        ("60000001", "2025-07-22"), ("60000002", "2025-07-02")]


def test_spot_bill_sbrs_with_curr_read_1(tmp_path, engine):
    path = write_text(tmp_path, "spotbill_1225.csv", [
        ["NOMEN", "PREV_READ_1", "CURR_READ_1", "READMETHOD", "BILL_PERIODE_X"],
        ["60000001", "1.200", "1.234", "actual", "a"], ["60000002", "7", "7", " se ", "b"]], sep=",")
    result = loaded(ingest_file(engine, path, file_type="SBRS", periode=P))
    assert q(engine, "SELECT nomen, stand_lalu, stand_kini, volume, read_method FROM sbrs ORDER BY nomen") == [
        ("60000001", 1200, 1234, 34, "ACTUAL"), ("60000002", 7, 7, 0, "SE")]
    assert result.details["read_methods"] == [{"code": "ACTUAL", "rows": 1, "actual": True},
                                              {"code": "SE", "rows": 1, "actual": False}]


def test_daily_payments_with_pay_amt_and_bill_id(tmp_path, engine):
    path = write_text(tmp_path, "Collection-2025-12-01_sd_2025-12-02.txt", [
        ["NOMEN", "PAY_DT", "PAY_AMT", "BILL_ID", "BILL_PERIOD"],
        ["60000001", "01-Des-25", "-150.000", "T001", "122025"],
        ["60000002", "02-12-2025", "-75.500", "T002", "112025"]])
    result = loaded(ingest_file(engine, path))
    assert (result.row_periodes, result.stored) == ([P], 2)
    assert q(engine, "SELECT nomen, pay_date, amount, notag, jenis FROM payment ORDER BY nomen") == [
        ("60000001", "2025-12-01", 150000, "T001", "CURRENT"), ("60000002", "2025-12-02", 75500, "T002", "UNDUE")]


def test_mainbill_with_tagihan_air_and_konsumsi_in_windows_1252(tmp_path, engine):
    path = write_text(tmp_path, "MAINBILL DES 2025.csv", [
        ["NOMEN", "NAMA", "TAGIHAN_AIR", "KONSUMSI", "PCEZBK", "JENIS_REK"],
        ["60000001", "JOSÉ", "187.500,00", "25", "341511001", "NORMAL"],
        ["60000002", "ÅSA", "12.000,50", "3", "351511001", "KOREKSI"]], encoding="cp1252", sep=";")
    result = loaded(ingest_file(engine, path))
    assert (result.periode, result.periode_rule) == (P, "filename")
    assert q(engine, "SELECT nomen, total, pakai, rayon, jenis_rek FROM mainbill ORDER BY nomen") == [
        ("60000001", 187500, 25, "34", "NORMAL"), ("60000002", 12001, 3, "35", "KOREKSI")]  # half a Rupiah up


def test_ardebt_ms_access_totals_give_arrears_by_rayon_without_any_mc(tmp_path, engine, client, users):
    """The per-customer totals export (SumOfJUMLAH, CountOfPERIODE_BILL) with its own RAYON and
    PCEZ; no MC is stored, so the rayon filter must use ARDEBT's own (METRICS.md)."""
    path = write_xlsx(tmp_path, "ARDEBT_122025.xlsx", [
        ["NOMEN", "RAYON", "PCEZ", "CountOfPERIODE_BILL", "SumOfJUMLAH"],
        [60000001, "34", "151/10", 2, 300000], [60000002, None, "3515110", 5, 1250000],
        [60000003, "R-35", None, 1, 90000]], titles=["QUERY TUNGGAKAN PER PELANGGAN"])
    result = loaded(ingest_file(engine, path))
    assert (result.periode, result.stored) == (P, 3)
    assert q(engine, "SELECT nomen, rayon, pcez, bills, total FROM ardebt ORDER BY nomen") == [
        ("60000001", "34", "15110", 2, 300000), ("60000002", "35", "15110", 5, 1250000),
        ("60000003", "35", None, 1, 90000)]
    admin = basic(*users["admin"])
    by_rayon = {r: client.get(f"/api/arrears/summary?periode={P}&rayon={r}", headers=admin).get_json()["os"]
                for r in ("34", "35")}
    assert by_rayon == {"34": {"nomen": 1, "nominal": 300000}, "35": {"nomen": 2, "nominal": 1340000}}


def test_ardebt_per_bill_with_bill_amt_and_bill_periode(tmp_path, engine):
    path = write_text(tmp_path, "ardebt-2025-12.txt", [
        ["NOMEN", "BILL_PERIODE", "BILL_AMT", "PCEZ"],
        ["60000001", "JUL/2025", "100000", "3415110"], ["60000001", "08/2025", "110000", "3415110"],
        ["60000002", "01/10/2025", "95000", "15110"]])
    loaded(ingest_file(engine, path))
    assert q(engine, "SELECT nomen, bill_period, amount, rayon, pcez FROM ardebt ORDER BY nomen, bill_period") == [
        ("60000001", "2025-07", 100000, "34", "15110"), ("60000001", "2025-08", 110000, "34", "15110"),
        ("60000002", "2025-10", 95000, None, "15110")]  # a 5-digit PCEZ never gives the rayon
    assert q(engine, "SELECT nomen, bills, total, oldest_bill FROM arrears_customer ORDER BY nomen") == [
        ("60000001", 2, 210000, "2025-07"), ("60000002", 1, 95000, "2025-10")]


def test_mc_as_dbf_in_its_code_page_with_the_bill_month_in_tahun2_nama_bln2(tmp_path, engine, client, users):
    path = write_dbf(tmp_path, "MCSUNTER.DBF",
                     "NOMEN C(10); NAMA_PEL C(30); ZONA_NOVAK C(9); NOMINAL N(12,0); TGL_CATAT D; "
                     "TAHUN2 N(4,0); NAMA_BLN2 C(10)", [
                         ("60000001", "JOSÉ GÓMEZ", "341511001", 150000, dt.date(2025, 11, 10), 2025, "DESEMBER"),
                         ("60000002", "SITI", "351511002", 250000, dt.date(2025, 11, 11), 2025, "DESEMBER"),
                         ("60000003", "BUDI", "351511003", 0, None, 2025, "DESEMBER")])
    result = loaded(ingest_file(engine, path))
    assert (result.type, result.periode, result.periode_rule, result.stored) == ("MC", P, "mc_bill_month", 3)
    assert result.fmt == {"format": "dbf", "encoding": "cp1252"}
    assert q(engine, "SELECT nomen, nama, tgl_catat, rayon, pcez FROM mc ORDER BY nomen") == [
        ("60000001", "JOSÉ GÓMEZ", "2025-11-10", "34", "15110"), ("60000002", "SITI", "2025-11-11", "35", "15110"),
        ("60000003", "BUDI", None, "35", "15110")]
    kpi = client.get(f"/api/kpi?periode={P}", headers=basic(*users["admin"])).get_json()
    assert (kpi["total_pelanggan"], kpi["target"]) == (3, {"nomen": 2, "nominal": 400000})


def test_a_dbf_with_deleted_records_and_binary_fields(tmp_path, engine):
    """A Visual FoxPro table: an integer field stored binary, a logical; a record marked deleted."""
    path = tmp_path / "MC_2025-12.dbf"
    table = dbf.Table(str(path), "NOMEN C(10); NOMINAL I; TGL_CATAT D; RAYON C(2); AKTIF L", codepage="cp1252",
                      dbf_type="vfp")
    table.open(dbf.READ_WRITE)
    for row in (("60000001", 150000, dt.date(2025, 11, 10), "34", True), ("60000002", 5, None, "35", False),
                ("60000003", 7, None, "35", False)):
        table.append(row)
    dbf.delete(table[2])
    table.close()
    result = loaded(ingest_file(engine, path))
    assert (result.read, result.stored) == (2, 2)
    assert q(engine, "SELECT nomen, nominal, tgl_catat, rayon FROM mc ORDER BY nomen") == [
        ("60000001", 150000, "2025-11-10", "34"), ("60000002", 5, None, "35")]


def test_a_dbf_in_another_code_page_is_read_in_it(tmp_path, engine):
    path = write_dbf(tmp_path, "MC_2025-12.dbf", "NOMEN C(10); NAMA C(20); RAYON C(2); NOMINAL N(10,0)",
                     [("60000001", "ŁUKASZ", "34", 5000)], codepage="cp852")
    loaded(ingest_file(engine, path))
    assert q(engine, "SELECT nama FROM mc") == [("ŁUKASZ",)]
    # A multi-byte code page (Japanese Shift-JIS) is read record by record.
    path = write_dbf(tmp_path, "MC_2025-11.dbf", "NOMEN C(10); NAMA C(20); RAYON C(2); NOMINAL N(10,0)",
                     [("60000001", "山田", "34", 5000)], codepage="cp932")
    loaded(ingest_file(engine, path))
    assert q(engine, "SELECT nama FROM mc WHERE periode = '2025-11'") == [("山田",)]


# --- RUTE ------------------------------------------------------------------------------------------

def test_rute_undated_then_dated_each_in_effect_where_data_md_says(tmp_path, engine):
    loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-11.csv", mc_lines(2), sep=";")))
    undated = loaded(ingest_file(engine, write_text(tmp_path, "rute_petugas.csv", [
        ["PCEZ", "PETUGAS", "NO_ADMIN"], ["3415110", " anto ", "1"], ["3515111", "anto", "2"]], sep=";")))
    assert (undated.periode, undated.periode_rule) == ("0000-00", "none")
    # DATA.md: PCEZ as 5 digits (a 7-digit code drops its rayon's two), officers trimmed, upper case.
    assert q(engine, "SELECT pcez, petugas, rayon, periode FROM rute ORDER BY pcez") == [
        ("15110", "ANTO", "34", "0000-00"), ("15111", "ANTO", "35", "0000-00")]
    dated = loaded(ingest_file(engine, write_text(tmp_path, "RUTE_2025-12.csv", [
        ["PCEZ", "PETUGAS"], ["151/10", "Budi"]], sep=";")))
    assert (dated.periode, dated.periode_rule) == (P, "filename")
    with engine.connect() as conn:
        assert rute_officer(conn, "60000001", "2025-11") == ("ANTO", "15110")  # before the first dated RUTE
        assert rute_officer(conn, "60000001", P) == ("BUDI", "15110")
        assert rute_officer(conn, "60000001", "2026-03") == ("BUDI", "15110")
    # A new undated RUTE replaces the undated one, and only that.
    again = loaded(ingest_file(engine, write_text(tmp_path, "rute.csv", [["PCEZ", "PETUGAS"], ["15110", "Citra"]],
                                                  sep=";")))
    assert again.replaced == [undated.upload_id]
    with engine.connect() as conn:
        assert rute_officer(conn, "60000001", "2025-11") == ("CITRA", "15110")
        assert rute_officer(conn, "60000001", P) == ("BUDI", "15110")
    # The undated RUTE is no periode of the dashboard.
    from sunter_dash.queries import periodes
    assert [p["periode"] for p in periodes(engine)] == [P, "2025-11"]


def test_rute_giving_one_pcez_two_officers_is_refused_naming_the_pcez(tmp_path, engine):
    path = write_text(tmp_path, "RUTE_2025-12.txt", [
        ["PCEZ", "PETUGAS"], ["3415110", "ANTO"], ["151/10", "budi"], ["15111", "CITRA"], ["15111", " citra"]])
    result = ingest_file(engine, path)
    assert result.status == "refused"
    assert result.message.startswith("RUTE memberi satu PCEZ dua petugas atau lebih: 151/10.")
    assert (result.periode, q(engine, "SELECT count(*) FROM rute")) == (None, [(0,)])


# --- the shrink guard and the restore ------------------------------------------------------------

def test_a_field_visit_list_cannot_silently_replace_a_months_mc(tmp_path, engine, client, users):
    admin = basic(*users["admin"])
    first = loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-12.csv", mc_lines(3000), sep=";")))
    visits = write_text(tmp_path, "kunjungan.csv", [["NOMEN", "NAMA_PEL", "RAYON", "NOMINAL"]] + [
        [f"6{i:07d}", f"PELANGGAN {i}", "34", 50_000] for i in range(1, 9)], sep=";")
    # DATA.md: refused, with both counts; the CLI would exit 1; the month keeps its MC.
    refused = ingest_file(engine, visits, periode=P)
    assert refused.status == "refused" and refused.needs_replace
    assert (refused.stored_customers, refused.file_customers, refused.periode) == (3000, 8, P)
    assert refused.message == (
        "File ini hanya berisi 8 pelanggan, padahal MC Desember 2025 yang tersimpan (unggahan #1) berisi 3.000: "
        "kurang dari separuh. Periksa apakah file ini memang pengganti lengkapnya; jika ya, muat lagi dengan "
        "konfirmasi penggantian.")
    # Each channel says how to confirm in its own words (the page never names a command-line flag).
    assert (refused.told("page").endswith("klik Muat semua lalu Ya, ganti dan muat."),
            refused.told("cli").endswith("Ulangi dengan --replace."),
            refused.as_json()["message"].endswith("Kirim lagi dengan replace=true.")) == (True, True, True)
    assert q(engine, "SELECT count(*) FROM mc") == [(3000,)]
    assert client.get(f"/api/kpi?periode={P}", headers=admin).get_json()["target"]["nomen"] == 3000
    # Confirmed: it loads, says what it replaced, and the replaced rows are kept.
    replaced = loaded(ingest_file(engine, visits, periode=P, replace=True))
    assert replaced.notes == ["menggantikan MC Desember 2025: 3.000 pelanggan, unggahan #1"]
    assert (q(engine, "SELECT count(*) FROM mc"), q(engine, "SELECT count(*) FROM mc_superseded")) == ([(8,)],
                                                                                                      [(3000,)])
    assert q(engine, "SELECT id, status, kept FROM upload ORDER BY id") == [
        (1, "replaced", True), (refused.upload_id, "refused", False), (replaced.upload_id, "loaded", False)]
    assert client.get(f"/api/kpi?periode={P}", headers=admin).get_json()["target"]["nomen"] == 8
    # Deleting the replacement brings the 3,000 back, with every figure.
    answer = client.delete(f"/api/uploads/{replaced.upload_id}", headers=admin).get_json()
    assert answer == {"upload_id": replaced.upload_id, "removed": 8, "restored_upload": 1, "kept": 0, "kept_by": []}
    assert (q(engine, "SELECT count(*) FROM mc"), q(engine, "SELECT count(*) FROM mc_superseded")) == ([(3000,)],
                                                                                                      [(0,)])
    assert q(engine, "SELECT id, status FROM upload ORDER BY id") == [
        (1, "loaded"), (refused.upload_id, "refused"), (replaced.upload_id, "deleted")]
    assert client.get(f"/api/kpi?periode={P}", headers=admin).get_json()["target"] == {
        "nomen": 3000, "nominal": 300_000_000}
    with engine.connect() as conn:
        detail = conn.execute(select(AuditLog.detail).where(AuditLog.action == "upload_deleted")).scalar()
    assert detail.endswith("unggahan #1 berlaku lagi (API)")
    assert first.upload_id == 1


def test_deleting_a_replaced_upload_drops_only_its_kept_rows(tmp_path, engine):
    first = loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-12.csv", mc_lines(10), sep=";")))
    second = loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-12_rev.csv", mc_lines(9, nominal=1), sep=";")))
    third = loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-12_rev2.csv", mc_lines(7, nominal=2), sep=";")))
    assert third.notes == ["menggantikan MC Desember 2025: 9 pelanggan, unggahan #2"]
    assert q(engine, "SELECT upload_id, count(*) FROM mc_superseded GROUP BY upload_id ORDER BY upload_id") == [
        (1, 10), (2, 9)]
    assert delete_upload(engine, first.upload_id).removed == 10
    assert q(engine, "SELECT upload_id, count(*) FROM mc_superseded GROUP BY upload_id") == [(2, 9)]
    assert q(engine, "SELECT count(*), sum(nominal) FROM mc") == [(7, 14)]  # what the dashboard shows: unchanged
    # The current one deleted: the most recent replaced one still recorded comes back.
    delete_upload(engine, third.upload_id)
    assert q(engine, "SELECT count(*), sum(nominal), min(upload_id) FROM mc") == [(9, 9, second.upload_id)]
    delete_upload(engine, second.upload_id)
    assert q(engine, "SELECT count(*) FROM mc") == [(0,)]


def test_an_mc_giving_one_nomen_two_rows_is_refused_and_exact_repeats_kept_once(tmp_path, engine):
    clash = write_text(tmp_path, "MC_2025-12.csv", [
        ["NOMEN", "ZONA_NOVAK", "NOMINAL"], ["60000001", "341511001", "1000"], ["60000002", "341511001", "2000"],
        ["60000001", "341511001", "1500"], ["60000002", "341511001", "2000"]], sep=";")
    result = ingest_file(engine, clash)
    assert result.status == "refused"
    assert result.message == (
        "MC_2025-12.csv: 1 NOMEN tercantum dua kali dengan isi berbeda: 60000001 (baris 2, 4). Satu pelanggan hanya "
        "boleh satu baris; perbaiki atau hapus baris gandanya, lalu unggah lagi.")
    assert result.periode is None  # no periode was given
    repeats = write_text(tmp_path, "MC_2025-12b.csv", [
        ["NOMEN", "ZONA_NOVAK", "NOMINAL"], ["60000001", "341511001", "1000"], ["60000001", "341511001", "1000"]],
        sep=";")
    again = loaded(ingest_file(engine, repeats, periode=P))
    assert (again.read, again.stored, again.duplicate, q(engine, "SELECT count(*) FROM mc")) == (2, 1, 1, [(1,)])


# --- read-method codes ---------------------------------------------------------------------------

SBRS_CODES = [["cmr_account", "cmr_prev_read", "cmr_reading", "Read_Method"],
              ["60000001", 10, 20, "SE"], ["60000002", 10, 20, "PS"], ["60000003", 10, 20, "30/PE"],
              ["60000004", 10, 20, "35/PS"], ["60000005", 10, 20, "se"]]


def _branch(db_url: str, env: dict[str, str]):
    app = create_app(Config(database_url=db_url, secret_key="t", secret_key_is_generated=False,
                            cache_type="NullCache", thresholds=Thresholds.from_env(env)))
    return app


def flagged(engine, key: str) -> list[str]:
    return [r[0] for r in q(engine, f"SELECT nomen FROM meter_flag WHERE flag = '{key}' ORDER BY nomen")]


def test_actual_read_codes_from_the_setting_flag_exactly_the_others(tmp_path, engine, db_url):
    _branch(db_url, {"SUNTER_ACTUAL_READ_METHODS": "SE, PS"})
    result = loaded(ingest_file(engine, write_text(tmp_path, "SBRS_2025-12.txt", SBRS_CODES)))
    assert flagged(engine, "estimated") == ["60000003", "60000004"]  # 30/PE; 35/PS is not PS
    assert result.details["read_methods"] == [
        {"code": "SE", "rows": 2, "actual": True}, {"code": "PS", "rows": 1, "actual": True},
        {"code": "30/PE", "rows": 1, "actual": False}, {"code": "35/PS", "rows": 1, "actual": False}]
    assert result.notes == ["kode metode baca: SE (2 baris), PS (1 baris), 30/PE (1 baris), 35/PS (1 baris); "
                            "dihitung baca aktual: PS, SE"]


def test_with_the_default_every_reading_is_flagged_and_the_upload_and_the_summary_say_so(
        tmp_path, engine, db_url, client, users):
    result = loaded(ingest_file(engine, write_text(tmp_path, "SBRS_2025-12.txt", SBRS_CODES)))
    assert flagged(engine, "estimated") == [f"6000000{i}" for i in range(1, 6)]
    assert result.notes[1].startswith("Peringatan: tidak satu pun kode metode baca file ini dihitung sebagai baca "
                                      "aktual (setelan: ACTUAL), jadi setiap pembacaan akan ditandai")
    summary = client.get(f"/api/anomaly/summary?periode={P}", headers=basic(*users["admin"])).get_json()
    assert {k for k, v in summary["anomalies"].items() if v["no_actual_reads"]} == {"estimated", "stuck"}
    assert summary["read_methods"] == ["30/PE", "35/PS", "PS", "SE"]


def test_a_saved_setting_wins_over_the_environment_recomputes_and_survives_a_restart(tmp_path, engine, db_url):
    app = _branch(db_url, {})
    loaded(ingest_file(engine, write_text(tmp_path, "SBRS_2025-12.txt", SBRS_CODES)))
    defaults = app.server.config["SUNTER_CONFIG"].thresholds
    settings.save(engine, ADMIN, defaults, "actual_read_methods", "se,ps,30/PE")
    assert flagged(engine, "estimated") == ["60000004"]
    _branch(db_url, {"SUNTER_ACTUAL_READ_METHODS": "ACTUAL"})  # a restart with the environment's default
    assert flagged(engine, "estimated") == ["60000004"]
    rows = {r["key"]: r for r in settings.listed(engine, defaults)}
    assert (rows["actual_read_methods"]["default"], rows["actual_read_methods"]["saved"]) == ("ACTUAL",
                                                                                             "SE, PS, 30/PE")
    settings.save(engine, ADMIN, defaults, "actual_read_methods", None)  # back to the default
    assert len(flagged(engine, "estimated")) == 5
    with engine.connect() as conn:
        audit = conn.execute(select(AuditLog.detail).where(AuditLog.action == "setting_changed")
                             .order_by(AuditLog.id)).scalars().all()
    assert audit == [
        "Kode metode baca yang dihitung sebagai baca aktual: ACTUAL → SE, PS, 30/PE",
        "Kode metode baca yang dihitung sebagai baca aktual: SE, PS, 30/PE → ACTUAL (kembali ke bawaan)"]


def test_a_viewer_cannot_change_a_setting(engine, db_url):
    from sunter_dash.domain.errors import Forbidden
    with pytest.raises(Forbidden):
        settings.save(engine, Actor("v", "viewer"), Thresholds(), "extreme_m3", "50")


# --- column mapping and profiles -----------------------------------------------------------------

BANK = [["NO PELANGGAN", "TANGGAL", "NILAI_SETOR", "KETERANGAN", "TELLER"],
        ["60000001", "03-12-2025", "150000", "122025", "T1"], ["60000002", "04-12-2025", "75000", "112025", "T2"]]


def post(client, auth, path: Path, **fields):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post("/api/uploads", data=data, headers=auth, content_type="multipart/form-data")


def test_columns_no_type_knows_are_mapped_through_the_api(tmp_path, engine, client, users):
    admin = basic(*users["admin"])
    path = write_text(tmp_path, "setoran_bank.csv", BANK, sep=",")
    unmapped = post(client, admin, path).get_json()
    assert unmapped["status"] == "refused" and unmapped["message"].startswith("Tipe file tidak dikenali.")
    mapping = {"PAY_DT": "TANGGAL", "amount": "NILAI_SETOR", "BILL_PERIOD": "KETERANGAN"}
    # A key must name a column of some type (its header, an alias, or the field), the value a file column.
    wrong = post(client, admin, path, type="COLLECTION", map=json.dumps({"PAY_DT": "TGL"})).get_json()
    assert wrong["status"] == "refused" and wrong["message"].startswith(
        "Kolom 'TGL' yang dipetakan ke PAY_DT tidak ada di file.")
    bad = post(client, admin, path, map="[1, 2]")
    assert bad.status_code == 400 and bad.get_json()["field"] == "map"
    twice = post(client, admin, path, type="COLLECTION", map=json.dumps(
        {"NOMEN": "NILAI_SETOR", "AMT_COLLECT": "NILAI_SETOR"})).get_json()
    assert twice["message"] == ("Kolom file 'NILAI_SETOR' dipetakan ke lebih dari satu kolom (NOMEN, AMT_COLLECT); "
                                "satu kolom file hanya untuk satu kolom tipe.")
    other = post(client, admin, path, type="COLLECTION", map=json.dumps({"STAND_KINI": "NILAI_SETOR"})).get_json()
    assert other["message"].startswith("Pemetaan kolom 'STAND_KINI' bukan kolom tipe COLLECTION")
    mapped = post(client, admin, path, type="COLLECTION", map=json.dumps(
        {"PAY_DT": "TANGGAL", "AMT_COLLECT": "NILAI_SETOR", "BILL_PERIOD": "KETERANGAN"})).get_json()
    assert (mapped["status"], mapped["stored"], mapped["row_periodes"]) == ("loaded", 2, [P]), mapped["message"]
    assert q(engine, "SELECT nomen, pay_date, amount, jenis FROM payment ORDER BY nomen") == [
        ("60000001", "2025-12-03", 150000, "CURRENT"), ("60000002", "2025-12-04", 75000, "UNDUE")]
    assert mapping  # the field name form is accepted by the pipeline too:
    assert ingest_file(engine, path, file_type="COLLECTION", mapping=mapping).status == "duplicate"


def test_a_saved_profile_applies_by_itself_to_files_with_the_same_headers(tmp_path, engine, client, users):
    admin = basic(*users["admin"])
    first = write_text(tmp_path, "setoran_1.csv", BANK, sep=",")
    saved = profiles.save(engine, ADMIN, "Setoran Bank X", "COLLECTION", BANK[0],
                          {"PAY_DT": "TANGGAL", "AMT_COLLECT": "NILAI_SETOR", "BILL_PERIOD": "KETERANGAN"})
    assert saved["file_type"] == "COLLECTION"
    # The same headers in another order and spelling: the profile applies without being named.
    headers = ["teller", "Nilai Setor", "no_pelanggan", "tanggal", "keterangan"]
    second = write_text(tmp_path, "setoran_2.csv", [headers, ["T9", "50000", "60000003", "05-12-2025", "122025"]],
                        sep=";")
    result = post(client, admin, second).get_json()
    assert (result["status"], result["profile"], result["type"], result["stored"]) == (
        "loaded", "Setoran Bank X", "COLLECTION", 1)
    assert post(client, admin, first, profile="Setoran Bank X").get_json()["stored"] == 2
    missing = post(client, admin, first, profile="Tidak Ada").get_json()  # refused, and recorded
    assert (missing["status"], missing["message"]) == ("refused", (
        "Profil kolom 'Tidak Ada' tidak ada (mungkin baru dihapus atau diganti namanya); pilih kolom file lagi, atau "
        "lihat daftar profil di tab Pengaturan."))
    assert q(engine, "SELECT profile, status FROM upload ORDER BY id") == [
        ("Setoran Bank X", "loaded"), ("Setoran Bank X", "loaded"), (None, "refused")]
    # A name is one profile's: another file's headers cannot take it over.
    with pytest.raises(SunterError) as taken:
        profiles.save(engine, ADMIN, "Setoran Bank X", "MC", ["NO", "RP", "RAYON"], {"NOMEN": "NO", "NOMINAL": "RP"})
    assert taken.value.message.startswith("Nama profil 'Setoran Bank X' sudah dipakai profil lain (tipe COLLECTION")
    history = client.get("/api/uploads", headers=admin).get_json()["uploads"]
    assert [h["profile"] for h in history] == [None, "Setoran Bank X", "Setoran Bank X"]
    # Changed and deleted, each audited.
    profiles.change(engine, ADMIN, saved["id"], "Bank X", {"TGL_BAYAR": "TANGGAL", "AMT_COLLECT": "NILAI_SETOR"})
    assert profiles.remove(engine, ADMIN, saved["id"]) == "Bank X"
    with engine.connect() as conn:
        audit = conn.execute(select(AuditLog.action, AuditLog.detail).where(
            AuditLog.action.in_(("profile_saved", "profile_deleted"))).order_by(AuditLog.id)).all()
    assert audit == [
        ("profile_saved", "Setoran Bank X (COLLECTION): PAY_DT=TANGGAL, AMT_COLLECT=NILAI_SETOR, "
                          "BILL_PERIOD=KETERANGAN"),
        ("profile_saved", "Bank X (sebelumnya Setoran Bank X) (COLLECTION): TGL_BAYAR=TANGGAL, "
                          "AMT_COLLECT=NILAI_SETOR"),
        ("profile_deleted", "Bank X")]


def test_a_profile_must_name_columns_of_its_type_and_of_its_file(engine):
    for name, mapping, message in (
            ("", {"PAY_DT": "TANGGAL"}, "Nama profil wajib diisi"),
            ("X", {}, "Profil tanpa pemetaan kolom"),
            ("X", {"STAND_KINI": "TANGGAL"}, "Kolom STAND_KINI bukan kolom tipe COLLECTION."),
            ("X", {"PAY_DT": "TIDAK_ADA"}, "Kolom 'TIDAK_ADA' yang dipetakan ke PAY_DT tidak ada di file.")):
        with pytest.raises(SunterError) as refused:
            profiles.save(engine, ADMIN, name, "COLLECTION", BANK[0], mapping)
        assert refused.value.message.startswith(message)


def test_the_preview_names_the_profile_the_replacement_and_unknown_columns(tmp_path, engine):
    from sunter_dash.ingest.preview import preview
    loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-12.csv", mc_lines(100), sep=";")))
    small = write_text(tmp_path, "MC_2025-12_kecil.csv", mc_lines(20), sep=";")
    seen = preview(small, small.name, engine=engine)
    assert seen["replaces"] == {"upload_id": 1, "stored_customers": 100, "file_customers": 20, "needs_replace": True,
                                "unit": "pelanggan", "note": "menggantikan MC Desember 2025: 100 pelanggan, unggahan #1"}
    # A file that fits MC by its three required columns and holds many of no type.
    odd = write_text(tmp_path, "MC_2025-12_survei.csv", [
        ["NOMEN", "ZONA_NOVAK", "NOMINAL", "SKOR_SURVEI", "JAWABAN_1", "JAWABAN_2", "PETUGAS_SURVEI"],
        ["60000001", "341511001", "1", "5", "ya", "tidak", "ANTO"]], sep=";")
    assert preview(odd, odd.name, engine=engine)["unknown"] == ["SKOR_SURVEI", "JAWABAN_1", "JAWABAN_2",
                                                                "PETUGAS_SURVEI"]
    profiles.save(engine, ADMIN, "Bank", "COLLECTION", BANK[0], {"PAY_DT": "TANGGAL", "AMT_COLLECT": "NILAI_SETOR",
                                                                 "BILL_PERIOD": "KETERANGAN"})
    bank = write_text(tmp_path, "setoran.csv", BANK, sep=",")
    seen = preview(bank, bank.name, engine=engine)
    assert (seen["type"], seen["profile"], seen["error"]) == ("COLLECTION", "Bank", None)
    assert {f["header"]: f["column"] for f in seen["fields"] if f["column"]} == {
        "NOMEN": "NO PELANGGAN", "PAY_DT": "TANGGAL", "AMT_COLLECT": "NILAI_SETOR", "BILL_PERIOD": "KETERANGAN"}


# --- METRICS.md: the rayon of a customer ----------------------------------------------------------

def test_the_rayon_fallback_holds_for_every_figure_filtered_by_rayon(tmp_path, engine, client, users):
    """A in MC(2025-11) only (rayon 35); B in MC(P) (rayon 34); C in no MC at all.
    KPI: A's payments are unmatched in P and count under rayon 35 (its most recent MC); C's
    count in the all-rayon figures only (a payment row has no rayon of its own).
    Arrears: C's ARDEBT row carries RAYON 34. Anomalies: D, in no MC, is read on a 35 route."""
    admin = basic(*users["admin"])
    lines = [["NOMEN", "ZONA_NOVAK", "NOMINAL"]]
    loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-11.csv", lines + [["60000001", "351511001", 10]],
                                          sep=";")))
    loaded(ingest_file(engine, write_text(tmp_path, "MC_2025-12.csv", lines + [["60000002", "341511001", 20]],
                                          sep=";")))
    loaded(ingest_file(engine, write_text(tmp_path, "Collection-2025-12.txt", [
        ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"],
        ["60000001", "03-12-2025", "-100", "122025"],  # A: unmatched (not in MC(P))
        ["60000001", "04-12-2025", "-50", "112025"],  # A: undue
        ["60000002", "05-12-2025", "-20", "122025"],  # B: paid
        ["60000003", "06-12-2025", "-7", "122025"],  # C: unmatched, no rayon anywhere
        ["60000003", "06-12-2025", "-3", "102025"]])))  # C: undue, no rayon
    loaded(ingest_file(engine, write_text(tmp_path, "ARDEBT_2025-12.txt", [
        ["NOMEN", "RAYON", "JUMLAH_REK", "SALDO_TUNGGAKAN"], ["60000001", "34", "1", "10"],
        ["60000003", "34", "2", "300"]])))
    loaded(ingest_file(engine, write_text(tmp_path, "SBRS_2025-12.txt", [
        ["cmr_account", "cmr_prev_read", "cmr_reading", "cmr_route", "Read_Method"],
        ["60000004", "0", "900", "3515110", "ACTUAL"], ["60000002", "0", "950", "3415110", "ACTUAL"]])))

    def kpi(rayon: str | None) -> tuple:
        found = client.get(f"/api/kpi?periode={P}" + (f"&rayon={rayon}" if rayon else ""), headers=admin).get_json()
        return found["paid"]["nominal"], found["unmatched"]["nominal"], found["undue"]["nominal"]

    assert kpi(None) == (20, 107, 53)
    assert kpi("34") == (20, 0, 0)
    assert kpi("35") == (0, 100, 50)  # A by its most recent MC

    def arrears(rayon: str) -> dict:
        return client.get(f"/api/arrears/summary?periode={P}&rayon={rayon}", headers=admin).get_json()["os"]

    # A's own RAYON says 34, but an MC lists A (35): MC wins; C has only its own.
    assert (arrears("34"), arrears("35")) == ({"nomen": 1, "nominal": 300}, {"nomen": 1, "nominal": 10})

    def extreme(rayon: str) -> int:
        found = client.get(f"/api/anomaly/summary?periode={P}&rayon={rayon}", headers=admin).get_json()
        return found["anomalies"]["extreme"]["count"]

    assert (extreme("34"), extreme("35")) == (1, 1)  # B by MC(P); D by its route
