"""Every dashboard figure, checked independently of the application's own queries.

1. A hand-made branch (MC, COLLECTION, SBRS, ARDEBT files in the raw export
   formats of DATA.md) whose figures are worked out by hand below, as literal
   numbers with the arithmetic in comments.
2. An oracle: a generated demo world, its KPI and arrears figures recomputed
   with pandas straight from the raw tables (mc, payment, sbrs, ardebt),
   following METRICS.md to the letter, compared with the JSON API.
3. The same oracle after an upload is deleted, an MC is replaced and an
   overlapping COLLECTION extract is loaded: the summaries must follow.

The oracle never reads sunter_dash.queries nor the summary tables.
"""
from __future__ import annotations

import base64
import calendar
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.db import get_engine
from sunter_dash.demo import generate
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.services.users import upsert as upsert_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import cheap_password  # noqa: E402
from make_fixtures import write_table  # noqa: E402

PASSWORD = "admin-pass-123"
RATE_TOL = 1e-9


# --- API access ------------------------------------------------------------------------

class Api:
    """GETs through the Flask test client with HTTP Basic auth."""

    def __init__(self, app, engine, memo: bool = False):
        upsert_user(engine, "admin", "admin", PASSWORD)
        # upsert_user hashes with scrypt (~90 ms per Basic request). The same password
        # under a cheap werkzeug hash keeps the suite fast; verify_password accepts any
        # werkzeug method, so the Basic path exercised is the real one.
        cheap_password(engine, "admin", PASSWORD)  # the Basic path is the real one, only faster
        self.client = app.server.test_client()
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.memo: dict[str, object] | None = {} if memo else None

    def get(self, url: str):
        if self.memo is not None and url in self.memo:
            return self.memo[url]
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
        body = response.get_json()
        if self.memo is not None:
            self.memo[url] = body
        return body


def q(url: str, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    return f"{url}?{query}" if query else url


def make_app(db_url: str):
    return create_app(Config(database_url=db_url, secret_key="test-secret", secret_key_is_generated=False,
                             cache_type="NullCache", admin_password=PASSWORD))


def loaded(result):
    assert result.status == "loaded", result.as_json()
    assert result.rejected == 0, result.as_json()
    return result


def expected_kpi(periode, rayon, pelanggan, kubikasi, source, target, paid, unpaid, undue, unmatched, rate,
                 has_mc=True, has_collection=True) -> dict:
    return {
        "periode": periode, "rayon": rayon, "total_pelanggan": pelanggan, "total_kubikasi": kubikasi,
        "kubikasi_source": source,
        "target": {"nomen": target[0], "nominal": target[1]},
        "paid": {"nomen": paid[0], "nominal": paid[1]},
        "unpaid": {"nomen": unpaid[0], "nominal": unpaid[1]},
        "undue": {"nomen": undue[0], "nominal": undue[1], "count": undue[2]},
        "unmatched": {"nomen": unmatched[0], "nominal": unmatched[1], "count": unmatched[2]},
        "collection_rate": rate, "has_mc": has_mc, "has_collection": has_collection,
    }


def assert_kpi(got: dict, expected: dict, where: str = "") -> None:
    """Every key of ``expected`` equal (integers exactly, the rate to 1e-9); extra keys allowed."""
    rate = got["collection_rate"]
    if expected["collection_rate"] is None:
        assert rate is None, (where, rate)
    else:
        assert rate == pytest.approx(expected["collection_rate"], abs=RATE_TOL), (where, rate)
    got_rest = {k: got.get(k) for k in expected if k != "collection_rate"}
    want_rest = {k: v for k, v in expected.items() if k != "collection_rate"}
    assert got_rest == want_rest, where


INT_FIGURES = [("total_pelanggan",), ("total_kubikasi",), ("target", "nomen"), ("target", "nominal"),
               ("paid", "nomen"), ("paid", "nominal"), ("unpaid", "nomen"), ("unpaid", "nominal"),
               ("undue", "nomen"), ("undue", "nominal"), ("undue", "count"),
               ("unmatched", "nomen"), ("unmatched", "nominal"), ("unmatched", "count")]


def strip(expected: dict) -> dict:
    """An expected KPI without the /api/kpi-only flags (rows of /api/kpi/rayon and series lack them)."""
    return {k: v for k, v in expected.items() if k not in ("has_mc", "has_collection")}


def figure(block: dict, path: tuple) -> int:
    for key in path:
        block = block[key]
    return block


# =========================================================================================
# 1. The hand-made branch
# =========================================================================================
#
# Customers (NOMEN) and their MC(2025-12) rows -- NOMINAL is the December target:
#   rayon 34 (ZONA 34...): A 100 000, B 200 000, C 150 000, D 120 000, E 80 000, F 0
#   rayon 35 (ZONA 35...): G 300 000, H 250 000, I 175 000, J 90 000
#   rayon 33 (ZONA 33...): K 60 000, L 70 000
#   not in MC(2025-12): U1 (in MC(2025-11), rayon 35), U2 and U3 (in no MC at all),
#                       Z (SBRS only, route 33...)
# MC(2025-11) (with KUBIK): A 34 100 000 k20, B 34 200 000 k40, H 34 (!) 100 000 k15,
#                           G 35 300 000 k60, U1 35 250 000 k50, K 33 50 000 k10.
# MC(2025-12) has no KUBIK column; SBRS(2025-12) gives the volumes.
# 2026-01 has payments but no MC.

A, B, C, D, E, F = "60000001", "60000002", "60000003", "60000004", "60000005", "60000006"
G, H, I, J = "60000011", "60000012", "60000013", "60000014"
K, L = "60000021", "60000022"
U1, U2, U3 = "60000031", "60000032", "60000033"
Z = "60000041"

Z34, Z35, Z33 = "341010203", "351020301", "331000101"

MC_2025_12 = [
    ["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "NOMINAL"],
    [A, "ANI", Z34, 100000], [B, "BUDI", Z34, 200000], [C, "CICI", Z34, 150000],
    [D, "DODI", Z34, 120000], [E, "EKO", Z34, 80000], [F, "FIFI", Z34, 0],
    [G, "GITA", Z35, 300000], [H, "HADI", Z35, 250000], [I, "INDAH", Z35, 175000], [J, "JOKO", Z35, 90000],
    [K, "KARTO", Z33, 60000], [L, "LINA", Z33, 70000],
]
MC_2025_11 = [
    ["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "KUBIK", "NOMINAL"],
    [A, "ANI", Z34, 20, 100000], [B, "BUDI", Z34, 40, 200000], [H, "HADI", Z34, 15, 100000],
    [G, "GITA", Z35, 60, 300000], [U1, "UMAR", Z35, 50, 250000], [K, "KARTO", Z33, 10, 50000],
]
SBRS_HEADER = ["cmr_account", "cmr_prev_read", "cmr_reading", "SB_Stand", "cmr_route"]
SBRS_2025_12 = [
    SBRS_HEADER,
    [A, 1000, 1020, 20, "3410102"],
    [B, 500, 540, 40, "3410102"],
    [C, 200, 215, 15, "3410102"],
    [G, 100, 160, 58, "3510203"],  # stated PAKAI 58 (not 160 - 100)
    [H, 300, 325, 25, "3410102"],  # route says 34, MC(2025-12) says 35: MC wins
    [K, 10, 22, 12, "3310001"],
    [U1, 50, 100, 50, "3410102"],  # not in MC(P); its latest MC (2025-11) says 35
    [Z, 0, 9, 9, "3310001"],  # in no MC: the route's rayon, 33
]
SBRS_2025_11 = [SBRS_HEADER, [A, 979, 1000, 21, "3410102"], [G, 39, 100, 61, "3510203"]]

COLL_HEADER = ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD"]
COLLECTION_2025_11 = [
    COLL_HEADER,
    [A, "05-11-2025", -100000, "112025"],
    [G, "10-11-2025", -300000, "112025"],
    [K, "12-11-2025", -40000, "102025"],  # UNDUE
    [E, "15-11-2025", -10000, "112025"],  # E not in MC(2025-11): unmatched, rayon 34 from MC(2025-12)
    [B, "28-11-2025", -100000, "112025"],  # partial: B owes 200 000
    [H, "30-11-2025", -100000, "112025"],
]
COLLECTION_2025_12_A = [  # extract 1-15 Dec
    COLL_HEADER,
    [H, "01-12-2025", -100000, "122025"],  # partial (250 000 due)
    [C, "03-12-2025", -50000, "122025"],  # first installment
    [A, "05-12-2025", -100000, "122025"],
    [A, "05-12-2025", -90000, "112025"],  # UNDUE
    [K, "05-12-2025", -60000, "122025"],
    [U1, "07-12-2025", -55000, "122025"],  # unmatched (rayon 35)
    [F, "08-12-2025", -25000, "122025"],  # NOMINAL 0: neither paid nor unmatched
    [U1, "09-12-2025", -20000, "122025"],  # unmatched (rayon 35)
    [B, "10-12-2025", -150000, "122025"],  # partial (200 000 due)
    [U2, "11-12-2025", -33000, "122025"],  # unmatched, no rayon
    [I, "12-12-2025", -40000, "102025"],  # UNDUE
    [U3, "14-12-2025", -15000, "092025"],  # UNDUE, no rayon
    [D, "15-12-2025", -150000, "122025"],  # overpayment (120 000 due)
]
COLLECTION_2025_12_B = COLLECTION_2025_12_A + [  # extract 1 Dec - 6 Jan, overlapping the first
    [I, "18-12-2025", -60000, "092025"],  # UNDUE
    [C, "20-12-2025", -100000, "122025"],  # second installment
    [J, "20-12-2025", -90000, "122025"],
    [G, "31-12-2025", -300000, "122025"],
    [J, "02-01-2026", -45000, "122025"],  # next month: UNDUE of 2026-01
    [E, "03-01-2026", -80000, "122025"],  # next month: UNDUE of 2026-01
    [B, "05-01-2026", -50000, "012026"],  # CURRENT of 2026-01, no MC(2026-01): unmatched, rayon 34
    [U2, "06-01-2026", -10000, "012026"],  # CURRENT of 2026-01, unmatched, no rayon
]
ARDEBT_2025_11 = [  # one row per unpaid bill
    ["NOMEN", "PERIODE_BILL", "JUMLAH"],
    [A, "102025", 90000],
    [H, "102025", 110000],
    [I, "092025", 175000], [I, "102025", 175000],
    [L, "082025", 70000], [L, "092025", 70000], [L, "102025", 70000],
    [U3, "082025", 1000000], [U3, "092025", 290000],
]
ARDEBT_2025_12 = [  # one row per customer
    ["NOMEN", "JUMLAH_REK", "TOTAL_TUNGGAKAN"],
    [A, 1, 90000], [I, 2, 350000], [L, 3, 210000], [B, 6, 600000], [E, 7, 560000],
    [H, 12, 1200000], [U1, 13, 1300000], [U3, 24, 2400000], [D, 0, 0],
]


def write_hand_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_table(folder, "MC_2025-11", "csv-semicolon", MC_2025_11),
        write_table(folder, "MC_2025-12", "csv-semicolon", MC_2025_12),
        write_table(folder, "SBRS_2025-11", "xlsx", SBRS_2025_11),
        write_table(folder, "SBRS_2025-12", "xlsx", SBRS_2025_12),
        write_table(folder, "Collection-2025-11-01_sd_2025-11-30", "txt-pipe", COLLECTION_2025_11),
        write_table(folder, "Collection-2025-12-01_sd_2025-12-15", "txt-pipe", COLLECTION_2025_12_A),
        write_table(folder, "Collection-2025-12-01_sd_2026-01-06", "txt-pipe", COLLECTION_2025_12_B),
        write_table(folder, "ARDEBT_2025-11", "csv-semicolon", ARDEBT_2025_11),
        write_table(folder, "ARDEBT_2025-12", "csv-comma", ARDEBT_2025_12),
    ]


@pytest.fixture(scope="module")
def hand(tmp_path_factory, module_database) -> Api:
    root = tmp_path_factory.mktemp("hand")
    url = module_database("hand")
    engine = get_engine(url)
    for path in write_hand_files(root / "files"):
        loaded(ingest_file(engine, path))
    return Api(make_app(url), engine, memo=True)


def test_hand_fixture_loaded_as_written(hand):
    body = hand.get("/api/periodes")
    assert body["periodes"] == ["2026-01", "2025-12", "2025-11"]
    assert sorted(body["types"]["2026-01"]) == ["COLLECTION"]
    assert sorted(body["types"]["2025-12"]) == ["ARDEBT", "COLLECTION", "MC", "SBRS"]
    assert sorted(body["types"]["2025-11"]) == ["ARDEBT", "COLLECTION", "MC", "SBRS"]


# --- /api/kpi --------------------------------------------------------------------------

KPI_CASES = {
    # ---- 2025-12, all rayons
    # total_pelanggan 12 = 6 (34) + 4 (35) + 2 (33)
    # total_kubikasi (SBRS, MC has no KUBIK) = 20+40+15 (34) + 58+25+50 (35) + 12+9 (33) = 229
    # target.nomen 11 (F has NOMINAL 0); target.nominal 650 000 + 815 000 + 130 000 = 1 595 000
    # paid: A 100 000 + B 150 000 + C 50 000+100 000 + D 150 000 + G 300 000 + H 100 000 + J 90 000
    #       + K 60 000 = 1 100 000 by 8 customers (F's 25 000 is not target; U1, U2 are unmatched;
    #       the January payments are not in P)
    # unpaid: nomen 11 - 8 = 3 (E, I, L); nominal per customer floored at 0:
    #       B 50 000 + E 80 000 + H 150 000 + I 175 000 + L 70 000 = 525 000 (D's overpayment -30 000 -> 0)
    # undue: A 90 000, I 40 000 + 60 000, U3 15 000 -> 3 customers, 4 payments, 205 000
    # unmatched: U1 55 000 + 20 000, U2 33 000 -> 2 customers, 3 payments, 108 000
    ("2025-12", None): expected_kpi("2025-12", None, 12, 229, "SBRS", (11, 1_595_000), (8, 1_100_000),
                                    (3, 525_000), (3, 205_000, 4), (2, 108_000, 3), 100 * 1_100_000 / 1_595_000),
    # ---- 2025-12, rayon 34: A B C D E F
    # kubikasi A 20 + B 40 + C 15 = 75; target 100+200+150+120+80 = 650 000 (5 customers)
    # paid A 100 000 + B 150 000 + C 150 000 + D 150 000 = 550 000 (4)
    # unpaid: E -> 1; B 50 000 + E 80 000 = 130 000 (not 650 000 - 550 000 = 100 000: D's overpayment floors)
    # undue: A 90 000
    ("2025-12", "34"): expected_kpi("2025-12", "34", 6, 75, "SBRS", (5, 650_000), (4, 550_000), (1, 130_000),
                                    (1, 90_000, 1), (0, 0, 0), 100 * 550_000 / 650_000),
    # ---- 2025-12, rayon 35: G H I J (+ U1 by its 2025-11 MC)
    # kubikasi G 58 + H 25 + U1 50 = 133; target 300+250+175+90 = 815 000
    # paid G 300 000 + H 100 000 + J 90 000 = 490 000 (3); unpaid H 150 000 + I 175 000 = 325 000, nomen 1 (I)
    # undue I 40 000 + 60 000 = 100 000 (1 customer, 2 payments); unmatched U1 75 000 (2 payments)
    ("2025-12", "35"): expected_kpi("2025-12", "35", 4, 133, "SBRS", (4, 815_000), (3, 490_000), (1, 325_000),
                                    (1, 100_000, 2), (1, 75_000, 2), 100 * 490_000 / 815_000),
    # ---- 2025-12, rayon 33: K L (+ Z's SBRS volume by its route)
    # kubikasi K 12 + Z 9 = 21; target 60 000 + 70 000 = 130 000; paid K 60 000; unpaid L 70 000
    ("2025-12", "33"): expected_kpi("2025-12", "33", 2, 21, "SBRS", (2, 130_000), (1, 60_000), (1, 70_000),
                                    (0, 0, 0), (0, 0, 0), 100 * 60_000 / 130_000),
    # ---- 2025-11, all rayons: MC has KUBIK, so SBRS(2025-11) (21, 61) is not used
    # kubikasi 20+40+15+60+50+10 = 195; target 100+200+100+300+250+50 = 1 000 000 (6)
    # paid A 100 000 + G 300 000 + B 100 000 + H 100 000 = 600 000 (4) -> rate 60
    # unpaid: nomen 6 - 4 = 2 (U1, K); nominal B 100 000 + U1 250 000 + K 50 000 = 400 000
    # undue K 40 000; unmatched E 10 000 (E is not in MC(2025-11))
    ("2025-11", None): expected_kpi("2025-11", None, 6, 195, "MC", (6, 1_000_000), (4, 600_000), (2, 400_000),
                                    (1, 40_000, 1), (1, 10_000, 1), 60.0),
    # ---- 2025-11, rayon 34: A B H (H is 34 in MC(2025-11)); E's unmatched payment by its MC(2025-12)
    # kubikasi 20+40+15 = 75; target 400 000; paid 300 000 (3) -> 75 %; unpaid nomen 0 but B owes 100 000
    ("2025-11", "34"): expected_kpi("2025-11", "34", 3, 75, "MC", (3, 400_000), (3, 300_000), (0, 100_000),
                                    (0, 0, 0), (1, 10_000, 1), 75.0),
    # ---- 2025-11, rayon 35: G U1; kubikasi 60+50 = 110; target 550 000; paid G 300 000
    ("2025-11", "35"): expected_kpi("2025-11", "35", 2, 110, "MC", (2, 550_000), (1, 300_000), (1, 250_000),
                                    (0, 0, 0), (0, 0, 0), 100 * 300_000 / 550_000),
    # ---- 2025-11, rayon 33: K; target 50 000 unpaid; undue K 40 000
    ("2025-11", "33"): expected_kpi("2025-11", "33", 1, 10, "MC", (1, 50_000), (0, 0), (1, 50_000),
                                    (1, 40_000, 1), (0, 0, 0), 0.0),
    # ---- 2026-01: payments, no MC -> no target, rate 0
    # undue: J 45 000 and E 80 000 (bills of 2025-12 paid in January) = 125 000
    # unmatched: B 50 000 (rayon 34 by MC(2025-12)) + U2 10 000 (no rayon) = 60 000
    ("2026-01", None): expected_kpi("2026-01", None, 0, 0, None, (0, 0), (0, 0), (0, 0), (2, 125_000, 2),
                                    (2, 60_000, 2), 0.0, has_mc=False),
    ("2026-01", "34"): expected_kpi("2026-01", "34", 0, 0, None, (0, 0), (0, 0), (0, 0), (1, 80_000, 1),
                                    (1, 50_000, 1), 0.0, has_mc=False),
    ("2026-01", "35"): expected_kpi("2026-01", "35", 0, 0, None, (0, 0), (0, 0), (0, 0), (1, 45_000, 1),
                                    (0, 0, 0), 0.0, has_mc=False),
    ("2026-01", "33"): expected_kpi("2026-01", "33", 0, 0, None, (0, 0), (0, 0), (0, 0), (0, 0, 0),
                                    (0, 0, 0), 0.0, has_mc=False),
}


def as_api(expected: dict, stored: set[str]) -> dict:
    """/api/kpi's view of an expected KPI (METRICS.md): a figure whose file is not stored for P is
    null, not 0 (target and customers from MC; paid, unpaid, the rate and unmatched from MC and
    COLLECTION; undue from COLLECTION; kubikasi from MC or SBRS), and ``missing`` names the files."""
    needs = {"total_pelanggan": {"MC"}, "target": {"MC"}, "paid": {"MC", "COLLECTION"},
             "unpaid": {"MC", "COLLECTION"}, "collection_rate": {"MC", "COLLECTION"}, "unmatched": {"MC", "COLLECTION"},
             "undue": {"COLLECTION"}}
    shown = {k: None if k in needs and not needs[k] <= stored else v for k, v in expected.items()}
    missing = {t for n in needs.values() for t in n} - stored
    if not {"MC", "SBRS"} & stored:
        shown["total_kubikasi"] = None
        missing.add("SBRS")
    return {**shown, "missing": [t for t in ("MC", "COLLECTION", "SBRS") if t in missing]}


HAND_STORED = {"2025-11": {"MC", "COLLECTION", "SBRS"}, "2025-12": {"MC", "COLLECTION", "SBRS"},
               "2026-01": {"COLLECTION"}}


@pytest.mark.parametrize(("periode", "rayon"), list(KPI_CASES), ids=[f"{p}-{r or 'all'}" for p, r in KPI_CASES])
def test_kpi_figures(hand, periode, rayon):
    assert_kpi(hand.get(q("/api/kpi", periode=periode, rayon=rayon)), as_api(KPI_CASES[periode, rayon], HAND_STORED[periode]))


@pytest.mark.parametrize("alias", ["semua", ""])
def test_kpi_all_rayons_alias(hand, alias):
    assert_kpi(hand.get(f"/api/kpi?periode=2025-12&rayon={alias}"), as_api(KPI_CASES["2025-12", None], HAND_STORED["2025-12"]))


# --- /api/kpi/rayon ----------------------------------------------------------------------

@pytest.mark.parametrize("periode", ["2025-11", "2025-12", "2026-01"])
def test_kpi_by_rayon_rows_and_total(hand, periode):
    body = hand.get(q("/api/kpi/rayon", periode=periode))
    assert body["periode"] == periode

    def expected(rayon):  # a figure whose file is not stored is null in every row (2026-01 has no MC)
        return {k: v for k, v in as_api(strip(KPI_CASES[periode, rayon]), HAND_STORED[periode]).items()
                if k != "missing"}
    assert body["missing"] == as_api(strip(KPI_CASES[periode, None]), HAND_STORED[periode])["missing"]
    assert_kpi(body["total"], expected(None), "total")
    named = {row["rayon"]: row for row in body["rayons"] if row["rayon"]}
    expected_rayons = {"33", "34", "35"} if periode != "2026-01" else {"34", "35"}
    assert set(named) == expected_rayons
    for rayon, row in named.items():
        assert_kpi(row, expected(rayon), rayon)
    # the rows (a rayon-less row included, when there is one) add up to the total
    for path in INT_FIGURES:
        if path[0] not in body["total"] or body["total"][path[0]] is None:
            assert all(row[path[0]] is None for row in body["rayons"]), path
            continue
        assert sum(figure(row, path) for row in body["rayons"]) == figure(body["total"], path), path


def test_kpi_by_rayon_rayonless_remainder(hand):
    # 2025-12: what no rayon can be found for -- U2's unmatched 33 000 and U3's undue 15 000 --
    # is in the total only: total minus the named rayons leaves exactly these.
    body = hand.get("/api/kpi/rayon?periode=2025-12")
    named = [row for row in body["rayons"] if row["rayon"]]
    rest = {path: figure(body["total"], path) - sum(figure(r, path) for r in named) for path in INT_FIGURES}
    assert {p: v for p, v in rest.items() if v} == {
        ("undue", "nomen"): 1, ("undue", "nominal"): 15_000, ("undue", "count"): 1,
        ("unmatched", "nomen"): 1, ("unmatched", "nominal"): 33_000, ("unmatched", "count"): 1,
    }


# --- /api/kpi/daily -------------------------------------------------------------------------

# CURRENT payments of 2025-12 by target customers, per day: (count, sum)
DEC_DAYS_ALL = {1: (1, 100_000),  # H
                3: (1, 50_000),  # C
                5: (2, 160_000),  # A 100 000 + K 60 000 (A's UNDUE 90 000 is not CURRENT)
                10: (1, 150_000),  # B
                15: (1, 150_000),  # D
                20: (2, 190_000),  # C 100 000 + J 90 000
                31: (1, 300_000)}  # G
# (U1 on the 7th and 9th, F on the 8th, U2 on the 11th: not target customers -> 0)
DEC_DAYS_35 = {1: (1, 100_000), 20: (1, 90_000), 31: (1, 300_000)}
DEC_DAYS_34 = {3: (1, 50_000), 5: (1, 100_000), 10: (1, 150_000), 15: (1, 150_000), 20: (1, 100_000)}
DEC_DAYS_33 = {5: (1, 60_000)}

DAILY_CASES = {
    # rayon: (days, target, {day: cumulative sum}, {day: previous month's cumulative rate})
    # previous (2025-11, target 1 000 000): A 100 000 on the 5th, G 300 000 on the 10th,
    # B 100 000 on the 28th, H 100 000 on the 30th -> 10, 40, 50, 60 %; 2025-11 has 30 days,
    # so December's 31st keeps November's final 60 %.
    None: (DEC_DAYS_ALL, 1_595_000,
           {1: 100_000, 2: 100_000, 4: 150_000, 5: 310_000, 19: 610_000, 20: 800_000, 30: 800_000,
            31: 1_100_000},
           {1: 0.0, 4: 0.0, 5: 10.0, 9: 10.0, 10: 40.0, 27: 40.0, 28: 50.0, 29: 50.0, 30: 60.0, 31: 60.0}),
    # rayon 35 (target 815 000); previous: G 300 000 on the 10th of a 550 000 target
    "35": (DEC_DAYS_35, 815_000, {1: 100_000, 19: 100_000, 20: 190_000, 31: 490_000},
           {9: 0.0, 10: 100 * 300_000 / 550_000, 30: 100 * 300_000 / 550_000, 31: 100 * 300_000 / 550_000}),
    # rayon 34 (target 650 000); previous (target 400 000): A 100 000 on the 5th, B on the 28th,
    # H on the 30th -> 25, 50, 75 %
    "34": (DEC_DAYS_34, 650_000, {2: 0, 3: 50_000, 5: 150_000, 10: 300_000, 15: 450_000, 31: 550_000},
           {4: 0.0, 5: 25.0, 28: 50.0, 30: 75.0, 31: 75.0}),
    # rayon 33 (target 130 000); previous (target 50 000) nothing paid -> 0 all month
    "33": (DEC_DAYS_33, 130_000, {4: 0, 5: 60_000, 31: 60_000}, {1: 0.0, 30: 0.0, 31: 0.0}),
}


@pytest.mark.parametrize("rayon", list(DAILY_CASES), ids=lambda r: r or "all")
def test_daily_trend(hand, rayon):
    days_paid, target, cumulative, previous = DAILY_CASES[rayon]
    body = hand.get(q("/api/kpi/daily", periode="2025-12", rayon=rayon))
    days = body["days"]
    assert [d["date"] for d in days] == [f"2025-12-{n:02d}" for n in range(1, 32)]
    for n, day in enumerate(days, start=1):
        assert (day["nomen"], day["nominal"]) == days_paid.get(n, (0, 0)), day
    for n, running in cumulative.items():
        assert days[n - 1]["cumulative_rate"] == pytest.approx(100 * running / target, abs=RATE_TOL), n
    for n, rate in previous.items():
        assert days[n - 1]["previous_cumulative_rate"] == pytest.approx(rate, abs=RATE_TOL), n
    kpi = hand.get(q("/api/kpi", periode="2025-12", rayon=rayon))
    assert sum(d["nominal"] for d in days) == kpi["paid"]["nominal"]
    assert days[-1]["cumulative_rate"] == pytest.approx(kpi["collection_rate"], abs=RATE_TOL)


def test_daily_trend_of_november_ends_at_its_rate(hand):
    days = hand.get("/api/kpi/daily?periode=2025-11")["days"]
    assert len(days) == 30
    assert {n: (d["nomen"], d["nominal"]) for n, d in enumerate(days, 1) if d["nomen"]} == {
        5: (1, 100_000), 10: (1, 300_000), 28: (1, 100_000), 30: (1, 100_000)}  # E's unmatched 15th: not shown
    assert days[-1]["cumulative_rate"] == pytest.approx(60.0, abs=RATE_TOL)


def test_daily_trend_without_mc_compares_with_previous_month(hand):
    # 2026-01: no MC, so nothing of target customers is known (null); last month's curve is December's.
    days = hand.get("/api/kpi/daily?periode=2026-01")["days"]
    assert len(days) == 31
    assert all((d["nomen"], d["nominal"]) == (None, None) for d in days)
    assert days[4]["previous_cumulative_rate"] == pytest.approx(100 * 310_000 / 1_595_000, abs=RATE_TOL)
    assert days[30]["previous_cumulative_rate"] == pytest.approx(100 * 1_100_000 / 1_595_000, abs=RATE_TOL)


def test_daily_trend_without_mc_says_the_rate_is_unknown(hand):
    # METRICS.md: on the last day the cumulative rate equals collection_rate, which is null
    # while MC(P) is not stored (2026-01 has payments only); so are the payments by target
    # customers per day. Last month's rate, of a month with its MC, is known.
    body = hand.get("/api/kpi/daily?periode=2026-01")
    assert body["missing"] == ["MC"] and body["target_nominal"] is None
    assert {(d["nomen"], d["nominal"], d["cumulative_rate"]) for d in body["days"]} == {(None, None, None)}
    assert body["previous_target_nominal"] == 1_595_000  # December has its MC
    assert body["days"][-1]["previous_cumulative_rate"] == pytest.approx(68.9655, abs=1e-3)


def export_rows(hand, dataset: str, periode: str) -> list[dict]:
    """An export (/api/export/<dataset>.csv) as rows of text cells."""
    import csv
    import io
    response = hand.client.get(f"/api/export/{dataset}.csv?periode={periode}", headers=hand.headers)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_exports_leave_a_figure_without_its_file_empty_as_the_api_says_null(hand):
    # 2026-01 has payments and no MC: the target, the rate and what was paid by target customers
    # are unknown (empty cells), what was collected of arrears is known. December has both.
    daily = export_rows(hand, "kpi-daily", "2026-01")
    assert len(daily) == 31 and {(d["Pembayaran"], d["Nominal (Rp)"], d["Collection Rate Kumulatif (%)"])
                                 for d in daily} == {("", "", "")}
    assert daily[-1]["Kumulatif Desember 2025 (%)"] == "68.97"
    total = export_rows(hand, "kpi-rayon", "2026-01")[-1]
    assert (total["Rayon"], total["Target (Rp)"], total["Terbayar (Rp)"], total["Collection Rate (%)"]) == (
        "Total", "", "", "")
    assert total["Tunggakan Tertagih (Rp)"] == str(hand.get("/api/kpi/rayon?periode=2026-01")["total"]["undue"][
        "nominal"])
    series = {row["Periode"]: row for row in export_rows(hand, "kpi-series", "2026-01")}
    assert series["2026-01"]["Collection Rate (%)"] == "" and series["2025-12"]["Collection Rate (%)"] == "68.97"


def test_trend_leaves_unknown_figures_out_and_marks_a_month_still_being_paid(hand):
    from sunter_dash.tabs import trend
    with hand.client.application.test_request_context():
        rate = trend.update("collection_rate", "2025-11", "2026-01", trend.ALL_SERIES, None)
        undue = trend.update("undue_nominal", "2025-11", "2026-01", trend.ALL_SERIES, None)
        customers = trend.update("total_pelanggan", "2025-11", "2026-01", trend.ALL_SERIES, None)
    rows = {r["periode"]: r for r in rate["rows"]}
    # 2026-01 has no MC: its rate is unknown (a gap in the line, not a fall to 0) and has no change.
    assert (rows["2026-01"]["value"], rows["2026-01"]["change"]) == (None, None)
    assert rows["2025-12"]["value"] == pytest.approx(68.9655, abs=1e-3)
    assert rate["chart"]["data"][0]["y"][-1] is None
    # Its payments stop on 6 January: the month is marked partial, in the grid, the chart and a note.
    assert rows["2026-01"]["periode_label"] == "Januari 2026 (s.d. 6 Jan)" and rows["2026-01"]["partial"]
    assert rate["chart"]["data"][0]["marker"]["symbol"][-1] == "circle-open"
    notes = [str(a) for a in rate["alert"]]
    assert any("Januari 2026 belum lengkap: pembayaran tersimpan sampai 6 Januari 2026" in n for n in notes)
    assert {r["periode"]: r["value"] for r in undue["rows"]}["2026-01"] is not None  # COLLECTION alone knows it
    # A figure from MC alone is not marked by the payments' date.
    assert not any(r.get("partial") for r in customers["rows"])


# --- /api/arrears -----------------------------------------------------------------------------

def test_arrears_without_ardebt_are_unknown_not_zero(hand):
    # 2026-01 has payments and no ARDEBT: the OS and its buckets are null, what was collected is
    # known, against December's OS.
    body = hand.get("/api/arrears/summary?periode=2026-01")
    assert (body["has_ardebt"], body["os"], body["missing"]) == (False, None, ["ARDEBT"])
    assert {(b["nomen"], b["nominal"]) for b in body["buckets"]} == {(None, None)}
    assert body["collected"]["previous_os_nominal"] == 6_710_000
    assert body["collected"]["nominal"] is not None and body["collected"]["share"] is not None
    assert hand.get("/api/arrears/summary?periode=2025-12")["missing"] == []


def buckets(one, two, three_six, seven_twelve, over_twelve) -> list[dict]:
    return [{"bucket": b, "nomen": n, "nominal": v} for b, (n, v) in
            zip(("1", "2", "3-6", "7-12", ">12"), (one, two, three_six, seven_twelve, over_twelve))]


ARREARS_CASES = {
    # ARDEBT(2025-12), per customer (bills, total): A (1, 90 000) I (2, 350 000) L (3, 210 000)
    # B (6, 600 000) E (7, 560 000) H (12, 1 200 000) U1 (13, 1 300 000) U3 (24, 2 400 000); D (0, 0) is no OS.
    # os = 8 customers, 90+350+210+600+560+1200+1300+2400 thousand = 6 710 000
    # collected: undue 205 000 of the OS of 2025-11 (2 050 000, below) = 10 %
    ("2025-12", None): ((8, 6_710_000),
                        buckets((1, 90_000), (1, 350_000), (2, 810_000), (2, 1_760_000), (2, 3_700_000)),
                        205_000, 10.0),
    # rayon 34 (MC(2025-12)): A, B, E -> 90 000 + 600 000 + 560 000 = 1 250 000;
    # 2025-11's OS of rayon 34 is A 90 000 + H 110 000 (H was 34 in MC(2025-11)) = 200 000 -> 90 000 / 200 000
    ("2025-12", "34"): ((3, 1_250_000), buckets((1, 90_000), (0, 0), (1, 600_000), (1, 560_000), (0, 0)),
                        90_000, 45.0),
    # rayon 35: I, H (35 in MC(2025-12)), U1 (by MC(2025-11)) -> 350 000 + 1 200 000 + 1 300 000;
    # 2025-11's OS of rayon 35: I 350 000 (by its latest MC) -> 100 000 / 350 000
    ("2025-12", "35"): ((3, 2_850_000), buckets((0, 0), (1, 350_000), (0, 0), (1, 1_200_000), (1, 1_300_000)),
                        100_000, 100 * 100_000 / 350_000),
    # rayon 33: L; nothing collected of 2025-11's 210 000
    ("2025-12", "33"): ((1, 210_000), buckets((0, 0), (0, 0), (1, 210_000), (0, 0), (0, 0)), 0, 0.0),
    # ARDEBT(2025-11), per bill: A 1 bill 90 000, H 1 bill 110 000, I 2 bills 350 000, L 3 bills 210 000,
    # U3 2 bills 1 290 000 -> 5 customers, 2 050 000; collected in 2025-11: K's 40 000 (no ARDEBT(2025-10))
    ("2025-11", None): ((5, 2_050_000), buckets((2, 200_000), (2, 1_640_000), (1, 210_000), (0, 0), (0, 0)),
                        40_000, None),
    ("2025-11", "34"): ((2, 200_000), buckets((2, 200_000), (0, 0), (0, 0), (0, 0), (0, 0)), 0, None),
    ("2025-11", "35"): ((1, 350_000), buckets((0, 0), (1, 350_000), (0, 0), (0, 0), (0, 0)), 0, None),
    ("2025-11", "33"): ((1, 210_000), buckets((0, 0), (0, 0), (1, 210_000), (0, 0), (0, 0)), 40_000, None),
}


@pytest.mark.parametrize(("periode", "rayon"), list(ARREARS_CASES),
                         ids=[f"{p}-{r or 'all'}" for p, r in ARREARS_CASES])
def test_arrears_summary(hand, periode, rayon):
    (os_nomen, os_nominal), want_buckets, collected, share = ARREARS_CASES[periode, rayon]
    body = hand.get(q("/api/arrears/summary", periode=periode, rayon=rayon))
    assert body["periode"] == periode
    assert body["os"] == {"nomen": os_nomen, "nominal": os_nominal}
    assert [{k: b[k] for k in ("bucket", "nomen", "nominal")} for b in body["buckets"]] == want_buckets
    assert body["collected"]["nominal"] == collected
    if share is not None:
        assert body["collected"]["share"] == pytest.approx(share, abs=RATE_TOL)


TOP_CASES = {
    # by total, descending (D with total 0 is no debtor)
    ("2025-12", None, None): [(U3, 24, 2_400_000), (U1, 13, 1_300_000), (H, 12, 1_200_000), (B, 6, 600_000),
                              (E, 7, 560_000), (I, 2, 350_000), (L, 3, 210_000), (A, 1, 90_000)],
    ("2025-12", "35", None): [(U1, 13, 1_300_000), (H, 12, 1_200_000), (I, 2, 350_000)],
    ("2025-12", None, 3): [(U3, 24, 2_400_000), (U1, 13, 1_300_000), (H, 12, 1_200_000)],
    ("2025-11", None, None): [(U3, 2, 1_290_000), (I, 2, 350_000), (L, 3, 210_000), (H, 1, 110_000),
                              (A, 1, 90_000)],
}


@pytest.mark.parametrize(("periode", "rayon", "limit"), list(TOP_CASES),
                         ids=[f"{p}-{r or 'all'}-{n or 'default'}" for p, r, n in TOP_CASES])
def test_arrears_top(hand, periode, rayon, limit):
    body = hand.get(q("/api/arrears/top", periode=periode, rayon=rayon, limit=limit))
    assert [(d["nomen"], d["bills"], d["total"]) for d in body["debtors"]] == TOP_CASES[periode, rayon, limit]


def test_arrears_top_carries_name_and_rayon(hand):
    debtors = {d["nomen"]: d for d in hand.get("/api/arrears/top?periode=2025-12")["debtors"]}
    assert (debtors[H]["nama"], debtors[H]["rayon"]) == ("HADI", "35")
    assert (debtors[U1]["nama"], debtors[U1]["rayon"]) == ("UMAR", "35")  # from MC(2025-11)
    assert debtors[U3]["rayon"] is None


# --- /api/kpi_data (the old app's shape) and /api/kpi/series ---------------------------------

def test_kpi_data_old_shape(hand):
    body = hand.get("/api/kpi_data?periode=2025-12")
    assert {k: body[k] for k in ("total_pelanggan", "total_kubikasi", "target")} == {
        "total_pelanggan": 12, "total_kubikasi": 229,
        "target": {"total_nomen": 11, "total_nominal": 1_595_000,
                   "sudah_bayar_nomen": 8, "sudah_bayar_nominal": 1_100_000}}
    # 100 * 1 100 000 / 1 595 000 = 68.9655...; the old app showed 2 decimals
    assert body["collection_rate"] == pytest.approx(68.97, abs=0.005)


def test_kpi_data_defaults_to_the_newest_periode_with_an_mc(hand):
    # 2026-01 holds payments and no MC yet: its figures would be empty, so 2025-12 opens.
    stored = hand.get("/api/periodes")
    assert stored["periodes"][0] == "2026-01" and "MC" not in stored["types"]["2026-01"]
    assert "MC" in stored["types"]["2025-12"]
    body = hand.get("/api/kpi_data")
    assert body["periode"] == "2025-12"
    assert body == hand.get("/api/kpi_data?periode=2025-12")
    assert (body["total_pelanggan"], body["target"]["total_nominal"]) == (12, 1_595_000)


@pytest.mark.parametrize("rayon", [None, "34", "35", "33"], ids=lambda r: r or "all")
def test_kpi_series_equals_kpi_of_each_periode(hand, rayon):
    series = hand.get(q("/api/kpi/series", **{"from": "2025-10", "to": "2026-01"}, rayon=rayon))["series"]
    assert [s["periode"] for s in series] == ["2025-11", "2025-12", "2026-01"]
    for entry in series:
        expected = as_api(strip(KPI_CASES[entry["periode"], rayon]), HAND_STORED[entry["periode"]])
        assert entry["missing"] == expected.pop("missing")
        assert_kpi(entry, expected, entry["periode"])


def test_kpi_series_narrow_range_and_by_rayon(hand):
    series = hand.get("/api/kpi/series?from=2025-12&to=2025-12&by_rayon=true")["series"]
    named = {(s["periode"], s["rayon"]): s for s in series if s["rayon"]}
    assert set(named) == {("2025-12", "33"), ("2025-12", "34"), ("2025-12", "35")}
    for (periode, rayon), entry in named.items():
        assert_kpi(entry, strip(KPI_CASES[periode, rayon]), rayon)
    assert sum(s["paid"]["nominal"] for s in series) == 1_100_000


# =========================================================================================
# 2. The oracle: METRICS.md in pandas over the raw tables
# =========================================================================================

class Raw:
    """The raw tables, read once."""

    def __init__(self, engine):
        self.mc = pd.read_sql("SELECT periode, nomen, rayon, kubik, nominal FROM mc", engine)
        pay = pd.read_sql("SELECT nomen, pay_date, amount, bill_period, jenis FROM payment", engine)
        pay["pay_date"] = pd.to_datetime(pay["pay_date"]).dt.date
        pay["month"] = pay["pay_date"].map(lambda d: f"{d.year:04d}-{d.month:02d}")
        # DATA.md: paid in month P for the bill of P is CURRENT, for an older bill UNDUE;
        # without a bill periode the extract's JENIS decides.
        has_bill = pay["bill_period"].notna()
        assert not (has_bill & (pay["bill_period"] > pay["month"])).any(), "a bill paid ahead: undefined"
        pay["kind"] = np.where(has_bill, np.where(pay["bill_period"] < pay["month"], "UNDUE", "CURRENT"),
                               pay["jenis"])
        self.pay = pay
        sbrs = pd.read_sql("SELECT periode, nomen, pakai, stand_lalu, stand_kini, rayon FROM sbrs", engine)
        # "volume": the stated PAKAI, else STAND_KINI - STAND_LALU
        sbrs["volume"] = sbrs["pakai"].fillna(sbrs["stand_kini"] - sbrs["stand_lalu"])
        self.sbrs = sbrs
        self.ardebt = pd.read_sql("SELECT periode, nomen, bill_period, amount, bills, total FROM ardebt", engine)
        self.periodes = set(self.mc["periode"]) | set(pay["month"]) | set(sbrs["periode"]) | set(
            self.ardebt["periode"])
        listed = self.mc.dropna(subset=["rayon"])
        self._listed = listed
        self._latest = (listed.sort_values("periode").drop_duplicates("nomen", keep="last")
                        .set_index("nomen")["rayon"])
        self._in_periode: dict[str, pd.Series] = {}

    def rayon_of(self, periode: str, nomen: pd.Series, own: pd.Series | None = None) -> pd.Series:
        """METRICS.md: MC(P)'s rayon; else the most recent MC listing the customer; else the row's own."""
        if periode not in self._in_periode:
            listed = self._listed
            self._in_periode[periode] = (listed[listed["periode"] == periode].drop_duplicates("nomen")
                                         .set_index("nomen")["rayon"])
        rayon = nomen.map(self._in_periode[periode]).astype(object)
        rayon = rayon.where(rayon.notna(), nomen.map(self._latest).astype(object))
        if own is not None:
            rayon = rayon.where(rayon.notna(), own.astype(object))
        return rayon


def oracle_kpi(raw: Raw, periode: str, rayon: str | None) -> dict:
    def of_rayon(frame):
        return frame if rayon is None else frame[frame["rayon"] == rayon]

    mc_p = raw.mc[raw.mc["periode"] == periode].copy()
    mc_p["rayon"] = raw.rayon_of(periode, mc_p["nomen"])
    customers = mc_p.groupby("nomen").agg(nominal=("nominal", "sum"), rayon=("rayon", "first"))
    if mc_p["kubik"].notna().any():
        kubikasi, source = int(of_rayon(mc_p)["kubik"].sum()), "MC"
    else:
        sbrs = raw.sbrs[raw.sbrs["periode"] == periode].copy()
        sbrs["rayon"] = raw.rayon_of(periode, sbrs["nomen"], sbrs["rayon"])
        kubikasi, source = int(of_rayon(sbrs)["volume"].sum()), ("SBRS" if len(sbrs) else None)
    target = of_rayon(customers[customers["nominal"] > 0])
    pay = raw.pay[raw.pay["month"] == periode].copy()
    pay["rayon"] = raw.rayon_of(periode, pay["nomen"])
    current, undue = pay[pay["kind"] == "CURRENT"], of_rayon(pay[pay["kind"] == "UNDUE"])
    paid_by = current[current["nomen"].isin(target.index)].groupby("nomen")["amount"].sum()
    unpaid = (target["nominal"] - paid_by.reindex(target.index).fillna(0)).clip(lower=0)
    unmatched = of_rayon(current[~current["nomen"].isin(mc_p["nomen"])])
    target_nominal = int(target["nominal"].sum())
    return expected_kpi(
        periode, rayon, len(of_rayon(mc_p)), kubikasi, source,
        (len(target), target_nominal), (len(paid_by), int(paid_by.sum())),
        (len(target) - len(paid_by), int(unpaid.sum())),
        (undue["nomen"].nunique(), int(undue["amount"].sum()), len(undue)),
        (unmatched["nomen"].nunique(), int(unmatched["amount"].sum()), len(unmatched)),
        100 * int(paid_by.sum()) / target_nominal if target_nominal else 0.0)


def oracle_daily(raw: Raw, periode: str, rayon: str | None) -> tuple[list[tuple[int, int]], list[float]]:
    """Per day of P: (count, sum) of CURRENT payments by target customers; cumulative rates."""
    year, month = int(periode[:4]), int(periode[5:])
    n_days = calendar.monthrange(year, month)[1]
    mc_p = raw.mc[raw.mc["periode"] == periode].copy()
    mc_p["rayon"] = raw.rayon_of(periode, mc_p["nomen"])
    customers = mc_p.groupby("nomen").agg(nominal=("nominal", "sum"), rayon=("rayon", "first"))
    target = customers[customers["nominal"] > 0]
    if rayon is not None:
        target = target[target["rayon"] == rayon]
    pay = raw.pay[(raw.pay["month"] == periode) & (raw.pay["kind"] == "CURRENT")
                  & raw.pay["nomen"].isin(target.index)]
    per_day = pay.groupby(pay["pay_date"].map(lambda d: d.day))["amount"].agg(["size", "sum"])
    days = [(int(per_day["size"].get(d, 0)), int(per_day["sum"].get(d, 0))) for d in range(1, n_days + 1)]
    total = int(target["nominal"].sum())
    running = np.cumsum([s for _, s in days])
    rates = [100 * int(r) / total if total else 0.0 for r in running]
    return days, rates


def previous_periode(periode: str) -> str:
    first = dt.date(int(periode[:4]), int(periode[5:]), 1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def oracle_arrears(raw: Raw, periode: str, rayon: str | None) -> dict | None:
    a = raw.ardebt[raw.ardebt["periode"] == periode]
    if a.empty:
        return None
    grouped = a.groupby("nomen")
    per = pd.DataFrame({
        # bills = JUMLAH_REK, or the number of unpaid-bill rows; total = TOTAL_TUNGGAKAN, or the sum of JUMLAH
        "bills": np.where(grouped["bills"].count() > 0, grouped["bills"].sum(), grouped.size()),
        "total": np.where(grouped["total"].count() > 0, grouped["total"].sum(), grouped["amount"].sum()),
    }, index=grouped.size().index)
    per["rayon"] = raw.rayon_of(periode, per.index.to_series())
    os_ = per[per["total"] > 0]
    if rayon is not None:
        os_ = os_[os_["rayon"] == rayon]
    bucket = pd.cut(os_["bills"], [-np.inf, 1, 2, 6, 12, np.inf], labels=["1", "2", "3-6", "7-12", ">12"])
    by_bucket = os_.groupby(bucket, observed=False)["total"].agg(["size", "sum"])
    return {
        "os": {"nomen": len(os_), "nominal": int(os_["total"].sum())},
        "buckets": [{"bucket": b, "nomen": int(by_bucket.loc[b, "size"]), "nominal": int(by_bucket.loc[b, "sum"])}
                    for b in ("1", "2", "3-6", "7-12", ">12")],
        "top": sorted(((n, int(r.bills), int(r.total)) for n, r in os_.iterrows()), key=lambda t: (-t[2], t[0])),
    }


def oracle_rayons(raw: Raw) -> list[str]:
    return sorted(set(raw.mc["rayon"].dropna()) | set(raw.sbrs["rayon"].dropna()))


def check_kpi(api: Api, raw: Raw, periode: str, rayons: list[str], per_rayon_endpoint: bool = True) -> None:
    """/api/kpi (all rayons and each rayon) and /api/kpi/rayon equal the oracle."""
    want_all = oracle_kpi(raw, periode, None)
    stored = {t for t, frame, column in (("MC", raw.mc, "periode"), ("COLLECTION", raw.pay, "month"),
                                         ("SBRS", raw.sbrs, "periode")) if (frame[column] == periode).any()}
    assert_kpi(api.get(q("/api/kpi", periode=periode)), as_api(strip(want_all), stored), "all")
    by_rayon = api.get(q("/api/kpi/rayon", periode=periode))

    def row_of(want: dict) -> dict:  # a /api/kpi/rayon row: nulls as /api/kpi has them, no "missing"
        return {k: v for k, v in as_api(want, stored).items() if k != "missing"}
    assert_kpi(by_rayon["total"], row_of(strip(want_all)), "kpi/rayon total")
    rows = {row["rayon"]: row for row in by_rayon["rayons"]}
    for rayon in rayons:
        want = strip(oracle_kpi(raw, periode, rayon))
        if per_rayon_endpoint:
            assert_kpi(api.get(q("/api/kpi", periode=periode, rayon=rayon)), as_api(want, stored), f"kpi {rayon}")
        if want["total_pelanggan"] or want["total_kubikasi"] or want["undue"]["count"] or want["unmatched"]["count"]:
            assert_kpi(rows[rayon], {**row_of(want), "rayon": rayon}, f"kpi/rayon {rayon}")
        else:
            assert rayon not in rows or all(figure(rows[rayon], p) in (0, None) for p in INT_FIGURES)


def check_daily(api: Api, raw: Raw, periode: str, rayon: str | None) -> None:
    days, rates = oracle_daily(raw, periode, rayon)
    prev = previous_periode(periode)
    _, prev_rates = oracle_daily(raw, prev, rayon)
    has_prev_target = (raw.mc["periode"] == prev).any()
    body = api.get(q("/api/kpi/daily", periode=periode, rayon=rayon))
    known = (raw.mc["periode"] == periode).any() and (raw.pay["month"] == periode).any()
    if not known:  # without MC(P) or COLLECTION(P) the payments by target customers are unknown
        assert {(d["nomen"], d["nominal"], d["cumulative_rate"]) for d in body["days"]} == {(None, None, None)}
        assert body["missing"]
        return
    assert [(d["nomen"], d["nominal"]) for d in body["days"]] == days
    for index, day in enumerate(body["days"]):
        assert day["cumulative_rate"] == pytest.approx(rates[index], abs=RATE_TOL), day
        if has_prev_target:
            before = prev_rates[min(index, len(prev_rates) - 1)]
            assert day["previous_cumulative_rate"] == pytest.approx(before, abs=RATE_TOL), day


def check_arrears(api: Api, raw: Raw, periode: str, rayon: str | None, top: bool = True) -> None:
    want = oracle_arrears(raw, periode, rayon)
    body = api.get(q("/api/arrears/summary", periode=periode, rayon=rayon))
    assert body["os"] == want["os"]
    assert [{k: b[k] for k in ("bucket", "nomen", "nominal")} for b in body["buckets"]] == want["buckets"]
    undue = oracle_kpi(raw, periode, rayon)["undue"]["nominal"]
    assert body["collected"]["nominal"] == undue
    before = oracle_arrears(raw, previous_periode(periode), rayon)
    if before is not None and before["os"]["nominal"]:
        assert body["collected"]["share"] == pytest.approx(100 * undue / before["os"]["nominal"], abs=RATE_TOL)
    if top:
        debtors = api.get(q("/api/arrears/top", periode=periode, rayon=rayon, limit=1000))["debtors"]
        totals = [d["total"] for d in debtors]
        assert totals == sorted(totals, reverse=True)
        got = sorted(((d["nomen"], d["bills"], d["total"]) for d in debtors), key=lambda t: (-t[2], t[0]))
        assert got == want["top"]


def load_demo(engine, folder: Path) -> dict[str, int]:
    """Generate and ingest the demo world; upload ids by file name."""
    ids = {}
    for path in generate(folder, customers=400, months=3, seed=5):
        ids[path.name] = loaded(ingest_file(engine, path)).upload_id
    return ids


@pytest.fixture(scope="module")
def demo(tmp_path_factory, module_database):
    root = tmp_path_factory.mktemp("demo")
    url = module_database("demo")
    engine = get_engine(url)
    load_demo(engine, root / "files")
    raw = Raw(engine)
    return Api(make_app(url), engine, memo=True), raw


def test_demo_world_has_what_the_oracle_needs(demo):
    _, raw = demo
    assert {"2025-10", "2025-11", "2025-12"} <= raw.periodes
    assert set(raw.ardebt["periode"]) == {"2025-11", "2025-12"}
    assert {"34", "35"} <= set(oracle_rayons(raw))
    assert (raw.pay["kind"] == "UNDUE").any() and (raw.mc["nominal"] == 0).any()


@pytest.mark.parametrize("periode", ["2025-12", "2025-11"])
def test_oracle_kpi(demo, periode):
    api, raw = demo
    check_kpi(api, raw, periode, oracle_rayons(raw))


@pytest.mark.parametrize("periode", ["2025-12", "2025-11"])
@pytest.mark.parametrize("rayon", [None, "34", "35"], ids=lambda r: r or "all")
def test_oracle_daily(demo, periode, rayon):
    api, raw = demo
    check_daily(api, raw, periode, rayon)


@pytest.mark.parametrize("periode", ["2025-12", "2025-11"])
@pytest.mark.parametrize("rayon", [None, "34", "35"], ids=lambda r: r or "all")
def test_oracle_arrears(demo, periode, rayon):
    api, raw = demo
    check_arrears(api, raw, periode, rayon)


def test_oracle_series(demo):
    api, raw = demo
    series = api.get("/api/kpi/series?from=2025-10&to=2025-12")["series"]
    assert [s["periode"] for s in series] == ["2025-10", "2025-11", "2025-12"]
    for entry in series:
        assert_kpi(entry, strip(oracle_kpi(raw, entry["periode"], None)), entry["periode"])


# =========================================================================================
# 3. The summaries stay true through deletions, replacements and overlapping loads
# =========================================================================================

def check_all(api: Api, engine, periodes: tuple[str, ...] = ("2025-11", "2025-12")) -> Raw:
    raw = Raw(engine)
    rayons = oracle_rayons(raw)
    for periode in periodes:
        check_kpi(api, raw, periode, rayons, per_rayon_endpoint=False)
        if (raw.mc["periode"] == periode).any():
            check_daily(api, raw, periode, None)
            check_daily(api, raw, periode, "35")
        if (raw.ardebt["periode"] == periode).any():
            check_arrears(api, raw, periode, None)
            check_arrears(api, raw, periode, "34", top=False)
    return raw


class Revision:
    """What the revised MC(2025-12) changes, chosen from the stored one: 15 December payers
    dropped (their payments become unmatched), 10 customers moved to the other rayon, 10
    targets set to 0; and no KUBIK column (kubikasi then comes from SBRS)."""

    def __init__(self, engine):
        mc = pd.read_sql("SELECT nomen, nama, zona_novak, nominal FROM mc WHERE periode = '2025-12' "
                         "ORDER BY nomen", engine)
        paid = set(pd.read_sql("SELECT nomen FROM payment WHERE periode = '2025-12' AND jenis = 'CURRENT'",
                               engine)["nomen"])
        self.dropped = [n for n in mc["nomen"] if n in paid][:15]
        rest = [n for n in mc["nomen"] if n not in self.dropped]
        self.moved, self.zeroed = rest[20:30], rest[40:50]
        self.mc = mc

    def write_mc(self, folder: Path) -> Path:
        mc = self.mc[~self.mc["nomen"].isin(self.dropped)].copy()
        moved = mc["nomen"].isin(self.moved)
        mc.loc[moved, "zona_novak"] = mc.loc[moved, "zona_novak"].map(
            lambda zone: ("35" if zone.startswith("34") else "34") + zone[2:])
        mc.loc[mc["nomen"].isin(self.zeroed), "nominal"] = 0
        rows = [["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "NOMINAL"]] + mc.values.tolist()
        return write_table(folder, "MC_2025-12_revisi", "csv-semicolon", rows)

    def write_extract(self, folder: Path, original: Path) -> Path:
        """The full December extract again (overlapping what is stored) plus new payments: a
        customer in no MC, an UNDUE one, and January ones (no MC(2026-01): their rayon is their
        latest MC's, which the revised MC moves) by moved and dropped customers."""
        lines = original.read_text(encoding="utf-8").splitlines()
        header = lines[0].split("|")
        new = [
            ("69999999", "12-12-2025", "-77000", "122025"),
            (self.zeroed[0], "13-12-2025", "-11000", "092025"),
            (self.moved[0], "02-01-2026", "-22000", "122025"),
            (self.moved[1], "03-01-2026", "-33000", "012026"),
            (self.moved[2], "03-01-2026", "-44000", "012026"),
            (self.dropped[0], "04-01-2026", "-55000", "012026"),
        ]
        for nomen, pay_dt, amount, bill in new:
            values = {"NOMEN": nomen, "PAY_DT": pay_dt, "AMT_COLLECT": amount, "BILL_PERIOD": bill}
            lines.append("|".join(values.get(h, "") for h in header))
        path = folder / "Collection-2025-12-01_sd_2026-01-04.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


ALL_PERIODES = ("2025-11", "2025-12", "2026-01")


def test_summaries_follow_changes(tmp_path, engine, app):
    api = Api(app, engine)
    ids = load_demo(engine, tmp_path / "files")
    revision = Revision(engine)

    # a COLLECTION extract deleted while a later one also carried its payments (11-20 Dec): they
    # stay, now the later extract's (DATA.md), and no figure moves
    before = check_all(api, engine)
    deleted = delete_upload(engine, ids["Collection-2025-12-01_sd_2025-12-20.txt"])
    assert (deleted.removed, deleted.kept_by) == (0, (ids["Collection-2025-12-01_sd_2025-12-31.txt"],))
    raw = check_all(api, engine)
    assert len(raw.pay) == len(before.pay)
    # the later extract deleted too: the payments only they carried (11-31 Dec) leave every figure
    assert delete_upload(engine, ids["Collection-2025-12-01_sd_2025-12-31.txt"]).removed > 0
    raw = check_all(api, engine)
    assert not raw.pay[raw.pay["month"] == "2025-12"]["pay_date"].map(lambda d: 11 <= d.day <= 31).any()

    # an overlapping extract: what is stored is not stored twice; the rest (the deleted
    # extract's payments again, and the new ones) counts
    result = loaded(ingest_file(engine, revision.write_extract(
        tmp_path, tmp_path / "files" / "Collection-2025-12-01_sd_2025-12-31.txt")))
    assert result.duplicate > 0 and result.stored > 6
    raw = check_all(api, engine, ALL_PERIODES)
    assert raw.pay.duplicated(["nomen", "pay_date", "amount", "bill_period"]).sum() == 0
    january = oracle_kpi(raw, "2026-01", None)
    assert (january["unmatched"]["count"], january["undue"]["count"]) == (3, 1)

    # MC(2025-12) replaced by a revised one: targets, rayons, unmatched and kubikasi move,
    # in 2025-12 and in 2026-01 (whose customers take their latest MC's rayon)
    result = loaded(ingest_file(engine, revision.write_mc(tmp_path)))
    assert result.replaced == [ids["MC1125_AB_Sunter.xls"]]
    raw = check_all(api, engine, ALL_PERIODES)
    assert raw.mc[raw.mc["periode"] == "2025-12"]["kubik"].isna().all()
    assert oracle_kpi(raw, "2025-12", None)["unmatched"]["count"] > 15

    # the revised MC deleted: the MC it replaced is back (DATA.md), with its figures
    assert delete_upload(engine, result.upload_id).removed > 0
    raw = check_all(api, engine, ALL_PERIODES)
    assert raw.mc[raw.mc["periode"] == "2025-12"]["kubik"].notna().any()
    assert oracle_kpi(raw, "2025-12", None)["target"]["nomen"] > 300
    # and that one deleted too: 2025-12 has no MC left, every payment of it is unmatched
    assert delete_upload(engine, ids["MC1125_AB_Sunter.xls"]).removed > 0
    raw = check_all(api, engine, ALL_PERIODES)
    december = oracle_kpi(raw, "2025-12", None)
    assert december["target"] == {"nomen": 0, "nominal": 0} and december["unmatched"]["count"] > 300
