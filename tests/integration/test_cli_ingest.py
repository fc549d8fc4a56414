"""``python -m sunter_dash ingest FILE... [--type] [--periode] [--json]`` (INTERFACES.md).

Each test runs the command's ``main()`` in this process, with its arguments, on a fresh,
empty database (SQLite, and PostgreSQL when configured) named by DATABASE_URL, in a working
folder without any ``.env``; stdout, stderr and the exit code are what a shell would see.
One test runs the real command in a subprocess.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_fixtures import MC_FIXTURE, write_table  # noqa: E402

from sunter_dash.__main__ import main  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
JSON_KEYS = {"file", "type", "periode", "periode_rule", "status", "read", "stored", "rejected", "duplicate", "errors"}


@pytest.fixture
def cli(tmp_path, new_database, monkeypatch, capsys):
    database = new_database("x", migrated=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("SUNTER_MAX_UPLOAD_MB", raising=False)
    monkeypatch.setenv("DATABASE_URL", database)

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = main(["ingest", *map(str, args)])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(["ingest", *map(str, args)], code, out.out, out.err)

    def query(sql: str) -> list[tuple]:
        engine = create_engine(database)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        finally:
            engine.dispose()

    run.query = query
    return run


def json_lines(proc: subprocess.CompletedProcess) -> list[dict]:
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def collection_rows(good: int, bad: int) -> list[list]:
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"]]
    rows += [[f"6000{i:04d}", "05-12-2025", f"-{i * 100}", "122025"] for i in range(1, good + 1)]
    rows += [[f"6100{i:04d}", "05-12-2025", "lunas", "122025"] for i in range(1, bad + 1)]
    return rows


def test_json_one_object_per_file_and_exit_1_when_any_refused(tmp_path, cli):
    collection = write_table(tmp_path, "Collection-2025-12-01_sd_2025-12-10", "txt-pipe", collection_rows(40, 30))
    junk = tmp_path / "MC_2025-12.xlsx"
    junk.write_bytes(b"this is not a workbook\x00\x01\x02" * 50)
    proc = cli(FIXTURES / MC_FIXTURE, collection, junk, "--json", "--user", "kasir")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    objects = json_lines(proc)
    assert len(objects) == 3
    for obj in objects:
        assert JSON_KEYS <= obj.keys()
        assert len(obj["errors"]) <= 20
    mc, pay, bad = objects
    assert {k: mc[k] for k in JSON_KEYS} == {
        "file": MC_FIXTURE, "type": "MC", "periode": "2025-12", "periode_rule": "mc_filename", "status": "loaded",
        "read": 4, "stored": 4, "rejected": 0, "duplicate": 0, "errors": []}
    assert {k: pay[k] for k in JSON_KEYS - {"errors"}} == {
        "file": collection.name, "type": "COLLECTION", "periode": "2025-12", "periode_rule": "filename",
        "status": "loaded", "read": 70, "stored": 40, "rejected": 30, "duplicate": 0}
    assert len(pay["errors"]) == 20 and pay["error_count"] == 30  # the first 20 of 30
    assert pay["errors"][0] == {"row": 42, "column": "AMT_COLLECT", "value": "lunas", "reason": pay["errors"][0]["reason"]}
    assert [e["row"] for e in pay["errors"]] == list(range(42, 62))
    assert (bad["file"], bad["status"], bad["stored"]) == ("MC_2025-12.xlsx", "refused", 0)
    assert "Excel" in bad["message"] and bad["errors"][0]["reason"] == bad["message"]
    # the database holds what the summaries say
    assert cli.query("SELECT count(*), sum(nominal) FROM mc") == [(4, 6517500)]
    assert cli.query("SELECT count(*), sum(amount) FROM payment") == [(40, sum(i * 100 for i in range(1, 41)))]
    assert cli.query("SELECT filename, status, username FROM upload ORDER BY id") == [
        (MC_FIXTURE, "loaded", "kasir"), (collection.name, "loaded", "kasir"), ("MC_2025-12.xlsx", "refused", "kasir")]
    assert cli.query("SELECT count(*) FROM upload_error") == [(31,)]  # all 30 row errors are recorded


def test_exit_0_when_every_file_loaded_even_twice(tmp_path, cli):
    collection = write_table(tmp_path, "Collection-2025-12", "csv-semicolon", collection_rows(5, 1))
    first = cli(collection, "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    again = cli(collection, FIXTURES / MC_FIXTURE, FIXTURES / MC_FIXTURE, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    results = json_lines(first) + json_lines(again)
    assert [(r["status"], r["stored"], r["duplicate"], r["rejected"]) for r in results] == [
        ("loaded", 5, 0, 1), ("duplicate", 0, 5, 1), ("loaded", 4, 0, 0), ("duplicate", 0, 4, 0)]
    assert cli.query("SELECT count(*) FROM payment") == [(5,)]
    assert cli.query("SELECT count(*) FROM mc") == [(4,)]


def test_type_and_periode_options(tmp_path, cli):
    # fits MC and SBRS alike, and no periode in the name: both options are needed
    rows = [["NO_PELANGGAN", "ZONA", "STAND_LALU", "STAND_KINI", "REK_AIR"], ["60012345", "341010203", "100", "110", "5"]]
    path = write_table(tmp_path, "data", "csv-comma", rows)
    refused = cli(path, "--json")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert json_lines(refused)[0]["status"] == "refused"
    proc = cli(path, "--type", "sbrs", "--periode", "2025-11", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [result] = json_lines(proc)
    assert (result["type"], result["periode"], result["periode_rule"], result["stored"]) == (
        "SBRS", "2025-11", "explicit", 1)
    assert cli.query("SELECT nomen, periode, volume FROM sbrs") == [("60012345", "2025-11", 10)]
    bad_periode = cli(path, "--type", "SBRS", "--periode", "November", "--json")
    assert bad_periode.returncode == 1 and "YYYY-MM" in json_lines(bad_periode)[0]["message"]


def test_text_summary_without_traceback(tmp_path, cli):
    empty = tmp_path / "kosong.csv"
    empty.write_bytes(b"")
    good = write_table(tmp_path, "MC_2025-12", "xlsx",
                       [["NOMEN", "ZONA_NOVAK", "NOMINAL"], ["60000001", "341010203", 1], ["6000000X", "341010203", 2],
                        ["60000003", "341010203", 3]])
    proc = cli(good, empty)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    out = proc.stdout
    assert "MC_2025-12.xlsx: LOADED" in out and "kosong.csv: REFUSED" in out
    assert "baris 3" in out and "6000000X" in out  # the row error: its row and value
    assert "File kosong" in out


def test_the_command_runs_as_a_process(tmp_path, new_database):
    """The one run through the interpreter: ``python -m sunter_dash ingest`` on a new database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SUNTER_MAX_UPLOAD_MB")}
    env.update(DATABASE_URL=new_database("x", migrated=False), PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, "-m", "sunter_dash", "ingest", str(FIXTURES / MC_FIXTURE), "--json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    [result] = json_lines(proc)
    assert (result["type"], result["status"], result["stored"]) == ("MC", "loaded", 4)



def test_map_profile_and_replace_options(tmp_path, cli, capsys):
    bank = tmp_path / "setoran.csv"
    bank.write_text("NO_PEL;TANGGAL;NILAI;KET\n60000001;03-12-2025;-1000;122025\n60000002;04-12-2025;-500;112025\n",
                    encoding="utf-8")
    refused = cli(bank, "--type", "COLLECTION")
    assert refused.returncode == 1
    assert ("File tidak cocok dengan tipe COLLECTION: kolom PAY_DT, AMT_COLLECT tidak ditemukan. Kolom di file: "
            "NO_PEL, TANGGAL, NILAI, KET. Bila kolom itu ada dengan nama lain, petakan: --map "
            "PAY_DT=NAMA_KOLOM_DI_FILE.") in refused.stdout
    mapped = cli(bank, "--type", "COLLECTION", "--map", "NOMEN=NO_PEL", "--map", "PAY_DT=TANGGAL",
                 "--map", "AMT_COLLECT=NILAI", "--map", "BILL_PERIOD=KET")
    assert mapped.returncode == 0, mapped.stdout
    assert mapped.stdout.splitlines()[0] == (
        "setoran.csv: LOADED  tipe=COLLECTION  periode=2025-12 (tanggal bayar)  dibaca=2 disimpan=2 ditolak=0 "
        "duplikat=0 peringatan=0")
    assert cli.query("SELECT nomen, amount, jenis FROM payment ORDER BY nomen") == [
        ("60000001", 1000, "CURRENT"), ("60000002", 500, "UNDUE")]
    with pytest.raises(SystemExit) as exited:  # argparse's own exit, as a shell sees it
        cli(bank, "--map", "NOMEN")
    assert exited.value.code == 2 and "--map harus berbentuk KOLOM=KOLOM_FILE" in capsys.readouterr().err
    unknown = cli(bank, bank, "--profile", "Tidak Ada")
    assert unknown.returncode == 1  # both files refused and recorded, each with the reason
    assert unknown.stdout.count("Profil kolom 'Tidak Ada' tidak ada") == 2

    mc = tmp_path / "MC_2025-12.csv"
    mc.write_text("NOMEN;RAYON;NOMINAL\n" + "".join(f"6{i:07d};34;100\n" for i in range(1, 11)), encoding="utf-8")
    small = tmp_path / "MC_2025-12_ulang.csv"
    small.write_text("NOMEN;RAYON;NOMINAL;TGL_CATAT\n60000001;34;100;32-11-2025\n", encoding="utf-8")
    assert cli(mc).returncode == 0
    shrunk = cli(small)
    assert shrunk.returncode == 1
    assert "muat lagi dengan konfirmasi penggantian. Ulangi dengan --replace." in shrunk.stdout
    as_json = json_lines(cli(small, "--json"))[0]
    assert (as_json["needs_replace"], as_json["stored_customers"], as_json["file_customers"]) == (True, 10, 1)
    confirmed = cli(small, "--replace")
    assert confirmed.returncode == 0
    assert confirmed.stdout.splitlines() == [
        "MC_2025-12_ulang.csv: LOADED  tipe=MC  periode=2025-12 (filename)  dibaca=1 disimpan=1 ditolak=0 duplikat=0 "
        "peringatan=1",
        "  menggantikan MC Desember 2025: 10 pelanggan, unggahan #5",
        "  peringatan (nilai dikosongkan, baris tetap dimuat): 1",
        "  - baris 2, kolom TGL_CATAT ('32-11-2025'): tanggal tidak dikenali (contoh: 31-12-2025); dibiarkan kosong, "
        "baris tetap dimuat"]


def test_a_payment_history_names_the_periodes_its_rows_landed_in(tmp_path, cli):
    mb = tmp_path / "MB_2025-12.txt"
    mb.write_text("NOMEN|BULAN_REK|TGL_BAYAR|NOMINAL\n60000001|102025|05-11-2025|1000\n"
                  "60000001|112025|03-12-2025|1000\n", encoding="utf-8")
    proc = cli(mb)
    assert proc.stdout.splitlines()[0].startswith("MB_2025-12.txt: LOADED  tipe=MB  periode=2025-11,2025-12 "
                                                  "(tanggal bayar)")
