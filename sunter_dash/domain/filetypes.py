"""The billing system's file types (DATA.md "File types"), in the order the pages list them,
each with the columns it computes from the parsed ones (DATA.md and METRICS.md rules).

A derivation takes the parsed frame and the matched columns and returns the frame to store
plus row errors (index, field, reason).
"""
from __future__ import annotations

import pandas as pd

from ..formatting import number
from .codes import WS, month_of, no_errors, pcez_parts, rayon_from_code, row_errors
from .errors import InconsistentFile, MissingColumns
from .files import MERGE, SNAPSHOT, Column, FileSpec, PaymentKey, register
from .settings import no_actual_reads

NOMEN_ALIASES = ("NO_PELANGGAN", "NOPEL", "NO_PLGGN", "ID_PELANGGAN")
# DATA.md: NO_TRANSAKSI when present, else (NOMEN, bill number or bill periode, pay date, amount).
PAYMENT_KEY = PaymentKey("no_transaksi", ("nomen", ("notag", "bill_period"), "pay_date", "amount"))


def _nomen(header: str = "NOMEN", *extra: str) -> Column:
    return Column("nomen", header, "nomen", tuple(a for a in (*extra, *NOMEN_ALIASES) if a != header))


# --- derivations ---------------------------------------------------------------------------

def _mc(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = [frame[c].fillna("") for c in ("alm1", "alm2", "alm3") if c in frame]
    if parts:
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + " " + part
        alamat = joined.str.replace(WS + "+", " ", regex=True).str.strip()
        frame["alamat"] = alamat.where(alamat != "")
    zone = frame["zona_novak"] if "zona_novak" in frame else pd.Series(pd.NA, index=frame.index, dtype="str")
    from_zone = rayon_from_code(zone)
    frame["rayon"] = frame["rayon"].fillna(from_zone) if "rayon" in frame else from_zone
    frame["pcez"] = zone.str.slice(2, 7).where(zone.str.len() == 9)
    return frame, no_errors()


def _payments(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """COLLECTION and MB: the amount is the absolute value; the row's periode is its pay month."""
    # DATA.md: the billing system writes payments with a minus sign.
    frame["amount"] = frame["amount"].abs()
    frame["periode"] = month_of(frame["pay_date"])
    return frame, no_errors()


def _jenis(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """CURRENT or UNDUE from the bill periode, else from JENIS (DATA.md)."""
    jenis = pd.Series(pd.NA, index=frame.index, dtype="str")
    if "bill_period" in frame:
        # Paid in month P for the bill of P is CURRENT; for an older bill, UNDUE.
        # A bill paid ahead of its month counts as CURRENT in the month it is paid.
        has_bill = frame["bill_period"].notna()
        older = frame["bill_period"] < frame["periode"]
        jenis = jenis.mask(has_bill & older, "UNDUE").mask(has_bill & ~older, "CURRENT")
    errors = no_errors()
    if "jenis_col" in frame:
        stated = frame["jenis_col"]
        said = pd.Series(pd.NA, index=frame.index, dtype="str")
        said = said.mask(stated.str.contains("UNDUE|TUNGGAK", regex=True, na=False), "UNDUE")
        said = said.mask(stated.str.contains("CURRENT|LANCAR|KINI", regex=True, na=False), "CURRENT")
        unknown = jenis.isna() & stated.notna() & said.isna()
        jenis = jenis.fillna(said)
        errors = row_errors(unknown, "jenis_col", "JENIS harus CURRENT atau UNDUE")
    return jenis, errors


def _collection(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame, _ = _payments(frame, columns)
    if "bill_period" not in columns and "jenis_col" not in columns:
        raise MissingColumns(
            "File COLLECTION perlu kolom BILL_PERIOD (periode tagihan) atau JENIS (CURRENT/UNDUE) "
            "untuk membedakan pembayaran lancar dan tunggakan.",
            "A COLLECTION file needs BILL_PERIOD or JENIS to tell CURRENT from UNDUE payments.")
    jenis, errors = _jenis(frame)
    neither = jenis.isna() & ~frame.index.isin(errors["index"])
    frame["jenis"] = jenis
    missing = row_errors(neither, "bill_period" if "bill_period" in columns else "jenis_col",
                         "periode tagihan kosong dan JENIS tidak diisi")
    return frame, pd.concat([errors, missing], ignore_index=True)


def _sbrs(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    # METRICS.md: volume is the stated PAKAI, or STAND_KINI - STAND_LALU where absent.
    difference = frame["stand_kini"] - frame["stand_lalu"]
    frame["volume"] = frame["pakai"].fillna(difference) if "pakai" in frame else difference
    if "route" in frame:
        frame["rayon"] = rayon_from_code(frame["route"])
    return frame, no_errors()


def _sbrs_report(frame: pd.DataFrame, settings) -> tuple[dict, list[str]]:
    """The read-method codes of the readings, with how many rows each, and whether each counts
    as an actual read (METRICS.md: a setting); a warning when none does."""
    if "read_method" not in frame:
        return {"read_methods": []}, []
    actual = set(settings.actual_read_methods)
    counts = frame["read_method"].value_counts()
    methods = [{"code": code, "rows": int(rows), "actual": code in actual} for code, rows in counts.items()]
    listed = ", ".join(f"{m['code']} ({number(m['rows'])} baris)" for m in methods[:12])
    counted = ", ".join(sorted(actual & set(counts.index))) or "tidak ada"
    notes = [f"kode metode baca: {listed}; dihitung baca aktual: {counted}"] if methods else []
    if no_actual_reads(counts.index, actual):
        notes.append(f"Peringatan: tidak satu pun kode metode baca file ini dihitung sebagai baca aktual (setelan: "
                     f"{', '.join(sorted(actual))}), jadi setiap pembacaan akan ditandai Bukan Baca Aktual. Bila "
                     "cabang memakai kode lain untuk baca aktual (mis. SE, PS), admin dapat mengubah setelannya di tab "
                     "Pengaturan.")
    return {"read_methods": methods}, notes


def _mainbill(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if "pcezbk" in frame:
        frame["rayon"] = rayon_from_code(frame["pcezbk"])
    return frame, no_errors()


def _ardebt(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    # DATA.md: the row's own RAYON and PCEZ, used where no MC knows the customer.
    if "pcez" in frame:
        frame["pcez"], from_pcez = pcez_parts(frame["pcez"])
        frame["rayon"] = frame["rayon"].fillna(from_pcez) if "rayon" in frame else from_pcez
    if "amount" in frame and "total" not in frame:
        return frame, row_errors(frame["amount"].isna(), "amount", "wajib diisi")
    if "total" in frame and "amount" not in frame:
        return frame, row_errors(frame["total"].isna(), "total", "wajib diisi")
    both_blank = frame["amount"].isna() & frame["total"].isna()
    return frame, row_errors(both_blank, "total", "JUMLAH atau SALDO_TUNGGAKAN wajib diisi")


def _rute(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame["pcez"], frame["rayon"] = pcez_parts(frame["pcez"])
    # Officer names compare trimmed and upper-cased (DATA.md).
    frame["petugas"] = frame["petugas"].str.strip().str.upper()
    pairs = frame[["pcez", "petugas"]].dropna().drop_duplicates()
    twice = sorted(pairs.loc[pairs["pcez"].duplicated(keep=False), "pcez"].unique().tolist())
    if twice:
        shown = ", ".join(f"{p[:3]}/{p[3:]}" for p in twice[:20])
        raise InconsistentFile(
            f"RUTE memberi satu PCEZ dua petugas atau lebih: {shown}. Perbaiki file sehingga setiap PCEZ "
            "hanya punya satu petugas, lalu unggah lagi.",
            f"The RUTE gives {len(twice)} PCEZ more than one officer: {', '.join(twice[:20])}.")
    return frame, no_errors()


# --- the types -----------------------------------------------------------------------------

register(FileSpec(
    name="MC", label="Master Customer", table="mc", mode=SNAPSHOT, filename_words=("MC",),
    columns=(
        _nomen(),
        Column("nama", "NAMA_PEL", "text", ("NAMA", "NAMA_PELANGGAN")),
        Column("alm1", "ALM1_PEL", "text", ("ALAMAT",)),
        Column("alm2", "ALM2_PEL", "text"),
        Column("alm3", "ALM3_PEL", "text"),
        Column("zona_novak", "ZONA_NOVAK", "zone", ("ZONA", "PCEZBK")),
        Column("rayon", "RAYON", "rayon", ("KODE_RAYON",)),
        Column("tarif", "TARIF", "code", ("KODETARIF", "GOL_TARIF")),
        Column("nomet", "NOMET", "text", ("NO_METER",)),
        Column("tgl_catat", "TGL_CATAT", "date", ("TGL_BACA",)),
        Column("stan_awal", "STAN_AWAL", "int", ("STAND_LALU",)),
        Column("stan_akir", "STAN_AKIR", "int", ("STAND_KINI",)),
        Column("kubik", "KUBIK", "int", ("KUBIKASI", "PAKAI", "VOLUME")),
        Column("nominal", "NOMINAL", "int", ("REK_AIR", "TAGIHAN", "TOTAL_TAGIHAN", "TARGET")),
        Column("notagihan", "NOTAGIHAN", "text", ("NOTAG",)),
        Column("cust_type", "CUST_TYPE", "code", ("STATUS", "STATUS_PELANGGAN")),
        Column("periode_col", "PERIODE", "month", ("BULAN", "BILL_PERIOD")),
        Column("tahun2", "TAHUN2", "int"),  # the bill's year and month, as the billing system's MC names them
        Column("nama_bln2", "NAMA_BLN2", "code"),
    ),
    required=(frozenset({"nomen", "nominal", "zona_novak"}), frozenset({"nomen", "nominal", "rayon"})),
    periode_field="periode_col", derive=_mc, feeds=("target", "directory"), reading_month=("MC", "tgl_catat"),
    bill_month=("tahun2", "nama_bln2"), one_row_per_customer=True,
))

register(FileSpec(
    name="COLLECTION", label="Collection (pembayaran)", table="payment", mode=MERGE,
    filename_words=("COLL", "COLLECTION"), aliases=("COLL",),
    columns=(
        _nomen(),
        Column("pay_date", "PAY_DT", "date", ("TGL_BAYAR", "TANGGAL_BAYAR")),
        Column("amount", "AMT_COLLECT", "int", ("JUMLAH_BAYAR", "JML_BAYAR", "NOMINAL", "JUMLAH", "AMOUNT",
                                                "PAY_AMT")),
        Column("bill_period", "BILL_PERIOD", "month", ("PERIODE_REK", "BULAN_REK", "PERIODE_TAGIHAN")),
        Column("notag", "NOTAG", "text", ("NOTAGIHAN", "NO_TAGIHAN", "BILL_ID")),
        Column("bill_reason", "BILL_REASON", "code"),
        Column("vol_collect", "VOL_COLLECT", "int"),
        Column("freeze_dttm", "FREEZE_DTTM", "text"),
        Column("jenis_col", "JENIS", "code", ("TIPE_BAYAR",)),
        Column("no_transaksi", "NO_TRANSAKSI", "text", ("NO_REF", "ID_TRANSAKSI")),
        Column("loket", "LOKET", "text", ("CHANNEL", "BANK")),
    ),
    required=(frozenset({"nomen", "pay_date", "amount"}),),
    date_field="pay_date", derive=_collection, key=PAYMENT_KEY, feeds=("payments",),
))

register(FileSpec(
    name="SBRS", label="SBRS (baca meter)", table="sbrs", mode=SNAPSHOT, filename_words=("SBRS",),
    code_field="read_method",
    columns=(
        _nomen("cmr_account", "NOMEN"),
        Column("stand_lalu", "cmr_prev_read", "int", ("STAND_LALU", "STAND_AWAL", "STAN_AWAL", "PREV_READ_1")),
        Column("stand_kini", "cmr_reading", "int", ("STAND_KINI", "STAND_AKHIR", "STAN_AKIR", "CURR_READ_1",
                                                    "END_READ_STAN")),
        Column("pakai", "SB_Stand", "int", ("PAKAI", "VOLUME", "PEMAKAIAN")),
        Column("read_method", "Read_Method", "code", ("READMETHOD", "METODE_BACA")),
        Column("skip_code", "cmr_skip_code", "code", ("SKIPSTS", "KODE_SKIP")),
        Column("trouble_code", "cmr_trbl1_code", "code", ("TROUBLESTS", "KODE_TROUBLE")),
        Column("special_msg", "cmr_chg_spcl_msg", "code", ("PESAN_KHUSUS",)),
        Column("read_date", "cmr_rd_date", "date", ("TGL_BACA",)),
        Column("route", "cmr_route", "text", ("RUTE",)),
        Column("nama", "cmr_name", "text", ("NAMA",)),
        Column("alamat", "cmr_address", "text", ("ALAMAT",)),
        Column("nomet", "cmr_mtr_num", "text", ("NOMET",)),
        Column("tarif", "Tariff", "code", ("TARIF",)),
        Column("bill_period", "Bill_Period", "month", ("PERIODE",)),
        Column("bill_amount", "Bill_Amount", "int", ("TAGIHAN",)),
    ),
    required=(frozenset({"nomen", "stand_lalu", "stand_kini"}),),
    periode_field="bill_period", derive=_sbrs, feeds=("volume", "directory"), report=_sbrs_report,
))

register(FileSpec(
    name="MAINBILL", label="Mainbill (tagihan)", table="mainbill", mode=SNAPSHOT, filename_words=("MAINBILL",),
    columns=(
        _nomen(),
        Column("total", "TOTAL_TAGIHAN", "int", ("NOMINAL", "TAGIHAN", "TOTAL", "TAGIHAN_AIR", "REK_AIR")),
        Column("bill_period", "PERIODE", "month", ("BILL_PERIOD", "BULAN_REK")),
        Column("tgl_tagihan", "TGL_TAGIHAN", "date"),
        Column("pakai", "PAKAI", "int", ("VOLUME", "KUBIK", "KONSUMSI")),
        Column("tarif", "TARIF", "code", ("KODETARIF",)),
        Column("pcezbk", "PCEZBK", "zone", ("ZONA_NOVAK",)),
        Column("jenis_rek", "JENIS_REK", "code", ("STATUS_REK",)),
    ),
    required=(frozenset({"nomen", "total"}),),
    periode_field="bill_period", derive=_mainbill,
))

register(FileSpec(
    name="MB", label="Master Bayar", table="mb_payment", mode=MERGE, filename_words=("MB", "MASTERBAYAR"),
    aliases=("MASTERBAYAR",),
    columns=(
        _nomen(),
        Column("bill_period", "BULAN_REK", "month"),
        Column("pay_date", "TGL_BAYAR", "date"),
        Column("amount", "NOMINAL", "int"),
        Column("notag", "NOTAGIHAN", "text"),
    ),
    required=(frozenset({"nomen", "bill_period", "pay_date", "amount"}),),
    date_field="pay_date", derive=_payments, key=PAYMENT_KEY, feeds=("mb",),
))

register(FileSpec(
    name="ARDEBT", label="Ardebt (tunggakan)", table="ardebt", mode=SNAPSHOT, filename_words=("ARDEBT",),
    columns=(
        _nomen(),
        Column("bill_period", "PERIODE_BILL", "month", ("BILL_PERIODE",)),
        Column("amount", "JUMLAH", "int", ("BILL_AMT",)),
        Column("volume", "VOLUME", "int"),
        # MS Access' per-customer totals export names its columns after the query: SumOf..., CountOf...
        Column("bills", "JUMLAH_REK", "int", ("LEMBAR", "CountOfPERIODE_BILL")),
        Column("total", "SALDO_TUNGGAKAN", "int", ("TOTAL_TUNGGAKAN", "TUNGGAKAN", "SumOfJUMLAH")),
        Column("rayon", "RAYON", "rayon", ("KODE_RAYON",)),
        Column("pcez", "PCEZ", "pcez", ("PCEZBK", "ZONA_NOVAK")),
        Column("periode_col", "PERIODE", "month"),
    ),
    # One row per unpaid bill, or one row per customer (DATA.md).
    required=(frozenset({"nomen", "bill_period", "amount"}), frozenset({"nomen", "total"})),
    periode_field="periode_col", derive=_ardebt, feeds=("arrears",),
))

register(FileSpec(
    name="RUTE", label="Rute petugas", table="rute", mode=SNAPSHOT, filename_words=("RUTE",),
    columns=(
        Column("pcez", "PCEZ", "pcez"),
        Column("petugas", "PETUGAS", "text"),
        Column("periode_col", "PERIODE", "month"),
    ),
    required=(frozenset({"pcez", "petugas"}),),
    periode_field="periode_col", derive=_rute, undated=True, unit="PCEZ",
))
