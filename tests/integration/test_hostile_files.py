"""Hardening, part 1 (issue 13): files an unlucky clerk or a hostile user sends. None may crash
the process, store a cut value, or go unrecorded; each is a recorded refusal or row errors that
name the line, while the rest of the file loads.

Each test names the item of the issue it covers.
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sunter_dash.ingest import ingest_file, store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic, q  # noqa: E402

MAINBILL_HEADER = "NOMEN;TOTAL_TAGIHAN;PERIODE;PAKAI;TARIF;PCEZBK;JENIS_REK;TGL_TAGIHAN;NAMA"


def mainbill_line(i: int) -> str:
    return f"{60000000 + i};{345900 + i};122025;{10 + i % 7};2A2;341511001;NORMAL;01-12-2025;PELANGGAN {i}"


def errors_of(result) -> list[tuple]:
    return [(e.row, e.reason) for e in result.errors]


def test_item_1_a_file_cut_off_mid_line_does_not_store_its_cut_last_line(tmp_path, engine):
    lines = [MAINBILL_HEADER] + [mainbill_line(i) for i in range(1, 6)]
    cut = "\r\n".join(lines) + "\r\n" + mainbill_line(6)[:13]  # "60000006;3459": cut inside the amount
    path = tmp_path / "MAINBILL_2025-12.csv"
    path.write_text(cut, encoding="utf-8")
    result = ingest_file(engine, path)
    assert (result.status, result.read, result.stored, result.rejected) == ("loaded", 6, 5, 1)
    assert errors_of(result) == [(7, "baris ini berisi 2 kolom, padahal judul kolom berisi 9: baris terpotong atau "
                                     "kolomnya bergeser; perbaiki atau hapus baris ini")]
    assert q(engine, "SELECT count(*), max(total) FROM mainbill") == [(5, 345905)]


def test_item_2_rows_with_fewer_fields_than_the_header_are_reported_not_stored(tmp_path, engine):
    lines = [MAINBILL_HEADER]
    for i in range(1, 301):
        full = mainbill_line(i)
        lines.append(";".join(full.split(";")[:4]) if i % 3 == 0 else full)  # 100 lines of 4 fields
    path = tmp_path / "MAINBILL_2025-12.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(engine, path)
    assert (result.status, result.read, result.stored, result.rejected) == ("loaded", 300, 200, 100)
    assert [row for row, _ in errors_of(result)] == [i + 1 for i in range(3, 301, 3)]
    assert q(engine, "SELECT count(*) FROM mainbill WHERE jenis_rek IS NULL") == [(0,)]
    # A trailing delimiter on every line is no extra column.
    trailing = tmp_path / "MAINBILL_2025-11.txt"
    trailing.write_text("\n".join([MAINBILL_HEADER] + [mainbill_line(i).replace(";122025;", ";112025;") + ";"
                                                        for i in range(1, 4)]) + "\n", encoding="utf-8")
    result = ingest_file(engine, trailing)
    assert (result.status, result.periode, result.stored, result.rejected) == ("loaded", "2025-11", 3, 0)


def test_item_3_row_numbers_stay_exact_after_a_quoted_newline(tmp_path, engine):
    text = ("NOMEN|NAMA_PEL|ALM1_PEL|ZONA_NOVAK|NOMINAL\n"
            '60000001|BUDI|"JL. SUNTER\nBLOK A"|341511001|1000\n'  # lines 2-3
            '60000002|SITI|"JL. DANAU\n\nNO. 5"|341511001|2000\n'  # lines 4-6
            "6000000X|ANTO|JL. AGUNG|341511001|3000\n"  # line 7: a broken NOMEN
            "60000004|DEDI|JL. BARU|341511001|abc\n")  # line 8
    path = tmp_path / "MC_2025-12.txt"
    path.write_text(text, encoding="utf-8")
    result = ingest_file(engine, path)
    assert [(e.row, e.column) for e in result.errors] == [(7, "NOMEN"), (8, "NOMINAL")]
    assert q(engine, "SELECT nomen, alamat FROM mc ORDER BY nomen") == [
        ("60000001", "JL. SUNTER BLOK A"), ("60000002", "JL. DANAU NO. 5")]


def _one_far_cell(path: Path, ref: str = "XFD1048576") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["C1"] = "NOMEN", "ZONA_NOVAK", "NOMINAL"
    sheet["A2"], sheet["B2"], sheet["C2"] = "60000001", "341511001", 1000
    sheet[ref] = "x"
    book.save(path)
    return path


def test_item_6_a_tiny_xlsx_with_a_far_cell_is_refused_before_it_is_read(tmp_path, engine):
    path = _one_far_cell(tmp_path / "MC_2025-12.xlsx")
    assert path.stat().st_size < 10_000
    result = ingest_file(engine, path)
    assert result.status == "refused"
    assert result.message.startswith("Sheet 'Sheet' membentang sampai sel XFD1048576")
    assert q(engine, "SELECT status FROM upload") == [("refused",)]


@pytest.mark.parametrize("spelling", [b"<c\n\tr='AAA60000'", b'<c r = "AAA60000"', b'<x:c r="AAA60000"'])
def test_item_6_a_far_cell_in_any_spelling_xml_allows_is_refused_too(tmp_path, engine, spelling):
    """Single quotes, spaces around `=`, a namespace prefix: none hides a far cell from the extent
    scan, and the sheet's own dimension (here lying: A1:C2) is not believed over its cells."""
    path = _one_far_cell(tmp_path / "MC_2025-12.xlsx", ref="AAA60000")
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert b'<c r="AAA60000"' in sheet and b'<dimension ref="A1:AAA60000"/>' in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'<c r="AAA60000"', spelling).replace(
        b'<dimension ref="A1:AAA60000"/>', b'<dimension ref="A1:C2"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = ingest_file(engine, path)
    assert result.status == "refused"
    assert result.message.startswith("Sheet 'Sheet' membentang sampai sel AAA60000 (60.000 baris x 703 kolom)"), \
        result.message


# About the Excel reader's scan of a sheet: the 200,000 rows' storing is the same on PostgreSQL
# (test_ingest_formats), and took it 28 s of the suite.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_attribute_ending_in_r_is_no_cell_reference(tmp_path, engine):
    """`error="RT05 ..."` (a data-validation message, say) holds `r="RT0`, which is no cell: a
    200,000-row sheet of three columns carrying it loads."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("MC")
    sheet.append(["NOMEN", "ZONA_NOVAK", "NOMINAL"])
    for i in range(200_000):
        sheet.append([str(60000000 + i), "341511001", 1000])
    path = tmp_path / "MC_2025-12.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.replace(
        b"</sheetData>", b'</sheetData><dataValidations count="1"><dataValidation type="whole" showErrorMessage="1" '
                         b'error="RT05 salah" sqref="C2"/></dataValidations>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = ingest_file(engine, path)
    assert (result.status, result.stored) == ("loaded", 200_000), result.message


def test_item_5_an_xlsx_of_more_rows_than_excel_holds_is_refused_before_it_is_read(tmp_path, engine):
    """The 4,000,000-row MC of one NOMEN: no Excel made it (1,048,576 rows per sheet). Written
    here as the sheet's XML directly, so the file is small: a header, a row, and row 1,048,577."""
    path = tmp_path / "MC_2025-12.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "MC"
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    cells = '<c r="A{r}" t="inlineStr"><is><t>60000001</t></is></c><c r="B{r}"><v>341511001</v></c>' \
            '<c r="C{r}"><v>1000</v></c>'
    parts["xl/worksheets/sheet1.xml"] = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>NOMEN</t></is></c><c r="B1" t="inlineStr"><is><t>ZONA_NOVAK'
        '</t></is></c><c r="C1" t="inlineStr"><is><t>NOMINAL</t></is></c></row>'
        f'<row r="2">{cells.format(r=2)}</row><row r="1048577">{cells.format(r=1048577)}</row>'
        '</sheetData></worksheet>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = ingest_file(engine, path)
    assert result.status == "refused"
    assert result.message.startswith("Sheet 'MC' berisi 1.048.577 baris; Excel sendiri hanya memuat 1.048.576 "
                                     "baris per sheet"), result.message
    assert q(engine, "SELECT status FROM upload") == [("refused",)]
    assert q(engine, "SELECT COUNT(*) FROM mc") == [(0,)]


def test_item_5_an_xlsx_that_unfolds_past_its_limit_is_refused(tmp_path, engine):
    """10x the upload limit unfolded (here a 2 MB limit: 21 MB of sheet XML, compressed to 1.7 MB)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("MC")
    sheet.append(["NOMEN", "ZONA_NOVAK", "NOMINAL"])
    for _ in range(160_000):
        sheet.append([60000001, 341511001, 1000])
    path = tmp_path / "MC_2025-12.xlsx"
    book.save(path)
    unfolded = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    assert path.stat().st_size < 2 * 1024 * 1024 < unfolded / 10
    result = ingest_file(engine, path, max_bytes=2 * 1024 * 1024)
    assert result.status == "refused"
    assert result.message.startswith("File Excel ini mengembang menjadi")
    assert q(engine, "SELECT count(*) FROM mc") == [(0,)]


def test_item_7_a_line_longer_than_any_field_limit_is_a_row_error(tmp_path, engine):
    long_name = "A" * 140_000
    text = ("NOMEN;NAMA_PEL;ZONA_NOVAK;NOMINAL\n60000001;BUDI;341511001;1000\n"
            f"60000002;{long_name};341511001;2000\n60000003;SITI;341511001;3000\n")
    path = tmp_path / "MC_2025-12.csv"
    path.write_text(text, encoding="utf-8")
    result = ingest_file(engine, path)
    assert (result.status, result.stored) == ("loaded", 2)
    assert [(e.row, e.column) for e in result.errors] == [(3, None)]
    assert "lebih dari" in result.errors[0].reason


def test_item_8_a_bare_carriage_return_inside_an_unquoted_field(tmp_path, engine):
    path = tmp_path / "MC_2025-12.csv"
    path.write_bytes(b"NOMEN;NAMA_PEL;ZONA_NOVAK;NOMINAL\r\n60000001;BU\rDI;341511001;1000\r\n"
                     b"60000002;SITI;341511001;2000\r\n60000003;ANTO;341511001;3000\r\n")
    result = ingest_file(engine, path)
    assert result.status == "loaded"
    assert q(engine, "SELECT nomen FROM mc ORDER BY nomen") == [("60000002",), ("60000003",)]
    assert [e.row for e in result.errors] == [2, 3]


def test_item_9_a_300_character_file_name_is_recorded_not_a_500(client, users, engine):
    name = "MC_2025-12_" + "x" * 300 + ".csv"
    content = b"NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341511001;1000\n"
    answer = client.post("/api/uploads", data={"file": (io.BytesIO(content), name)}, headers=basic(*users["admin"]),
                         content_type="multipart/form-data")
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["stored"]) == ("loaded", 1)
    assert q(engine, "SELECT length(filename), status FROM upload") == [(255, "loaded")]


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00\x00" * 100, b"PK\x03\x04" + b"\x00" * 400, b"\x00" * 50])
def test_binary_garbage_under_a_text_or_excel_name_is_a_recorded_refusal(tmp_path, engine, garbage):
    for name in ("MC_2025-12.csv", "MC_2025-12.xlsx", "MC_2025-12.dbf"):
        path = tmp_path / name
        path.write_bytes(garbage)
        result = ingest_file(engine, path)
        assert result.status == "refused" and result.message
    assert q(engine, "SELECT count(*), min(status), max(status) FROM upload") == [(3, "refused", "refused")]


def _extract(folder: Path, first: int, last: int) -> Path:
    """The branch's COLLECTION extract of 1..last December: one payment a day per customer."""
    path = folder / f"Collection-2025-12-{first:02d}_sd_2025-12-{last:02d}.txt"
    lines = ["NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD"] + [
        f"6000{c:04d}|{day:02d}-12-2025|-{1000 + c}|122025" for day in range(first, last + 1) for c in range(1, 51)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("bulk_rows", [1, 10**9], ids=["carriers-in-bulk", "carriers-one-by-one"])
def test_item_4_deleting_an_earlier_extract_keeps_what_a_later_one_carried(tmp_path, engine, client, users,
                                                                           monkeypatch, bulk_rows):
    """Whichever way the carried payments are recorded (PostgreSQL copies many, else the driver
    inserts them: on SQLite always, as its bulk stage is the payments' own; the two ids differ
    there in how the payments themselves go in), deleting the upload that stored them hands
    them over."""
    monkeypatch.setattr(store, "BULK_ROWS", bulk_rows)
    first = ingest_file(engine, _extract(tmp_path, 1, 10))
    second = ingest_file(engine, _extract(tmp_path, 1, 20))
    assert (first.stored, second.stored, second.duplicate) == (500, 500, 500)
    total = q(engine, "SELECT count(*), sum(amount) FROM payment")
    assert total[0][0] == 1000
    assert q(engine, "SELECT table_name, upload_id, count(DISTINCT pay_key) FROM payment_carrier "
                     "GROUP BY table_name, upload_id") == [("payment", second.upload_id, 500)]
    answer = client.delete(f"/api/uploads/{first.upload_id}", headers=basic(*users["admin"])).get_json()
    assert answer == {"upload_id": first.upload_id, "removed": 0, "restored_upload": None, "kept": 500,
                      "kept_by": [second.upload_id]}
    # Every payment stays: the 1-20 extract now holds all of them, and says so.
    assert q(engine, "SELECT count(*), sum(amount) FROM payment") == total
    assert q(engine, "SELECT upload_id, count(*) FROM payment GROUP BY upload_id") == [(second.upload_id, 1000)]
    assert q(engine, "SELECT rows_stored, rows_duplicate, status FROM upload WHERE id = :i", i=second.upload_id) == [
        (1000, 0, "loaded")]
    # Deleting that one now removes them all; nothing is left of either.
    answer = client.delete(f"/api/uploads/{second.upload_id}", headers=basic(*users["admin"])).get_json()
    assert (answer["removed"], answer["kept"]) == (1000, 0)
    assert q(engine, "SELECT count(*) FROM payment") == [(0,)]
    assert q(engine, "SELECT count(*) FROM payment_carrier") == [(0,)]


def test_item_4_the_same_file_twice_then_the_first_deleted(tmp_path, engine):
    from sunter_dash.ingest import delete_upload
    path = _extract(tmp_path, 1, 3)
    first, again = ingest_file(engine, path), ingest_file(engine, path)
    assert (first.status, again.status) == ("loaded", "duplicate")
    deleted = delete_upload(engine, first.upload_id)
    assert (deleted.removed, deleted.kept, deleted.kept_by) == (0, 150, (again.upload_id,))
    assert q(engine, "SELECT count(*) FROM payment WHERE upload_id = :i", i=again.upload_id) == [(150,)]


def test_item_10_a_load_waits_its_turn_and_is_refused_recorded_when_it_waited_too_long(
        tmp_path, engine, db_url, client, users, monkeypatch, capsys):
    import threading

    from sunter_dash.__main__ import main
    from sunter_dash.ingest import queue

    path = tmp_path / "MC_2025-12.csv"
    path.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341511001;1000\n", encoding="utf-8")
    held, release = threading.Event(), threading.Event()

    def long_load():
        with queue.load_slot(engine, 5):
            held.set()
            release.wait(30)

    other = threading.Thread(target=long_load)
    other.start()
    held.wait(5)
    try:
        waited = ingest_file(engine, path, wait_seconds=0.5)
        assert (waited.status, waited.busy) == ("refused", True)
        assert waited.message.startswith("Server sedang memuat file lain; file ini sudah menunggu")
        # The API says so with 503 and when to come back; the attempt is recorded.
        client.application.config["SUNTER_CONFIG"] = client.application.config["SUNTER_CONFIG"].with_overrides(
            load_wait_seconds=1)
        answer = client.post("/api/uploads", data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                             headers=basic(*users["admin"]), content_type="multipart/form-data")
        assert (answer.status_code, answer.headers["Retry-After"]) == (503, "60")
        assert answer.get_json()["error"].startswith("Server sedang memuat file lain")
        # The command line, in one line.
        monkeypatch.setenv("DATABASE_URL", db_url)
        monkeypatch.setenv("SUNTER_LOAD_WAIT_SECONDS", "1")
        capsys.readouterr()
        assert main(["ingest", str(path)]) == 1
        out = capsys.readouterr().out.strip().splitlines()
        assert len(out) == 1 and out[0].startswith("MC_2025-12.csv: Server sedang memuat file lain")
    finally:
        release.set()
        other.join()
    assert q(engine, "SELECT status FROM upload ORDER BY id") == [("refused",)] * 3
    # Once the slot is free, the same file loads.
    assert ingest_file(engine, path).status == "loaded"


def test_item_11_the_next_start_removes_what_killed_loads_left_behind(tmp_path, engine, config, monkeypatch):
    import datetime as dt
    import os
    import tempfile
    import time

    from sqlalchemy import insert

    from sunter_dash import create_app
    from sunter_dash.models import Upload
    from sunter_dash.services import staging as uploads

    monkeypatch.setattr(uploads, "STAGING", tmp_path / "staging")
    day_ago = time.time() - 25 * 3600
    old_stage = Path(tempfile.gettempdir()) / "sunter-stage-killed.db"
    old_api = Path(tempfile.gettempdir()) / "sunter-api-killed"
    old_folder = uploads.STAGING / "abandoned"
    fresh_folder = uploads.STAGING / "in-use"
    for folder in (old_api, old_folder, fresh_folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "upload").write_bytes(b"x" * 1000)
    old_stage.write_bytes(b"x" * 1000)
    for path in (old_stage, old_api, old_folder):
        os.utime(path, (day_ago, day_ago))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(insert(Upload), [
            {"filename": "killed.csv", "status": "running", "created_at": now - dt.timedelta(hours=3)},
            {"filename": "waiting.csv", "status": "queued", "created_at": now - dt.timedelta(minutes=1)}])
    create_app(config)
    assert not old_stage.exists() and not old_api.exists() and not old_folder.exists()
    assert fresh_folder.exists()
    assert q(engine, "SELECT filename, status FROM upload ORDER BY id") == [("killed.csv", "refused"),
                                                                          ("waiting.csv", "queued")]
    assert q(engine, "SELECT message FROM upload WHERE filename = 'killed.csv'")[0][0].startswith(
        "Pemuatan terhenti: server berhenti sebelum file ini selesai dimuat")


def test_a_500_that_remains_is_logged_with_a_request_id_the_user_sees(client, users, monkeypatch, caplog):
    from sunter_dash import queries

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(queries, "periodes", broken)
    answer = client.get("/api/periodes", headers=basic(*users["admin"]))
    body = answer.get_json()
    assert answer.status_code == 500 and answer.headers["X-Request-Id"] == body["request_id"]
    assert body["error"] == (f"Terjadi kesalahan di server (kode {body['request_id']}). Tidak ada yang berubah karena "
                             "kesalahan ini; coba lagi, dan bila terulang, kirim kode ini ke admin.")
    assert "a bug" not in str(body)  # the English exception text stays in the log
    assert any(body["request_id"] in r.getMessage() and r.exc_info for r in caplog.records)
