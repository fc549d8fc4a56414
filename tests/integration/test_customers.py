"""Customer search and profile (issue 5): the hand-made branch of
tests/fixtures/customer_branch.py, loaded through the ingest pipeline, its figures worked
out by hand in the assertions; the API's errors; the plans of the queries; the tab's pages."""
from __future__ import annotations

import base64
import datetime as dt
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, insert, text

from sunter_dash import create_app, queries
from sunter_dash.config import Config
from sunter_dash.db import get_engine
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.ingest.directory import refresh as refresh_directory
from sunter_dash.models import Analysis
from sunter_dash.services.users import upsert as upsert_user
from sunter_dash.tabs import customer as customer_tab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from customer_branch import MC_HEADER, SBRS_HEADER, A, B, C, D, E, F, U, write_files  # noqa: E402
from helpers import cheap_password  # noqa: E402
from make_fixtures import write_table  # noqa: E402

PASSWORD = "admin-pass-123"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}


def make_app(url: str, cache_type: str = "NullCache"):
    return create_app(Config(database_url=url, secret_key="test-secret", secret_key_is_generated=False,
                             cache_type=cache_type, admin_password=PASSWORD))


@pytest.fixture(scope="module")
def branch(tmp_path_factory, module_database):
    """(app, client, engine) on the hand-made branch, loaded through the ingest pipeline."""
    root = tmp_path_factory.mktemp("customers")
    url = module_database("customers")
    engine = get_engine(url)
    for path in write_files(root / "files"):
        result = ingest_file(engine, path)
        assert result.status == "loaded" and result.rejected == 0, result.as_json()
    upsert_user(engine, "admin", "admin", PASSWORD)
    cheap_password(engine, "admin", PASSWORD)  # the Basic path is the real one, only faster
    app = make_app(url)
    return app, app.server.test_client(), engine


def get(client, url: str, status: int = 200):
    response = client.get(url, headers=AUTH)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
    return response.get_json()


def nomens(body: dict) -> list[str]:
    return [r["nomen"] for r in body["results"]]


# --- the directory is filled by the ingest ------------------------------------------------------

def test_the_directory_holds_every_customer_of_mc_and_sbrs(branch):
    _, _, engine = branch
    with engine.connect() as conn:
        rows = {r.nomen: r for r in conn.execute(text("SELECT * FROM customer"))}
    assert sorted(rows) == sorted([A, B, C, D, E, F])
    assert (rows[A].tarif, rows[A].periode, rows[A].source, rows[A].rayon) == ("2B", "2025-12", "MC", "34")


# --- search --------------------------------------------------------------------------------------

@pytest.mark.parametrize("q, rayon, expected", [
    ("6001", None, [A, B, D]),
    ("600123", None, [A, B, D]),
    ("600123", "34", [A, B]),
    ("60012345", None, [A]),
    ("6", "35", [C, D]),
    ("9", None, []),
    ("budi sunter", None, [A, D]),
    ("  BUDI   Sunter ", None, [A, D]),
    ("budi sunter", "34", [A]),
    ("sunter agung budi", None, [A]),
    ("sunter", None, [A, B, D, E]),
    ("a_a", None, [E]),  # '_' is no wildcard
    ("100%", None, [E]),  # nor is '%'
    ("1000", None, []),  # digits: a NOMEN prefix, not an address
    ("jl 1000", None, [F]),
    ("nobody", None, []),
])
def test_search_by_nomen_prefix_or_name_words(branch, q, rayon, expected):
    _, client, _ = branch
    url = f"/api/customers/search?q={q.replace('%', '%25')}" + (f"&rayon={rayon}" if rayon else "")
    assert sorted(nomens(get(client, url))) == sorted(expected)


def test_a_renamed_customer_is_found_by_its_new_words_until_its_mc_is_deleted(tmp_path, new_database):
    """The search by words reads ``customer_search``, which is written only where a name or
    address changed: an MC of a later periode that renames a customer moves its words, and
    deleting that MC moves them back."""
    url = new_database("renamed")
    engine = get_engine(url)
    for path in write_files(tmp_path / "files"):
        assert ingest_file(engine, path).status == "loaded"
    upsert_user(engine, "admin", "admin", PASSWORD)
    cheap_password(engine, "admin", PASSWORD)
    client = make_app(url).server.test_client()
    renamed = [MC_HEADER, [A, "RINA WATI", "JL. KEBON BAWANG", "341010203", "2B", "M-001", 0, 95000, "AKTIF"]]
    written: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO customer_search"):
            written.append(cursor.rowcount)
    event.listen(engine, "after_cursor_execute", count)
    upload = ingest_file(engine, write_table(tmp_path, "MC_2026-01", "csv-semicolon", renamed))
    event.remove(engine, "after_cursor_execute", count)
    assert upload.status == "loaded"
    assert written == [1]  # the newest MC writes the search words of the renamed customer only
    assert nomens(get(client, "/api/customers/search?q=rina bawang")) == [A]
    assert nomens(get(client, "/api/customers/search?q=budi sunter")) == [D]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT search_text FROM customer_search WHERE nomen = :n"), {"n": A}).scalar() \
            == "rina wati jl. kebon bawang"
    delete_upload(engine, upload.upload_id)
    assert nomens(get(client, "/api/customers/search?q=rina")) == []
    assert nomens(get(client, "/api/customers/search?q=budi sunter")) == [A, D]


def test_each_entry_is_the_strongest_row_whatever_order_the_files_come_in(tmp_path, new_database):
    """An MC beats any SBRS and an MC of its periode or before; an SBRS beats only an SBRS of its
    periode or before (the directory's rule, models/summaries.py ``Customer``), also when older
    files come after newer ones and a periode's MC is replaced; the directory and its search words
    are what a full rebuild makes."""
    engine = get_engine(new_database("strongest"))
    x, y, z = "60050001", "60050002", "60050003"

    def reading(nomen: str, day: dt.date) -> list:
        return [nomen, 100, 110, 10, "ACTUAL", None, None, None, day, "3410102", 70000]

    def mc(*customers: tuple[str, str, str]) -> list:
        return [MC_HEADER, *[[nomen, nama, alamat, "341010203", "2A", "M-1", 10, 70000, "AKTIF"]
                             for nomen, nama, alamat in customers]]

    files = [
        ("MC_2025-12", "csv-semicolon", mc((x, "NAMA AWAL", "JL. AWAL"))),
        ("SBRS_2025-12", "xlsx", [SBRS_HEADER, reading(x, dt.date(2025, 11, 10)), reading(y, dt.date(2025, 11, 10))]),
        ("MC_2025-11", "csv-semicolon", mc((x, "NAMA LAMA", "JL. LAMA"), (y, "YUDI", "JL. DANAU"))),
        ("SBRS_2025-11", "xlsx", [SBRS_HEADER, reading(z, dt.date(2025, 10, 10))]),
        ("MC_2025-12", "csv-semicolon", mc((x, "NAMA BARU", "JL. BARU"))),  # replaces the first
        ("SBRS_2026-01", "xlsx", [SBRS_HEADER, reading(z, dt.date(2025, 12, 10)), reading(x, dt.date(2025, 12, 10))]),
    ]
    for number, (name, layout, rows) in enumerate(files):
        (tmp_path / str(number)).mkdir()
        path = write_table(tmp_path / str(number), name, layout, rows)
        assert ingest_file(engine, path).status == "loaded", name

    def directory(conn) -> tuple[list, list]:
        return (sorted(conn.execute(text("SELECT * FROM customer")).all()),
                sorted(conn.execute(text("SELECT * FROM customer_search")).all()))

    with engine.connect() as conn:
        entries, words = directory(conn)
    assert {e.nomen: (e.source, e.periode, e.nama) for e in entries} == {
        x: ("MC", "2025-12", "NAMA BARU"), y: ("MC", "2025-11", "YUDI"), z: ("SBRS", "2026-01", None)}
    assert dict(words) == {x: "nama baru jl. baru", y: "yudi jl. danau", z: " "}
    with engine.connect() as conn:
        transaction = conn.begin()
        refresh_directory(conn, None, None)
        assert directory(conn) == (entries, words)
        transaction.rollback()


def test_search_results_carry_name_address_rayon_tarif(branch):
    _, client, _ = branch
    body = get(client, "/api/customers/search?q=60012345")
    assert body == {"results": [{"nomen": A, "nama": "BUDI SANTOSO", "alamat": "JL. SUNTER AGUNG", "rayon": "34",
                                 "tarif": "2B"}]}
    assert nomens(get(client, "/api/customers/search?q=6&limit=2")) == [A, B]  # NOMEN order


@pytest.mark.parametrize("url, word", [
    ("/api/customers/search", "'q' is required"),
    ("/api/customers/search?q=", "'q' is required"),
    ("/api/customers/search?q=%20%20", "'q' is required"),
    ("/api/customers/search?q=" + "a" * 101, "at most 100"),
    ("/api/customers/search?q=budi&limit=0", "'limit'"),
    ("/api/customers/search?q=budi&rayon=3%204", "'rayon'"),
    ("/api/customers/abc", "digits"),
    ("/api/customers/6001234%2B5", "digits"),
    ("/api/customers/" + "6" * 21, "digits"),
])
def test_bad_parameters_are_400_saying_which(branch, url, word):
    _, client, _ = branch
    assert word in get(client, url, 400)["detail"]


def test_a_100_character_search_is_allowed(branch):
    _, client, _ = branch
    assert get(client, "/api/customers/search?q=" + "a" * 100) == {"results": []}


def test_unknown_customer_is_404(branch):
    _, client, _ = branch
    assert "60000000" in get(client, "/api/customers/60000000", 404)["error"]


@pytest.mark.parametrize("url", ["/api/customers/search?q=budi", f"/api/customers/{A}", "/api/customers/60000000"])
def test_customers_need_a_user(branch, url):
    _, client, _ = branch
    response = client.get(url)
    assert response.status_code == 401
    assert "error" in response.get_json()


# --- the profile ----------------------------------------------------------------------------------

def test_profile_identity_is_the_newest_mc(branch):
    _, client, _ = branch
    profile = get(client, f"/api/customers/{A}")
    assert profile["nomen"] == A
    assert profile["identity"] == {"nama": "BUDI SANTOSO", "alamat": "JL. SUNTER AGUNG", "rayon": "34",
                                   "tarif": "2B", "zona_novak": "341010203", "pcez": "10102", "nomet": "M-001",
                                   "status": "AKTIF", "periode": "2025-12", "source": "MC"}
    assert list(profile["stored"]) == ["2025-09", "2025-11", "2025-12"]
    assert profile["stored"]["2025-09"] == ["MB"]


def test_profile_readings(branch):
    _, client, _ = branch
    readings = get(client, f"/api/customers/{A}")["readings"]
    assert readings == [
        {"periode": "2025-11", "read_date": "2025-10-10", "stand_lalu": 1200, "stand_kini": 1225, "pakai": 25,
         "volume": 25, "read_method": "ACTUAL", "skip_code": None, "trouble_code": None, "special_msg": None,
         "bill_period": None, "bill_amount": 187500},
        {"periode": "2025-12", "read_date": "2025-11-10", "stand_lalu": 1225, "stand_kini": 1225, "pakai": 0,
         "volume": 0, "read_method": "ACTUAL", "skip_code": "RUMAH KOSONG", "trouble_code": "BYPASS",
         "special_msg": "CEK ULANG", "bill_period": None, "bill_amount": 95000},
    ]


def test_profile_bills_from_mainbill_and_mc(branch):
    _, client, _ = branch
    profile = get(client, f"/api/customers/{A}")
    assert profile["bills"] == [
        {"periode": "2025-11", "bill_period": "2025-11", "tgl_tagihan": "2025-11-01", "jenis_rek": "NORMAL",
         "pakai": 25, "tarif": "2A", "total": 187500},
        {"periode": "2025-12", "bill_period": "2025-12", "tgl_tagihan": "2025-12-01", "jenis_rek": "NORMAL",
         "pakai": 0, "tarif": "2B", "total": 95000},
        {"periode": "2025-12", "bill_period": "2025-12", "tgl_tagihan": "2025-12-05", "jenis_rek": "KOREKSI",
         "pakai": 0, "tarif": "2B", "total": 80000},
    ]
    assert [(m["periode"], m["kubik"], m["nominal"], m["tarif"]) for m in profile["mc"]] == [
        ("2025-11", 25, 187500, "2A"), ("2025-12", 0, 95000, "2B")]


def test_profile_payments_current_and_undue(branch):
    _, client, _ = branch
    profile = get(client, f"/api/customers/{A}")
    assert [(p["periode"], p["pay_date"], p["amount"], p["bill_period"], p["jenis"], p["loket"], p["notag"])
            for p in profile["payments"]] == [
        ("2025-11", "2025-11-15", 187500, "2025-11", "CURRENT", "BANK DKI", "T2511-0001"),
        ("2025-11", "2025-11-20", 50000, "2025-09", "UNDUE", "BANK DKI", None),
        ("2025-12", "2025-12-10", 95000, "2025-12", "CURRENT", "TOKOPEDIA", "T2512-0001"),
        ("2025-12", "2025-12-12", 90000, "2025-10", "UNDUE", "BANK DKI", None),
    ]
    assert profile["mb_payments"] == [
        {"bill_period": "2025-08", "pay_date": "2025-09-15", "amount": 60000, "notag": "T2508-0001"},
        {"bill_period": "2025-09", "pay_date": "2025-11-20", "amount": 50000, "notag": None},
    ]


def test_profile_arrears_per_bill_and_per_customer_layouts(branch):
    _, client, _ = branch
    assert get(client, f"/api/customers/{A}")["arrears"] == [
        {"periode": "2025-11", "bills": 2, "total": 140000, "oldest_bill": "2025-09"},  # 50 000 + 90 000
        {"periode": "2025-12", "bills": 1, "total": 90000, "oldest_bill": None},
    ]


def test_profile_flags(branch):
    _, client, _ = branch
    flags = get(client, f"/api/customers/{A}")["flags"]
    # METRICS.md: volume 0 (zero), 25 -> 0 (drop), a KOREKSI bill (rebill), a trouble code at volume 0 (tamper).
    assert [(f["periode"], f["flag"]) for f in flags] == [
        ("2025-12", "drop"), ("2025-12", "rebill"), ("2025-12", "tamper"), ("2025-12", "zero")]
    zero = next(f for f in flags if f["flag"] == "zero")
    assert (zero["stand_lalu"], zero["stand_kini"], zero["volume"], zero["prev_volume"]) == (1225, 1225, 0, 25)


def test_profile_history_one_row_per_stored_periode(branch):
    _, client, _ = branch
    history = get(client, f"/api/customers/{A}")["history"]
    assert history == [
        {"periode": "2025-09", "stand_lalu": None, "stand_kini": None, "volume": None, "read_method": None,
         "mc_nominal": None, "mc_kubik": None, "bills": 0, "bill_total": None, "payments": 0, "paid_current": 0,
         "paid_undue": 0, "arrears_bills": None, "arrears_total": None, "flags": []},
        {"periode": "2025-11", "stand_lalu": 1200, "stand_kini": 1225, "volume": 25, "read_method": "ACTUAL",
         "mc_nominal": 187500, "mc_kubik": 25, "bills": 1, "bill_total": 187500, "payments": 2,
         "paid_current": 187500, "paid_undue": 50000, "arrears_bills": 2, "arrears_total": 140000, "flags": []},
        {"periode": "2025-12", "stand_lalu": 1225, "stand_kini": 1225, "volume": 0, "read_method": "ACTUAL",
         "mc_nominal": 95000, "mc_kubik": 0, "bills": 2, "bill_total": 80000, "payments": 2,
         "paid_current": 95000, "paid_undue": 90000, "arrears_bills": 1, "arrears_total": 90000,
         "flags": ["drop", "rebill", "tamper", "zero"]},
    ]


def test_profile_of_a_customer_known_only_by_a_payment(branch):
    _, client, _ = branch
    profile = get(client, f"/api/customers/{U}")
    assert profile["identity"]["nama"] is None
    assert [(p["pay_date"], p["amount"], p["jenis"]) for p in profile["payments"]] == [
        ("2025-12-05", 30000, "CURRENT")]
    assert profile["readings"] == profile["bills"] == profile["arrears"] == profile["analyses"] == []


def test_profile_of_a_customer_without_history_of_some_kind(branch):
    _, client, _ = branch
    profile = get(client, f"/api/customers/{C}")
    assert profile["readings"] == profile["bills"] == profile["payments"] == profile["flags"] == []
    assert profile["arrears"] == [{"periode": "2025-12", "bills": 3, "total": 900000, "oldest_bill": None}]


# --- analyses are read fresh ------------------------------------------------------------------------

def test_analyses_appear_at_once_though_the_data_is_cached(tmp_path, new_database):
    url = new_database("cached")
    engine = get_engine(url)
    for path in write_files(tmp_path / "files")[:2]:
        assert ingest_file(engine, path).status == "loaded"
    app = make_app(url, cache_type="SimpleCache")
    with app.server.app_context():
        assert queries.customer_profile(engine, B)["analyses"] == []
        with engine.begin() as conn:
            conn.execute(insert(Analysis).values(nomen=B, periode="2025-12", anomaly_type="zero", status="open",
                                                 priority="tinggi", assigned_to="petugas1", created_by="admin",
                                                 created_at=dt.datetime(2025, 12, 20, 9, 30),
                                                 updated_at=dt.datetime(2025, 12, 20, 9, 30)))
        cases = queries.customer_profile(engine, B)["analyses"]
        assert [(c["periode"], c["anomaly_type"], c["status"], c["priority"], c["assigned_to"], c["created_at"])
                for c in cases] == [("2025-12", "zero", "open", "tinggi", "petugas1", "2025-12-20T09:30:00Z")]
        # A customer with a case and no stored row still has a profile.
        with engine.begin() as conn:
            conn.execute(insert(Analysis).values(nomen="70000001", status="open", priority="sedang"))
        assert queries.customer_profile(engine, "70000001")["identity"]["nama"] is None
        assert queries.customer_profile(engine, "70000002") is None


# --- the queries seek, never scan -----------------------------------------------------------------

SMALL_TABLES = {"data_version", "stored_count"}  # one row, one row per type and periode


def plans(engine, call) -> list[tuple[str, str]]:
    """(statement, plan line) of every SELECT that ``call`` runs."""
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    found = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
                found.append((statement, row[-1]))
    return found


def scans(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(statement, line) for statement, line in found
            if line.startswith("SCAN") and line.split()[1] not in SMALL_TABLES]


def test_the_profile_queries_seek_by_index(branch):
    app, _, _ = branch
    engine = app.server.extensions["sunter_engine"]
    with app.server.app_context():
        found = plans(engine, lambda: queries.customer_profile(engine, A))
    assert not scans(found), scans(found)
    lines = " | ".join(line for _, line in found)
    for table in ("customer", "sbrs", "mc", "mainbill", "payment", "mb_payment", "arrears_customer", "meter_flag",
                  "analysis"):
        assert f"SEARCH {table} " in lines, (table, lines)


def test_the_nomen_search_seeks_the_primary_key(branch):
    app, _, _ = branch
    engine = app.server.extensions["sunter_engine"]
    with app.server.app_context():
        found = plans(engine, lambda: queries.customer_search(engine, "600123", "34"))
    assert not scans(found), scans(found)
    assert any(line.startswith("SEARCH customer USING") and "nomen>? AND nomen<?" in line for _, line in found), found


def test_the_word_search_can_look_its_words_up_in_the_trigram_index(branch):
    """On PostgreSQL the search by words has pg_trgm's index of ``customer_search`` to look its
    words up in (LIKE with its escape clause included): at a million names the planner takes it
    instead of a scan (docs/PERFORMANCE.md). Scans and plain index scans forbidden here, as a table
    this small would otherwise be scanned, or walked along its primary key. First the whole directory
    is rebuilt into an emptied search table, which builds the index after writing the rows."""
    app, _, engine = branch
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm's index exists on PostgreSQL only")
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM customer_search")
        refresh_directory(conn, None, None)
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "customer_search" in statement:
            seen.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.server.app_context():
            assert [r["nomen"] for r in queries.customer_search(engine, "sunter 100%")] == [E]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    ((statement, parameters),) = seen
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_indexscan = off")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    assert "ix_customer_search_trigram" in plan, plan


def test_a_first_load_builds_the_search_index_once_and_no_search_waits_for_it(engine, tmp_path, monkeypatch):
    """On PostgreSQL a branch's first SBRS fills the empty customer_search and builds its trigram
    index once, after the rows: it drops the index first, which holds the table until the upload
    commits. A search by words meanwhile answers at once from the directory committed, empty,
    instead of waiting for the upload; after it, the new names are found."""
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm's index exists on PostgreSQL only")
    from sunter_dash.ingest import flags

    during: dict[str, object] = {}
    keep_flags = flags.refresh

    def search_meanwhile(conn, *args, **kwargs):
        # The directory is written by now, its search table held (its index dropped and built
        # again); another connection searches.
        during["held"] = conn.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'customer_search'::regclass "
            "AND mode = 'AccessExclusiveLock' AND pid = pg_backend_pid())").scalar()
        search = threading.Thread(target=lambda: during.update(found=queries.customer_search(engine, "aminah")))
        search.start()
        search.join(timeout=30)
        during["waited"] = search.is_alive()
        return keep_flags(conn, *args, **kwargs)
    monkeypatch.setattr(flags, "refresh", search_meanwhile)
    header = ["cmr_account", "cmr_prev_read", "cmr_reading", "cmr_name", "cmr_address"]
    rows = [header, ["60000001", 100, 110, "SITI AMINAH", "JL. SUNTER 1"],
            ["60000002", 200, 215, "BUDI SANTOSO", "JL. SUNTER 2"]]
    assert ingest_file(engine, write_table(tmp_path, "SBRS_202512", "csv-comma", rows)).status == "loaded"
    assert during == {"held": True, "waited": False, "found": []}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT to_regclass('ix_customer_search_trigram')").scalar() is not None
    assert [r["nomen"] for r in queries.customer_search(engine, "aminah")] == ["60000001"]


# --- the tab ----------------------------------------------------------------------------------------

def texts(component) -> str:
    """Every text of a Dash component tree, joined."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def find(component, component_id: str):
    if isinstance(component, (list, tuple)):
        return next((f for f in (find(c, component_id) for c in component) if f is not None), None)
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    return find(children, component_id) if children is not None and not isinstance(children, str) else None


def test_the_tab_shows_the_profile_with_indonesian_names(branch):
    app, _, _ = branch
    with app.server.app_context():
        page = customer_tab.update(A, "2025-12", "34")
    words = texts(page)
    assert "BUDI SANTOSO" in words and "Desember 2025 (MC)" in words
    assert "Rp 90.000 (1 rek) per Desember 2025" in words
    flags = find(page, customer_tab.FLAGS_GRID)
    assert sorted(r["name"] for r in flags.rowData) == ["Indikasi Pelanggaran", "Pemakaian Nol", "Pemakaian Turun",
                                                        "Rebill"]
    assert find(page, customer_tab.NEW_ANALYSIS).href == f"?periode=2025-12&rayon=34&tab=analisa&new=1&nomen={A}"
    payments = find(page, customer_tab.PAYMENTS_GRID).rowData
    # The 50 000 of 20-11-2025 is in COLLECTION and in MB: listed once, naming both.
    assert sorted((p["source"], p["amount"]) for p in payments) == [
        ("COLLECTION", 90000), ("COLLECTION", 95000), ("COLLECTION", 187500), ("COLLECTION + MB", 50000),
        ("MB (riwayat)", 60000)]
    assert "Belum ada analisa untuk pelanggan ini." in words


def test_the_tab_says_what_is_missing(branch):
    app, _, _ = branch
    with app.server.app_context():
        page = customer_tab.update(C, "2025-12", None)
        assert "Belum ada data pembacaan meter untuk pelanggan ini." in texts(page)
        assert "Belum ada data tagihan" not in texts(page)  # MC(2025-12) has its target
        assert texts(customer_tab.update("60000000", None, None)).strip().endswith(
            "Pelanggan 60000000 tidak ditemukan di data yang tersimpan.")
        assert "tidak valid" in texts(customer_tab.update("60x", None, None))


def test_the_tab_lists_search_results_as_profile_links(branch):
    app, _, _ = branch
    with app.server.app_context():
        results = customer_tab.build_results("budi sunter", "2025-12", "semua")
        assert "2 pelanggan cocok." in texts(results)
        links = results.children[1].children
        assert [link.href for link in links] == [f"?periode=2025-12&tab=pelanggan&nomen={n}" for n in (A, D)]
        assert "di Rayon 35" in texts(customer_tab.build_results("siti", "2025-12", "35"))
