"""METRICS.md's collection work, computed by hand on a small branch, through the real pipeline and
the API: the KPI per PCEZ and per officer, the unpaid list and the disconnection candidates;
and the same figures against a pandas oracle over the raw tables.

The branch (periode 2025-12; zones give rayon and PCEZ: 341511001 -> 34, 15110):
  60000001 ANI   34 15110 100.000  paid CURRENT 100.000 (05-12)
  60000002 BUDI  34 15110 200.000  unpaid; paid in November (20-11); ARDEBT 1 bill 200.000
  60000003 CICI  34 15210 150.000  paid CURRENT 50.000 (a partial payer: paid, 100.000 unpaid Rupiah)
  60000004 DEDI  35 16010 300.000  unpaid; ARDEBT 4 bills 900.000; UNDUE 10.000 on 30-11, 300.000 on 01-01-2026
  60000005 EKA   35 16010       0  no target
  60000006 FAJAR 35 16110 120.000  UNDUE 80.000 (10-12); ARDEBT 3 bills 360.000
  60000007 GITA  35 16110  90.000  MB payment 15-12; ARDEBT 5 bills 450.000
  60000009 (not in any MC)         UNDUE 40.000 (11-12): no rayon, no PCEZ
RUTE 2025-11: 151/10 LAMA, 160/10 LAMA. RUTE 2025-12: 151/10 " andi ", 152/10 Andi, 160/10 Rina
(16110 has no officer).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import text as sql

from sunter_dash import queries
from sunter_dash.domain.errors import BadParameter
from sunter_dash.domain.followups import promise_status
from sunter_dash.ingest import ingest_file
from sunter_dash.services import API, Actor, followups

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from collection_branch import load_branch  # noqa: E402
from dash_wire import callback_body  # noqa: E402
from helpers import basic  # noqa: E402


@pytest.fixture
def branch(engine, tmp_path):
    load_branch(engine, tmp_path)
    return engine


def kpi(target, paid, unpaid, undue=(0, 0)):
    rate = 100 * paid[1] / target[1] if target[1] else 0.0
    return {"target": {"nomen": target[0], "nominal": target[1]}, "paid": {"nomen": paid[0], "nominal": paid[1]},
            "unpaid": {"nomen": unpaid[0], "nominal": unpaid[1]}, "undue": {"nomen": undue[0], "nominal": undue[1]},
            "collection_rate": pytest.approx(rate)}


def test_kpi_per_pcez_by_hand_adds_up_to_the_branch_kpi(branch):
    found = queries.kpi_by_pcez(branch, "2025-12")
    assert found["rows"] == [
        {"pcez": "15110", **kpi((2, 300_000), (1, 100_000), (1, 200_000))},
        {"pcez": "15210", **kpi((1, 150_000), (1, 50_000), (0, 100_000))},
        {"pcez": "16010", **kpi((1, 300_000), (0, 0), (1, 300_000))},
        {"pcez": "16110", **kpi((2, 210_000), (0, 0), (2, 210_000), (1, 80_000))},
        {"pcez": None, **kpi((0, 0), (0, 0), (0, 0), (1, 40_000))},  # the payer no MC knows
    ]
    assert found["total"] == {"pcez": None, **kpi((6, 960_000), (2, 150_000), (4, 810_000), (2, 120_000))}
    branch_kpi = queries.kpi(branch, "2025-12")
    for name in ("target", "paid", "unpaid"):
        assert found["total"][name] == {"nomen": branch_kpi[name]["nomen"], "nominal": branch_kpi[name]["nominal"]}
    assert found["total"]["undue"]["nominal"] == branch_kpi["undue"]["nominal"]


def test_kpi_per_officer_uses_the_rute_in_effect_and_compares_names_trimmed_and_upper_cased(branch):
    december = queries.kpi_by_petugas(branch, "2025-12")
    assert december["rows"] == [
        {"petugas": "ANDI", **kpi((3, 450_000), (2, 150_000), (1, 300_000))},
        {"petugas": "RINA", **kpi((1, 300_000), (0, 0), (1, 300_000))},
        {"petugas": None, **kpi((2, 210_000), (0, 0), (2, 210_000), (2, 120_000))},
    ]
    november = queries.kpi_by_petugas(branch, "2025-11")
    assert [(r["petugas"], r["target"]["nominal"], r["paid"]["nominal"]) for r in november["rows"]] == [
        ("LAMA", 500_000, 200_000)]
    assert november["total"]["undue"] == {"nomen": 1, "nominal": 10_000}


def test_rayon_filter_keeps_the_rayons_customers_only(branch):
    found = queries.kpi_by_pcez(branch, "2025-12", "35")
    assert [r["pcez"] for r in found["rows"]] == ["16010", "16110"]
    assert found["total"] == {"pcez": None, **kpi((3, 510_000), (0, 0), (3, 510_000), (1, 80_000))}


UNPAID_COLUMNS = ("nomen", "nama", "alamat", "rayon", "pcez", "petugas", "nominal", "sisa", "bills", "arrears",
                  "last_payment")


def rows(found, columns=UNPAID_COLUMNS):
    return [tuple(row[c] for c in columns) for row in found["rows"]]


def test_unpaid_list_by_hand(branch):
    found = queries.unpaid(branch, "2025-12")
    assert (found["total"], found["page"], found["page_size"], found["has_ardebt"]) == (4, 1, 50, True)
    assert rows(found) == [
        # The January payment is after the end of P: the last payment stays November's.
        ("60000004", "DEDI", "JL C 1", "35", "16010", "RINA", 300_000, 300_000, 4, 900_000, "2025-11-30"),
        ("60000002", "BUDI", "JL A 2", "34", "15110", "ANDI", 200_000, 200_000, 1, 200_000, "2025-11-20"),
        ("60000006", "FAJAR", "JL D 1", "35", "16110", None, 120_000, 120_000, 3, 360_000, "2025-12-10"),
        ("60000007", "GITA", "JL D 2", "35", "16110", None, 90_000, 90_000, 5, 450_000, "2025-12-15"),
    ]
    # A partial payer (60000003) is not in the list; its Rupiah are in the cards.
    assert "60000003" not in [r["nomen"] for r in found["rows"]]


def test_unpaid_list_filters_sorts_and_pages(branch):
    def nomens(**kwargs):
        found = queries.unpaid(branch, "2025-12", **kwargs)
        # The whole count (kept per rayon and PCEZ, ingest/collection.py) is the filtered list's.
        assert found["total"] == len(found["rows"]), kwargs
        return [r["nomen"] for r in found["rows"]]
    assert nomens(petugas=" andi ") == ["60000002"]
    assert nomens(petugas="rina", rayon="34") == []
    assert nomens(petugas="rina", rayon="35") == ["60000004"]
    assert nomens(pcez="16110") == ["60000006", "60000007"]
    assert nomens(rayon="34") == ["60000002"]
    assert nomens(sort="route") == ["60000002", "60000004", "60000006", "60000007"]
    assert nomens(sort="arrears") == ["60000004", "60000007", "60000006", "60000002"]
    second = queries.unpaid(branch, "2025-12", page=2, page_size=3)
    assert (second["total"], [r["nomen"] for r in second["rows"]]) == (4, ["60000007"])


@pytest.mark.parametrize("sort", ["nominal", "route", "arrears"])
def test_a_page_of_one_rayon_is_found_in_the_sorts_index_alone(branch, sort):
    """A page of the unpaid list filtered by rayon finds its customers in the index of its sort,
    the rayon read there too, without reading the rows of the other rayon's customers to pass them
    by (migration 0024: at 1,000,000 customers the third page of rayon 34 in route order read 2,623
    pages of a periode from a cold server, 40 with it). The page query as the list sends it, its plan with
    the index preferred (the branch is too small for the planner to want one); on PostgreSQL, where
    a head office's periodes outgrow memory, the rayon is among the index's conditions."""
    from sqlalchemy import event

    sent = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "OFFSET" in statement and "collection_customer c" in statement:
            sent.append((statement, parameters))
    event.listen(branch, "before_cursor_execute", keep)
    queries.unpaid.uncached(branch, "2025-12", rayon="34", sort=sort)
    event.remove(branch, "before_cursor_execute", keep)
    ((statement, parameters),) = sent
    index = "ix_collection_customer_" + {"nominal": "unpaid"}.get(sort, sort)
    with branch.connect() as conn:
        if branch.dialect.name == "sqlite":  # its plan does not say which columns an index answers
            plan = " | ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert re.search(rf"SEARCH c USING (COVERING )?INDEX {index} \(periode=\?\)", plan), plan
            assert [row[2] for row in conn.exec_driver_sql(f"PRAGMA index_info({index})")][-1] == "rayon"
            return
        conn.exec_driver_sql("SET enable_seqscan = off; SET enable_bitmapscan = off")
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()[0]["Plan"]

        def scans(node):
            if "Index Name" in node:
                yield node
            for child in node.get("Plans", []):
                yield from scans(child)
        # The partition's index, named after the model's it belongs to (the table is partitioned).
        parent = {n["Index Name"]: conn.exec_driver_sql(
            "SELECT p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE c.relname = %s", (n["Index Name"],)).scalar()
            for n in scans(plan)}
        (scan,) = [n for n in scans(plan) if parent[n["Index Name"]] == index]
        assert "rayon" in scan["Index Cond"] and "Filter" not in scan, scan


def test_without_ardebt_the_arrears_columns_are_null_not_zero(branch):
    found = queries.unpaid(branch, "2025-11")
    assert found["has_ardebt"] is False
    assert rows(found, ("nomen", "petugas", "bills", "arrears", "last_payment")) == [
        ("60000004", "LAMA", None, None, "2025-11-30")]


def test_disconnection_candidates_have_n_bills_and_no_payment_of_any_kind_in_the_month(branch):
    found = queries.disconnect(branch, "2025-12")
    # 60000006 paid arrears (UNDUE) and 60000007 paid through MB in December; 60000002 has 1 bill.
    assert rows(found, ("nomen", "bills", "arrears", "last_payment")) == [("60000004", 4, 900_000, "2025-11-30")]
    assert [r["nomen"] for r in queries.disconnect(branch, "2025-12", bills=1)["rows"]] == ["60000004", "60000002"]


def test_the_candidates_follow_mb_uploads_and_their_deletion(branch, tmp_path):
    """MB's payments reach the candidates when MB is loaded after the others, and leave them
    when its upload is deleted (the ingest keeps them with the collection summaries)."""
    from sunter_dash.ingest import delete_upload

    def candidates():
        found = queries.disconnect.uncached(branch, "2025-12")
        assert found["total"] == len(found["rows"])
        return [r["nomen"] for r in found["rows"]]

    assert candidates() == ["60000004"]  # 60000007 paid through MB on 15-12
    with branch.connect() as conn:
        mb = conn.execute(sql("SELECT id FROM upload WHERE file_type = 'MB' AND status = 'loaded'")).scalar()
    delete_upload(branch, mb)
    assert candidates() == ["60000004", "60000007"]  # arrears 900.000, then 450.000
    later = tmp_path / "MB_2025-12b.txt"  # an MB of November and December, loaded last
    later.write_text("NOMEN|BULAN_REK|TGL_BAYAR|NOMINAL\n60000004|112025|20-11-2025|5000\n"
                     "60000007|112025|15-12-2025|90000\n", encoding="utf-8")
    assert ingest_file(branch, later).status == "loaded"
    assert candidates() == ["60000004"]  # November's payment is not December's


def test_the_api_answers_the_same_and_refuses_bad_parameters(branch, client, users):
    auth = basic(*users["viewer"])
    assert client.get("/api/kpi/pcez?periode=2025-12", headers=auth).get_json() == \
        json.loads(json.dumps(queries.kpi_by_pcez.uncached(branch, "2025-12")))
    petugas = client.get("/api/kpi/petugas?periode=2025-12&rayon=35", headers=auth).get_json()
    assert [r["petugas"] for r in petugas["rows"]] == ["RINA", None]
    unpaid = client.get("/api/collection/unpaid?periode=2025-12&pcez=16110&sort=route", headers=auth).get_json()
    assert [r["nomen"] for r in unpaid["rows"]] == ["60000006", "60000007"] and unpaid["total"] == 2
    candidates = client.get("/api/collection/disconnect?periode=2025-12", headers=auth).get_json()
    assert [r["nomen"] for r in candidates["rows"]] == ["60000004"]
    for url, field in [("/api/collection/unpaid?periode=2025-12&pcez=151/10", "pcez"),
                       ("/api/collection/unpaid?periode=2025-12&sort=alamat", "sort"),
                       ("/api/collection/unpaid?periode=2025-12&page_size=501", "page_size"),
                       ("/api/collection/disconnect?periode=2025-13", "periode"),
                       ("/api/kpi/pcez", "periode")]:
        answer = client.get(url, headers=auth)
        assert answer.status_code == 400 and answer.get_json()["field"] == field, url


# --- the oracle: the same figures from the raw tables, in pandas ---------------------------------

def oracle(engine, periode: str) -> tuple[dict, list[str], list[str]]:
    """(KPI per PCEZ, the unpaid list's nomens by NOMINAL, the candidates) from mc, payment,
    mb_payment, ardebt and rute as stored, following METRICS.md's words."""
    with engine.connect() as conn:
        mc = pd.read_sql("SELECT periode, nomen, nominal, pcez FROM mc", conn)
        pay = pd.read_sql("SELECT nomen, pay_date, amount, jenis FROM payment", conn)
        mb = pd.read_sql("SELECT nomen, pay_date FROM mb_payment", conn)
        ardebt = pd.read_sql(sql("SELECT nomen, bills FROM ardebt WHERE periode = :p"), conn, params={"p": periode})
    pay["month"] = pd.to_datetime(pay["pay_date"]).dt.strftime("%Y-%m")
    mb["month"] = pd.to_datetime(mb["pay_date"]).dt.strftime("%Y-%m")
    target = mc[mc["periode"] == periode].groupby("nomen").agg(nominal=("nominal", "sum"), pcez=("pcez", "max"))
    current = pay[(pay["month"] == periode) & (pay["jenis"] == "CURRENT")].groupby("nomen")["amount"].sum()
    undue = pay[(pay["month"] == periode) & (pay["jenis"] == "UNDUE")].groupby("nomen")["amount"].sum()
    latest_pcez = mc.dropna(subset=["pcez"]).sort_values("periode").groupby("nomen")["pcez"].last()
    per_pcez: dict = {}
    for nomen, row in target.iterrows():
        group = per_pcez.setdefault(row["pcez"], {"target": 0, "paid": 0, "unpaid": 0, "undue": 0})
        paid = current.get(nomen, 0) if row["nominal"] > 0 else 0
        group["target"] += row["nominal"]
        group["paid"] += paid
        group["unpaid"] += max(row["nominal"] - current.get(nomen, 0), 0)
        group["undue"] += undue.get(nomen, 0)
    for nomen, amount in undue.items():
        if nomen not in target.index:
            pcez = latest_pcez.get(nomen)
            pcez = pcez if pcez in per_pcez else None
            per_pcez.setdefault(pcez, {"target": 0, "paid": 0, "unpaid": 0, "undue": 0})["undue"] += amount
    listed = target[(target["nominal"] > 0) & ~target.index.isin(current.index)]
    unpaid_list = sorted(listed.index, key=lambda n: (-listed.loc[n, "nominal"], n))
    paid_any = set(pay[pay["month"] == periode]["nomen"]) | set(mb[mb["month"] == periode]["nomen"])
    bills = ardebt.groupby("nomen")["bills"].sum()
    candidates = [n for n in target.index if bills.get(n, 0) >= 3 and n not in paid_any]
    return per_pcez, unpaid_list, sorted(candidates)


@pytest.mark.parametrize("periode", ["2025-11", "2025-12"])
def test_figures_equal_the_pandas_oracle(branch, periode):
    per_pcez, unpaid_list, candidates = oracle(branch, periode)
    found = queries.kpi_by_pcez(branch, periode)
    assert {r["pcez"]: {"target": r["target"]["nominal"], "paid": r["paid"]["nominal"],
                        "unpaid": r["unpaid"]["nominal"], "undue": r["undue"]["nominal"]}
            for r in found["rows"]} == per_pcez
    assert [r["nomen"] for r in queries.unpaid(branch, periode, page_size=500)["rows"]] == unpaid_list
    assert sorted(r["nomen"] for r in queries.disconnect(branch, periode, page_size=500)["rows"]) == candidates


# --- follow-ups and promises -------------------------------------------------------------------

ADMIN = Actor("admin", "admin", "127.0.0.1", API)
TODAY = dt.date(2026, 1, 25)
JANUARY = {
    "MC_2026-01.csv": "NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n"
                      "60000001;ANI;JL A 1;341511001;110000\n60000002;BUDI;JL A 2;341511002;210000\n"
                      "60000003;CICI;JL B 1;341521001;150000\n60000004;DEDI;JL C 1;351601001;310000\n",
    "Collection-2026-01-10_sd_2026-01-20.txt": "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
                                               "60000001|13-01-2026|-110000|012026\n"
                                               "60000003|14-01-2026|-150000|012026\n"
                                               "60000099|20-01-2026|-1000|122025\n",
}


def visit(engine, nomen, periode, result, visit_date, promise_date=None, note=None):
    payload = {"nomen": nomen, "periode": periode, "result": result, "visit_date": visit_date,
               "promise_date": promise_date, "note": note}
    return followups.add(engine, ADMIN, payload, TODAY)


@pytest.fixture
def promised(branch, tmp_path):
    for name, text in JANUARY.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert ingest_file(branch, path).status == "loaded", name
    # December: promised for the 31st; paid on 1 January, within the 3 days of grace.
    visit(branch, "60000004", "2025-12", "janji_bayar", "2025-12-28", "2025-12-31")
    # January (data as of 20-01): kept on the last day of grace (13-01); paid a day late (14-01) and
    # the data reach past the grace: broken; promised for 18-01 (grace to 21-01): pending, its
    # payment of 01-01 was before the visit; a promise followed by a refusal no longer counts.
    visit(branch, "60000001", "2026-01", "janji_bayar", "2026-01-05", "2026-01-10")
    visit(branch, "60000003", "2026-01", "janji_bayar", "2026-01-05", "2026-01-10")
    visit(branch, "60000004", "2026-01", "janji_bayar", "2026-01-02", "2026-01-18")
    visit(branch, "60000002", "2026-01", "janji_bayar", "2026-01-06", "2026-01-25")
    visit(branch, "60000002", "2026-01", "menolak", "2026-01-07", note="Tidak mau bayar")
    return branch


def test_promise_states_by_hand_at_month_ends_and_on_the_last_day_of_grace(promised):
    december = queries.promises(promised, "2025-12")
    assert december["rows"] == [{"nomen": "60000004", "petugas": "RINA", "visit_date": "2025-12-28",
                                 "promise_date": "2025-12-31", "status": "kept", "nominal": 300_000}]
    assert december["counts"] == {"pending": 0, "kept": 1, "broken": 0}
    january = queries.promises(promised, "2026-01")
    assert january["data_as_of"] == "2026-01-20"
    assert [(r["nomen"], r["petugas"], r["status"], r["nominal"]) for r in january["rows"]] == [
        ("60000001", "ANDI", "kept", 110_000), ("60000003", "ANDI", "broken", 150_000),
        ("60000004", "RINA", "pending", 310_000)]
    assert january["counts"] == {"pending": 1, "kept": 1, "broken": 1}
    assert january["nominal"] == {"pending": 310_000, "kept": 110_000, "broken": 150_000}
    andi = queries.promises(promised, "2026-01", petugas="Andi ")
    assert andi["counts"] == {"pending": 0, "kept": 1, "broken": 1}
    assert [r["nomen"] for r in queries.promises(promised, "2026-01", statuses=("pending",))["rows"]] == ["60000004"]


def test_promise_status_at_its_edges():
    visit_date, promised_for = dt.date(2026, 1, 5), dt.date(2026, 1, 10)
    assert promise_status(visit_date, promised_for, [dt.date(2026, 1, 13)], dt.date(2026, 1, 20)) == "kept"
    assert promise_status(visit_date, promised_for, [dt.date(2026, 1, 5)], None) == "kept"
    assert promise_status(visit_date, promised_for, [dt.date(2026, 1, 4)], dt.date(2026, 1, 13)) == "pending"
    assert promise_status(visit_date, promised_for, [dt.date(2026, 1, 14)], dt.date(2026, 1, 14)) == "broken"
    assert promise_status(visit_date, promised_for, [], None) == "pending"


def test_every_follow_up_is_kept_and_the_latest_shows_in_the_unpaid_list(promised):
    rows = queries.followups(promised, "2026-01", nomen="60000002")
    assert [(r["result"], r["promise_date"], r["note"], r["created_by"]) for r in rows] == [
        ("menolak", None, "Tidak mau bayar", "admin"), ("janji_bayar", "2026-01-25", None, "admin")]
    unpaid = {r["nomen"]: r["followup"] for r in queries.unpaid(promised, "2026-01")["rows"]}
    assert unpaid["60000002"]["result"] == "menolak"
    assert unpaid["60000004"] | {"id": None} == {"id": None, "result": "janji_bayar", "visit_date": "2026-01-02",
                                                 "promise_date": "2026-01-18", "created_by": "admin"}
    assert [r["nomen"] for r in queries.followups(promised, "2026-01", petugas="rina")] == ["60000004"]
    # The profile's timeline holds every follow-up of the customer, newest visit first.
    profile = queries.customer_profile(promised, "60000004")
    assert [(f["periode"], f["visit_date"], f["result"]) for f in profile["followups"]] == [
        ("2026-01", "2026-01-02", "janji_bayar"), ("2025-12", "2025-12-28", "janji_bayar")]


def test_the_followup_api_records_refuses_and_answers(branch, client, users):
    admin, viewer = basic(*users["admin"]), basic(*users["viewer"])
    sent = {"nomen": "60000002", "periode": "2025-12", "result": "janji_bayar", "visit_date": "2025-12-20",
            "promise_date": "2025-12-27", "note": "Bayar setelah gajian"}
    answer = client.post("/api/followups", json=sent, headers=admin)
    assert answer.status_code == 201, answer.get_json()
    assert {k: answer.get_json()[k] for k in sent} == sent
    assert client.post("/api/followups", json=sent, headers=viewer).status_code == 403
    for change, status, field in [({"nomen": "69999999"}, 404, "nomen"),
                                  ({"promise_date": None}, 400, "promise_date"),
                                  ({"promise_date": "2025-12-19"}, 400, "promise_date"),
                                  ({"visit_date": "2999-01-01", "promise_date": "2999-01-02"}, 400, "visit_date"),
                                  ({"result": "pulang"}, 400, "result"),
                                  ({"extra": 1}, 400, "extra")]:
        refused = client.post("/api/followups", json={**sent, **change}, headers=admin)
        assert (refused.status_code, refused.get_json()["field"]) == (status, field), change
    listed = client.get("/api/followups?periode=2025-12", headers=viewer).get_json()["rows"]
    assert [(r["nomen"], r["result"]) for r in listed] == [("60000002", "janji_bayar")]
    unpaid = client.get("/api/collection/unpaid?periode=2025-12&petugas=ANDI", headers=viewer).get_json()
    assert unpaid["rows"][0]["followup"]["promise_date"] == "2025-12-27"
    promises = client.get("/api/promises?periode=2025-12&status=pending,broken", headers=viewer).get_json()
    # Data as of 11-12 does not reach past 27-12 + 3 days: pending.
    assert promises["counts"] == {"pending": 1, "kept": 0, "broken": 0}
    assert client.get("/api/promises?periode=2025-12&status=lost", headers=viewer).status_code == 400
    with branch.connect() as conn:
        audit = conn.execute(sql("SELECT detail FROM audit_log WHERE action = 'followup_recorded'")).scalars().all()
    assert audit == ["60000002 2025-12: Janji bayar janji 2025-12-27 (API)"]


# --- the route sheet -----------------------------------------------------------------------------

def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_an_officers_route_sheet_lists_its_unpaid_customers_in_route_order(branch, client, users, log_in):
    log_in(client, *users["viewer"])
    answer = client.get("/penagihan/rute.pdf?periode=2025-12&petugas=ANDI")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pdf"
    assert 'filename="rute_ANDI_2025-12.pdf"' in answer.headers["Content-Disposition"]
    text = pdf_text(answer.data)
    assert "Daftar tagih ANDI · Desember 2025 · PAM JAYA Cabang Sunter" in text
    assert "1 pelanggan belum bayar · Rp 200.000" in text
    assert "60000002" in text and "BUDI" in text and "JL A 2" in text and "151/10" in text
    assert "Rp 200.000 (1 rek)" in text and "Hasil kunjungan" in text
    assert "60000004" not in text  # RINA's

    # Every officer's customers, in route order (PCEZ, then address), on the printable page.
    page = client.get("/penagihan/rute?periode=2025-12").get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td>", page)
    assert rows == [("1", "60000002"), ("2", "60000004"), ("3", "60000006"), ("4", "60000007")]
    assert 'href="/penagihan/rute.pdf?periode=2025-12"' in page.replace("'", '"')

    refused = client.get("/penagihan/rute.pdf?periode=2025-13&petugas=ANDI")
    assert refused.status_code == 400 and "TTTT-BB" in refused.get_data(as_text=True)
    anonymous = client.application.test_client().get("/penagihan/rute.pdf?periode=2025-12")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_viewers_crafted_save_of_the_follow_up_form_is_refused(branch, config, users, log_in):
    from sunter_dash import create_app

    app = create_app(config)
    client = app.server.test_client()
    log_in(client, *users["viewer"])
    values = {"collection-followup-save.n_clicks": 1,
              "collection-grid.selectedRows": [{"nomen": "60000002"}],
              "collection-query.data": {"periode": "2025-12"}, "collection-followup-result.value": "menolak",
              "collection-followup-visit.value": "2025-12-20", "collection-followup-count.data": 0}
    answer = client.post("/_dash-update-component", json=callback_body(
        app, "..collection-followup-saved", values, ["collection-followup-save.n_clicks"]))
    assert answer.status_code == 200
    assert "tidak berhak mencatat" in json.dumps(answer.get_json())
    assert queries.followups.uncached(branch, "2025-12") == []
    log_in(client, *users["admin"])
    answer = client.post("/_dash-update-component", json=callback_body(
        app, "..collection-followup-saved", values, ["collection-followup-save.n_clicks"]))
    assert "Tersimpan: 60000002 · Menolak · 2025-12-20" in json.dumps(answer.get_json(), ensure_ascii=False)
    assert [r["result"] for r in queries.followups.uncached(branch, "2025-12")] == ["menolak"]


def test_n_and_g_are_settings_an_admin_saves_and_the_figures_follow(promised, client, users, monkeypatch):
    from sunter_dash.domain.checks import Thresholds
    from sunter_dash.ingest import flags
    from sunter_dash.services import settings

    rebuilt = []
    monkeypatch.setattr(flags, "rebuild", lambda *args: rebuilt.append(args))
    viewer = basic(*users["viewer"])

    def candidates():
        return [r["nomen"] for r in client.get("/api/collection/disconnect?periode=2025-12",
                                               headers=viewer).get_json()["rows"]]

    def december_promise():
        return client.get("/api/promises?periode=2025-12", headers=viewer).get_json()["rows"][0]["status"]
    assert (candidates(), december_promise()) == (["60000004"], "kept")
    defaults = Thresholds()
    settings.save(promised, ADMIN, defaults, "disconnect_bills", "1")
    # Paid on 01-01 for a promise of 31-12: without grace, not kept; the data (to 11-12) do not
    # reach past the promise, so it is still pending.
    settings.save(promised, ADMIN, defaults, "promise_grace_days", 0)
    assert (candidates(), december_promise()) == (["60000004", "60000002"], "pending")
    assert rebuilt == []  # collection settings change no meter flag
    with promised.connect() as conn:
        audit = conn.execute(sql("SELECT detail FROM audit_log WHERE action = 'setting_changed'")).scalars().all()
    assert audit == ["Calon segel: tunggakan minimal (rekening): 3 → 1 (API)",
                     "Janji bayar: hari toleransi sesudah tanggal janji: 3 → 0 (API)"]
    with pytest.raises(BadParameter):
        settings.save(promised, ADMIN, defaults, "disconnect_bills", "0")


def test_a_case_on_the_customer_shows_its_visits_in_the_analisa_history(promised, config):
    from sunter_dash import create_app
    from sunter_dash.services import analyses
    from sunter_dash.tabs import analysis

    case = analyses.create(promised, ADMIN, nomen="60000004", periode="2026-01", description="Janji tidak jelas")
    with create_app(config).server.app_context():
        text = json.dumps(analysis.show(case["id"])["timeline"].to_plotly_json(), default=str, ensure_ascii=False)
    # The case's periode only: January's visit, not December's.
    assert "2026-01-02 · Janji bayar · janji 2026-01-18 (admin)" in text
    assert "2025-12-28" not in text
