"""The summary tables kept by each upload equal a rebuild from the stored rows.

Uploads fold new payments in incrementally (through the staged bulk insert for
large files, through pandas for small ones), MC changes move rayons across
periodes, deletions rebuild: whatever the path, the result must be the one a
full rebuild gives.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import bindparam, event, insert, text

from sunter_dash import queries
from sunter_dash.demo import generate
from sunter_dash.domain import files
from sunter_dash.domain.clock import now_utc
from sunter_dash.ingest import bulk, collection, delete_upload, directory, ingest_file
from sunter_dash.ingest import store as load  # where the bulk insert threshold lives
from sunter_dash.ingest.bulk import ROWS, bulk_insert, detach_stage, insert_derived, release, stageable, staged
from sunter_dash.ingest.figures import mc_per_customer, rebuild_kpi
from sunter_dash.ingest.payment_fold import DAILY_COLUMNS, PAY_SUMS, PAYMENTS_READ_BACK, payment_sums
from sunter_dash.ingest.summaries import reads_back, rebuild_all, refresh_customer_rayon
from sunter_dash.models import PayCustomer, Upload, data_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from collection_branch import FILES, load_branch  # noqa: E402
from helpers import periode_of  # noqa: E402
from make_fixtures import write_table  # noqa: E402

SUMMARIES = ("kpi_periode", "kpi_day", "pay_customer", "customer_rayon", "arrears_customer",
             "arrears_bucket", "stored_count", "collection_customer", "collection_group", "customer", "customer_search")


def _read(conn) -> dict[str, list[tuple]]:
    return {name: sorted(conn.execute(text(f"SELECT * FROM {name}")).all()) for name in SUMMARIES}


def _tables(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return _read(conn)


def _rebuilt(engine) -> dict[str, list[tuple]]:
    """The summaries and the customer directory as a full rebuild from the stored rows gives them
    (rolled back after)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        rebuild_all(conn)
        directory.refresh(conn, None, None)
        tables = _read(conn)
        transaction.rollback()
    return tables


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), customers=300, months=3, seed=11)


@pytest.mark.parametrize("bulk_rows", [1, 10**9], ids=["staged-bulk-insert", "executemany"])
def test_incremental_summaries_equal_a_rebuild(engine, tmp_path, demo_files, monkeypatch, bulk_rows):
    monkeypatch.setattr(load, "BULK_ROWS", bulk_rows)
    results = [ingest_file(engine, path) for path in demo_files]
    assert all(r.status == "loaded" for r in results), [r.message for r in results if r.status != "loaded"]
    assert _tables(engine) == _rebuilt(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM kpi_day")).scalar() > 0
        assert conn.execute(text("SELECT COUNT(DISTINCT periode) FROM pay_customer")).scalar() == 3


def test_only_collection_s_payments_are_read_back_from_the_stage():
    """The summaries read COLLECTION's new payments, and their sums, back from the bulk stage
    (PostgreSQL copies every type's rows straight into their table, and stages what is read
    back apart); no other type reads anything back."""
    assert {name for name in files.names() if reads_back(files.spec(name))} == {"COLLECTION"}


def _three_payments() -> pd.DataFrame:
    return pd.DataFrame({"periode": ["2025-12", "2025-12", "2025-11"], "nomen": ["B", "A", "A"],
                         "pay_key": [1, 2, 3], "pay_date": [dt.date(2025, 12, 2)] * 3, "amount": [5, 7, 11],
                         "jenis": ["CURRENT", "UNDUE", "CURRENT"]})


@contextmanager
def _collection_upload(conn):
    """A transaction holding one running COLLECTION upload (its id), rolled back after, the
    bulk stage detached."""
    transaction = conn.begin()
    try:
        yield conn.execute(insert(Upload).values(
            filename="x.txt", size=0, file_type="COLLECTION", status="running", created_at=now_utc())
        ).inserted_primary_key[0]
    finally:
        transaction.rollback()
        detach_stage(conn)


def test_the_stage_names_only_what_was_staged_and_keeps_the_rows_name_for_the_rows(engine):
    """``staged`` names the relations one bulk insert staged, no others; a derived table may not
    take the rows' own name (it would be inserted in their place). The sums staged are
    pay_customer's, per pay month and customer; ``insert_derived`` inserts those of the pay months
    asked for."""
    payments = data_table("COLLECTION")
    rows = _three_payments()
    with engine.connect() as conn:
        with pytest.raises(ValueError, match="rows"):
            bulk_insert(conn, payments, rows, list(rows.columns), read_back={ROWS: payment_sums})
        with _collection_upload(conn) as upload:
            rows["upload_id"] = upload
            bulk_insert(conn, payments, rows, list(rows.columns), read_back={PAY_SUMS: payment_sums})
            assert staged(conn, payments.name) is None  # the rows themselves were not staged
            assert staged(conn, data_table("MC").name, PAY_SUMS) is None
            # A pay month's sums straight into pay_customer (on PostgreSQL without staging them) ...
            assert insert_derived(conn, payments.name, PAY_SUMS, PayCustomer.__table__, "periode", ["2025-12"]) == 2
            assert [tuple(r) for r in conn.execute(text(
                "SELECT nomen, cur_n, cur_sum, undue_n, undue_sum FROM pay_customer ORDER BY nomen"))] == [
                ("A", 0, 0, 1, 7), ("B", 1, 5, 0, 0)]
            with pytest.raises(LookupError, match="other"):
                insert_derived(conn, payments.name, "other", PayCustomer.__table__, "periode", ["2025-12"])
            # ... and all of them still there to read.
            sums = conn.execute(text(f"SELECT periode, nomen, cur_n, cur_sum, undue_n, undue_sum "
                                     f"FROM {staged(conn, payments.name, PAY_SUMS)} ORDER BY 1, 2")).all()
            assert [tuple(r) for r in sums] == [("2025-11", "A", 1, 11, 0, 0), ("2025-12", "A", 0, 0, 1, 7),
                                                ("2025-12", "B", 1, 5, 0, 0)]
            assert conn.execute(text("SELECT COUNT(*) FROM payment")).scalar() == 3


def test_rows_read_back_are_in_their_table_at_once_and_staged_only_when_asked_for(engine):
    """The rows of a bulk insert that later SQL reads back (COLLECTION's, for the daily figures)
    are in their table when ``bulk_insert`` returns. On PostgreSQL they were copied straight
    there, and their stage is made only when ``staged`` is first asked for it; it then holds the
    same rows, with the table's column types."""
    payments = data_table("COLLECTION")
    rows = _three_payments()
    stage_exists = text("SELECT to_regclass('pg_temp.sunter_stage_rows') IS NOT NULL")
    created = []
    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute",
                     lambda *args: created.append(args[2]) if "CREATE TEMPORARY TABLE" in args[2] else None)
        with _collection_upload(conn) as upload:
            rows["upload_id"] = upload
            bulk_insert(conn, payments, rows, list(rows.columns), read_back={ROWS: None, PAY_SUMS: payment_sums})
            assert conn.execute(text("SELECT SUM(amount) FROM payment")).scalar() == 23
            postgresql = conn.dialect.name == "postgresql"
            if postgresql:
                assert not conn.execute(stage_exists).scalar()
            stage = staged(conn, payments.name)
            assert [tuple(r) for r in conn.execute(text(
                f"SELECT periode, nomen, pay_key, pay_date, amount FROM {stage} ORDER BY pay_key"))] == [
                ("2025-12", "B", 1, *day_and(conn, 5)), ("2025-12", "A", 2, *day_and(conn, 7)),
                ("2025-11", "A", 3, *day_and(conn, 11))]
            if postgresql:
                assert conn.execute(stage_exists).scalar()
            assert staged(conn, payments.name) == stage
            # Staged once (SQLite's stage was written by ADBC, not through this connection).
            assert len([sql for sql in created if "sunter_stage_rows" in sql]) == (1 if postgresql else 0)


def test_rows_released_are_never_staged_and_let_go(engine):
    """Rows no later SQL will read back after all (a COLLECTION of new pay months only) are
    released: ``staged`` no longer names them, PostgreSQL never stages them and lets go of the
    Arrow rows it kept for that; the sums derived from them stay."""
    payments = data_table("COLLECTION")
    rows = _three_payments()
    with engine.connect() as conn:
        with _collection_upload(conn) as upload:
            rows["upload_id"] = upload
            bulk_insert(conn, payments, rows, list(rows.columns), read_back=PAYMENTS_READ_BACK)
            assert stageable(conn, payments.name)
            release(conn, payments.name)
            assert not stageable(conn, payments.name) and staged(conn, payments.name) is None
            assert ROWS not in conn.info.get(bulk.DERIVED, {})
            assert staged(conn, payments.name, PAY_SUMS) is not None
            if conn.dialect.name == "postgresql":
                assert not conn.execute(text("SELECT to_regclass('pg_temp.sunter_stage_rows') IS NOT NULL")).scalar()


def test_the_rows_read_back_are_staged_with_the_columns_named_on_postgresql(engine):
    """The daily figures read five of the payments' columns back (``PAYMENTS_READ_BACK``):
    PostgreSQL stages only those; SQLite's stage holds every column inserted."""
    payments = data_table("COLLECTION")
    rows = pd.DataFrame({"periode": ["2025-12"], "nomen": ["B"], "pay_key": [1], "pay_date": [dt.date(2025, 12, 2)],
                         "amount": [5], "jenis": ["CURRENT"], "notag": ["T-1"]})
    with engine.connect() as conn:
        with _collection_upload(conn) as upload:
            rows["upload_id"] = upload
            bulk_insert(conn, payments, rows, list(rows.columns), read_back=PAYMENTS_READ_BACK)
            stage = staged(conn, payments.name)
            columns = list(conn.execute(text(f"SELECT * FROM {stage} WHERE 1 = 0")).keys())
            if conn.dialect.name == "postgresql":
                assert columns == list(DAILY_COLUMNS) == ["periode", "nomen", "pay_date", "amount", "jenis"]
            else:
                assert sorted(columns) == sorted(rows.columns)
            assert conn.execute(text(f"SELECT nomen, amount, jenis FROM {stage}")).all() == [("B", 5, "CURRENT")]


def day_and(conn, amount: int) -> tuple:
    """2 December 2025 as the back end returns a stored date (SQLite: ISO text), and an amount."""
    day = dt.date(2025, 12, 2)
    return (day if conn.dialect.name == "postgresql" else day.isoformat()), amount


def test_a_collection_across_a_held_and_a_new_pay_month_folds_into_both(engine, tmp_path, demo_files,
                                                                           monkeypatch):
    """Payments' sums fold into ``pay_customer`` by a plain insert for a pay month it holds
    nothing of (on PostgreSQL a COPY straight from Arrow) and by an upsert from the stage for one
    it holds: one file with both adds to the held month's sums and starts the new month, as a
    rebuild gives them. The held month's collection work is computed again for its two payers
    only (one outside every MC, whose row starts a group without a rayon or PCEZ); the new
    month's (no MC) is written straight."""
    monkeypatch.setattr(load, "BULK_ROWS", 1)
    for path in demo_files:
        assert ingest_file(engine, path).status == "loaded"
    with engine.connect() as conn:
        first, second = conn.execute(text("SELECT nomen FROM mc WHERE periode = '2025-12' ORDER BY nomen LIMIT 2")).scalars()
        before = conn.execute(text("SELECT cur_n, cur_sum, undue_n, undue_sum FROM pay_customer "
                                   "WHERE periode = '2025-12' AND nomen = :n"), {"n": first}).one_or_none()
    rows = [["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "NOTAG", "LOKET"],
            [first, "30-12-2025", -1000, "122025", "T-LATE-1", "POS"],
            ["99999991", "31-12-2025", -4000, "102025", "T-OUT-1", "POS"],
            [first, "02-01-2026", -2000, "012026", "T-NEW-1", "POS"],
            [second, "03-01-2026", -3000, "112025", None, "POS"]]
    path = write_table(tmp_path, "Collection-2025-12-30_sd_2026-01-03", "txt-pipe", rows)
    folds: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO pay_customer"):
            folds.append("upsert" if "ON CONFLICT" in statement else "insert")
    copy = bulk._copy

    def record_copy(conn, relation, columns, arrow):
        if relation == "pay_customer":
            folds.append("copy")
        return copy(conn, relation, columns, arrow)
    monkeypatch.setattr(bulk, "_copy", record_copy)
    computed: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO cc_new"):
            computed.append(cursor.rowcount)
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "after_cursor_execute", count)
    try:
        assert ingest_file(engine, path).status == "loaded"
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "after_cursor_execute", count)
    assert sorted(folds) == ["copy" if engine.dialect.name == "postgresql" else "insert", "upsert"]
    assert computed == [2]
    assert _tables(engine) == _rebuilt(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT rayon, pcez, customers, undue_nomen, undue_nominal FROM collection_group "
                                 "WHERE periode = '2025-12' AND rayon = ''")).all() == [("", "", 0, 1, 4000)]
    with engine.connect() as conn:
        after = conn.execute(text("SELECT cur_n, cur_sum FROM pay_customer WHERE periode = '2025-12' AND nomen = :n"),
                             {"n": first}).one()
        january = conn.execute(text("SELECT nomen, cur_n, cur_sum, undue_n, undue_sum FROM pay_customer "
                                    "WHERE periode = '2026-01' ORDER BY nomen")).all()
    held_n, held_sum = (before[0], before[1]) if before else (0, 0)
    assert tuple(after) == (held_n + 1, held_sum + 1000)
    assert [tuple(r) for r in january] == [(first, 1, 2000, 0, 0), (second, 0, 0, 1, 3000)]


def test_a_new_pay_months_days_are_summed_from_payment_and_only_a_held_ones_rows_are_staged(engine, demo_files,
                                                                                            monkeypatch):
    """A COLLECTION of a pay month of which no payment was stored (December's first extract) brings
    all of that month's payments: its daily figures are summed from ``payment`` itself, and on
    PostgreSQL nothing of it is staged. A later extract of the same month reads its new rows and
    their sums from the stage. The summaries equal a rebuild after each."""
    monkeypatch.setattr(load, "BULK_ROWS", 1)
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO kpi_day"):
            seen.append("days from the stage" if "sunter_stage" in statement
                        else "days from payment" if " FROM payment s " in statement else statement)
    copy = bulk._copy

    def record_copy(conn, relation, columns, arrow):
        if "sunter_stage" in relation:
            seen.append(f"staged {relation.rsplit('_', 1)[-1]}")
        return copy(conn, relation, columns, arrow)
    monkeypatch.setattr(bulk, "_copy", record_copy)
    december: dict[str, list[str]] = {}
    event.listen(engine, "before_cursor_execute", record)
    try:
        for path in demo_files:
            seen.clear()
            assert ingest_file(engine, path).status == "loaded"
            if path.name.startswith("Collection-2025-12"):
                december[path.stem[-10:]] = list(seen)
                assert _tables(engine) == _rebuilt(engine), path.name
    finally:
        event.remove(engine, "before_cursor_execute", record)
    copies = ["staged sums", "staged rows"] if engine.dialect.name == "postgresql" else []
    assert december == {"2025-12-10": ["days from payment"], "2025-12-20": [*copies, "days from the stage"],
                        "2025-12-31": [*copies, "days from the stage"]}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT SUM(payments) FROM kpi_day WHERE periode = '2025-12'")).scalar() > 100


def test_summaries_follow_deletions_and_replacements(engine, tmp_path, demo_files):
    results = {path.name: ingest_file(engine, path) for path in demo_files}
    collection = next(r for name, r in results.items() if name.startswith("Collection"))
    mc = next(r for name, r in results.items() if name.startswith("MC"))
    sbrs = next(r for name, r in results.items() if name.startswith("SBRS"))
    ardebt = next(r for name, r in results.items() if name.startswith("ARDEBT"))
    for upload in (collection, sbrs, ardebt, mc):
        delete_upload(engine, upload.upload_id)
        assert _tables(engine) == _rebuilt(engine), f"after deleting {upload.file}"
    # The same MC again, under another name: it comes back and moves its customers' rayons back.
    again = tmp_path / f"again_{mc.file}"
    shutil.copy(next(p for p in demo_files if p.name == mc.file), again)
    assert ingest_file(engine, again, periode=mc.periode).status == "loaded"
    assert _tables(engine) == _rebuilt(engine)


def test_an_mc_again_moves_the_daily_figures_of_only_the_customers_it_moved(engine, tmp_path, demo_files):
    """December's MC loaded again (written from its stored rows with a bill, five columns: the
    others' collection work changes, their place in the target does not) with 16 customers who
    paid in December changed: 8 moved to the other rayon, 4 given no bill, 4 left out. Their
    December payments leave the days of the rayon they were in and join those of their new one;
    the daily figures equal a rebuild, and the month's total moves by exactly the payments of
    those who left the target."""
    for path in demo_files:
        assert ingest_file(engine, path).status == "loaded"
    daily = text("SELECT rayon, SUM(payments), SUM(nominal) FROM kpi_day WHERE periode = '2025-12' "
                 "GROUP BY rayon ORDER BY rayon")
    with engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(daily)]
        listed = conn.execute(text("SELECT nomen, nama, alamat, zona_novak, nominal FROM mc WHERE periode = "
                                   "'2025-12' AND nominal > 0 ORDER BY nomen")).all()
        payers = set(conn.execute(text("SELECT nomen FROM payment WHERE periode = '2025-12' "
                                       "AND jenis = 'CURRENT'")).scalars())
    target = [row for row in listed if row.zona_novak[:2] in ("34", "35") and row.nomen in payers]
    assert len(target) >= 64  # 16 changed: under a quarter, so the payments move (no rebuild)
    moved, unbilled, gone = target[:8], target[8:12], target[12:16]
    with engine.connect() as conn:
        left = conn.execute(text("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM payment WHERE periode = '2025-12' "
                                 "AND jenis = 'CURRENT' AND nomen IN :n").bindparams(bindparam("n", expanding=True)),
                            {"n": [row.nomen for row in unbilled + gone]}).one()
        assert left[0] > 0  # the customers leaving the target paid in December
    other = {"34": "35", "35": "34"}
    lines = ["NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL"]
    for row in listed:
        if row in gone:
            continue
        zona = other[row.zona_novak[:2]] + row.zona_novak[2:] if row in moved else row.zona_novak
        lines.append(f"{row.nomen};{row.nama};{row.alamat};{zona};{0 if row in unbilled else row.nominal}")
    again = tmp_path / "MC_2025-12_again.csv"
    again.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ingest_file(engine, again, file_type="MC", periode="2025-12").status == "loaded"
    assert _tables(engine) == _rebuilt(engine)
    with engine.connect() as conn:
        after = [tuple(r) for r in conn.execute(daily)]
    assert after != before
    assert sum(r[1] for r in before) - sum(r[1] for r in after) == left[0]
    assert sum(r[2] for r in before) - sum(r[2] for r in after) == left[1]


def test_a_pcez_taken_from_another_periodes_mc_follows_that_mc(engine, tmp_path):
    """60000008 pays UNDUE 25.000 in December and is in October's MC only (rayon 34, PCEZ 15110),
    so December counts it in 15110. An MC of January listing it in 15210 (the same rayon: nothing
    moves by rayon) gives December's row that PCEZ, the most recent MC's; deleting that MC takes
    it back. 60000003 is in December's MC (15210): its own PCEZ stays whatever January says."""
    extra = {"MC_2025-10.csv": "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n60000008;HADI;JL F 1;341511008;70000\n",
             "Collection-2025-12-15_sd_2025-12-15.txt": "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
                                                        "60000008|15-12-2025|-25000|102025\n"}
    load_branch(engine, tmp_path, {**FILES, **extra})

    def undue_by_pcez():
        return {row["pcez"]: row["undue"]["nominal"] for row in queries.kpi_by_pcez.uncached(engine, "2025-12")["rows"]}
    assert undue_by_pcez() == {"15110": 25_000, "15210": 0, "16010": 0, "16110": 80_000, None: 40_000}
    january = tmp_path / "MC_2026-01.csv"
    january.write_text("NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n60000008;HADI;JL F 1;341521008;70000\n"
                       "60000003;CICI;JL B 1;341511003;150000\n", encoding="utf-8")
    loaded = ingest_file(engine, january)
    assert loaded.status == "loaded"
    assert _tables(engine) == _rebuilt(engine)
    assert undue_by_pcez() == {"15110": 0, "15210": 25_000, "16010": 0, "16110": 80_000, None: 40_000}
    delete_upload(engine, loaded.upload_id)
    assert _tables(engine) == _rebuilt(engine)
    assert undue_by_pcez() == {"15110": 25_000, "15210": 0, "16010": 0, "16110": 80_000, None: 40_000}


def test_a_newer_mc_moves_an_older_periodes_collection_work_for_its_customers(engine, tmp_path):
    """60000008 and 60000010 pay UNDUE in December and are in October's MC only (rayon 34, PCEZ
    15310 and 15110). An MC of January moves 60000010 to rayon 35 (PCEZ 16110) and 60000008 to
    PCEZ 15210 in the same rayon. December's collection work is computed again only for the
    customers it can move: those whose rayon moved and those whose PCEZ comes from another MC;
    both rows follow January (60000008 leaves December's group of 15310 empty, so it goes), and
    deleting January takes them back."""
    extra = {"MC_2025-10.csv": "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n60000008;HADI;JL F 1;341531008;70000\n"
                               "60000010;IWAN;JL F 2;341511010;70000\n",
             "Collection-2025-12-15_sd_2025-12-15.txt": "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
                                                        "60000008|15-12-2025|-25000|102025\n"
                                                        "60000010|15-12-2025|-10000|102025\n"}
    load_branch(engine, tmp_path, {**FILES, **extra})

    def december():
        undue = {row["pcez"]: row["undue"]["nominal"]
                 for row in queries.kpi_by_pcez.uncached(engine, "2025-12")["rows"]}
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT nomen, rayon, pcez FROM collection_customer WHERE periode = '2025-12' "
                                     "AND nomen IN ('60000008', '60000010') ORDER BY nomen")).all()
        return undue, [tuple(row) for row in rows]
    # 15310 is no PCEZ of the branch's: kpi_by_pcez puts it with those without one.
    before = ({"15110": 10_000, "15210": 0, "16010": 0, "16110": 80_000, None: 65_000},
              [("60000008", "34", "15310"), ("60000010", "34", "15110")])
    assert december() == before
    january = tmp_path / "MC_2026-01.csv"
    january.write_text("NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n60000008;HADI;JL F 1;341521008;70000\n"
                       "60000010;IWAN;JL F 2;351611010;70000\n", encoding="utf-8")
    computed: list[tuple] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO cc_new"):
            computed.append((periode_of(parameters), cursor.rowcount))
    event.listen(engine, "after_cursor_execute", count)
    try:
        loaded = ingest_file(engine, january)
    finally:
        event.remove(engine, "after_cursor_execute", count)
    assert loaded.status == "loaded"
    # October (60000010's rayon moved; both have their own PCEZ there) and December (its three
    # customers outside its MC borrow their PCEZ: these two and 60000009), nothing else.
    assert sorted(computed) == [("2025-10", 1), ("2025-12", 3)]
    assert _tables(engine) == _rebuilt(engine)
    assert december() == ({"15110": 0, "15210": 25_000, "16010": 0, "16110": 90_000, None: 40_000},
                          [("60000008", "34", "15210"), ("60000010", "35", "16110")])
    delete_upload(engine, loaded.upload_id)
    assert _tables(engine) == _rebuilt(engine)
    assert december() == before


def test_the_newest_mc_replaced_moves_rayons_back_to_older_mcs(engine, tmp_path):
    """November lists A, B, C and D in rayon 34, December A in 34, B and C in 35 and D with no
    zone (so no rayon). December's MC is the newest: its customers with a rayon take it straight
    from it, D keeps November's. Replacing it with one that lists A, B (now in 34) and D leaves C
    to its most recent MC with a rayon, November's."""
    header = "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n"
    november = tmp_path / "MC_2025-11.csv"
    november.write_text(header + "60000001;ANI;JL A;341511001;50000\n60000002;BUDI;JL B;341511002;60000\n"
                        "60000003;CICI;JL C;341511003;70000\n60000004;DEDI;JL D;341511004;80000\n",
                        encoding="utf-8")
    december = tmp_path / "MC_2025-12.csv"
    december.write_text(header + "60000001;ANI;JL A;341511001;50000\n60000002;BUDI;JL B;351611002;60000\n"
                        "60000003;CICI;JL C;351611003;70000\n60000004;DEDI;JL D;;80000\n", encoding="utf-8")
    for path in (november, december):
        assert ingest_file(engine, path).status == "loaded"

    def rayons():
        with engine.connect() as conn:
            return sorted(conn.execute(text("SELECT nomen, rayon, periode FROM customer_rayon")).all())
    assert rayons() == [("60000001", "34", "2025-11"), ("60000002", "35", "2025-12"), ("60000003", "35", "2025-12"),
                        ("60000004", "34", "2025-11")]
    assert _tables(engine) == _rebuilt(engine)
    again = tmp_path / "MC_2025-12_revisi.csv"
    again.write_text(header + "60000001;ANI;JL A;341511001;50000\n60000002;BUDI;JL B;341511002;60000\n"
                     "60000004;DEDI;JL D;;80000\n", encoding="utf-8")
    assert ingest_file(engine, again, periode="2025-12", replace=True).status == "loaded"
    assert rayons() == [("60000001", "34", "2025-11"), ("60000002", "34", "2025-11"), ("60000003", "34", "2025-11"),
                        ("60000004", "34", "2025-11")]
    assert _tables(engine) == _rebuilt(engine)


def test_customer_rayon_keeps_each_run_s_first_periode_and_the_month_s_mc_rewrites_only_who_moved(engine, tmp_path):
    """customer_rayon holds each customer's most recent rayon and the first periode of its run in
    it. October lists A, B and C in 34; December (the newest, November not yet loaded) A in 34 and
    B in 35: only B's row is written. November, loaded late, puts all three in 35: A's run in 34
    now starts in December. Deleting November looks up all three (A's run started after it) and
    gives A its run from October again; deleting December then looks up B alone (the others'
    runs started before it). Each step equals a rebuild; the rows each step wrote are counted."""
    header = "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n"
    files = {"MC_2025-10.csv": ("341511001", "341511002", "341511003"),
             "MC_2025-12.csv": ("341511001", "351611002", None),
             "MC_2025-11.csv": ("351611001", "351611002", "351611003")}
    expected = {
        "MC_2025-10.csv": ([("34", "2025-10"), ("34", "2025-10"), ("34", "2025-10")], 3),
        "MC_2025-12.csv": ([("34", "2025-10"), ("35", "2025-12"), ("34", "2025-10")], 1),
        "MC_2025-11.csv": ([("34", "2025-12"), ("35", "2025-11"), ("35", "2025-11")], 3),
        "deleting MC_2025-11.csv": ([("34", "2025-10"), ("35", "2025-12"), ("34", "2025-10")], 3),
        "deleting MC_2025-12.csv": ([("34", "2025-10"), ("34", "2025-10"), ("34", "2025-10")], 1)}
    written: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO customer_rayon"):
            written.append(cursor.rowcount)

    def check(step: str) -> None:
        rows, count_written = expected[step]
        with engine.connect() as conn:
            stored = [tuple(r) for r in conn.execute(text("SELECT nomen, rayon, periode FROM customer_rayon ORDER BY nomen"))]
        assert stored == [(nomen, *row) for nomen, row in zip(("60000001", "60000002", "60000003"), rows)], step
        assert sum(written) == count_written, f"after {step}: {written}"
        assert _tables(engine) == _rebuilt(engine), f"after {step}"
        written.clear()  # and the rebuild's
    event.listen(engine, "after_cursor_execute", count)
    try:
        uploads = {}
        for name, zones in files.items():
            (tmp_path / name).write_text(header + "".join(
                f"6000000{i};X;JL;{zone};1000\n" for i, zone in enumerate(zones, 1) if zone), encoding="utf-8")
            uploads[name] = ingest_file(engine, tmp_path / name)
            assert uploads[name].status == "loaded", uploads[name].message
            check(name)
        for name in ("MC_2025-11.csv", "MC_2025-12.csv"):
            delete_upload(engine, uploads[name].upload_id)
            check(f"deleting {name}")
    finally:
        event.remove(engine, "after_cursor_execute", count)


def test_an_mc_moves_only_the_rayon_of_the_arrears(engine, tmp_path):
    """December's ARDEBT holds 60000001 (34 by ARDEBT, in no MC yet), 60000002 (35 by ARDEBT, in
    November's MC in 34) and 60000003 (35, in no MC ever). January's MC moves 60000002 to 35, in
    December too (its most recent MC). December's MC, loaded last, lists 60000001 in 35 and
    60000002 in 34 (MC(P) first, though January stays its most recent). Only the arrears rows
    whose rayon moved are rewritten, their bills and totals as ARDEBT gives them; deleting
    December's MC takes both back. Each step equals a rebuild, buckets included."""
    header = "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n"
    files = {"MC_2025-11.csv": header + "60000002;BUDI;JL B;341511002;60000\n",
             "ARDEBT_2025-12.csv": "NOMEN;RAYON;JUMLAH_REK;SALDO_TUNGGAKAN\n60000001;34;2;100000\n"
                                   "60000002;35;1;50000\n60000003;35;3;300000\n",
             "MC_2026-01.csv": header + "60000002;BUDI;JL B;351611002;60000\n",
             "MC_2025-12.csv": header + "60000001;ANI;JL A;351611001;50000\n60000002;BUDI;JL B;341511002;60000\n"}
    rayons = {"ARDEBT_2025-12.csv": ["34", "34", "35"], "MC_2026-01.csv": ["34", "35", "35"],
              "MC_2025-12.csv": ["35", "34", "35"], "deleting MC_2025-12.csv": ["34", "35", "35"]}
    moved = {"MC_2025-11.csv": 0, "ARDEBT_2025-12.csv": 0, "MC_2026-01.csv": 1, "MC_2025-12.csv": 2,
             "deleting MC_2025-12.csv": 2}
    rewritten: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE arrears_customer"):
            rewritten.append(cursor.rowcount)

    def check(step: str) -> None:
        assert _tables(engine) == _rebuilt(engine), f"after {step}"
        assert sum(rewritten) == moved[step], f"after {step}: {rewritten}"
        rewritten.clear()
        if step in rayons:
            with engine.connect() as conn:
                stored = [tuple(row) for row in conn.execute(text(
                    "SELECT nomen, rayon, bills, total FROM arrears_customer WHERE periode = '2025-12' ORDER BY nomen"))]
            assert stored == [("60000001", rayons[step][0], 2, 100_000), ("60000002", rayons[step][1], 1, 50_000),
                              ("60000003", rayons[step][2], 3, 300_000)], f"after {step}"
    event.listen(engine, "after_cursor_execute", count)
    try:
        uploads = {}
        for name, content in files.items():
            (tmp_path / name).write_text(content, encoding="utf-8")
            uploads[name] = ingest_file(engine, tmp_path / name)
            assert uploads[name].status == "loaded", uploads[name].message
            check(name)
        delete_upload(engine, uploads["MC_2025-12.csv"].upload_id)
        check("deleting MC_2025-12.csv")
    finally:
        event.remove(engine, "after_cursor_execute", count)


def test_readings_take_mc_s_rayon_then_the_most_recent_mc_s_then_their_own(engine, tmp_path):
    """SBRS of December reads 60000001 10 m3 and 60000002 20 m3, both on routes of rayon 35, with no
    MC yet: 35 holds both. January's MC lists 60000001 in 36 (its most recent MC); December's,
    loaded after it, in 34 (MC(P) first); November's 60000002 in 34 (its most recent MC). Deleting
    December's MC gives 60000001 back to January's 36. An MC row without a rayon (DATA.md refuses
    one today; a database from before) gives its reading the route's rayon. Each step equals a
    rebuild."""
    header = "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n"
    files = {"SBRS_2025-12.csv": ("cmr_account;cmr_prev_read;cmr_reading;cmr_route;Bill_Period\n"
                                  "60000001;100;110;35161101;2025-12\n60000002;100;120;35161102;2025-12\n",
                                  [("35", 30)]),
             "MC_2026-01.csv": (header + "60000001;ANI;JL A;361611001;50000\n", [("35", 20), ("36", 10)]),
             "MC_2025-12.csv": (header + "60000001;ANI;JL A;341511001;50000\n", [("34", 10), ("35", 20)]),
             "MC_2025-11.csv": (header + "60000002;BUDI;JL B;341511002;60000\n", [("34", 30)])}
    by_rayon = text("SELECT rayon, sbrs_volume FROM kpi_periode WHERE periode = '2025-12' AND sbrs_volume > 0 "
                    "ORDER BY rayon")

    def volumes(conn) -> list[tuple]:
        return [tuple(row) for row in conn.execute(by_rayon)]
    uploads = {}
    for name, (content, expected) in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        uploads[name] = ingest_file(engine, tmp_path / name)
        assert uploads[name].status == "loaded", uploads[name].message
        assert _tables(engine) == _rebuilt(engine), f"after {name}"
        with engine.connect() as conn:
            assert volumes(conn) == expected, f"after {name}"
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text("UPDATE mc SET rayon = NULL WHERE nomen = '60000001'"))
        refresh_customer_rayon(conn, "2026-01")
        collection.rebuild(conn, "2025-12", afresh=True)
        rebuild_kpi(conn, "2025-12", ("sbrs",))
        assert volumes(conn) == [("34", 20), ("35", 10)]
        transaction.rollback()
    delete_upload(engine, uploads["MC_2025-12.csv"].upload_id)
    assert _tables(engine) == _rebuilt(engine)
    with engine.connect() as conn:
        assert volumes(conn) == [("34", 20), ("36", 10)]


def test_mc_per_customer_takes_single_rows_as_they_are_and_sums_a_customer_listed_twice(engine, tmp_path):
    """An MC lists each customer once (DATA.md refuses a NOMEN twice with different values), so
    the summaries take MC(P)'s rows as they are; a customer stored twice all the same (a database
    from before that rule) is still grouped: its rows summed, counted once."""
    mc = tmp_path / "MC_2025-12.csv"
    mc.write_text("NOMEN;NAMA_PEL;ZONA_NOVAK;NOMINAL;KUBIK\n60000001;ANI;341511001;50000;10\n"
                  "60000002;BUDI;351611002;60000;\n", encoding="utf-8")
    assert ingest_file(engine, mc).status == "loaded"
    listed = mc_per_customer(rows_="COUNT(*)", nominal="SUM(nominal)", kubik_rows="COUNT(kubik)", nama="MAX(nama)")
    per_customer = text(f"SELECT * FROM ({listed}) c ORDER BY nomen")
    with engine.connect() as conn:
        transaction = conn.begin()
        assert [tuple(r) for r in conn.execute(per_customer, {"p": "2025-12"})] == [
            ("60000001", 1, 50000, 1, "ANI"), ("60000002", 1, 60000, 0, "BUDI")]
        conn.execute(text("INSERT INTO mc (upload_id, periode, nomen, nama, nominal, kubik) "
                          "SELECT upload_id, periode, nomen, 'ANA', 7000, NULL FROM mc WHERE nomen = '60000001'"))
        assert [tuple(r) for r in conn.execute(per_customer, {"p": "2025-12"})] == [
            ("60000001", 2, 57000, 1, "ANI"), ("60000002", 1, 60000, 0, "BUDI")]
        # The KPI's target, summed from the collection work: 3 rows, 2 customers.
        collection.rebuild(conn, "2025-12", afresh=True)
        rebuild_kpi(conn, "2025-12", ("target",))
        assert tuple(conn.execute(text("SELECT SUM(mc_rows), SUM(mc_kubik_rows), SUM(target_nomen), "
                                       "SUM(target_nominal) FROM kpi_periode WHERE periode = '2025-12'")).one()) == (
            3, 1, 2, 117000)
        transaction.rollback()
    for unknown in ("AVG(nominal)", "SUM(*)"):
        with pytest.raises(ValueError, match="not SUM, MAX or COUNT"):
            mc_per_customer(nominal=unknown)
