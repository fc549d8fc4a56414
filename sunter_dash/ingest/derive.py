"""Per-type columns computed from the parsed ones (DATA.md and METRICS.md rules).

Each function takes the parsed frame and the matched columns and returns the
frame to store plus a frame of extra row errors (index, column, reason).
"""
from __future__ import annotations

from typing import Callable

import pandas as pd

from .errors import IngestError
from .parse import WS, date_text, rayon_from_code

NO_ERRORS = pd.DataFrame(columns=["index", "field", "reason"])


def _errors(mask: pd.Series, field: str, reason: str) -> pd.DataFrame:
    index = mask.index[mask.to_numpy()]
    return pd.DataFrame({"index": index, "field": field, "reason": reason})


def _month(dates: pd.Series) -> pd.Series:
    return date_text(dates).str.slice(0, 7)


def mc(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    return frame, NO_ERRORS


def payments(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """COLLECTION and MB: the amount is the absolute value; the row's periode is its pay month."""
    # DATA.md: the billing system writes payments with a minus sign.
    frame["amount"] = frame["amount"].abs()
    frame["periode"] = _month(frame["pay_date"])
    return frame, NO_ERRORS


def collection(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame, _ = payments(frame, columns)
    if "bill_period" not in columns and "jenis_col" not in columns:
        raise IngestError(
            "File COLLECTION perlu kolom BILL_PERIOD (periode tagihan) atau JENIS (CURRENT/UNDUE) "
            "untuk membedakan pembayaran lancar dan tunggakan.", code="missing_columns")
    jenis = pd.Series(pd.NA, index=frame.index, dtype="str")
    if "bill_period" in frame:
        # DATA.md: paid in month P for the bill of P is CURRENT; for an older bill, UNDUE.
        # A bill paid ahead of its month counts as CURRENT in the month it is paid.
        has_bill = frame["bill_period"].notna()
        older = frame["bill_period"] < frame["periode"]
        jenis = jenis.mask(has_bill & older, "UNDUE").mask(has_bill & ~older, "CURRENT")
    errors = NO_ERRORS
    if "jenis_col" in frame:
        stated = frame["jenis_col"]
        said = pd.Series(pd.NA, index=frame.index, dtype="str")
        said = said.mask(stated.str.contains("UNDUE|TUNGGAK", regex=True, na=False), "UNDUE")
        said = said.mask(stated.str.contains("CURRENT|LANCAR|KINI", regex=True, na=False), "CURRENT")
        unknown = jenis.isna() & stated.notna() & said.isna()
        jenis = jenis.fillna(said)
        errors = _errors(unknown, "jenis_col", "JENIS harus CURRENT atau UNDUE")
    neither = jenis.isna() & ~frame.index.isin(errors["index"])
    frame["jenis"] = jenis
    missing = _errors(neither, "bill_period" if "bill_period" in columns else "jenis_col",
                      "periode tagihan kosong dan JENIS tidak diisi")
    return frame, pd.concat([errors, missing], ignore_index=True)


def sbrs(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    # METRICS.md: volume is the stated PAKAI, or STAND_KINI - STAND_LALU where absent.
    difference = frame["stand_kini"] - frame["stand_lalu"]
    frame["volume"] = frame["pakai"].fillna(difference) if "pakai" in frame else difference
    if "route" in frame:
        frame["rayon"] = rayon_from_code(frame["route"])
    return frame, NO_ERRORS


def mainbill(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if "pcezbk" in frame:
        frame["rayon"] = rayon_from_code(frame["pcezbk"])
    return frame, NO_ERRORS


def ardebt(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if "amount" in frame and "total" not in frame:
        return frame, _errors(frame["amount"].isna(), "amount", "wajib diisi")
    if "total" in frame and "amount" not in frame:
        return frame, _errors(frame["total"].isna(), "total", "wajib diisi")
    both_blank = frame["amount"].isna() & frame["total"].isna()
    return frame, _errors(both_blank, "total", "JUMLAH atau SALDO_TUNGGAKAN wajib diisi")


def rute(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    digits = frame["pcez"].str.replace(r"\D", "", regex=True)
    frame["pcez"] = digits.where(digits != "", frame["pcez"].str.upper())
    frame["petugas"] = frame["petugas"].str.upper()
    frame["rayon"] = rayon_from_code(frame["pcez"]).where(frame["pcez"].str.len() >= 7)
    return frame, NO_ERRORS


DERIVE: dict[str, Callable[[pd.DataFrame, dict[str, str]], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "MC": mc,
    "COLLECTION": collection,
    "SBRS": sbrs,
    "MAINBILL": mainbill,
    "MB": payments,
    "ARDEBT": ardebt,
    "RUTE": rute,
}
