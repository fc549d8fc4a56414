"""The petugas role is row-level security: an officer sees the collection work and the profiles
of the customers of its own PCEZs only, records follow-ups for them, and everything else is
refused on the server, whatever a crafted request carries (the API, Dash's callback route, the
route sheet).

The branch is tests/fixtures/collection_branch.py (figures in tests/integration/test_collection.py).
RUTE 2025-12: PCEZ 15110 and 15210 are " andi " / "Andi" (ANDI), 16010 is RINA. ANDI's customers
in 2025-12: 60000001 (paid), 60000002 (unpaid, 200.000), 60000003 (a partial payer: paid).
The latest stored periode is 2026-01 (COLLECTION), whose RUTE in effect is 2025-12's.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sunter_dash.domain.errors import BadParameter
from sunter_dash.services import Actor
from sunter_dash.services import users as user_service
from sunter_dash.tabs import collection, customer, overview
from sunter_dash.tabs import users as users_tab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from collection_branch import load_branch  # noqa: E402
from dash_wire import callback_body  # noqa: E402
from helpers import basic  # noqa: E402

PASSWORD = "sandi-petugas-1"
OFFICER = ("andi", PASSWORD)
ADMIN = Actor("admin", "admin")


@pytest.fixture
def branch(engine, tmp_path):
    load_branch(engine, tmp_path)
    user_service.upsert(engine, "andi", "petugas", PASSWORD, " Andi ")
    return engine


def get(client, path: str):
    return client.get(path, headers=basic(*OFFICER))


# --- linking a user to an officer --------------------------------------------------------------

def test_a_petugas_is_linked_to_a_name_some_rute_has_trimmed_and_upper_cased(branch, users):
    assert user_service.create(branch, ADMIN, "rina", "petugas", PASSWORD, PASSWORD, " rina") == "rina"
    listed = {u["username"]: (u["role"], u["petugas"]) for u in user_service_list(branch)}
    assert listed["andi"] == ("petugas", "ANDI") and listed["rina"] == ("petugas", "RINA")
    assert listed["viewer"] == ("viewer", None)
    for role, name, message in [("petugas", "BUDI", "Tidak ada RUTE dengan petugas 'BUDI'"),
                                ("petugas", "  ", "Peran petugas perlu nama petugas"),
                                ("viewer", "ANDI", "Nama petugas hanya untuk peran petugas")]:
        with pytest.raises(BadParameter, match=message):
            user_service.create(branch, ADMIN, "budi", role, PASSWORD, PASSWORD, name)
    # A new officer, or another role, is a role change: it ends the user's sessions.
    assert user_service.set_role(branch, ADMIN, "rina", "petugas", "andi") == "petugas"
    assert user_service.set_role(branch, ADMIN, "rina", "viewer") == "petugas"
    assert {u["username"]: u["petugas"] for u in user_service_list(branch)}["rina"] is None


def user_service_list(engine):
    from sunter_dash import queries
    return queries.list_users(engine)


def test_the_cli_refuses_an_officer_no_rute_has(branch, db_url, capsys, monkeypatch):
    from sunter_dash.__main__ import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "budi", "--role", "petugas", "--petugas", "Budi", "--password-stdin"]) == 1
    assert "Tidak ada RUTE dengan petugas 'BUDI'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "rina", "--role", "petugas", "--petugas", " rina ", "--password-stdin"]) == 0
    assert "Pengguna rina dibuat (peran petugas, petugas RINA)." in capsys.readouterr().out


# --- the API -------------------------------------------------------------------------------------

def test_the_api_gives_a_petugas_its_own_lists_and_groups_only(client, branch):
    unpaid = get(client, "/api/collection/unpaid?periode=2025-12")
    assert unpaid.status_code == 200
    assert ([r["nomen"] for r in unpaid.get_json()["rows"]], unpaid.get_json()["total"]) == (["60000002"], 1)
    assert get(client, "/api/collection/unpaid?periode=2025-12&petugas=%20andi").get_json()["total"] == 1
    officers = get(client, "/api/kpi/petugas?periode=2025-12").get_json()
    assert [r["petugas"] for r in officers["rows"]] == ["ANDI"]
    assert officers["total"]["target"] == {"nomen": 3, "nominal": 450_000}
    pcezs = get(client, "/api/kpi/pcez?periode=2025-12").get_json()
    assert [r["pcez"] for r in pcezs["rows"]] == ["15110", "15210"]
    assert (pcezs["total"]["paid"], pcezs["total"]["unpaid"]) == (
        {"nomen": 2, "nominal": 150_000}, {"nomen": 1, "nominal": 300_000})
    assert get(client, "/api/collection/disconnect?periode=2025-12").get_json()["rows"] == []  # RINA's DEDI


@pytest.mark.parametrize("path", [
    "/api/collection/unpaid?periode=2025-12&petugas=RINA",  # another officer's list
    "/api/collection/unpaid?periode=2025-12&pcez=16010",  # another officer's PCEZ
    "/api/collection/disconnect?periode=2025-12&petugas=RINA",
    "/api/promises?periode=2025-12&petugas=RINA",
    "/api/followups?periode=2025-12&petugas=RINA",
    "/api/customers/60000004",  # RINA's customer
    "/api/kpi?periode=2025-12", "/api/kpi/rayon?periode=2025-12", "/api/kpi/daily?periode=2025-12",
    "/api/arrears/summary?periode=2025-12", "/api/anomalies?periode=2025-12&type=zero",
    "/api/export/kpi_rayon.xlsx?periode=2025-12", "/api/uploads", "/api/analyses", "/api/kpi_data",
])
def test_the_api_refuses_a_petugas_everything_else(client, branch, path):
    answer = get(client, path)
    assert answer.status_code == 403, answer.get_data(as_text=True)
    body = json.dumps(answer.get_json())
    assert answer.get_json()["error"] and answer.get_json()["detail"]
    assert "DEDI" not in body and "JL C 1" not in body and "300000" not in body  # nothing of RINA's customer


def test_a_petugas_searches_and_opens_its_own_customers_without_analyses(client, branch, users):
    found = get(client, "/api/customers/search?q=JL").get_json()["results"]
    assert [r["nomen"] for r in found] == ["60000001", "60000002", "60000003"]
    assert get(client, "/api/customers/search?q=6000000").get_json()["results"] == found
    profile = get(client, "/api/customers/60000002").get_json()
    assert profile["identity"]["nama"] == "BUDI" and "analyses" not in profile
    refused = get(client, "/api/customers/60000004")
    assert refused.get_json()["error"] == "Pelanggan 60000004 bukan pelanggan rute Anda (ANDI)."
    # An admin's profile still has its analyses, and a viewer's search finds everyone.
    assert "analyses" in client.get("/api/customers/60000004", headers=basic(*users["admin"])).get_json()
    assert len(client.get("/api/customers/search?q=JL", headers=basic(*users["viewer"])).get_json()["results"]) == 7


def test_a_petugas_records_a_promise_for_its_own_customer_only(client, branch):
    body = {"nomen": "60000004", "periode": "2025-12", "result": "janji_bayar", "visit_date": "2025-12-10",
            "promise_date": "2025-12-20"}
    refused = client.post("/api/followups", json=body, headers=basic(*OFFICER))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "Pelanggan 60000004 bukan pelanggan rute Anda (ANDI)."
    saved = client.post("/api/followups", json={**body, "nomen": "60000002"}, headers=basic(*OFFICER))
    assert saved.status_code == 201 and saved.get_json()["created_by"] == "andi"
    promises = get(client, "/api/promises?periode=2025-12").get_json()
    assert [(r["nomen"], r["petugas"]) for r in promises["rows"]] == [("60000002", "ANDI")]
    assert get(client, "/api/followups?periode=2025-12").get_json()["rows"][0]["nomen"] == "60000002"


# --- the pages, and crafted callbacks ------------------------------------------------------------

@pytest.fixture
def officer(app, branch, log_in):
    signed_in = app.server.test_client()
    assert log_in(signed_in, *OFFICER).status_code == 302
    return signed_in


def post(app, client, output: str, values: dict, changed: list[str]):
    return client.post("/_dash-update-component", json=callback_body(app, output, values, changed))


def test_a_petugas_is_offered_penagihan_and_the_profile_only(officer):
    layout = officer.get("/_dash-layout").get_data(as_text=True).replace(" ", "")
    offered = [tab for tab in ("ringkasan", "penagihan", "pelanggan", "upload", "users")
               if f'"tab_id":"{tab}"' in layout]
    assert offered == ["penagihan", "pelanggan"]


QUERY = {"periode": "2025-12", "rayon": None, "pcez": None, "petugas": None, "kind": "unpaid", "sort": "nomen",
         "saved": 0}


def test_the_grid_serves_a_petugas_its_own_rows_and_refuses_a_crafted_query(app, officer):
    def rows(query):
        return post(app, officer, f"{collection.GRID}.getRowsResponse",
                    {f"{collection.GRID}.getRowsRequest": {"startRow": 0, "endRow": 50},
                     f"{collection.QUERY}.data": query}, [f"{collection.GRID}.getRowsRequest"])
    own = rows(QUERY).get_json()["response"][collection.GRID]["getRowsResponse"]
    assert [r["nomen"] for r in own["rowData"]] == ["60000002"]
    for crafted in ({**QUERY, "petugas": "RINA"}, {**QUERY, "pcez": "16010"}):
        answer = rows(crafted).get_data(as_text=True)
        assert "60000004" not in answer and "DEDI" not in answer
        assert "bukan rute Anda" in answer or "hanya dapat melihat pelanggan rute Anda sendiri" in answer


def test_the_tab_holds_a_petugas_to_its_own_name_whatever_the_address_says(app, officer):
    def view(search):
        return post(app, officer, f"..{collection.QUERY}.data", {
            "shell-url.search": search, "shell-periode.value": "2025-12", "shell-rayon.value": "all",
            f"{collection.KIND}.value": "unpaid", f"{collection.SORT}.value": "nomen",
            f"{collection.SAVED_COUNT}.data": 0}, ["shell-url.search"]).get_json()["response"]
    mine = view("?tab=penagihan&periode=2025-12")
    assert mine[collection.QUERY]["data"]["petugas"] == "ANDI"
    officers = json.dumps(mine[collection.OFFICERS]["children"])
    assert "ANDI" in officers and "RINA" not in officers
    other = view("?tab=penagihan&periode=2025-12&petugas=RINA")
    assert other[collection.QUERY]["data"] is None
    assert "hanya dapat melihat pelanggan rute Anda sendiri (ANDI)" in json.dumps(other[collection.ALERT])


def test_a_petugas_is_refused_other_tabs_callbacks_and_downloads(app, officer, users, log_in):
    admin = app.server.test_client()
    log_in(admin, *users["admin"])
    cards = post(app, officer, f"..{overview.ALERT}.children",
                 {"shell-periode.value": "2025-12", "shell-rayon.value": "all"}, ["shell-periode.value"])
    assert cards.status_code == 403
    assert cards.get_json()["error"] == "Anda tidak berhak membuka bagian ini."
    admin_tab = post(app, officer, f"..{users_tab.GRID}.rowData", {}, [])
    assert admin_tab.status_code == 403
    # The shell's downloads are the branch's datasets: a click answers an admin, not a petugas.
    button = {"type": "export", "dataset": "kpi-rayon", "fmt": "csv", "place": "overview"}
    click = {"output": "shell-download.data", "outputs": {"id": "shell-download", "property": "data"},
             "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
             "state": [{"id": "shell-periode", "property": "value", "value": "2025-12"},
                       {"id": "shell-rayon", "property": "value", "value": "all"}],
             "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]}
    assert officer.post("/_dash-update-component", json=click).get_json() == {"multi": True, "response": {}}
    assert "content" in admin.post("/_dash-update-component", json=click).get_json()["response"]["shell-download"]["data"]


def test_the_profile_tab_refuses_another_officers_customer(app, officer):
    def show(nomen):
        return json.dumps(post(app, officer, f"{customer.PROFILE}.children",
                               {"shell-url.search": f"?tab=pelanggan&nomen={nomen}"}, ["shell-url.search"])
                          .get_json()["response"])
    assert "bukan pelanggan rute Anda (ANDI)" in show("60000004") and "DEDI" not in show("60000004")
    mine = show("60000002")
    assert "BUDI" in mine and "Tindak lanjut penagihan" in mine and customer.ANALYSES_GRID not in mine
    assert "Buat analisa" not in mine


def test_the_route_sheet_is_a_petugas_own_only(officer):
    assert officer.get("/penagihan/rute.pdf?periode=2025-12&petugas=RINA").status_code == 403
    own = officer.get("/penagihan/rute.pdf?periode=2025-12")
    assert own.status_code == 200 and own.headers["Content-Type"] == "application/pdf"
    assert 'filename="rute_ANDI_2025-12.pdf"' in own.headers["Content-Disposition"]


# --- the same refusals whatever route reaches the callbacks -------------------------------------

AUDIT = {"output": "..audit-grid.rowData...audit-alert.children..",
         "outputs": [{"id": "audit-grid", "property": "rowData"}, {"id": "audit-alert", "property": "children"}],
         "inputs": [{"id": "shell-tabs", "property": "active_tab", "value": "audit"}], "state": [],
         "changedPropIds": ["shell-tabs.active_tab"]}


def test_a_prefixed_callback_route_is_guarded_too(branch, config, log_in, monkeypatch):
    """Served under a prefix (DASH_URL_BASE_PATHNAME), Dash's callback route is another path: the
    guard still refuses the audit tab's callback to a petugas."""
    monkeypatch.setenv("DASH_URL_BASE_PATHNAME", "/sunter/")
    from sunter_dash import create_app

    client = create_app(config).server.test_client()
    assert log_in(client, *OFFICER).status_code == 302
    answer = client.post("/sunter/_dash-update-component", json=AUDIT)
    assert answer.status_code == 403 and "admin" not in answer.get_data(as_text=True)


def test_the_callbacks_refuse_inside_dashs_dispatch(app, officer):
    """The callback itself refuses, in the API's error shape, and the audit rows never leave the
    server."""
    answer = officer.post("/_dash-update-component", json=AUDIT)
    assert answer.status_code == 403
    assert answer.get_json() == {"error": "Anda tidak berhak membuka bagian ini.",
                                 "detail": "Not allowed: this callback needs 'audit'.", "field": None}


def test_dashs_mcp_route_is_off_whatever_the_environment(branch, config, log_in, monkeypatch):
    monkeypatch.setenv("DASH_MCP_ENABLED", "true")
    from sunter_dash import create_app

    client = create_app(config).server.test_client()
    assert log_in(client, *OFFICER).status_code == 302
    assert client.post("/_mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize"}).status_code in (404, 405)
