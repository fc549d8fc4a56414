"""The meter-reading anomaly rules of METRICS.md, each at its edges, through the real
ingest pipeline: hand-made SBRS, MC and MAINBILL files in the raw export formats.

P = 2025-12. Every customer below is one case; its volumes are listed for
2025-09, 2025-10, 2025-11 and 2025-12 (None: not read that periode). Stands run on
from one reading to the next unless a case says otherwise.
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from sunter_dash import create_app
from sunter_dash.config import Config, Thresholds
from sunter_dash.db import get_engine, upgrade
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.ingest.anomalies import ANOMALIES, sync_thresholds
from sunter_dash.users import upsert_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_fixtures import write_table  # noqa: E402

PERIODES = ["2025-09", "2025-10", "2025-11", "2025-12"]
P = "2025-12"
PASSWORD = "admin-pass-123"

# name: (volumes per periode of PERIODES, what else the case needs)
CASES = {
    "X100": ([None, None, 60, 100], {}),  # 100 m3 is not extreme
    "X101": ([None, None, 60, 101], {"zona": "351010101"}),  # 101 is; rayon 35
    "D50": ([None, None, 40, 20], {}),  # exactly 50 %: not a drop
    "D49": ([None, None, 40, 19], {}),  # below 50 %: a drop
    # no reading in P-1: neither drop nor misrecord, though P-2 had 30 m3 and other stands
    "NOPREV": ([None, 30, None, 5], {"lalu_gap": 7}),
    "MIS_PREV": ([None, None, 10, 10], {"lalu_gap": 10}),  # STAND_LALU(P) != STAND_KINI(P-1)
    "MIS_STATED": ([None, None, 10, 20], {"pakai": 25}),  # stated PAKAI 25 against stands 20
    "MIS_NEGDIFF": ([None, None, 10, -10], {"pakai": 5}),  # stands fall: negative, not misrecord
    "NEG_PAKAI": ([None, None, 10, 0], {"pakai": -3}),  # stated PAKAI < 0
    "ZERO": ([None, None, None, 0], {}),
    "REB_AMT": ([None, None, None, 15], {"amount": -50000}),  # SBRS Bill_Amount < 0
    "REB_MSG": ([None, None, None, 15], {"msg": "Rebill bulan lalu"}),  # the special message
    "REB_JENIS": ([None, None, None, None], {"bills": ["REBILL"]}),  # MAINBILL only, no reading
    "REB_KOREKSI": ([None, None, None, 15], {"bills": ["KOREKSI"]}),
    "REB_DUP": ([None, None, None, 15], {"bills": ["NORMAL", "NORMAL"]}),  # two bills for P
    "NORMAL1": ([None, None, None, 15], {"bills": ["NORMAL"]}),  # one bill: no rebill
    "EST": ([None, None, None, 15], {"method": "estimate"}),
    "BLANKMETHOD": ([None, None, None, 15], {"method": ""}),  # no method stated: not an estimate
    "STUCK3": ([None, 0, 0, 0], {}),  # three ACTUAL zeros
    "STUCK2": ([None, 5, 0, 0], {}),  # two only
    "STUCK_EST": ([None, 0, 0, 0], {"method_2510": "ESTIMATE"}),  # one zero was not an ACTUAL read
    "SPIKE3": ([10, 10, 10, 21], {}),  # 21 > 2 x 10 and 11 >= 10 over three readings
    "SPIKE2": ([None, 10, 10, 40], {}),  # two readings of history only
    "SPIKE_EDGE": ([10, 10, 10, 20], {}),  # 20 is not > 2 x 10
    "SPIKE_SMALL": ([2, 2, 2, 11], {}),  # 11 - 2 = 9 < 10 m3
    "SPIKE_SMALL2": ([2, 2, 2, 12], {}),  # 12 - 2 = 10 m3
    "INACTIVE": ([None, None, None, 5], {"status": "NONAKTIF"}),
    "INACTIVE0": ([None, None, None, 0], {"status": "PUTUS"}),  # no use: zero only
    "ACTIVE5": ([None, None, None, 5], {"status": "AKTIF"}),
    "TAMPER0": ([None, None, None, 0], {"trouble": "BYPASS"}),
    "TAMPER_DROP": ([None, None, 40, 10], {"trouble": "BYPASS"}),
    "TROUBLE_OK": ([None, None, None, 15], {"trouble": "METER BURAM"}),
}
NOMEN = {name: f"6100{i:04d}" for i, name in enumerate(CASES, start=1)}

EXPECTED = {
    "extreme": {"X101"},
    "drop": {"D49", "NEG_PAKAI", "TAMPER_DROP"},
    "zero": {"ZERO", "STUCK3", "STUCK2", "STUCK_EST", "INACTIVE0", "TAMPER0"},
    "negative": {"MIS_NEGDIFF", "NEG_PAKAI"},
    "misrecord": {"MIS_PREV", "MIS_STATED", "NEG_PAKAI"},
    "rebill": {"REB_AMT", "REB_MSG", "REB_JENIS", "REB_KOREKSI", "REB_DUP"},
    "estimated": {"EST"},
    "spike": {"SPIKE3", "SPIKE_SMALL2"},
    "stuck": {"STUCK3"},
    "inactive_use": {"INACTIVE"},
    "tamper": {"TAMPER0", "TAMPER_DROP"},
}

SBRS_HEADER = ["cmr_account", "cmr_prev_read", "cmr_reading", "SB_Stand", "Read_Method", "cmr_trbl1_code",
               "cmr_chg_spcl_msg", "cmr_route", "Bill_Amount", "cmr_name", "Tariff"]
SBRS_FORMATS = {"2025-09": "xlsx", "2025-10": "txt-pipe", "2025-11": "csv-semicolon", "2025-12": "xlsx"}


def sbrs_rows(periode: str, cases: dict = CASES) -> list[list]:
    """The SBRS of a periode: stands run on from 1000, volumes as the cases say."""
    rows = [SBRS_HEADER]
    index = PERIODES.index(periode)
    for name, (volumes, extra) in cases.items():
        if volumes[index] is None:
            continue
        stand = 1000 + sum(v for v in volumes[:index] if v is not None and v > 0)
        lalu = stand + (extra.get("lalu_gap", 0) if periode == P else 0)
        kini = lalu + volumes[index]
        at_p = periode == P
        method = extra.get(f"method_{periode[2:4]}{periode[5:]}", extra.get("method", "ACTUAL") if at_p else "ACTUAL")
        rows.append([NOMEN[name], lalu, kini, extra.get("pakai") if at_p else None, method,
                     extra.get("trouble") if at_p else None, extra.get("msg") if at_p else None,
                     "341010101" if "zona" not in extra else extra["zona"],
                     extra.get("amount", 75000) if at_p else 75000, f"PELANGGAN {name}", "2A"])
    return rows


def mc_rows() -> list[list]:
    rows = [["NOMEN", "NAMA_PEL", "ZONA_NOVAK", "TARIF", "KUBIK", "NOMINAL", "CUST_TYPE"]]
    for name, (volumes, extra) in CASES.items():
        if name == "REB_JENIS":
            continue
        volume = volumes[-1] if volumes[-1] is not None else 0
        rows.append([NOMEN[name], f"PELANGGAN {name}", extra.get("zona", "341010101"), "2A", max(volume, 0),
                     5000 * max(volume, 0), extra.get("status", "AKTIF")])
    return rows


def mainbill_rows() -> list[list]:
    rows = [["NOMEN", "TOTAL_TAGIHAN", "PERIODE", "PAKAI", "JENIS_REK", "PCEZBK"]]
    rows.append([NOMEN["D49"], 95000, "122025", 19, "NORMAL", "341010101"])  # Rp 5 000 per m3
    for name, (_volumes, extra) in CASES.items():
        for kind in extra.get("bills", []):
            rows.append([NOMEN[name], 60000, "122025", 15, kind, "341010101"])
    return rows


def write_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {f"SBRS {p}": write_table(folder, f"SBRS_{p.replace('-', '')}", SBRS_FORMATS[p], sbrs_rows(p))
             for p in PERIODES}
    files["MC"] = write_table(folder, "MC_2025-12", "csv-semicolon", mc_rows())
    files["MAINBILL"] = write_table(folder, "MAINBILL_2025-12", "csv-semicolon", mainbill_rows())
    return files


def load(engine, path: Path):
    result = ingest_file(engine, path)
    assert result.status == "loaded" and result.rejected == 0, result.as_json()
    return result


class Branch:
    def __init__(self, root: Path, order: list[str]):
        self.url = f"sqlite:///{root / 'meter.db'}"
        upgrade(self.url)
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

    def flags_table(self) -> list[tuple]:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT * FROM meter_flag ORDER BY periode, flag, nomen")).all()


IN_ORDER = ["SBRS 2025-09", "SBRS 2025-10", "SBRS 2025-11", "MC", "SBRS 2025-12", "MAINBILL"]


@pytest.fixture(scope="module")
def branch(tmp_path_factory) -> Branch:
    return Branch(tmp_path_factory.mktemp("meter"), IN_ORDER)


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
    assert r35["extreme"] == {"name": "Pemakaian Ekstrem", "count": 1, "previous": 0, "missing": []}
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
    assert says in body["error"]


def test_missing_data_is_named(branch):
    first = branch.get("/api/anomaly/summary?periode=2025-09")["anomalies"]
    assert first["drop"]["missing"] == ["SBRS 2025-08"]
    assert first["stuck"]["missing"] == ["SBRS 2025-08", "SBRS 2025-07"]
    assert first["inactive_use"]["missing"] == ["MC 2025-09"]
    assert first["rebill"]["missing"] == []  # SBRS(P) alone can show rebills
    assert first["zero"]["count"] == 0 and first["zero"]["missing"] == []
    empty = branch.get("/api/anomaly/summary?periode=2024-01")["anomalies"]
    assert all(v["count"] == 0 for v in empty.values())
    assert empty["rebill"]["missing"] == ["SBRS 2024-01", "MAINBILL 2024-01"]


def test_loading_in_another_order_gives_the_same_flags(branch, tmp_path):
    backwards = Branch(tmp_path, ["MAINBILL", "SBRS 2025-12", "MC", "SBRS 2025-11", "SBRS 2025-10", "SBRS 2025-09"])
    assert backwards.flags_table() == branch.flags_table()


def test_deleting_last_periode_s_readings_stops_the_comparisons(tmp_path):
    branch = Branch(tmp_path, IN_ORDER)
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


def test_changed_thresholds_recompute_the_flags(tmp_path):
    branch = Branch(tmp_path, IN_ORDER)
    assert sync_thresholds(branch.engine, Thresholds(extreme_m3=60, drop_percent=47)) is True
    assert branch.flagged("extreme") == {"X100", "X101"}
    assert branch.flagged("drop") == {"NEG_PAKAI", "TAMPER_DROP"}  # 19 of 40 m3 is 47.5 %: no longer
    assert sync_thresholds(branch.engine, Thresholds(extreme_m3=60, drop_percent=47)) is False
