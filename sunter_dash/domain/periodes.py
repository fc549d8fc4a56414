"""Periodes (DATA.md): one calendar month, canonical form ``YYYY-MM``."""
from __future__ import annotations

import calendar
import datetime as dt
import re

# Years 1900-2199: a periode of year 1 would be no month of any bill (and no date can be made of it).
PERIODE_PATTERN = r"(19|20|21)\d{2}-(0[1-9]|1[0-2])"
# Where a file of no periode is kept (an undated RUTE: DATA.md); never a periode anyone picks.
UNDATED = "0000-00"
PERIODE_RE = re.compile(PERIODE_PATTERN)

MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember")

# Month words as files write them: Indonesian and English names and 3-letter abbreviations.
MONTHS = {
    "JAN": 1, "JANUARI": 1, "JANUARY": 1,
    "FEB": 2, "FEBRUARI": 2, "FEBRUARY": 2, "PEB": 2, "PEBRUARI": 2,
    "MAR": 3, "MARET": 3, "MARCH": 3,
    "APR": 4, "APRIL": 4,
    "MEI": 5, "MAY": 5,
    "JUN": 6, "JUNI": 6, "JUNE": 6,
    "JUL": 7, "JULI": 7, "JULY": 7,
    "AGU": 8, "AGS": 8, "AGT": 8, "AUG": 8, "AGUSTUS": 8, "AUGUST": 8,
    "SEP": 9, "SEPT": 9, "SEPTEMBER": 9,
    "OKT": 10, "OCT": 10, "OKTOBER": 10, "OCTOBER": 10,
    "NOV": 11, "NOPEMBER": 11, "NOVEMBER": 11,
    "DES": 12, "DEC": 12, "DESEMBER": 12, "DECEMBER": 12,
}
# Longest names first so "DESEMBER" is not read as "DES" + "EMBER".
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))


def valid_periode(value: object) -> bool:
    return isinstance(value, str) and PERIODE_RE.fullmatch(value) is not None


def month_end(periode: str) -> dt.date:
    """``month_end("2025-02") == date(2025, 2, 28)``."""
    year, month = int(periode[:4]), int(periode[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def shift_periode(periode: str, months: int) -> str:
    """``shift_periode("2025-12", 1) == "2026-01"``."""
    year, month = int(periode[:4]), int(periode[5:7])
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def default_periode(stored: list[dict]) -> str | None:
    """The periode a view opens on: the newest with an MC (the month has its target), else the
    newest stored. ``stored`` is queries.periodes(): newest first, each with its file types. A few
    payments of a month that arrive before its MC do not make an empty month the default."""
    with_target = (p["periode"] for p in stored if "MC" in p["types"])
    return next(with_target, stored[0]["periode"] if stored else None)


def periode_label(periode: str | None) -> str:
    """'2025-12' -> 'Desember 2025'."""
    if periode == UNDATED:
        return "tanpa periode"
    if not periode or len(periode) != 7:
        return periode or "-"
    return f"{MONTH_NAMES[int(periode[5:7]) - 1]} {periode[:4]}"


def short_periode(periode: str) -> str:
    """'2025-12' -> 'Des 25'."""
    return f"{MONTH_NAMES[int(periode[5:7]) - 1][:3]} {periode[2:4]}"


def date_label(value: str | None) -> str:
    """'2025-05-30' (ISO) -> '30 Mei 2025'."""
    if not value:
        return "-"
    return f"{int(value[8:10])} {MONTH_NAMES[int(value[5:7]) - 1]} {value[:4]}"
