"""One writer per raw export type of DATA.md (RUTE, MC, SBRS, MAINBILL, COLLECTION, MB, ARDEBT)."""
from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import (PAD2, days_in, fmt_date, join, mmyyyy, month_start, num_str, pick, weekday, ym,
                     yyyymm)
from .vocab import (FIRST, FIXED, LAST, LOKETS, MB_MAX_BYTES, MESSAGES, MONTH_ID, PRICE, READ_METHODS,
                    SKIP_CODES, STATUS, TARIFFS, TROUBLE_CODES, XLS_MAX_ROWS)
from .world import Customers, Ledger, Readings
from .writers import Col, text_lines, write_cols_text, write_text, write_xls, write_xlsx


def _notag(mi_values, nomen) -> pa.Array:
    """Stable bill number: YYMM of the bill periode + NOMEN (12 digits)."""
    mi_values = np.asarray(mi_values, dtype=np.int64)
    return join(PAD2.take(pa.array(mi_values // 12 % 100)), PAD2.take(pa.array(mi_values % 12 + 1)),
                num_str(nomen))


def _mmyyyy_arr(mi_values) -> pa.Array:
    mi_values = np.asarray(mi_values, dtype=np.int64)
    return join(PAD2.take(pa.array(mi_values % 12 + 1)), num_str(mi_values // 12))


def _stamp(mi: int, hour: int) -> dt.datetime:
    """Deterministic 'export time' of a file of periode mi: first day of the next month."""
    y, m = ym(mi + 1)
    return dt.datetime(y, m, 1, hour, 0, 0)


def write_rute(out: pathlib.Path, end_mi: int, pcez_codes, rng) -> pathlib.Path:
    k = len(pcez_codes)
    first, last = rng.permutation(FIRST)[:k], rng.permutation(np.resize(LAST, k))
    officers = np.array([f"{f} {surname}" for f, surname in zip(first, last)])
    petugas = officers[np.arange(k) // 2]  # two routes per officer
    cols = [Col("PCEZ", "s", pa.array(pcez_codes.tolist()), width=10),
            Col("PETUGAS", "s", pa.array(petugas.tolist()), width=24)]
    return write_xlsx(out / f"RUTE_{yyyymm(end_mi)}.xlsx", "RUTE", cols, _stamp(end_mi, 7))


def write_mc(out: pathlib.Path, cu: Customers, rd: Readings, m: int, mi: int,
             as_xlsx: bool, text: bool = False) -> pathlib.Path:
    """The MC as Excel 97 .xls (.xlsx when asked or too big) with title and total rows, or
    (text) as the billing system's ';'-separated CSV."""
    read_mi = mi - 1
    y, mo = ym(read_mi)
    stem = f"MC{mo:02d}{y % 100:02d}_AB_Sunter"
    kubik, nominal = rd.sb[:, m], rd.nominal[:, m]
    no_bill = nominal <= 0
    cols = [
        Col("NOMEN", "n", cu.nomen, width=11),
        Col("NAMA_PEL", "s", cu.name, width=28),
        Col("ALM1_PEL", "s", cu.alm1, width=32),
        Col("ALM2_PEL", "s", cu.alm2, width=34),
        Col("ZONA_NOVAK", "s", cu.zona, width=12),
        Col("TARIF", "s", pick(TARIFFS, cu.tariff), width=7),
        Col("NOMET", "s", cu.nomet, width=12),
        Col("TGL_CATAT", "d", rd.rd_date[:, m], mask=~rd.read[:, m], width=11),
        Col("STAN_AWAL", "n", rd.prev[:, m], width=10),
        Col("STAN_AKIR", "n", rd.reading[:, m], width=10),
        Col("KUBIK", "n", kubik, width=8),
        Col("NOMINAL", "n", nominal, money=True, width=12),
        Col("NOTAGIHAN", "s", _notag(np.full(cu.n, mi), cu.nomen), mask=no_bill, width=14),
        Col("CUST_TYPE", "s", pick(STATUS, cu.status), width=10),
    ]
    if text:
        return write_cols_text(out / f"{stem}.csv", cols, ";", "\r\n", date_sep="-")
    bill_y, bill_mo = ym(mi)
    titles = ("LAPORAN MASTER CUSTOMER (MC) - CABANG SUNTER",
              f"Periode Catat: {MONTH_ID[mo - 1]} {y} | Periode Rekening: {MONTH_ID[bill_mo - 1]} {bill_y}")
    footer = ["TOTAL"] + [None] * 9 + [int(kubik.sum()), int(nominal.sum()), None, None]
    if as_xlsx or cu.n + len(titles) + 2 > XLS_MAX_ROWS:
        return write_xlsx(out / f"{stem}.xlsx", stem, cols, _stamp(read_mi, 8), titles, footer)
    return write_xls(out / f"{stem}.xls", stem, cols, titles, footer)


def write_sbrs(out: pathlib.Path, cu: Customers, rd: Readings, m: int, mi: int,
               text: bool = False) -> pathlib.Path:
    """The SBRS as .xlsx, or (text) pipe-delimited with 8-digit DDMMYYYY reading dates."""
    rows = np.flatnonzero(rd.read[:, m])
    rows = rows[np.lexsort((cu.nomen[rows], cu.block[rows], cu.pcez[rows]))]  # route-book order
    idx = pa.array(rows)
    sb = rd.sb[rows, m]
    t = cu.tariff[rows]
    prev_sb = rd.sb[rows, m - 1] if m else np.rint(cu.base_vol[rows]).astype(np.int64)
    bill = np.where(cu.status[rows] == 0, rd.nominal[rows, m], 0)
    bill = np.where(rd.neg_bill[rows, m], -(PRICE[t] * prev_sb + FIXED[t]), bill)
    skip, trouble, message = rd.skip[rows, m], rd.trouble[rows, m], rd.message[rows, m]
    cols = [
        Col("cmr_account", "s", cu.nomen_s.take(idx), width=11),
        Col("cmr_name", "s", cu.name.take(idx), width=28),
        Col("cmr_address", "s", join(cu.alm1.take(idx), " ", cu.alm2.take(idx)), width=50),
        Col("cmr_route", "s", cu.route.take(idx), width=9),
        Col("cmr_mtr_num", "s", cu.nomet.take(idx), width=12),
        Col("Tariff", "s", pick(TARIFFS, t), width=7),
        Col("cmr_prev_read", "n", rd.prev[rows, m], width=12),
        Col("cmr_reading", "n", rd.reading[rows, m], width=12),
        Col("SB_Stand", "n", sb, width=9),
        Col("Read_Method", "s", pick(READ_METHODS, rd.method[rows, m]), width=11),
        Col("cmr_skip_code", "s", pick(SKIP_CODES, np.maximum(skip, 0)), mask=skip < 0, width=16),
        Col("cmr_trbl1_code", "s", pick(TROUBLE_CODES, np.maximum(trouble, 0)), mask=trouble < 0,
            width=16),
        Col("cmr_chg_spcl_msg", "s", pick(MESSAGES, np.maximum(message, 0)), mask=message < 0, width=30),
        Col("cmr_rd_date", "d", rd.rd_date[rows, m], width=11),
        Col("Bill_Period", "s", pa.array([mmyyyy(mi)] * rows.size), width=10),
        Col("Bill_Amount", "n", bill, money=True, width=12),
    ]
    if text:
        return write_cols_text(out / f"SBRS_{yyyymm(mi)}.txt", cols, "|", "\n", date_sep="")
    return write_xlsx(out / f"SBRS_{yyyymm(mi)}.xlsx", "SBRS", cols, _stamp(mi - 1, 9))


def write_mainbill(out: pathlib.Path, cu: Customers, rd: Readings, m: int, mi: int) -> pathlib.Path:
    base = np.flatnonzero(rd.nominal[:, m] > 0)
    extra = base[rd.mb_extra[base, m] > 0]
    rows = np.concatenate([base, extra])
    # kind: 0 and 3 NORMAL (3 = a second bill for P), 1 REBILL, 2 KOREKSI
    kind = np.concatenate([np.zeros(base.size, np.int8), rd.mb_extra[extra, m]])
    order = np.lexsort((np.arange(rows.size), cu.nomen[rows]))
    rows, kind = rows[order], kind[order]
    t = cu.tariff[rows]
    pakai = rd.sb[rows, m]
    amount = rd.nominal[rows, m]
    corr = np.minimum(pakai, 3 + (cu.nomen[rows] % 7))  # m3 corrected on a rebill
    amount = np.where(kind == 1, PRICE[t] * (pakai - corr) + FIXED[t], amount)
    amount = np.where(kind == 2, -PRICE[t] * corr, amount)
    pakai = np.where(kind == 1, pakai - corr, np.where(kind == 2, -corr, pakai))
    bill_day = month_start(mi) + (weekday(month_start(mi)) == 6)
    date = np.where(kind == 0, bill_day, bill_day + np.timedelta64(7, "D"))
    jenis = np.array(["NORMAL", "REBILL", "KOREKSI", "NORMAL"])
    idx = pa.array(rows)
    lines = text_lines([cu.nomen_s.take(idx), num_str(amount), pa.array([mmyyyy(mi)] * rows.size),
                        fmt_date(date.astype("datetime64[D]"), "-"), num_str(pakai), pick(TARIFFS, t),
                        cu.zona.take(idx), pick(jenis, kind)], ";", "\r\n")
    header = ["NOMEN", "TOTAL_TAGIHAN", "PERIODE", "TGL_TAGIHAN", "PAKAI", "TARIF", "PCEZBK",
              "JENIS_REK"]
    return write_text(out / f"MAINBILL_{yyyymm(mi)}.csv", header, lines, ";", "\r\n")


def _payment_order(lg: Ledger, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the payments (optionally only those in mask) by date, NOMEN, bill
    periode, amount: extracts of a month are then cumulative prefixes."""
    sel = np.arange(lg.pay_date.size) if mask is None else np.flatnonzero(mask)
    return sel[np.lexsort((lg.pay_amount[sel], lg.pay_mi[sel], lg.pay_nomen[sel], lg.pay_date[sel]))]


def write_collection(out: pathlib.Path, lg: Ledger, mi: int, newest: bool,
                     through: int | None = None) -> list[pathlib.Path]:
    start = month_start(mi)
    nd = days_in(mi)
    sel = _payment_order(lg, (lg.pay_date >= start) & (lg.pay_date < start + nd))
    date = lg.pay_date[sel]
    freeze_s = lg.pay_freeze_s[sel]
    hh, mm, ss = (PAD2.take(pa.array(v)) for v in (freeze_s // 3600, freeze_s // 60 % 60, freeze_s % 60))
    freeze = join(fmt_date(date + np.timedelta64(1, "D"), "-"), " ", hh, ":", mm, ":", ss)
    lines = text_lines([num_str(lg.pay_nomen[sel]), fmt_date(date, "-"), num_str(-lg.pay_amount[sel]),
                        _mmyyyy_arr(lg.pay_mi[sel]), _notag(lg.pay_mi[sel], lg.pay_nomen[sel]),
                        pick(np.array(["NORMAL", "REBILL"]), lg.pay_reason[sel]),
                        num_str(lg.pay_vol[sel]),
                        freeze, pick(LOKETS, lg.pay_loket[sel])], "|", "\n")
    header = ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "NOTAG", "BILL_REASON", "VOL_COLLECT",
              "FREEZE_DTTM", "LOKET"]
    y, mo = ym(mi)
    cutoffs = ([c for c in (10, 20) if c < through] + [through] if through else [10, 20, nd]) if newest else [nd]
    paths = []
    for last in cutoffs:
        k = int(np.searchsorted(date, start + last, side="left"))
        name = f"Collection-{y:04d}-{mo:02d}-01_sd_{y:04d}-{mo:02d}-{last:02d}.txt"
        paths.append(write_text(out / name, header, lines.slice(0, k), "|", "\n"))
    return paths


def write_mb(out: pathlib.Path, lg: Ledger, mis: list[int]) -> list[pathlib.Path]:
    """The payment history of the window.  One file, unless it would pass the
    100 MB upload limit of DATA.md: then consecutive payment months per file, each
    named after its last month (a file of a single month may still be larger)."""
    o = _payment_order(lg)
    lines = text_lines([num_str(lg.pay_nomen[o]), _mmyyyy_arr(lg.pay_mi[o]),
                        fmt_date(lg.pay_date[o], "/"),
                        num_str(lg.pay_amount[o]), _notag(lg.pay_mi[o], lg.pay_nomen[o])], ",", "\r\n")
    month = lg.pay_date[o].astype("datetime64[M]").astype(np.int64) + 1970 * 12 - mis[0]
    sizes = np.bincount(month, weights=pc.binary_length(lines).to_numpy(), minlength=len(mis))
    groups, current, total = [], [], 0.0
    for m in range(len(mis)):
        if current and total + sizes[m] > MB_MAX_BYTES:
            groups.append(current)
            current, total = [], 0.0
        current.append(m)
        total += sizes[m]
    groups.append(current)
    bounds = np.searchsorted(month, [g[0] for g in groups] + [len(mis)])
    header = ["NOMEN", "BULAN_REK", "TGL_BAYAR", "NOMINAL", "NOTAGIHAN"]
    return [write_text(out / f"MB_MASTER_BAYAR_{yyyymm(mis[g[-1]])}.csv", header,
                       lines.slice(bounds[k], bounds[k + 1] - bounds[k]), ",", "\r\n", "cp1252")
            for k, g in enumerate(groups)]


def write_ardebt(out: pathlib.Path, cu: Customers, lg: Ledger, mi: int, sep: str,
                 encoding: str) -> pathlib.Path:
    """Unpaid bills (or their unpaid rest) at the end of periode mi, one row per bill."""
    end = month_start(mi) + days_in(mi)
    counted = (lg.pay_bill >= 0) & (lg.pay_date < end)
    paid = np.bincount(lg.pay_bill[counted], weights=lg.pay_amount[counted], minlength=lg.bill_cust.size)
    remaining = lg.bill_amount - np.rint(paid).astype(np.int64)
    rows = np.flatnonzero((lg.bill_mi <= mi) & (remaining > 0))
    rows = rows[np.lexsort((lg.bill_mi[rows], cu.nomen[lg.bill_cust[rows]]))]
    lines = text_lines([cu.nomen_s.take(pa.array(lg.bill_cust[rows])), _mmyyyy_arr(lg.bill_mi[rows]),
                        num_str(remaining[rows]), num_str(lg.bill_vol[rows])], sep, "\r\n")
    return write_text(out / f"ARDEBT_{yyyymm(mi)}.csv", ["NOMEN", "PERIODE_BILL", "JUMLAH", "VOLUME"],
                      lines, sep, "\r\n", encoding)
