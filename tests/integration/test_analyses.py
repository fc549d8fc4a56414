"""The manual-analysis workbench (issue 5): the services of sunter_dash/services/analyses.py, /api/analyses,
and the Analisa tab's builders and actions on the server."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from flask_login import login_user
from sqlalchemy import delete, insert, select, update

from sunter_dash import queries
from sunter_dash.auth import SessionUser
from sunter_dash.domain.cases import RUTE_OFFICER, StaleEdit
from sunter_dash.domain.errors import NotFound
from sunter_dash.domain.errors import SunterError as AnalysisError  # a value, a transition or a stale edit refused
from sunter_dash.ingest import ingest_file
from sunter_dash.models import Analysis, AnalysisEvent, AuditLog, Customer, CustomerRayon, Mc, Rute, Upload, User
from sunter_dash.services import Actor, analyses
from sunter_dash.tabs import analysis as tab

NOMEN = "60000001"


def as_user(username: str) -> Actor:
    """The workbench's services act for a user; every role may analyse."""
    return Actor(username, "viewer")


# Customers the tests open cases on: a case needs a NOMEN some stored data knows. These are
# in the directory with no rayon, PCEZ or name, as a customer known only from a payment is.
KNOWN = (NOMEN, "1", "2", "3", "4", "123", "124", "777", "6000")


@pytest.fixture(autouse=True)
def known_customers(request):
    if "db_url" in request.fixturenames:  # the test has a database
        engine = request.getfixturevalue("engine")
        with engine.begin() as conn:
            conn.execute(insert(Customer), [{"nomen": n, "rayon": "", "periode": "2025-12", "source": "SBRS"}
                                            for n in KNOWN])


def add_customer(engine, nomen: str = NOMEN, rayon: str = "34", pcez: str | None = "341010", nama: str = "BUDI"):
    with engine.begin() as conn:
        conn.execute(delete(Customer).where(Customer.nomen == nomen))
        conn.execute(insert(Customer).values(nomen=nomen, nama=nama, rayon=rayon, pcez=pcez, periode="2025-12",
                                             source="MC"))


def add_upload(conn) -> int:
    return conn.execute(insert(Upload).values(filename="x.csv", status="loaded")).inserted_primary_key[0]


def add_rute(engine, pcez: str, petugas: str, periode: str = "2025-12") -> None:
    with engine.begin() as conn:
        conn.execute(insert(Rute).values(upload_id=add_upload(conn), periode=periode, pcez=pcez, petugas=petugas))


def events(engine, analysis_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [(r.username, json.loads(r.change), r.comment) for r in conn.execute(
            select(AnalysisEvent).where(AnalysisEvent.analysis_id == analysis_id).order_by(AnalysisEvent.id))]


def stored(engine, analysis_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(Analysis.__table__).where(Analysis.id == analysis_id)).one()._mapping)


def clear_audit(engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(AuditLog))


def audit_actions(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditLog.action, AuditLog.username, AuditLog.detail)
                                               .where(AuditLog.action.like("analysis_%")).order_by(AuditLog.id))]


# --- creating ------------------------------------------------------------------------------------

def test_create_stores_the_case_and_its_creation_as_the_first_event(engine, users):
    add_customer(engine)
    case = analyses.create(engine, as_user("viewer"), nomen=" 60000001 ", periode="2025-12", anomaly_type="zero",
                           description="Pemakaian nol tiga bulan", assigned_to="admin")
    assert {k: case[k] for k in ("nomen", "nama", "periode", "rayon", "anomaly_type", "status", "priority",
                                 "assigned_to", "created_by", "version")} == {
        "nomen": NOMEN, "nama": "BUDI", "periode": "2025-12", "rayon": "34", "anomaly_type": "zero",
        "status": "open", "priority": "sedang", "assigned_to": "admin", "created_by": "viewer", "version": 1}
    assert events(engine, case["id"]) == [("viewer", {
        "nomen": [None, NOMEN], "periode": [None, "2025-12"], "anomaly_type": [None, "zero"],
        "description": [None, "Pemakaian nol tiga bulan"], "status": [None, "open"], "priority": [None, "sedang"],
        "rayon": [None, "34"], "assigned_to": [None, "admin"]}, None)]
    assert [e["username"] for e in case["history"]] == ["viewer"]


def test_the_rayon_comes_from_the_customer_then_customer_rayon_then_what_was_given(engine):
    add_customer(engine, "1", rayon="35")
    add_customer(engine, "2", rayon="")
    with engine.begin() as conn:
        conn.execute(insert(CustomerRayon).values(nomen="2", rayon="34", periode="2025-11"))
    assert analyses.create(engine, as_user("a"), nomen="1", rayon="99")["rayon"] == "35"
    assert analyses.create(engine, as_user("a"), nomen="2", rayon="99")["rayon"] == "34"
    assert analyses.create(engine, as_user("a"), nomen="3", rayon="99")["rayon"] == "99"
    assert analyses.create(engine, as_user("a"), nomen="4")["rayon"] is None


def test_the_rute_officer_of_the_customers_pcez_can_be_assigned(engine):
    add_customer(engine, pcez="341010")
    add_rute(engine, "341010", "PAK SLAMET", "2025-11")
    add_rute(engine, "341010", "BU RINA", "2025-12")
    add_rute(engine, "341099", "PAK LAIN", "2025-12")
    assert analyses.create(engine, as_user("a"), nomen=NOMEN, assigned_to=RUTE_OFFICER)["assigned_to"] == "BU RINA"
    # The case's periode picks that periode's RUTE.
    case = analyses.create(engine, as_user("a"), nomen=NOMEN, periode="2025-11", assigned_to=RUTE_OFFICER)
    assert case["assigned_to"] == "PAK SLAMET"
    # The officer's name itself is accepted for that customer, and stays valid on later edits.
    assert analyses.create(engine, as_user("a"), nomen=NOMEN, anomaly_type="zero",
                            assigned_to="BU RINA")["assigned_to"] == "BU RINA"
    changed = analyses.update(engine, as_user("a"), case["id"], 1, {"assigned_to": "PAK SLAMET", "priority": "tinggi"})
    assert changed["assigned_to"] == "PAK SLAMET" and changed["priority"] == "tinggi"
    with pytest.raises(AnalysisError) as refused:
        analyses.create(engine, as_user("a"), nomen=NOMEN, assigned_to="PAK LAIN")
    assert refused.value.field == "assigned_to"


def test_the_pcez_falls_back_to_the_customers_mc(engine):
    with engine.begin() as conn:
        conn.execute(insert(Mc).values(upload_id=add_upload(conn), periode="2025-12", nomen="777", pcez="351020",
                                       nominal=1))
    add_rute(engine, "351020", "PAK MC")
    assert analyses.create(engine, as_user("a"), nomen="777", assigned_to=RUTE_OFFICER)["assigned_to"] == "PAK MC"


def test_no_rute_officer_is_a_clear_refusal(engine):
    add_customer(engine, pcez=None)
    with pytest.raises(AnalysisError, match="No RUTE officer") as refused:
        analyses.create(engine, as_user("a"), nomen=NOMEN, assigned_to=RUTE_OFFICER)
    assert "Petugas RUTE" in refused.value.message
    assert queries.find_analyses(engine) == []


def test_only_an_active_user_may_be_assigned(engine, users):
    with engine.begin() as conn:
        conn.execute(update(User).where(User.username == "viewer").values(active=False))
    assert analyses.create(engine, as_user("a"), nomen="1", assigned_to="admin")["assigned_to"] == "admin"
    for name in ("viewer", "nobody", "@other"):
        with pytest.raises(AnalysisError) as refused:
            analyses.create(engine, as_user("a"), nomen="1", assigned_to=name)
        assert refused.value.field == "assigned_to"


@pytest.mark.parametrize("fields, field", [
    ({"nomen": "abc"}, "nomen"), ({"nomen": ""}, "nomen"), ({"nomen": None}, "nomen"), ({"nomen": "12 34"}, "nomen"),
    ({"nomen": ["1"]}, "nomen"), ({"nomen": True}, "nomen"), ({"nomen": "1" * 21}, "nomen"),
    ({"periode": "2025-13"}, "periode"), ({"periode": "202512"}, "periode"), ({"periode": 202512}, "periode"),
    ({"anomaly_type": "bogus"}, "anomaly_type"), ({"anomaly_type": 3}, "anomaly_type"),
    ({"priority": "urgent"}, "priority"), ({"priority": ""}, "priority"), ({"priority": "Tinggi"}, "priority"),
    ({"rayon": "34 35"}, "rayon"), ({"description": "x" * 4001}, "description"), ({"description": {}}, "description"),
    ({"assigned_to": 5}, "assigned_to"), ({"comment": ["x"]}, "comment"),
])
def test_create_refuses_a_bad_value_and_says_which(engine, fields, field):
    values = {"nomen": NOMEN, **fields}
    with pytest.raises(AnalysisError) as refused:
        analyses.create(engine, as_user("a"), **values)
    assert refused.value.field == field
    assert refused.value.detail and refused.value.message
    assert queries.find_analyses(engine) == []


def test_a_nomen_no_stored_data_knows_is_refused(engine, users, tmp_path):
    with pytest.raises(AnalysisError) as refused:
        analyses.create(engine, as_user("a"), nomen="12345", anomaly_type="zero")
    assert refused.value.field == "nomen" and refused.value.status == 400
    assert refused.value.message.startswith("NOMEN 12345 tidak dikenal")
    assert queries.find_analyses(engine) == []
    # A customer known only from an ARDEBT (no MC, SBRS or payment) is known.
    arrears = tmp_path / "ARDEBT_2025-12.csv"
    arrears.write_text("NOMEN;JUMLAH_REK;TOTAL_TUNGGAKAN\n12345;2;90000\n", encoding="utf-8")
    assert ingest_file(engine, arrears).status == "loaded"
    assert analyses.create(engine, as_user("a"), nomen="12345")["nomen"] == "12345"


def test_an_identical_active_case_is_not_made_again_but_answered(engine, users):
    first = analyses.create(engine, as_user("admin"), nomen="1", periode="2025-12", anomaly_type="zero")
    assert first["existing"] is False
    clear_audit(engine)
    again = analyses.create(engine, as_user("viewer"), nomen="1", periode="2025-12", anomaly_type="zero",
                            description="sama")
    assert (again["id"], again["existing"], again["created_by"], again["description"]) == (
        first["id"], True, "admin", None)
    assert len(queries.find_analyses(engine)) == 1 and audit_actions(engine) == []
    # In progress is still active; another periode, another type, or a closed case is not the same.
    analyses.update(engine, as_user("admin"), first["id"], 1, {"status": "in_progress"})
    assert analyses.create(engine, as_user("a"), nomen="1", periode="2025-12", anomaly_type="zero")["existing"]
    assert not analyses.create(engine, as_user("a"), nomen="1", periode="2025-11", anomaly_type="zero")["existing"]
    assert not analyses.create(engine, as_user("a"), nomen="1", periode="2025-12", anomaly_type="drop")["existing"]
    analyses.update(engine, as_user("admin"), first["id"], 2, {"status": "resolved"}, comment="selesai")
    fresh = analyses.create(engine, as_user("a"), nomen="1", periode="2025-12", anomaly_type="zero")
    assert not fresh["existing"] and fresh["id"] != first["id"]


def test_the_api_refuses_an_unknown_nomen_and_answers_an_existing_case(as_viewer, engine):
    response = as_viewer.post("/api/analyses", json={"nomen": "12345", "anomaly_type": "zero"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"].startswith("NOMEN 12345 tidak dikenal") and body["field"] == "nomen"
    assert "unknown" in body["detail"]
    made = as_viewer.post("/api/analyses", json={"nomen": NOMEN, "periode": "2025-12", "anomaly_type": "zero"})
    assert made.status_code == 201 and made.get_json()["existing"] is False
    again = as_viewer.post("/api/analyses", json={"nomen": NOMEN, "periode": "2025-12", "anomaly_type": "zero"})
    assert again.status_code == 200
    assert (again.get_json()["id"], again.get_json()["existing"]) == (made.get_json()["id"], True)


def test_the_create_form_says_so_and_opens_the_existing_case(app, engine, users):
    form = tab.NewCase(nomen="1", periode="2025-12", anomaly_type="zero", description=None, priority="sedang",
                       assigned_to=None)
    with app.server.test_request_context():
        login_user(SessionUser(2, "viewer", "viewer"))
        made = tab.create_flow(tab.NEW_SAVE, True, form, "", "2025-12", None)
        again = tab.create_flow(tab.NEW_SAVE, True, form, "", "2025-12", None)
        unknown = tab.create_flow(tab.NEW_SAVE, True, tab.NewCase(**{**form.__dict__, "nomen": "12345"}), "",
                                  "2025-12", None)
    assert again["created"] == made["created"] and not again["open"]
    said = json.dumps(again["result"].to_plotly_json(), default=lambda c: c.to_plotly_json())
    assert f"Analisa #{made['created']} untuk nomen 1" in said and "masih aktif: kasus itu dibuka" in said
    assert unknown["open"]  # the form stays open to correct the number
    assert "NOMEN 12345 tidak dikenal" in json.dumps(unknown["alert"].to_plotly_json(),
                                                       default=lambda c: c.to_plotly_json())


def test_create_accepts_lainnya_or_no_type_and_an_integer_nomen(engine):
    assert analyses.create(engine, as_user("a"), nomen=123, anomaly_type="lainnya")["anomaly_type"] == "lainnya"
    assert analyses.create(engine, as_user("a"), nomen="124", anomaly_type="")["anomaly_type"] is None


# --- listing -------------------------------------------------------------------------------------

@pytest.fixture
def cases(engine, users):
    add_customer(engine, "1", rayon="34")
    add_customer(engine, "2", rayon="35")
    made = [
        analyses.create(engine, as_user("admin"), nomen="1", periode="2025-12", anomaly_type="zero", priority="tinggi",
                        assigned_to="viewer"),
        analyses.create(engine, as_user("admin"), nomen="2", periode="2025-12", anomaly_type="drop", priority="rendah"),
        analyses.create(engine, as_user("admin"), nomen="1", periode="2025-11", anomaly_type="drop"),
    ]
    analyses.update(engine, as_user("admin"), made[1]["id"], 1, {"status": "in_progress"})
    return [case["id"] for case in made]


@pytest.mark.parametrize("filters, expected", [
    ({}, [1, 2, 3]),
    ({"status": "open"}, [1, 3]), ({"status": "open,in_progress"}, [1, 2, 3]), ({"status": ["in_progress"]}, [2]),
    ({"priority": "tinggi"}, [1]), ({"priority": "sedang,rendah"}, [2, 3]),
    ({"assigned_to": "viewer"}, [1]), ({"rayon": "35"}, [2]), ({"periode": "2025-11"}, [3]),
    ({"anomaly_type": "drop"}, [2, 3]), ({"nomen": "1"}, [1, 3]), ({"nomen": "1", "periode": "2025-12"}, [1]),
    ({"status": "resolved"}, []),
])
def test_find_combines_filters(engine, cases, filters, expected):
    assert sorted(case["id"] for case in queries.find_analyses(engine, **filters)) == expected


def test_find_lists_the_most_recently_changed_first(engine, cases):
    assert [case["id"] for case in queries.find_analyses(engine)][0] == 2


@pytest.mark.parametrize("filters", [{"status": "closed"}, {"priority": "x"}, {"periode": "2025"},
                                     {"anomaly_type": "nope"}, {"nomen": "abc"}, {"rayon": "3 4"}, {"limit": 0},
                                     {"limit": 1001}, {"status": 5}])
def test_find_refuses_a_bad_filter(engine, filters):
    with pytest.raises(AnalysisError):
        queries.find_analyses(engine, **filters)


# --- changing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    ["in_progress", "resolved"], ["in_progress", "dismissed"], ["resolved"], ["dismissed"],
    ["resolved", "open", "in_progress"], ["dismissed", "open", "dismissed"],
])
def test_the_allowed_status_paths(engine, path):
    case = analyses.create(engine, as_user("a"), nomen="1")
    for version, status in enumerate(path, start=1):
        case = analyses.update(engine, as_user("b"), case["id"], version, {"status": status}, comment="alasan")
        assert case["status"] == status and case["version"] == version + 1


@pytest.mark.parametrize("path, refused", [
    (["in_progress"], "open"), (["resolved"], "in_progress"), (["dismissed"], "resolved"),
    (["resolved"], "dismissed"), ([], "bogus"),
])
def test_an_invalid_transition_is_refused_and_changes_nothing(engine, path, refused):
    case = analyses.create(engine, as_user("a"), nomen="1")
    for version, status in enumerate(path, start=1):
        analyses.update(engine, as_user("b"), case["id"], version, {"status": status}, comment="alasan")
    before = stored(engine, case["id"])
    with pytest.raises(AnalysisError) as error:
        analyses.update(engine, as_user("b"), case["id"], before["version"], {"status": refused}, comment="x")
    assert error.value.field == "status"
    assert stored(engine, case["id"]) == before
    assert len(events(engine, case["id"])) == len(path) + 1


@pytest.mark.parametrize("status", ["resolved", "dismissed"])
def test_closing_needs_a_comment(engine, status):
    case = analyses.create(engine, as_user("a"), nomen="1")
    for comment in (None, "", "   "):
        with pytest.raises(AnalysisError, match="needs a comment") as error:
            analyses.update(engine, as_user("b"), case["id"], 1, {"status": status}, comment=comment)
        assert "komentar" in error.value.message.lower()
    assert stored(engine, case["id"])["status"] == "open"


def test_a_stale_version_is_refused_and_nothing_changes(engine):
    case = analyses.create(engine, as_user("rina"), nomen="1")
    analyses.update(engine, as_user("budi"), case["id"], 1, {"priority": "tinggi"}, comment="penting")
    before = stored(engine, case["id"])
    with pytest.raises(StaleEdit) as stale:
        analyses.update(engine, as_user("rina"), case["id"], 1, {"status": "dismissed"}, comment="bukan masalah")
    assert stale.value.current_version == 2 and stale.value.changed_by == "budi"
    assert "budi" in stale.value.detail and "current version is 2" in stale.value.detail
    assert stale.value.message.startswith("Kasus ini sudah diubah oleh budi") and "muat ulang" in stale.value.message
    assert stored(engine, case["id"]) == before
    assert len(events(engine, case["id"])) == 2


@pytest.mark.parametrize("version", [None, "1", 1.0, True])
def test_the_version_must_be_an_integer(engine, version):
    case = analyses.create(engine, as_user("a"), nomen="1")
    with pytest.raises(AnalysisError) as error:
        analyses.update(engine, as_user("b"), case["id"], version, {"priority": "tinggi"})
    assert error.value.field == "version"


def test_history_records_who_what_and_why_oldest_first(engine, users):
    case = analyses.create(engine, as_user("admin"), nomen="1", description="awal")
    analyses.update(engine, as_user("viewer"), case["id"], 1, {"status": "in_progress", "assigned_to": "viewer",
                                                      "priority": "sedang"}, comment="saya cek")
    analyses.update(engine, as_user("admin"), case["id"], 2, {}, comment="sudah ditelepon")
    case = analyses.update(engine, as_user("viewer"), case["id"], 3, {"status": "resolved", "description": "meter diganti"},
                           comment="selesai")
    history = case["history"]
    assert [(e["username"], e["change"], e["comment"]) for e in history[1:]] == [
        ("viewer", {"status": ["open", "in_progress"], "assigned_to": [None, "viewer"]}, "saya cek"),
        ("admin", {}, "sudah ditelepon"),
        ("viewer", {"status": ["in_progress", "resolved"], "description": ["awal", "meter diganti"]}, "selesai"),
    ]
    assert history[0]["change"]["status"] == [None, "open"]
    assert [e["created_at"] for e in history] == sorted(e["created_at"] for e in history)
    assert case["version"] == 4 and case["updated_at"] == history[-1]["created_at"]


def test_nothing_to_change_is_refused(engine):
    case = analyses.create(engine, as_user("a"), nomen="1", priority="tinggi")
    with pytest.raises(AnalysisError, match="Nothing to change"):
        analyses.update(engine, as_user("b"), case["id"], 1, {"priority": "tinggi", "status": "open"})
    with pytest.raises(AnalysisError, match="cannot be changed"):
        analyses.update(engine, as_user("b"), case["id"], 1, {"nomen": "2"})
    assert stored(engine, case["id"])["version"] == 1


def test_get_and_update_of_a_missing_case(engine):
    with pytest.raises(NotFound):
        queries.get_analysis(engine, 99)
    with pytest.raises(NotFound):
        analyses.update(engine, as_user("a"), 99, 1, {"priority": "tinggi"})


# --- the API -------------------------------------------------------------------------------------

@pytest.fixture
def as_viewer(client, users, log_in):
    log_in(client, *users["viewer"])
    return client


def test_the_api_needs_a_user(client, users):
    assert client.get("/api/analyses").status_code == 401
    assert client.get("/api/analyses/1").status_code == 401
    response = client.post("/api/analyses", json={"nomen": NOMEN})
    assert response.status_code == 401 and "error" in response.get_json()
    assert client.patch("/api/analyses/1", json={"version": 1}).status_code == 401


def test_a_viewer_creates_reads_and_changes_a_case(as_viewer, engine):
    response = as_viewer.post("/api/analyses", json={"nomen": NOMEN, "periode": "2025-12", "anomaly_type": "zero",
                                                     "priority": "tinggi", "description": "cek meter"})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["created_by"] == "viewer" and case["status"] == "open" and case["version"] == 1
    assert case["created_at"].endswith("Z") and case["history"][0]["created_at"].endswith("Z")

    response = as_viewer.patch(f"/api/analyses/{case['id']}",
                               json={"version": 1, "status": "resolved", "comment": "meter diganti"})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert changed["status"] == "resolved" and changed["version"] == 2
    assert changed["history"][-1]["change"] == {"status": ["open", "resolved"]}
    assert changed["history"][-1]["comment"] == "meter diganti"

    got = as_viewer.get(f"/api/analyses/{case['id']}").get_json()
    assert [e["comment"] for e in got["history"]] == [None, "meter diganti"]
    listed = as_viewer.get("/api/analyses?status=resolved&rayon=semua&periode=2025-12").get_json()["analyses"]
    assert [c["id"] for c in listed] == [case["id"]] and "history" not in listed[0]
    assert [a[:2] for a in audit_actions(engine)] == [("analysis_created", "viewer"), ("analysis_updated", "viewer")]
    assert "Status Terbuka → Selesai" in audit_actions(engine)[1][2]


def test_a_stale_patch_is_a_409_and_changes_nothing(as_viewer, engine):
    case = as_viewer.post("/api/analyses", json={"nomen": NOMEN}).get_json()
    assert as_viewer.patch(f"/api/analyses/{case['id']}", json={"version": 1, "priority": "tinggi"}).status_code == 200
    before = stored(engine, case["id"])
    response = as_viewer.patch(f"/api/analyses/{case['id']}", json={"version": 1, "status": "dismissed",
                                                                    "comment": "bukan masalah"})
    assert response.status_code == 409
    body = response.get_json()
    assert "changed by viewer" in body["detail"] and body["current_version"] == 2
    assert stored(engine, case["id"]) == before
    assert len(events(engine, case["id"])) == 2


def test_a_missing_case_is_a_json_404(as_viewer):
    for response in (as_viewer.get("/api/analyses/999"),
                     as_viewer.patch("/api/analyses/999", json={"version": 1, "priority": "tinggi"})):
        assert response.status_code == 404 and "999" in response.get_json()["error"]
    assert as_viewer.get("/api/analyses/abc").status_code == 404


@pytest.mark.parametrize("query, which", [
    ("status=closed", "status"), ("priority=urgent", "priority"), ("periode=2025-13", "periode"),
    ("anomaly_type=x", "anomaly_type"), ("nomen=abc", "nomen"), ("rayon=3%204", "rayon"), ("limit=0", "limit"),
    ("limit=x", "limit"),
])
def test_a_bad_filter_is_a_400_saying_which(as_viewer, query, which):
    response = as_viewer.get(f"/api/analyses?{query}")
    assert response.status_code == 400
    assert which in response.get_json()["detail"]


@pytest.mark.parametrize("body", [
    {}, {"nomen": "abc"}, {"nomen": NOMEN, "priority": "urgent"}, {"nomen": NOMEN, "periode": "12-2025"},
    {"nomen": NOMEN, "assigned_to": "nobody"}, {"nomen": NOMEN, "assigned_to": "@rute"},
    {"nomen": NOMEN, "anomaly_type": ["zero"]}, {"nomen": NOMEN, "status": "resolved"}, {"nomen": {"a": 1}},
    [NOMEN], "60000001", None,
])
def test_a_bad_create_is_a_400_never_a_500(as_viewer, engine, body):
    response = as_viewer.post("/api/analyses", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]
    assert queries.find_analyses(engine) == []


def test_a_create_that_is_not_json_is_a_400(as_viewer):
    response = as_viewer.post("/api/analyses", data="nomen=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "JSON" in response.get_json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({"priority": "tinggi"}, "version"), ({"version": "1", "priority": "tinggi"}, "version"),
    ({"version": 1, "status": "in_progress", "nomen": "2"}, "nomen"), ({"version": 1, "status": "bogus"}, "status"),
    ({"version": 1, "status": "resolved"}, "comment"), ({"version": 1}, None),
    ({"version": 1, "comment": 5}, "comment"), ({"version": 1, "assigned_to": "nobody"}, "assigned_to"),
])
def test_a_bad_patch_is_a_400_and_changes_nothing(as_viewer, engine, body, field):
    case = as_viewer.post("/api/analyses", json={"nomen": NOMEN}).get_json()
    before = stored(engine, case["id"])
    response = as_viewer.patch(f"/api/analyses/{case['id']}", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["field"] == field
    assert stored(engine, case["id"]) == before


def test_an_invalid_transition_through_the_api_says_what_is_allowed(as_viewer):
    case = as_viewer.post("/api/analyses", json={"nomen": NOMEN}).get_json()
    as_viewer.patch(f"/api/analyses/{case['id']}", json={"version": 1, "status": "in_progress"})
    response = as_viewer.patch(f"/api/analyses/{case['id']}", json={"version": 2, "status": "open"})
    assert response.status_code == 400
    assert "from in_progress it may become resolved or dismissed" in response.get_json()["detail"]


def test_the_openapi_description_lists_the_analyses_routes(as_viewer):
    paths = as_viewer.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/analyses"]) == {"get", "post"}
    assert set(paths["/api/analyses/{analysis_id}"]) == {"get", "patch"}
    assert "409" in paths["/api/analyses/{analysis_id}"]["patch"]["responses"]


# --- the tab -------------------------------------------------------------------------------------

def test_the_timeline_says_who_when_what_and_why(engine, users):
    case = analyses.create(engine, as_user("admin"), nomen="1", anomaly_type="zero", assigned_to="viewer")
    case = analyses.update(engine, as_user("viewer"), case["id"], 1, {"status": "resolved"}, comment="meter diganti")
    text = json.dumps(tab.timeline(case["history"], "Asia/Jakarta").to_plotly_json(),
                      default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    # The stored time is UTC; the branch reads it in WIB, seven hours later.
    changed = case["history"][1]["created_at"] + dt.timedelta(hours=7)
    for part in ("membuat kasus", "Jenis anomali: Pemakaian Nol", "Ditugaskan ke: viewer", "Status: Terbuka",
                 "Status: Terbuka → Selesai", "meter diganti", f"{changed:%Y-%m-%d %H:%M} WIB"):
        assert part in text, part


def test_the_status_choices_follow_the_transitions():
    assert [o["value"] for o in tab.status_options("open")] == ["open", "in_progress", "resolved", "dismissed"]
    assert [o["value"] for o in tab.status_options("in_progress")] == ["in_progress", "resolved", "dismissed"]
    assert [o["label"] for o in tab.status_options("resolved")] == ["Selesai (sekarang)", "Terbuka"]


@pytest.mark.parametrize("search, expected", [
    ("?tab=analisa&new=1&nomen=60000001&anomaly=zero&periode=2025-11",
     {"nomen": "60000001", "anomaly_type": "zero", "periode": "2025-11"}),
    ("?tab=analisa&new=1&nomen=6000x&anomaly=evil", {"nomen": "", "anomaly_type": "", "periode": "2025-12"}),
    ("?tab=analisa&new=1&periode=bad", {"nomen": "", "anomaly_type": "", "periode": ""}),
    ("?tab=analisa&case=3", None), ("", None),
])
def test_a_link_opens_the_create_form_prefilled(search, expected):
    asked = tab.link_request(search, "2025-12")
    assert (asked and {k: v for k, v in asked.items() if k != "key"}) == expected


def test_a_stale_edit_in_the_tab_says_who_changed_it_in_indonesian(app, engine, users):
    case = analyses.create(engine, as_user("admin"), nomen="1")
    analyses.update(engine, as_user("admin"), case["id"], 1, {"priority": "tinggi"})
    clear_audit(engine)  # of the setup above: only the tab's own events are looked at below
    with app.server.test_request_context():
        login_user(SessionUser(2, "viewer", "viewer"))
        alert, done = tab.save(case["id"], 1, "dismissed", "sedang", "", "bukan masalah")
        assert not done
        text = json.dumps(alert.to_plotly_json(), default=lambda c: c.to_plotly_json())
        assert "Kasus ini sudah diubah oleh admin" in text and "muat ulang" in text
        assert stored(engine, case["id"])["status"] == "open"
        alert, done = tab.save(case["id"], 2, "dismissed", "tinggi", "", "bukan masalah")
        assert done and stored(engine, case["id"])["status"] == "dismissed"
        alert, done = tab.save(case["id"], 3, "in_progress", "tinggi", "", "")
        assert not done and "Diabaikan" in json.dumps(alert.to_plotly_json(), default=lambda c: c.to_plotly_json())
    assert [a[:2] for a in audit_actions(engine)] == [("analysis_updated", "viewer")]


def test_a_signed_out_callback_of_the_tab_is_refused(client):
    body = {"output": f"{tab.GRID}.rowData", "outputs": {"id": tab.GRID, "property": "rowData"},
            "inputs": [{"id": tab.SAVED, "property": "data", "value": 1}], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=body).status_code == 401


def test_the_workbench_filters_have_indexes(engine):
    """The workbench's reads use the indexes the schema has (no data-version cache in front)."""
    with engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN"
        if conn.dialect.name == "postgresql":
            explain = "EXPLAIN"
            conn.exec_driver_sql("SET enable_seqscan = off")  # the table is empty: ask which index it can use
        plan = " ".join(str(r) for r in conn.exec_driver_sql(
            f"{explain} SELECT id FROM analysis WHERE status IN ('open') AND periode = '2025-12'"))
        assert "ix_analysis_status" in plan
        plan = " ".join(str(r) for r in conn.exec_driver_sql(
            f"{explain} SELECT id FROM analysis WHERE nomen = '1'"))
        assert "ix_analysis_nomen" in plan
