"""The JSON API's contract (INTERFACES.md): authentication, parameter errors, unknown
paths, exports (CSV and XLSX, formula-safe), and an OpenAPI entry for every route."""
from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import delete

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.db import get_engine
from sunter_dash.ingest import ingest_file
from sunter_dash.models import LoginAttempt
from sunter_dash.services.users import upsert as upsert_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic, cheap_password  # noqa: E402
from make_fixtures import write_table  # noqa: E402

PASSWORD = "admin-pass-123"
FORMULA_NAME = '=HYPERLINK("x")'
FORMULA_ADDRESS = "@SUM(1+1)"



AUTH = basic("admin", PASSWORD)


def write_world(folder: Path) -> list[Path]:
    """Three customers in rayons 33, 34, 35; one named like a spreadsheet formula."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_table(folder, "MC_2025-12", "csv-semicolon", [
            ["NOMEN", "NAMA_PEL", "ALM1_PEL", "ZONA_NOVAK", "KUBIK", "NOMINAL"],
            ["60000001", FORMULA_NAME, FORMULA_ADDRESS, "341010203", 20, 100000],
            ["60000002", "BUDI", "JL. SUNTER", "351020301", 30, 200000],
            ["60000003", "CICI", "JL. DANAU", "331000101", 10, 50000],
        ]),
        write_table(folder, "Collection-2025-12-01_sd_2025-12-31", "txt-pipe", [
            ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"],
            ["60000001", "05-12-2025", -100000, "122025"],
            ["60000002", "06-12-2025", -80000, "122025"],
            ["60000002", "07-12-2025", -50000, "112025"],
        ]),
        write_table(folder, "ARDEBT_2025-12", "csv-comma", [
            ["NOMEN", "JUMLAH_REK", "TOTAL_TUNGGAKAN"],
            ["60000001", 2, 300000], ["60000002", 1, 100000],
        ]),
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory, module_database):
    """A loaded world and its app. The admin's password is re-hashed with a cheap werkzeug
    method (upsert_user's scrypt costs ~90 ms per Basic request); the Basic path is the same."""
    root = tmp_path_factory.mktemp("api")
    url = module_database("api")
    engine = get_engine(url)
    for path in write_world(root / "files"):
        result = ingest_file(engine, path)
        assert result.status == "loaded" and result.rejected == 0, result.as_json()
    upsert_user(engine, "admin", "admin", PASSWORD)
    cheap_password(engine, "admin", PASSWORD)  # the Basic path is the real one, only faster
    app = create_app(Config(database_url=url, secret_key="test-secret", secret_key_is_generated=False,
                            cache_type="NullCache", admin_password=PASSWORD))
    return app, app.server.test_client()


def api_rules(app) -> list:
    return [r for r in app.server.url_map.iter_rules() if r.rule == "/api" or r.rule.startswith("/api/")]


def concrete(rule: str) -> str:
    """A callable URL for a route: placeholders filled with values that exist."""
    return (rule.replace("<dataset>", "kpi-rayon").replace("<fmt>", "csv")
            .replace("<nomen>", "60000001").replace("<int:id>", "1").replace("<id>", "1"))


# --- 401 ------------------------------------------------------------------------------------

def assert_401(response) -> None:
    assert response.status_code == 401
    assert response.is_json and response.get_json().get("error")
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("basic")


@pytest.mark.parametrize("headers", [
    {},
    basic("admin", "wrong-password"),
    basic("nobody", PASSWORD),
    basic("admin", ""),
    {"Authorization": "Bearer abc"},
], ids=["none", "wrong-password", "unknown-user", "empty-password", "not-basic"])
def test_401_without_valid_credentials(world, headers):
    _, client = world
    assert_401(client.get("/api/kpi?periode=2025-12", headers=headers))


def test_every_api_route_needs_a_user(world):
    app, client = world
    rules = api_rules(app)
    assert len(rules) >= 10
    wrong = []
    try:
        for rule in rules:
            url = concrete(rule.rule) + "?periode=2025-12"
            assert_401(client.get(url))
            wrong.append(client.get(url, headers=basic("admin", "wrong-password")).status_code)
    finally:
        with app.server.extensions["sunter_engine"].begin() as conn:  # the throttle's window passes
            conn.execute(delete(LoginAttempt))
    # A wrong password is refused everywhere: 401, then 429 once the sign-in throttle holds it.
    assert wrong[0] == 401 and set(wrong) == {401, 429}
    assert wrong == sorted(wrong)  # no password is checked again once the throttle holds


def test_user_created_by_upsert_user_gets_in(client, engine):
    # the real (scrypt) hash of upsert_user, on conftest's empty database
    upsert_user(engine, "admin", "admin", PASSWORD)
    response = client.get("/api/periodes", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["periodes"] == []
    assert_401(client.get("/api/periodes", headers=basic("admin", PASSWORD + "x")))


# --- 400 ------------------------------------------------------------------------------------

PERIODE_ENDPOINTS = ["/api/kpi", "/api/kpi/rayon", "/api/kpi/daily", "/api/arrears/summary", "/api/arrears/top",
                     "/api/export/kpi-rayon.csv", "/api/export/arrears-top.xlsx"]
BAD_PERIODES = [None, "", "2025-13", "202512", "2025-00", "2025-1", "12-2025", "2025-12'--"]


def assert_400(response, parameter: str) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.is_json
    message = response.get_json()["error"]
    assert re.search(rf"\b{re.escape(parameter)}\b", message), message
    return message


@pytest.mark.parametrize("endpoint", PERIODE_ENDPOINTS)
@pytest.mark.parametrize("value", BAD_PERIODES, ids=lambda v: "missing" if v is None else repr(v))
def test_400_for_missing_or_malformed_periode(world, endpoint, value):
    _, client = world
    query = {} if value is None else {"periode": value}
    message = assert_400(client.get(endpoint, query_string=query, headers=AUTH), "periode")
    assert "YYYY-MM" in message  # INTERFACES.md: says the expected form


@pytest.mark.parametrize("value", ["2025-13", "202512", "2025-12'--"])
def test_400_for_malformed_periode_of_kpi_data(world, value):
    _, client = world
    assert "YYYY-MM" in assert_400(client.get("/api/kpi_data", query_string={"periode": value}, headers=AUTH),
                                   "periode")


@pytest.mark.parametrize(("query", "parameter"), [
    ({"to": "2025-12"}, "from"),
    ({"from": "2025-12"}, "to"),
    ({"from": "2025-13", "to": "2025-12"}, "from"),
    ({"from": "2025-10", "to": "202512"}, "to"),
])
def test_400_for_series_range(world, query, parameter):
    _, client = world
    assert_400(client.get("/api/kpi/series", query_string=query, headers=AUTH), parameter)


RAYON_ENDPOINTS = [("/api/kpi", {"periode": "2025-12"}), ("/api/kpi/daily", {"periode": "2025-12"}),
                   ("/api/arrears/summary", {"periode": "2025-12"}), ("/api/arrears/top", {"periode": "2025-12"}),
                   ("/api/kpi/series", {"from": "2025-11", "to": "2025-12"}),
                   ("/api/export/kpi-daily.csv", {"periode": "2025-12"})]


@pytest.mark.parametrize(("endpoint", "query"), RAYON_ENDPOINTS, ids=[e for e, _ in RAYON_ENDPOINTS])
@pytest.mark.parametrize("value", ["34;1", "<35>", "34 OR 1=1", "34'--"])
def test_400_for_malformed_rayon(world, endpoint, query, value):
    _, client = world
    assert_400(client.get(endpoint, query_string={**query, "rayon": value}, headers=AUTH), "rayon")


@pytest.mark.parametrize("value", ["abc", "1.5", "-3"])
def test_400_for_malformed_limit(world, value):
    _, client = world
    assert_400(client.get("/api/arrears/top", query_string={"periode": "2025-12", "limit": value}, headers=AUTH),
               "limit")


# --- 404 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/nope", "/api/kpi/nope", "/api/kpi/rayon/34",
                                 "/api/export/nope.csv?periode=2025-12", "/api/export/nope.xlsx?periode=2025-12",
                                 "/api/export/kpi-rayon.pdf?periode=2025-12"])
def test_404_json(world, url):
    _, client = world
    response = client.get(url, headers=AUTH)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]


# --- exports --------------------------------------------------------------------------------

# the grid's columns and the /api/kpi figure each one shows
KPI_COLUMNS = {
    "Pelanggan": ("total_pelanggan",), "Kubikasi (m3)": ("total_kubikasi",),
    "Target (nomen)": ("target", "nomen"), "Target (Rp)": ("target", "nominal"),
    "Terbayar (nomen)": ("paid", "nomen"), "Terbayar (Rp)": ("paid", "nominal"),
    "Belum Bayar (nomen)": ("unpaid", "nomen"), "Belum Bayar (Rp)": ("unpaid", "nominal"),
    "Tunggakan Tertagih (nomen)": ("undue", "nomen"), "Tunggakan Tertagih (Rp)": ("undue", "nominal"),
    "Bayar di Luar MC (nomen)": ("unmatched", "nomen"), "Bayar di Luar MC (Rp)": ("unmatched", "nominal"),
}


def export_rows(response, fmt: str) -> list[dict]:
    """The exported table as dicts; CSV cells as text, XLSX cells as typed values."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "attachment" in response.headers.get("Content-Disposition", "")
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(values[0], row)) for row in values[1:]]


def figure(block: dict, path: tuple):
    for key in path:
        block = block[key]
    return block


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_kpi_rayon_matches_api(world, fmt):
    _, client = world
    api = client.get("/api/kpi/rayon?periode=2025-12", headers=AUTH).get_json()
    rows = export_rows(client.get(f"/api/export/kpi-rayon.{fmt}?periode=2025-12", headers=AUTH), fmt)
    expected = [(f"Rayon {r['rayon']}", r) for r in api["rayons"]] + [("Total", api["total"])]
    assert [row["Rayon"] for row in rows] == ["Rayon 33", "Rayon 34", "Rayon 35", "Total"]
    assert [label for label, _ in expected] == [row["Rayon"] for row in rows]
    for row, (label, figures) in zip(rows, expected):
        for column, path in KPI_COLUMNS.items():
            value = row[column]
            if fmt == "xlsx":
                assert isinstance(value, int), (column, value)  # numbers stay numbers
            assert int(value) == figure(figures, path), (label, column)
        assert float(row["Collection Rate (%)"]) == pytest.approx(figures["collection_rate"], abs=0.005)
    # and the API's own figures, by hand: total target 350 000, paid 100 000 + 80 000
    assert (api["total"]["target"]["nominal"], api["total"]["paid"]["nominal"]) == (350_000, 180_000)
    assert (api["total"]["undue"]["nominal"], api["total"]["total_kubikasi"]) == (50_000, 60)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_neutralises_formula_text(world, fmt):
    _, client = world
    api = client.get("/api/arrears/top?periode=2025-12", headers=AUTH).get_json()["debtors"]
    assert [(d["nomen"], d["nama"], d["total"]) for d in api] == [
        ("60000001", FORMULA_NAME, 300_000), ("60000002", "BUDI", 100_000)]
    response = client.get(f"/api/export/arrears-top.{fmt}?periode=2025-12", headers=AUTH)
    rows = export_rows(response, fmt)
    assert len(rows) == 2
    cells = list(rows[0].values())
    assert "'" + FORMULA_NAME in cells
    assert "'" + FORMULA_ADDRESS in cells
    assert FORMULA_NAME not in cells and FORMULA_ADDRESS not in cells
    assert "BUDI" in rows[1].values()  # ordinary text untouched
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        assert 300_000 in cells  # the total stays a number


# --- OpenAPI --------------------------------------------------------------------------------

def test_openapi_describes_every_route(world):
    app, client = world
    spec = client.get("/api/openapi.json", headers=AUTH).get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for rule in api_rules(app):
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is not in openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {rule.rule} is not in openapi.json"


def test_openapi_marks_kpi_data_deprecated(world):
    _, client = world
    spec = client.get("/api/openapi.json", headers=AUTH).get_json()
    assert spec["paths"]["/api/kpi_data"]["get"].get("deprecated") is True
