"""The meter-reading anomaly rules of METRICS.md, each at its edges, through the real
ingest pipeline: the hand-made branch of tests/fixtures/meter_branch.py (SBRS, MC and
MAINBILL files in the raw export formats), one customer per case.
"""
from __future__ import annotations

import base64
import json
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from sunter_dash import create_app
from sunter_dash.config import Config, Thresholds
from sunter_dash.db import get_engine
from sunter_dash.domain.checks import names as check_names
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.ingest.directory import refresh as refresh_directory
from sunter_dash.services.settings import sync_thresholds
from sunter_dash.services.users import upsert as upsert_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import downgrade  # noqa: E402
from meter_branch import EXPECTED, NOMEN, P, write_files  # noqa: E402

ANOMALIES = check_names()

PASSWORD = "admin-pass-123"


def load(engine, path: Path):
    result = ingest_file(engine, path)
    assert result.status == "loaded" and result.rejected == 0, result.as_json()
    return result


class Branch:
    def __init__(self, root: Path, order: list[str], url: str):
        self.url = url
        self.engine = get_engine(self.url)
        self.files = write_files(root / "files")
        self.uploads = {key: load(self.engine, self.files[key]).upload_id for key in order}
        self.app = create_app(Config(database_url=self.url, secret_key="test", secret_key_is_generated=False,
                                     cache_type="NullCache"))
        upsert_user(self.engine, "admin", "admin", PASSWORD)
        with self.engine.begin() as conn:  # a cheap hash keeps Basic auth fast
            conn.execute(text("UPDATE app_user SET password_hash = :h WHERE username = 'admin'"),
                         {"h": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")})
        self.client = self.app.server.test_client()
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def get(self, url: str, status: int = 200):
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == status, (url, response.get_data(as_text=True)[:400])
        return response.get_json()

    def flagged(self, key: str, periode: str = P, rayon: str | None = None) -> set[str]:
        url = f"/api/anomalies?periode={periode}&type={key}&page_size=1000" + (f"&rayon={rayon}" if rayon else "")
        by_nomen = {v: k for k, v in NOMEN.items()}
        return {by_nomen[row["nomen"]] for row in self.get(url)["rows"]}

    # The directory with each entry's search text, then any search text without an entry.
    DIRECTORY = text("SELECT c.*, s.nomen AS searched, s.search_text FROM customer c "
                     "LEFT JOIN customer_search s ON s.nomen = c.nomen ORDER BY c.nomen")
    ORPHANS = text("SELECT s.nomen, s.search_text FROM customer_search s "
                   "WHERE NOT EXISTS (SELECT 1 FROM customer c WHERE c.nomen = s.nomen) ORDER BY s.nomen")

    def directory(self) -> list[tuple]:
        with self.engine.connect() as conn:
            return conn.execute(self.DIRECTORY).all() + conn.execute(self.ORPHANS).all()

    def directory_rebuilt(self) -> list[tuple]:
        """The directory as a rebuild from every stored row gives it (nothing kept)."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("DELETE FROM customer_search")
            refresh_directory(conn, None, None)
            rebuilt = conn.execute(self.DIRECTORY).all() + conn.execute(self.ORPHANS).all()
            conn.rollback()
        return rebuilt

    def flags_table(self) -> list[tuple]:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT * FROM meter_flag ORDER BY periode, flag, nomen")).all()


IN_ORDER = ["SBRS 2025-09", "SBRS 2025-10", "SBRS 2025-11", "MC", "SBRS 2025-12", "MAINBILL"]


@pytest.fixture(scope="module")
def branch(tmp_path_factory, module_database) -> Branch:
    return Branch(tmp_path_factory.mktemp("meter"), IN_ORDER, module_database("meter"))


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_rule_flags_exactly_its_cases(branch, key):
    assert branch.flagged(key) == EXPECTED[key]


def test_summary_counts_every_key_and_compares_with_last_periode(branch):
    summary = branch.get(f"/api/anomaly/summary?periode={P}")
    assert set(summary["anomalies"]) == set(ANOMALIES)
    assert {k: v["count"] for k, v in summary["anomalies"].items()} == {k: len(v) for k, v in EXPECTED.items()}
    assert all(v["missing"] == [] for v in summary["anomalies"].values())
    assert summary["previous_periode"] == "2025-11"
    # 2025-11: the zeros of STUCK2, STUCK3, STUCK_EST; drops 40 -> 0? none (2025-10 had no 40s)
    assert summary["anomalies"]["zero"]["previous"] == 3
    assert summary["anomalies"]["drop"]["previous"] == 1  # STUCK2: 5 -> 0


def test_summary_by_rayon_and_names(branch):
    r35 = branch.get(f"/api/anomaly/summary?periode={P}&rayon=35")["anomalies"]
    assert r35["extreme"] == {"name": "Pemakaian Ekstrem", "count": 1, "previous": 0, "missing": [],
                             "no_actual_reads": False}
    assert sum(v["count"] for v in r35.values()) == 1
    assert branch.flagged("extreme", rayon="34") == set()
    assert branch.flagged("drop", rayon="34") == EXPECTED["drop"]


def test_rebill_from_mainbill_counts_without_sbrs(branch):
    row = branch.get(f"/api/anomalies?periode={P}&type=rebill&filters="
                     + json.dumps({"nomen": {"filterType": "text", "type": "equals", "filter": NOMEN['REB_JENIS']}}))
    assert row["total"] == 1
    found = row["rows"][0]
    assert found["volume"] is None and found["stand_kini"] is None
    assert found["rayon"] == "34"  # from MAINBILL's PCEZBK: no MC lists the customer


def test_what_a_row_shows_and_the_money_at_stake(branch):
    rows = {r["nomen"]: r for r in branch.get(f"/api/anomalies?periode={P}&type=drop")["rows"]}
    d49 = rows[NOMEN["D49"]]
    assert (d49["stand_lalu"], d49["stand_kini"], d49["volume"]) == (1040, 1059, 19)
    assert (d49["prev_stand_kini"], d49["prev_volume"]) == (1040, 40)
    assert d49["nama"] == "PELANGGAN D49" and d49["tarif"] == "2A" and d49["rayon"] == "34"
    # 40 -> 19 m3 at MAINBILL's Rp 95 000 / 19 m3 = Rp 5 000: 21 m3, Rp 105 000
    assert (d49["delta_m3"], d49["price_m3"], d49["at_stake"]) == (-21, 5000, 105000)
    neg = rows[NOMEN["NEG_PAKAI"]]
    assert neg["flags"] == ["drop", "negative", "misrecord"]
    extreme = branch.get(f"/api/anomalies?periode={P}&type=extreme")["rows"][0]
    # 101 m3 against the one earlier reading, 60 m3; price from MC: Rp 505 000 / 101 m3
    assert (extreme["delta_m3"], extreme["price_m3"], extreme["at_stake"]) == (41, 5000, 205000)
    rebill = {r["nomen"]: r for r in branch.get(f"/api/anomalies?periode={P}&type=rebill")["rows"]}
    assert rebill[NOMEN["REB_AMT"]]["at_stake"] == 50000
    spike = {r["nomen"]: r for r in branch.get(f"/api/anomalies?periode={P}&type=spike")["rows"]}
    assert spike[NOMEN["SPIKE3"]]["median_volume"] == 10 and spike[NOMEN["SPIKE3"]]["delta_m3"] == 11


def test_paging_sorting_and_filters(branch):
    url = f"/api/anomalies?periode={P}&type=zero&page_size=4&sort=nomen:desc"
    first, second = branch.get(url + "&page=1"), branch.get(url + "&page=2")
    assert first["total"] == second["total"] == 6
    everyone = [r["nomen"] for r in first["rows"] + second["rows"]]
    assert everyone == sorted((NOMEN[n] for n in EXPECTED["zero"]), reverse=True)
    flagged_too = json.dumps({"flags": {"filterType": "text", "type": "contains", "filter": "stuck"}})
    assert branch.get(f"/api/anomalies?periode={P}&type=zero&filters={flagged_too}")["total"] == 1
    volume = json.dumps({"volume": {"filterType": "number", "type": "greaterThan", "filter": 100}})
    assert branch.get(f"/api/anomalies?periode={P}&type=extreme&filters={volume}")["total"] == 1
    either = json.dumps({"nama": {"filterType": "text", "operator": "OR", "conditions": [
        {"filterType": "text", "type": "endsWith", "filter": "stuck3"},
        {"filterType": "text", "type": "endsWith", "filter": "_est"}]}})
    assert branch.get(f"/api/anomalies?periode={P}&type=zero&filters={either}")["total"] == 2


@pytest.mark.parametrize("query, says", [
    ("type=zero", "periode"),
    (f"periode={P}", "type"),
    (f"periode={P}&type=nope", "type"),
    (f"periode={P}&type=zero&page=0", "page"),
    (f"periode={P}&type=zero&page_size=5000", "page_size"),
    (f"periode={P}&type=zero&sort=volume:sideways", "sort"),
    (f"periode={P}&type=zero&sort=password:asc", "sort"),
    (f"periode={P}&type=zero&filters=not-json", "filters"),
    (f"periode={P}&type=zero&filters=" + json.dumps({"volume": {"filterType": "number", "type": "lessThan",
                                                                "filter": "abc"}}), "filters"),
    (f"periode={P}&type=zero&filters=" + json.dumps({"secret": {"type": "contains", "filter": "x"}}), "filters"),
])
def test_bad_list_requests_say_what_is_wrong(branch, query, says):
    body = branch.get(f"/api/anomalies?{query}", status=400)
    assert says in body["detail"]


def test_missing_data_is_named(branch):
    first = branch.get("/api/anomaly/summary?periode=2025-09")["anomalies"]
    assert first["drop"]["missing"] == ["SBRS 2025-08"]
    assert first["stuck"]["missing"] == ["SBRS 2025-08", "SBRS 2025-07"]
    assert first["inactive_use"]["missing"] == ["MC 2025-09"]
    assert first["rebill"]["missing"] == []  # SBRS(P) alone can show rebills
    assert first["zero"]["count"] == 0 and first["zero"]["missing"] == []
    # A check whose own periode's file is missing cannot run: its count is unknown (null), not 0;
    # one that lacks only history runs on what it has.
    assert first["inactive_use"]["count"] is None and first["drop"]["count"] == 0
    empty = branch.get("/api/anomaly/summary?periode=2024-01")["anomalies"]
    assert all(v["count"] is None for v in empty.values())
    assert empty["rebill"]["missing"] == ["SBRS 2024-01", "MAINBILL 2024-01"]


def test_loading_in_another_order_gives_the_same_flags(branch, tmp_path, new_database):
    backwards = Branch(tmp_path, ["MAINBILL", "SBRS 2025-12", "MC", "SBRS 2025-11", "SBRS 2025-10", "SBRS 2025-09"],
                       new_database("meter"))
    assert backwards.flags_table() == branch.flags_table()
    assert backwards.directory() == branch.directory()


def test_the_directory_follows_the_most_recent_mc_else_sbrs(tmp_path, new_database):
    branch = Branch(tmp_path, IN_ORDER, new_database("meter"))
    rows = {row.nomen: row for row in branch.directory()}
    assert set(rows) == set(NOMEN.values()) - {NOMEN["REB_JENIS"]}  # in MAINBILL only: not a reading
    d49 = rows[NOMEN["D49"]]
    assert (d49.nama, d49.rayon, d49.periode, d49.source, d49.status) == ("PELANGGAN D49", "34", P, "MC", "AKTIF")
    assert (d49.searched, d49.search_text) == (d49.nomen, "pelanggan d49 ")
    assert rows[NOMEN["X101"]].rayon == "35"
    # Without the MC, every customer falls back to its most recent reading.
    mc_upload = branch.uploads["MC"]
    delete_upload(branch.engine, mc_upload)
    rows = {row.nomen: row for row in branch.directory()}
    assert {row.source for row in rows.values()} == {"SBRS"}
    assert rows[NOMEN["NOPREV"]].periode == P and rows[NOMEN["STUCK3"]].periode == P
    assert branch.directory() == branch.directory_rebuilt()
    load(branch.engine, branch.files["MC"])
    assert branch.directory() == branch.directory_rebuilt()
    assert {row.source for row in branch.directory()} == {"MC"}
    # A rebuild (what a migration asks for) over a search table gone stale mends it: a text
    # without an entry goes, a changed one is written again.
    kept = branch.directory()
    with branch.engine.begin() as conn:
        conn.execute(text("INSERT INTO customer_search (nomen, search_text) VALUES ('99999999', 'nobody')"))
        conn.execute(text("UPDATE customer_search SET search_text = 'stale' WHERE nomen = :n"), {"n": NOMEN["D49"]})
        refresh_directory(conn, None, None)
    assert branch.directory() == kept


def test_a_customer_listed_twice_in_one_mc_takes_its_row_stored_last(tmp_path, new_database):
    """A database from before DATA.md refused an MC listing a NOMEN twice: the directory takes the
    row stored last (the highest id), in each back end's form of the newest-row query, also when
    it looks a customer up again after a later MC no longer lists it."""
    branch = Branch(tmp_path, IN_ORDER, new_database("meter"))
    nomen = NOMEN["D49"]
    with branch.engine.begin() as conn:
        row = conn.execute(text("SELECT * FROM mc WHERE periode = :p AND nomen = :n"),
                           {"p": P, "n": nomen}).mappings().one()
        again = {k: v for k, v in row.items() if k != "id"} | {"nama": "PELANGGAN D49 BARU"}
        conn.execute(text(f"INSERT INTO mc ({', '.join(again)}) VALUES ({', '.join(':' + k for k in again)})"), again)
        refresh_directory(conn, "MC", P)
    rows = {row.nomen: row for row in branch.directory()}
    assert (rows[nomen].nama, rows[nomen].search_text) == ("PELANGGAN D49 BARU", "pelanggan d49 baru ")
    assert branch.directory() == branch.directory_rebuilt()
    # Listed by a later MC, then no longer: the entry is looked up again among every periode
    # (per customer on SQLite, ingest/directory.py), and takes the same row.
    later = "2099-01"
    with branch.engine.begin() as conn:
        moved = again | {"periode": later, "nama": "PELANGGAN D49 KELAK"}
        conn.execute(text(f"INSERT INTO mc ({', '.join(moved)}) VALUES ({', '.join(':' + k for k in moved)})"), moved)
        refresh_directory(conn, "MC", later)
    assert {row.nomen: row for row in branch.directory()}[nomen].nama == "PELANGGAN D49 KELAK"
    with branch.engine.begin() as conn:
        # An older periode's row stored after it (a higher id) does not beat P's.
        older = again | {"periode": "2000-01", "nama": "PELANGGAN D49 DULU"}
        conn.execute(text(f"INSERT INTO mc ({', '.join(older)}) VALUES ({', '.join(':' + k for k in older)})"), older)
        conn.execute(text("DELETE FROM mc WHERE periode = :p"), {"p": later})
        refresh_directory(conn, "MC", later)
    rows = {row.nomen: row for row in branch.directory()}
    assert (rows[nomen].nama, rows[nomen].periode) == ("PELANGGAN D49 BARU", P)
    assert branch.directory() == branch.directory_rebuilt()


def test_deleting_last_periode_s_readings_stops_the_comparisons(tmp_path, new_database):
    branch = Branch(tmp_path, IN_ORDER, new_database("meter"))
    before = branch.flags_table()
    delete_upload(branch.engine, branch.uploads["SBRS 2025-11"])
    assert branch.flagged("drop") == set()
    assert branch.flagged("misrecord") == {"MIS_STATED", "NEG_PAKAI"}  # stated PAKAI still checked
    assert branch.flagged("tamper") == {"TAMPER0"}
    assert branch.flagged("stuck") == set()
    summary = branch.get(f"/api/anomaly/summary?periode={P}")
    assert summary["anomalies"]["drop"]["missing"] == ["SBRS 2025-11"]
    assert summary["previous_periode"] is None
    load(branch.engine, branch.files["SBRS 2025-11"])
    assert branch.flags_table() == before


def test_changed_thresholds_recompute_the_flags(tmp_path, new_database):
    branch = Branch(tmp_path, IN_ORDER, new_database("meter"))
    assert sync_thresholds(branch.engine, Thresholds(extreme_m3=60, drop_percent=47)) is True
    assert branch.flagged("extreme") == {"X100", "X101"}
    assert branch.flagged("drop") == {"NEG_PAKAI", "TAMPER_DROP"}  # 19 of 40 m3 is 47.5 %: no longer
    assert sync_thresholds(branch.engine, Thresholds(extreme_m3=60, drop_percent=47)) is False


@pytest.mark.parametrize("wanted", [Thresholds(), Thresholds(extreme_m3=60)], ids=["defaults", "changed"])
def test_processes_starting_together_store_the_thresholds_once(engine, wanted):
    """gunicorn starts its workers at once, and each syncs the thresholds at start."""
    barrier = threading.Barrier(4)
    results, errors = [], []

    def start():
        barrier.wait()
        try:
            results.append(sync_thresholds(engine, wanted))
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)
    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [False, False, False, wanted != Thresholds()]  # one recomputes, if any
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM anomaly_setting")).scalar() == 1


def test_the_grid_s_requests_and_the_export_follow_the_same_filters(branch):
    from sunter_dash import export
    from sunter_dash.tabs import meter

    query = {"periode": P, "rayon": "semua", "key": "zero"}
    request = {"startRow": 0, "endRow": 4, "sortModel": [{"colId": "nomen", "sort": "desc"}],
               "filterModel": {"nama": {"filterType": "text", "type": "contains", "filter": "stuck"}}}
    with branch.app.server.test_request_context():
        page = meter.rows_page(query, request)
        assert page["rowCount"] == 3  # STUCK3, STUCK2, STUCK_EST
        assert [r["nomen"] for r in page["rowData"]] == sorted(
            (NOMEN[n] for n in ("STUCK3", "STUCK2", "STUCK_EST")), reverse=True)
        assert page["rowData"][0]["flag_names"] == "Pemakaian Nol"
        stuck3 = next(r for r in page["rowData"] if r["nomen"] == NOMEN["STUCK3"])
        assert stuck3["flag_names"] == "Pemakaian Nol, Meter Macet"
        # A filter the server cannot apply gives an empty page, not an error.
        assert meter.rows_page(query, {**request, "filterModel": {"secret": {"type": "contains"}}})["rowCount"] == 0

        sort, filters = meter.list_request(request)  # the grid's sort model names nomen:desc
        content, name = export.anomaly_list(branch.engine, P, "zero", None, sort, filters, "csv")
    assert name == f"anomali-pemakaian-nol_{P}.csv"  # the check as the page names it
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",Potensi (Rp),Arah")
    assert lines[0].startswith("Nomen,Nama,Rayon,Tarif,Stand Lalu,Stand Kini")
    assert [line.split(",")[0] for line in lines[1:]] == [r["nomen"] for r in page["rowData"]]
    assert "Pemakaian Nol, Meter Macet" in content.decode("utf-8-sig")


def _read_methods_in_table(engine, periode: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT DISTINCT read_method FROM sbrs WHERE periode = :p "
                                        "AND read_method IS NOT NULL"), {"p": periode}).scalars())


def test_the_read_methods_kept_at_ingest_follow_the_readings(tmp_path, engine, db_url):
    """The summary's read methods of P come from stored_count.codes, which every upload and
    deletion of SBRS(P) keeps, and which migration 0016 fills for a database stored before it."""
    from sunter_dash.db import upgrade
    from sunter_dash.queries.anomalies import read_methods

    files = write_files(tmp_path / "files")
    upload = load(engine, files[f"SBRS {P}"])
    in_table = _read_methods_in_table(engine, P)
    assert len(in_table) >= 2, in_table  # several codes, so the list is not vacuous
    assert read_methods.uncached(engine, P) == in_table
    assert read_methods.uncached(engine, "2025-11") == []  # not loaded

    downgrade(engine, db_url, "0015")
    upgrade(db_url)
    assert read_methods.uncached(engine, P) == in_table

    delete_upload(engine, upload.upload_id)
    assert read_methods.uncached(engine, P) == []
