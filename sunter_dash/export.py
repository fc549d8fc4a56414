"""Every grid's and chart's data as a table to download (.xlsx or .csv).

A dataset is a function of (engine, periode, rayon) returning a DataFrame whose columns
are the Indonesian headers the page shows. Text cells that a spreadsheet would
run as a formula (starting with = + - @, or a tab / carriage return) are
prefixed with an apostrophe; numbers stay numbers.
"""
from __future__ import annotations

import io
import re
from typing import Callable

import pandas as pd
from sqlalchemy import Engine

from . import queries
from .domain import checks
from .domain.errors import NotFound
from .domain.followups import RESULT_LABELS
from .domain.labels import officer_label, pcez_label, rayon_label
from .domain.listing import Filters, Sort, rayon_filter
from .domain.periodes import periode_label
from .queries import collection

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Defuse formula injection in text cells (OWASP CSV injection)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            text = column.astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False)
            out[name] = column.where(~risky, "'" + text)
    return out


def _kpi_row(figures: dict, label: str) -> dict:
    """A KPI row; a figure whose file is not stored is an empty cell, never 0 (METRICS.md)."""
    def part(name: str, key: str):
        return None if figures[name] is None else figures[name][key]
    return {
        "Rayon": label,
        "Pelanggan": figures["total_pelanggan"],
        "Kubikasi (m3)": figures["total_kubikasi"],
        "Target (nomen)": part("target", "nomen"),
        "Target (Rp)": part("target", "nominal"),
        "Terbayar (nomen)": part("paid", "nomen"),
        "Terbayar (Rp)": part("paid", "nominal"),
        "Belum Bayar (nomen)": part("unpaid", "nomen"),
        "Belum Bayar (Rp)": part("unpaid", "nominal"),
        "Collection Rate (%)": _round(figures["collection_rate"]),
        "Tunggakan Tertagih (nomen)": part("undue", "nomen"),
        "Tunggakan Tertagih (Rp)": part("undue", "nominal"),
        "Bayar di Luar MC (nomen)": part("unmatched", "nomen"),
        "Bayar di Luar MC (Rp)": part("unmatched", "nominal"),
    }


def kpi_rayon(engine: Engine, periode: str, rayon: str | None) -> pd.DataFrame:
    data = queries.kpi_by_rayon_known(engine, periode)
    rows = [_kpi_row(r, rayon_label(r["rayon"])) for r in data["rayons"]]
    rows.append(_kpi_row(data["total"], "Total"))
    return pd.DataFrame(rows)


def kpi_daily(engine: Engine, periode: str, rayon: str | None) -> pd.DataFrame:
    data = queries.kpi_daily_known(engine, periode, rayon)
    return pd.DataFrame([{
        "Tanggal": day["date"],
        "Pembayaran": day["nomen"],
        "Nominal (Rp)": day["nominal"],
        "Collection Rate Kumulatif (%)": _round(day["cumulative_rate"]),
        f"Kumulatif {periode_label(data['previous_periode'])} (%)": _round(day["previous_cumulative_rate"]),
    } for day in data["days"]])


def arrears_buckets(engine: Engine, periode: str, rayon: str | None) -> pd.DataFrame:
    data = queries.arrears_summary(engine, periode, rayon)
    return pd.DataFrame([{"Jumlah Rekening": b["bucket"], "Pelanggan": b["nomen"], "Tunggakan (Rp)": b["nominal"]}
                         for b in data["buckets"]])


def arrears_top(engine: Engine, periode: str, rayon: str | None) -> pd.DataFrame:
    return pd.DataFrame([{
        "Nomen": d["nomen"], "Nama": d["nama"], "Alamat": d["alamat"], "Rayon": d["rayon"], "Tarif": d["tarif"],
        "Jumlah Rekening": d["bills"], "Tunggakan (Rp)": d["total"], "Rekening Tertua": d["oldest_bill"],
    } for d in queries.arrears_top(engine, periode, rayon, limit=1000)],
        columns=["Nomen", "Nama", "Alamat", "Rayon", "Tarif", "Jumlah Rekening", "Tunggakan (Rp)",
                 "Rekening Tertua"])


def kpi_series(engine: Engine, periode: str, rayon: str | None) -> pd.DataFrame:
    """Every stored periode up to ``periode`` (the trend tab narrows the range on screen)."""
    series = queries.kpi_series_known(engine, "0000-01", periode, rayon)
    rows = [{"Periode": s["periode"], **_kpi_row(s, rayon_label(rayon) if rayon else "Semua")} for s in series]
    return pd.DataFrame(rows)


def data_status(engine: Engine, periode: str, rayon: str | None) -> pd.DataFrame:
    """Rows stored per periode and file type (every periode; the filters do not apply)."""
    frame = pd.DataFrame(queries.data_status(engine), columns=["periode", "type", "rows"])
    table = frame.pivot_table(index="periode", columns="type", values="rows", aggfunc="sum", fill_value=0)
    return table.sort_index(ascending=False).reset_index().rename(columns={"periode": "Periode"})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


DATASETS: dict[str, tuple[str, Callable[[Engine, str, str | None], pd.DataFrame]]] = {
    "kpi-rayon": ("collection-per-rayon", kpi_rayon),
    "kpi-daily": ("grafik-harian", kpi_daily),
    "arrears-buckets": ("tunggakan-umur", arrears_buckets),
    "arrears-top": ("tunggakan-terbesar", arrears_top),
    "kpi-series": ("tren-kpi", kpi_series),
    "data-status": ("status-data", data_status),
}


EVERY_RAYON = {"kpi-rayon", "data-status"}


def build(engine: Engine, dataset: str, fmt: str, periode: str, rayon: str | None) -> tuple[bytes, str, str]:
    """(content, file name, mime type) of a dataset."""
    if dataset not in DATASETS or fmt not in FORMATS:
        raise NotFound(f"Unduhan {dataset}.{fmt} tidak ada.",
                       f"Unknown export {dataset}.{fmt}; datasets: {', '.join(DATASETS)}; formats: xlsx, csv.")
    stem, make = DATASETS[dataset]
    frame = make(engine, periode, rayon_filter(rayon))
    # A dataset of every rayon (or none) says nothing of the page's rayon filter in its name.
    suffix = f"_rayon-{rayon}" if rayon_filter(rayon) and dataset not in EVERY_RAYON else ""
    name = f"{stem}_{periode}{suffix}.{fmt}"
    return to_bytes(frame, fmt, stem), name, FORMATS[fmt]


def to_bytes(frame: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    """A table as .csv (UTF-8 with BOM, for Excel) or .xlsx, formula injection neutralised."""
    frame = neutralise(frame)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


ANOMALY_HEADERS = {
    "nomen": "Nomen", "nama": "Nama", "rayon": "Rayon", "tarif": "Tarif", "stand_lalu": "Stand Lalu",
    "stand_kini": "Stand Kini", "pakai": "Pakai Tercatat (m3)", "volume": "Pakai (m3)",
    "prev_stand_kini": "Stand Kini Bulan Lalu", "prev_volume": "Pakai Bulan Lalu (m3)",
    "median_volume": "Median Riwayat (m3)", "read_method": "Metode Baca", "trouble_code": "Kode Trouble",
    "flags": "Anomali", "delta_m3": "Selisih (m3)", "price_m3": "Harga per m3 (Rp)", "at_stake": "Potensi (Rp)", "direction": "Arah",
}


def anomaly_list(engine: Engine, periode: str, key: str, rayon: str | None, sort: Sort, filters: Filters,
                 fmt: str) -> tuple[bytes, str]:
    """The whole filtered list of one anomaly, as the Meter grid sorts it: (content, file name)."""
    rows = queries.anomaly_list(engine, periode, key, rayon, sort, filters)
    frame = pd.DataFrame(rows, columns=[h for h in ANOMALY_HEADERS if h != "direction"])
    frame["direction"] = frame["delta_m3"].map(checks.direction)
    names = checks.names()
    frame["flags"] = frame["flags"].map(lambda keys: ", ".join(names.get(k, k) for k in keys))
    frame = frame.rename(columns=ANOMALY_HEADERS)
    suffix = f"_rayon-{rayon}" if rayon else ""
    # Named as the page names the check ("Lonjakan vs Riwayat" -> anomali-lonjakan-vs-riwayat), not by its key.
    stem = "anomali-" + re.sub(r"[^a-z0-9]+", "-", checks.check(key).name.lower()).strip("-")
    return to_bytes(frame, fmt, stem), f"{stem}_{periode}{suffix}.{fmt}"


COLLECTION_HEADERS = {"nomen": "Nomen", "nama": "Nama", "alamat": "Alamat", "rayon": "Rayon", "pcez": "PCEZ",
                      "petugas": "Petugas", "tarif": "Tarif", "nominal": "Tagihan", "sisa": "Sisa",
                      "bills": "Rek Tunggakan", "arrears": "Tunggakan", "last_payment": "Bayar Terakhir",
                      "followup": "Tindak Lanjut Terakhir"}
COLLECTION_NAMES = {"unpaid": "belum-bayar", "disconnect": "calon-segel"}


def collection_list(engine: Engine, kind: str, periode: str, rayon: str | None, pcez: str | None,
                    petugas: str | None, sort: str | None, fmt: str, bills: int = 3) -> tuple[bytes, str]:
    """The whole filtered unpaid list or disconnection candidates, as the page sorts them."""
    frame = pd.DataFrame(collection.whole_list(engine, kind, periode, rayon, pcez, petugas, sort, bills),
                         columns=list(COLLECTION_HEADERS))
    frame["pcez"] = frame["pcez"].map(pcez_label)
    frame["petugas"] = frame["petugas"].map(officer_label)
    frame["followup"] = frame["followup"].map(
        lambda f: f"{RESULT_LABELS[f['result']]} {f['visit_date']}"
                  + (f" (janji {f['promise_date']})" if f["promise_date"] else "") if f else "")
    frame = frame.rename(columns=COLLECTION_HEADERS)
    parts = [COLLECTION_NAMES[kind], periode] + [f"{name}-{value}" for name, value in
                                                 (("rayon", rayon), ("pcez", pcez), ("petugas", petugas)) if value]
    name = "_".join(part.replace(" ", "-") for part in parts)
    return to_bytes(frame, fmt, COLLECTION_NAMES[kind]), f"{name}.{fmt}"


PROBLEM_HEADERS = {"kind": "Jenis", "row": "Baris", "column": "Kolom", "value": "Nilai", "reason": "Alasan"}
PROBLEM_KINDS = {"error": "Kesalahan", "warning": "Peringatan"}


def upload_problems(engine: Engine, upload_id: int, fmt: str) -> tuple[bytes, str]:
    """An upload's row errors and warnings (DATA.md), in source order: (content, file name)."""
    frame = pd.DataFrame(queries.upload_errors(engine, upload_id), columns=list(PROBLEM_HEADERS))
    frame["kind"] = frame["kind"].map(PROBLEM_KINDS).fillna(PROBLEM_KINDS["error"])
    frame["row"] = frame["row"].astype("Int64")
    frame = frame.rename(columns=PROBLEM_HEADERS)
    return to_bytes(frame, fmt, f"unggahan-{upload_id}"), f"baris-bermasalah_unggahan-{upload_id}.{fmt}"
