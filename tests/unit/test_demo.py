"""Tests of sunter_dash.demo: the synthetic branch, read back from the written files.

The files are parsed here with pandas / python-calamine directly (not through the
ingestion code), and the anomaly rules of METRICS.md are recomputed from the frames.
"""
from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from sunter_dash import demo

N, MONTHS, SEED = 400, 4, 7
PERIODES = ["2025-09", "2025-10", "2025-11", "2025-12"]
EXPECTED_NAMES = [
    "RUTE_202512.xlsx",
    "MC0825_AB_Sunter.xlsx", "SBRS_202509.xlsx", "MAINBILL_202509.csv",
    "Collection-2025-09-01_sd_2025-09-30.txt",
    "MC0925_AB_Sunter.xls", "SBRS_202510.xlsx", "MAINBILL_202510.csv",
    "Collection-2025-10-01_sd_2025-10-31.txt",
    "MC1025_AB_Sunter.xls", "SBRS_202511.xlsx", "MAINBILL_202511.csv",
    "Collection-2025-11-01_sd_2025-11-30.txt",
    "MC1125_AB_Sunter.xls", "SBRS_202512.xlsx", "MAINBILL_202512.csv",
    "Collection-2025-12-01_sd_2025-12-10.txt", "Collection-2025-12-01_sd_2025-12-20.txt",
    "Collection-2025-12-01_sd_2025-12-31.txt",
    "MB_MASTER_BAYAR_202512.csv", "ARDEBT_202511.csv", "ARDEBT_202512.csv",
]
INACTIVE = {"NONAKTIF", "PUTUS", "TUTUP"}


# --------------------------------------------------------------------------- readers
def read_mc(path) -> pd.DataFrame:
    """MC sheet: two title rows, a header, data, a TOTAL row (dropped)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = rows[2]
    data = [r for r in rows[3:] if isinstance(r[0], (int, float)) and not isinstance(r[0], bool)]
    df = pd.DataFrame(data, columns=header)
    df["NOMEN"] = df["NOMEN"].astype("int64").astype(str)
    for c in ("STAN_AWAL", "STAN_AKIR", "KUBIK", "NOMINAL"):
        df[c] = df[c].astype("int64")
    return df


def read_sbrs(path) -> pd.DataFrame:
    df = pd.read_excel(path, engine="calamine",
                       dtype={"cmr_account": str, "Bill_Period": str, "cmr_route": str})
    return df.rename(columns={"cmr_account": "NOMEN"})


def read_text(path, sep, encoding="utf-8") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, encoding=encoding, keep_default_na=False)


def by_name(paths):
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_world")
    paths = demo.generate(out, customers=N, months=MONTHS, seed=SEED, end_periode="2025-12")
    files = by_name(paths)
    mc_names = ["MC0825_AB_Sunter.xlsx", "MC0925_AB_Sunter.xls", "MC1025_AB_Sunter.xls",
                "MC1125_AB_Sunter.xls"]
    mc = {p: read_mc(files[n]) for p, n in zip(PERIODES, mc_names)}
    sbrs = {p: read_sbrs(files[f"SBRS_{p.replace('-', '')}.xlsx"]) for p in PERIODES}
    mainbill = {p: read_text(files[f"MAINBILL_{p.replace('-', '')}.csv"], ";") for p in PERIODES}
    return {"dir": out, "paths": paths, "files": files, "mc": mc, "sbrs": sbrs, "mainbill": mainbill}


# --------------------------------------------------------------------------- anomaly rules (METRICS.md)
def anomaly_flags(sbrs: dict, mainbill: dict, mc: dict, p: str) -> dict[str, set]:
    """Customers of SBRS(p) flagged by each rule, recomputed from the parsed frames."""
    order = sorted(sbrs)
    i = order.index(p)
    s = sbrs[p].set_index("NOMEN")
    vol = s["SB_Stand"]
    prev = sbrs[order[i - 1]].set_index("NOMEN") if i else None
    flags = {}
    flags["extreme"] = set(s.index[vol > 100])
    drop = pd.Series(False, index=s.index)
    if prev is not None:
        pv = prev["SB_Stand"].reindex(s.index)
        drop = (pv > 0) & (vol < 0.5 * pv)
    flags["drop"] = set(s.index[drop])
    flags["zero"] = set(s.index[vol == 0])
    flags["negative"] = set(s.index[(s["cmr_reading"] < s["cmr_prev_read"]) | (vol < 0)])
    diff = s["cmr_reading"] - s["cmr_prev_read"]
    mis = (diff >= 0) & (vol != diff)
    if prev is not None:
        last = prev["cmr_reading"].reindex(s.index)
        mis |= last.notna() & (s["cmr_prev_read"] != last)
    flags["misrecord"] = set(s.index[mis])
    mb = mainbill[p]
    counts = mb.groupby("NOMEN").size()
    mb_rebill = set(mb.loc[mb["JENIS_REK"].isin(["REBILL", "KOREKSI"]), "NOMEN"])
    mb_rebill |= set(counts.index[counts > 1])
    msg = s["cmr_chg_spcl_msg"].fillna("").str.upper().str.contains("REBILL")
    flags["rebill"] = set(s.index[(s["Bill_Amount"] < 0) | msg]) | mb_rebill
    method = s["Read_Method"]
    flags["estimated"] = set(s.index[method.notna() & (method.str.upper() != "ACTUAL")])
    hist = pd.concat([sbrs[q][["NOMEN", "SB_Stand"]] for q in order[max(0, i - 6):i]]) if i else None
    spike = pd.Series(False, index=s.index)
    if hist is not None:
        g = hist.groupby("NOMEN")["SB_Stand"]
        med = g.median().where(g.size() >= 3).reindex(s.index)
        spike = med.notna() & (vol > 2 * med) & (vol - med >= 10)
    flags["spike"] = set(s.index[spike])
    stuck = None
    if i >= 2:
        for q in order[i - 2:i + 1]:
            t = sbrs[q].set_index("NOMEN")
            z = (t["SB_Stand"] == 0) & (t["Read_Method"] == "ACTUAL")
            z = z.reindex(s.index, fill_value=False)
            stuck = z if stuck is None else stuck & z
    flags["stuck"] = set(s.index[stuck]) if stuck is not None else set()
    status = mc[p].set_index("NOMEN")["CUST_TYPE"].reindex(s.index)
    flags["inactive_use"] = set(s.index[(vol > 0) & status.isin(INACTIVE)])
    flags["tamper"] = set(s.index[s["cmr_trbl1_code"].notna() & ((vol == 0) | drop)])
    return flags


ANOMALY_KINDS = ["extreme", "drop", "zero", "negative", "misrecord", "rebill", "estimated",
                 "spike", "stuck", "inactive_use", "tamper"]


# --------------------------------------------------------------------------- tests
def test_file_names_and_load_order(world):
    assert [p.name for p in world["paths"]] == EXPECTED_NAMES
    assert all(p.is_file() and p.parent == world["dir"] for p in world["paths"])
    assert sorted(f.name for f in world["dir"].iterdir()) == sorted(EXPECTED_NAMES)


def test_single_month_names(tmp_path):
    names = [p.name for p in demo.generate(tmp_path, customers=100, months=1, seed=1)]
    assert "MC1125_AB_Sunter.xls" in names
    assert names[0] == "RUTE_202512.xlsx" and names[-1] == "ARDEBT_202512.csv"
    assert [n for n in names if n.startswith("Collection")] == [
        "Collection-2025-12-01_sd_2025-12-10.txt", "Collection-2025-12-01_sd_2025-12-20.txt",
        "Collection-2025-12-01_sd_2025-12-31.txt"]


def test_other_end_periode(tmp_path):
    names = [p.name for p in demo.generate(tmp_path, customers=100, months=2, end_periode="2026-02")]
    assert "MC0126_AB_Sunter.xls" in names and "MC1225_AB_Sunter.xlsx" in names
    assert "Collection-2026-02-01_sd_2026-02-28.txt" in names
    assert "Collection-2026-01-01_sd_2026-01-31.txt" in names


def test_deterministic_by_seed(world, tmp_path):
    same = demo.generate(tmp_path / "same", customers=N, months=MONTHS, seed=SEED, end_periode="2025-12")
    for a, b in zip(world["paths"], same):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes(), a.name
    # parsed contents equal too (independent of byte layout)
    assert read_mc(by_name(same)["MC1125_AB_Sunter.xls"]).equals(world["mc"]["2025-12"])
    other = by_name(demo.generate(tmp_path / "other", customers=N, months=MONTHS, seed=SEED + 1))
    assert not read_sbrs(other["SBRS_202512.xlsx"]).equals(world["sbrs"]["2025-12"])
    assert other["Collection-2025-12-01_sd_2025-12-31.txt"].read_bytes() != \
        world["files"]["Collection-2025-12-01_sd_2025-12-31.txt"].read_bytes()


def test_xls_is_real_biff_with_number_and_date_cells(world):
    path = world["files"]["MC1125_AB_Sunter.xls"]
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # OLE2 compound file
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert "MASTER CUSTOMER" in rows[0][0] and rows[1][0].startswith("Periode")
    header = rows[2]
    assert header == ["NOMEN", "NAMA_PEL", "ALM1_PEL", "ALM2_PEL", "ZONA_NOVAK", "TARIF", "NOMET",
                      "TGL_CATAT", "STAN_AWAL", "STAN_AKIR", "KUBIK", "NOMINAL", "NOTAGIHAN",
                      "CUST_TYPE"]
    data = rows[3:-1]
    assert rows[-1][0] == "TOTAL"
    assert len(data) == N
    nomen = [r[0] for r in data]
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nomen)
    assert all(str(int(v)).startswith("6") and len(str(int(v))) == 8 for v in nomen)
    assert len(set(nomen)) == N
    dates = [r[7] for r in data if r[7] != ""]
    assert dates and all(isinstance(d, (dt.date, dt.datetime)) for d in dates)
    assert {(d.year, d.month) for d in dates} == {(2025, 11)}  # readings of MC1125 are of November
    assert all(isinstance(r[4], str) and len(r[4]) == 9 and r[4].isdigit() for r in data)
    assert rows[-1][10] == sum(r[10] for r in data) and rows[-1][11] == sum(r[11] for r in data)


def test_xlsx_readable_by_openpyxl_and_calamine(world):
    openpyxl = pytest.importorskip("openpyxl")
    path = world["files"]["SBRS_202512.xlsx"]
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    assert list(rows[0]) == [
        "cmr_account", "cmr_name", "cmr_address", "cmr_route", "cmr_mtr_num", "Tariff", "cmr_prev_read",
        "cmr_reading", "SB_Stand", "Read_Method", "cmr_skip_code", "cmr_trbl1_code", "cmr_chg_spcl_msg",
        "cmr_rd_date", "Bill_Period", "Bill_Amount"]
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) == len(cal) == len(world["sbrs"]["2025-12"]) + 1
    first = rows[1]
    assert isinstance(first[0], str) and isinstance(first[6], int) and isinstance(first[13], dt.datetime)
    assert first[14] == "122025"
    mc_x = read_mc(world["files"]["MC0825_AB_Sunter.xlsx"])
    assert len(mc_x) == N and mc_x["NOMEN"].str.match(r"^6\d{7}$").all()


def test_xlsx_sheet_layout(world):
    """MC .xlsx as a clerk sees it: merged bold titles, bold header, dd/mm/yyyy dates,
    blank cells for unread meters, thousands-formatted money, set column widths."""
    openpyxl = pytest.importorskip("openpyxl")
    path = world["files"]["MC0825_AB_Sunter.xlsx"]
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.title == "MC0825_AB_Sunter"
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A1:N1", "A2:N2"]
    assert ws["A1"].font.b and ws["A2"].font.b and "MASTER CUSTOMER" in ws["A1"].value
    header = [c for c in ws[3]]
    assert header[0].value == "NOMEN" and all(c.font.b for c in header)
    data = list(ws.iter_rows(min_row=4, max_row=3 + N))
    assert not any(c.font.b for c in data[0])
    dates = [r[7] for r in data if r[7].value is not None]
    assert dates and all(c.is_date and c.number_format == "dd/mm/yyyy" for c in dates)
    assert len(dates) < N  # unread meters: blank TGL_CATAT
    assert all(r[11].number_format == "#,##0" and isinstance(r[11].value, int) for r in data)
    assert all(r[0].number_format == "General" for r in data)
    total = ws[4 + N]
    assert total[0].value == "TOTAL" and total[11].number_format == "#,##0"
    assert total[11].value == sum(r[11].value for r in data)
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert 28 <= widths["B"] < 30 and 11 <= widths["A"] < 13  # NAMA_PEL 28, NOMEN 11
    wb.close()


def test_customers_rayons_and_zones(world):
    mc = world["mc"]["2025-12"]
    zona = mc["ZONA_NOVAK"]
    assert zona.str.fullmatch(r"\d{9}").all()
    share = zona.str[:2].value_counts(normalize=True)
    assert share["34"] > 0.38 and share["35"] > 0.38
    assert 0 < share.drop(["34", "35"]).sum() < 0.12
    assert set(mc["CUST_TYPE"]) >= {"AKTIF", "NONAKTIF"} and (mc["CUST_TYPE"] == "AKTIF").mean() > 0.9
    assert (mc.loc[mc["CUST_TYPE"] != "AKTIF", "NOMINAL"] == 0).all()
    rute = pd.read_excel(world["files"]["RUTE_202512.xlsx"], engine="calamine", dtype=str)
    assert list(rute.columns) == ["PCEZ", "PETUGAS"] and rute["PCEZ"].is_unique
    assert set(zona.str[2:7]) <= set(rute["PCEZ"])
    assert (rute["PCEZ"].str[:2].isin(["33", "34", "35", "36"])).all()
    sb = world["sbrs"]["2025-12"]
    assert (sb["cmr_route"] == sb["NOMEN"].map(mc.set_index("NOMEN")["ZONA_NOVAK"]).str[:7]).all()


def test_mc_bills_the_sbrs_readings(world):
    for p in PERIODES:
        mc = world["mc"][p].set_index("NOMEN")
        sb = world["sbrs"][p].set_index("NOMEN")
        assert sb.index.is_unique and sb.index.isin(mc.index).all()
        m = mc.loc[sb.index]
        assert (m["KUBIK"] == sb["SB_Stand"]).all(), p
        assert (m["STAN_AWAL"] == sb["cmr_prev_read"]).all()
        assert (m["STAN_AKIR"] == sb["cmr_reading"]).all()
        assert (pd.to_datetime(m["TGL_CATAT"]) == pd.to_datetime(sb["cmr_rd_date"])).all()
        rd = pd.to_datetime(sb["cmr_rd_date"])
        prev_month = pd.Period(p, "M") - 1
        assert (rd.dt.to_period("M") == prev_month).all()
        assert (sb["Bill_Period"] == p[5:] + p[:4]).all()
        # customers not read have no volume
        assert (mc.loc[~mc.index.isin(sb.index), "KUBIK"] == 0).all()
        active = m["CUST_TYPE"] == "AKTIF"
        assert (m.loc[active, "NOMINAL"] > m.loc[active, "KUBIK"] * 3000).all()
        assert (sb.loc[(sb["Bill_Amount"] >= 0) & active, "Bill_Amount"] == m.loc[
            (sb["Bill_Amount"] >= 0) & active, "NOMINAL"]).all()


def test_stands_accumulate(world):
    for a, b in zip(PERIODES, PERIODES[1:]):
        sa = world["sbrs"][a].set_index("NOMEN")
        sb = world["sbrs"][b].set_index("NOMEN")
        common = sa.index.intersection(sb.index)
        same = (sb.loc[common, "cmr_prev_read"] == sa.loc[common, "cmr_reading"]).mean()
        assert 0.95 < same < 1.0  # a few seeded misrecords, the rest chain up


def test_mainbill_format(world):
    for p in PERIODES:
        mb = world["mainbill"][p]
        assert list(mb.columns) == ["NOMEN", "TOTAL_TAGIHAN", "PERIODE", "TGL_TAGIHAN", "PAKAI", "TARIF",
                                    "PCEZBK", "JENIS_REK"]
        assert (mb["PERIODE"] == p[5:] + p[:4]).all()
        assert mb["TGL_TAGIHAN"].str.fullmatch(r"\d{2}-\d{2}-\d{4}").all()
        assert set(mb["JENIS_REK"]) <= {"NORMAL", "REBILL", "KOREKSI"}
        normal = mb[mb["JENIS_REK"] == "NORMAL"].drop_duplicates("NOMEN").set_index("NOMEN")
        mc = world["mc"][p].set_index("NOMEN")
        assert set(normal.index) == set(mc.index[mc["NOMINAL"] > 0])
        assert (normal["TOTAL_TAGIHAN"].astype(int) == mc.loc[normal.index, "NOMINAL"]).all()


def _collection(world, name):
    return read_text(world["files"][name], "|")


def test_collection_extracts_are_cumulative(world):
    names = ["Collection-2025-12-01_sd_2025-12-10.txt", "Collection-2025-12-01_sd_2025-12-20.txt",
             "Collection-2025-12-01_sd_2025-12-31.txt"]
    texts = [world["files"][n].read_bytes() for n in names]
    lines = [t.splitlines(keepends=True) for t in texts]
    assert set(lines[0]) <= set(lines[1]) <= set(lines[2])
    assert texts[2].startswith(texts[1]) and texts[1].startswith(texts[0])  # byte-identical prefixes
    assert len(lines[0]) < len(lines[1]) < len(lines[2])
    for name, last in zip(names, (10, 20, 31)):
        c = _collection(world, name)
        day = pd.to_datetime(c["PAY_DT"], format="%d-%m-%Y")
        assert (day >= "2025-12-01").all() and (day <= f"2025-12-{last}").all()


def test_collection_content(world):
    c = _collection(world, "Collection-2025-12-01_sd_2025-12-31.txt")
    assert list(c.columns) == ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "NOTAG", "BILL_REASON",
                               "VOL_COLLECT", "FREEZE_DTTM", "LOKET"]
    amt = c["AMT_COLLECT"].astype(int)
    assert (amt < 0).all()
    assert c["BILL_PERIOD"].str.fullmatch(r"(0[1-9]|1[0-2])20\d{2}").all()
    assert (c["NOTAG"].str[:4] == c["BILL_PERIOD"].str[4:6] + c["BILL_PERIOD"].str[:2]).all()
    assert c.duplicated(["NOMEN", "NOTAG", "PAY_DT", "AMT_COLLECT"]).sum() == 0  # merge key is unique
    mc = world["mc"]["2025-12"]
    target = mc[mc["NOMINAL"] > 0]
    current = c[c["BILL_PERIOD"] == "122025"]
    undue = c[c["BILL_PERIOD"] != "122025"]
    assert len(undue) > 0
    assert (undue["BILL_PERIOD"].str[2:] + undue["BILL_PERIOD"].str[:2] < "202512").all()
    paid = current[current["NOMEN"].isin(target["NOMEN"])]
    rate = -paid["AMT_COLLECT"].astype(int).sum() / target["NOMINAL"].sum()
    assert 0.7 < rate < 0.98
    assert paid["NOMEN"].nunique() / len(target) > 0.75
    unmatched = current[~current["NOMEN"].isin(mc["NOMEN"])]
    assert len(unmatched) >= 1
    assert c["LOKET"].nunique() >= 4
    # heavier before the due date (20th) than after it, lighter on Sundays
    day = pd.to_datetime(c["PAY_DT"], format="%d-%m-%Y")
    per_day = day.value_counts()
    assert per_day[per_day.index.day <= 20].mean() > per_day[per_day.index.day > 20].mean()
    assert per_day[per_day.index.day_of_week == 6].mean() < per_day[per_day.index.day_of_week < 5].mean()


def test_late_payments_and_partials(world):
    nov_bills = world["mc"]["2025-11"]
    dec = _collection(world, "Collection-2025-12-01_sd_2025-12-31.txt")
    late = dec[dec["BILL_PERIOD"] == "112025"]
    assert late["NOMEN"].isin(nov_bills["NOMEN"]).all() and len(late) > 0
    nov = _collection(world, "Collection-2025-11-01_sd_2025-11-30.txt")
    nov_cur = nov[(nov["BILL_PERIOD"] == "112025") & nov["NOMEN"].isin(nov_bills["NOMEN"])]
    paid = nov_cur.groupby("NOMEN")["AMT_COLLECT"].apply(lambda s: -s.astype(int).sum())
    billed = nov_bills.set_index("NOMEN")["NOMINAL"].reindex(paid.index)
    assert (paid <= billed).all()
    assert (paid < billed).any()  # some pay partially
    assert (nov_cur.groupby("NOMEN").size() > 1).any()  # some pay in two parts


def test_mb_is_the_payment_history(world):
    raw = world["files"]["MB_MASTER_BAYAR_202512.csv"].read_bytes()
    mb = pd.read_csv(io.BytesIO(raw), dtype=str, encoding="cp1252")
    assert list(mb.columns) == ["NOMEN", "BULAN_REK", "TGL_BAYAR", "NOMINAL", "NOTAGIHAN"]
    assert (mb["NOMINAL"].astype(int) > 0).all()
    assert mb["TGL_BAYAR"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    full = ["Collection-2025-09-01_sd_2025-09-30.txt", "Collection-2025-10-01_sd_2025-10-31.txt",
            "Collection-2025-11-01_sd_2025-11-30.txt", "Collection-2025-12-01_sd_2025-12-31.txt"]
    coll = pd.concat([_collection(world, n) for n in full])
    key_c = (coll["NOMEN"] + coll["NOTAG"] + coll["PAY_DT"].str.replace("-", "/")
             + coll["AMT_COLLECT"].str[1:])
    key_m = mb["NOMEN"] + mb["NOTAGIHAN"] + mb["TGL_BAYAR"] + mb["NOMINAL"]
    assert sorted(key_c) == sorted(key_m)
    assert set(mb["BULAN_REK"].str[2:]) <= {"2023", "2024", "2025"}


def test_ardebt_aging_buckets(world):
    for name, sep in (("ARDEBT_202511.csv", ";"), ("ARDEBT_202512.csv", ",")):
        ar = read_text(world["files"][name], sep, encoding="utf-8-sig")
        assert list(ar.columns) == ["NOMEN", "PERIODE_BILL", "JUMLAH", "VOLUME"]
        assert (ar["JUMLAH"].astype(int) > 0).all()
        assert not ar.duplicated(["NOMEN", "PERIODE_BILL"]).any()
        bills = ar.groupby("NOMEN").size()
        buckets = pd.cut(bills, [0, 1, 2, 6, 12, np.inf], labels=["1", "2", "3-6", "7-12", ">12"])
        assert set(buckets) == {"1", "2", "3-6", "7-12", ">12"}, name
    ar = read_text(world["files"]["ARDEBT_202512.csv"], ",", encoding="utf-8-sig")
    assert (ar["PERIODE_BILL"].str[2:] + ar["PERIODE_BILL"].str[:2] <= "202512").all()
    # an unpaid December bill is the bill of MC(2025-12), minus what was paid
    mc = world["mc"]["2025-12"].set_index("NOMEN")
    dec = ar[ar["PERIODE_BILL"] == "122025"].set_index("NOMEN")
    assert (dec["JUMLAH"].astype(int) <= mc.loc[dec.index, "NOMINAL"]).all()


@pytest.mark.parametrize("kind", ANOMALY_KINDS)
def test_every_anomaly_kind_in_newest_periode(world, kind):
    flags = anomaly_flags(world["sbrs"], world["mainbill"], world["mc"], "2025-12")
    n_rows = len(world["sbrs"]["2025-12"])
    assert len(flags[kind]) >= 1, kind
    assert len(flags[kind]) < 0.15 * n_rows, kind  # seeded cases, not noise


def test_anomalies_seeded_in_every_periode(world):
    for i, p in enumerate(PERIODES):
        flags = anomaly_flags(world["sbrs"], world["mainbill"], world["mc"], p)
        need = {"extreme", "zero", "negative", "misrecord", "rebill", "estimated", "inactive_use",
                "tamper"}
        if i >= 1:
            need.add("drop")
        if i >= 2:
            need.add("stuck")
        if i >= 3:
            need.add("spike")
        assert all(flags[k] for k in need), (p, {k: len(v) for k, v in flags.items()})
    skip = world["sbrs"]["2025-12"]["cmr_skip_code"].dropna()
    assert "RUMAH KOSONG" in set(skip) or len(skip) > 0


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError):
        demo.generate(tmp_path, months=0)
    with pytest.raises(ValueError):
        demo.generate(tmp_path, end_periode="Desember")
    with pytest.raises(ValueError):
        demo.generate(tmp_path, customers=10)


def test_text_export_refuses_a_value_holding_its_separator(tmp_path):
    """Text exports are not quoted (as the billing system's are not): a value with the separator
    would shift the columns of its row, so the writer refuses it rather than write a bad file."""
    import pyarrow as pa

    from sunter_dash.demo.writers import Col, write_cols_text

    cols = [Col("NAMA", "s", pa.array(["TOKO A;B", "BUDI"])), Col("KUBIK", "n", np.array([3, 4]))]
    with pytest.raises(ValueError, match="NAMA"):
        write_cols_text(tmp_path / "x.csv", cols, ";", "\r\n", "-")
    path = write_cols_text(tmp_path / "y.txt", cols, "|", "\n", "")
    assert path.read_text() == "NAMA|KUBIK\nTOKO A;B|3\nBUDI|4\n"
