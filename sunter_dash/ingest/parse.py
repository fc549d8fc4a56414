"""Cell parsers of DATA.md ("Cell formats that must be understood").

Every parser takes a whole column (a pandas Series of raw cells: text from
CSV files, or Python objects from Excel: str, float, int, datetime) and
returns ``Parsed(values, bad)``: the parsed column, with missing values for
blank cells, and a boolean mask of cells that are not blank but could not be
understood. Work is done on whole columns; nothing loops over rows in Python
except the C-level ``map(type)`` that sorts Excel cells by kind.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..domain.codes import WS
from ..domain.periodes import MONTH_PATTERN, MONTHS

EXCEL_EPOCH = pd.Timestamp("1899-12-30")


class Parsed(NamedTuple):
    values: pd.Series
    bad: pd.Series


def _cell_kinds(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(number cells, date cells) masks of an Excel column; text files have neither."""
    if s.dtype != object:
        if pd.api.types.is_numeric_dtype(s.dtype):
            return s.notna(), pd.Series(False, index=s.index)
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return pd.Series(False, index=s.index), s.notna()
        return pd.Series(False, index=s.index), pd.Series(False, index=s.index)
    # Most Excel columns hold one kind of cell: ask pandas' C-level inference first.
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    none = pd.Series(False, index=s.index)
    if inferred in ("string", "empty"):
        return none, none
    if inferred in ("floating", "integer", "mixed-integer-float"):
        return s.notna(), none
    if inferred in ("datetime", "date"):
        return none, s.notna()
    kinds = s.map(type)
    is_number = kinds.isin((float, int, np.float64, np.int64))
    is_date = kinds.isin((dt.datetime, dt.date, pd.Timestamp))
    return is_number, is_date


def as_text(s: pd.Series) -> pd.Series:
    """Cells as trimmed text (NA when blank); a whole-number cell loses its '.0'."""
    is_number, is_date = _cell_kinds(s)
    if not is_number.any() and not is_date.any():
        text = s.astype("str") if s.dtype != "str" else s
    else:
        text = s.where(~(is_number | is_date)).astype("str")
        if is_number.any():
            numbers = pd.to_numeric(s[is_number], errors="coerce").astype("float64")
            whole = np.isfinite(numbers) & (np.floor(numbers) == numbers) & (numbers.abs() < 2**53)
            as_int = numbers[whole].astype("int64").astype("str")
            other = numbers[~whole].astype("str")
            text.loc[as_int.index] = as_int
            text.loc[other.index] = other
        if is_date.any():
            text.loc[is_date] = pd.to_datetime(s[is_date], errors="coerce").dt.strftime("%Y-%m-%d")
    text = text.str.strip()
    return text.where(text != "")


def parse_text(s: pd.Series) -> Parsed:
    text = as_text(s).str.replace(WS + "+", " ", regex=True)
    return Parsed(text, pd.Series(False, index=s.index))


def parse_code(s: pd.Series) -> Parsed:
    """Tarif, read method, status: upper-case, trimmed."""
    text = parse_text(s).values.str.upper()
    return Parsed(text, pd.Series(False, index=s.index))


def parse_nomen(s: pd.Series) -> Parsed:
    """Customer number as text of digits; '60012345.0', "'60012345" accepted."""
    text = as_text(s)
    text = text.str.lstrip("'").str.strip().str.replace(r"\.0+$", "", regex=True)
    text = text.where(text != "")
    bad = text.notna() & ~text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    return Parsed(text.where(~bad), bad)


def _number_from_text(text: pd.Series) -> pd.Series:
    """'Rp 1.234.567', '1,234,567', '1.234.567,00', '12,0', '-1.234' -> float (NaN if not a number).

    Indonesian convention first: dots group thousands ('1.234' is 1234), a
    comma is the decimal mark, unless the comma itself groups thousands
    ('1,234,567') or comes before a later dot ('1,234.50').
    """
    t = text.str.upper().str.replace(WS + r"+|RP\.?|IDR", "", regex=True)
    negative = t.str.startswith("-") | (t.str.startswith("(") & t.str.endswith(")")) | t.str.endswith("-")
    t = t.str.replace(r"^[-+(]|[)\-]$", "", regex=True)
    has_dot = t.str.contains(".", regex=False)
    has_comma = t.str.contains(",", regex=False)
    last_dot = t.str.rfind(".")
    last_comma = t.str.rfind(",")
    comma_groups = has_comma & ~has_dot & t.str.fullmatch(r"\d{1,3}(,\d{3})+").fillna(False).astype(bool)
    dot_groups = has_dot & ~has_comma & t.str.fullmatch(r"\d{1,3}(\.\d{3})+").fillna(False).astype(bool)
    comma_decimal = has_comma & ~comma_groups & (~has_dot | (last_comma > last_dot))
    dot_decimal_with_commas = has_comma & has_dot & (last_dot > last_comma)

    cleaned = t.copy()
    cleaned = cleaned.mask(comma_decimal, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    cleaned = cleaned.mask(comma_groups | dot_decimal_with_commas, t.str.replace(",", "", regex=False))
    cleaned = cleaned.mask(dot_groups, t.str.replace(".", "", regex=False))
    valid = cleaned.str.fullmatch(r"\d+(\.\d+)?|\.\d+").fillna(False).astype(bool)
    numbers = pd.to_numeric(cleaned.where(valid), errors="coerce").astype("float64")
    return numbers.where(~negative.fillna(False).astype(bool), -numbers)


def parse_number(s: pd.Series) -> Parsed:
    """Number cells, or text in Indonesian or English notation, as float."""
    is_number, _ = _cell_kinds(s)
    values = pd.Series(np.nan, index=s.index, dtype="float64")
    if is_number.any():
        values[is_number] = pd.to_numeric(s[is_number], errors="coerce").astype("float64")
    rest = ~is_number
    if rest.any():
        text = as_text(s[rest])
        values[rest] = _number_from_text(text)
        blank = text.isna()
    else:
        blank = pd.Series(False, index=s.index[rest])
    bad = values.isna()
    bad[blank.index[blank.to_numpy()]] = False
    bad &= s.notna()
    return Parsed(values, bad)


def parse_integer(s: pd.Series) -> Parsed:
    """Money (integer Rupiah), m3 and meter stands: rounded half away from zero."""
    numbers, bad = parse_number(s)
    rounded = np.sign(numbers) * np.floor(numbers.abs() + 0.5)
    too_big = rounded.abs() > 9e15
    return Parsed(rounded.where(~too_big).astype("Int64"), bad | too_big)


def _ymd(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    year = pd.to_numeric(year, errors="coerce")
    year = year.where(year >= 100, year + 2000)
    parts = pd.DataFrame({"year": year, "month": pd.to_numeric(month, errors="coerce"),
                          "day": pd.to_numeric(day, errors="coerce")})
    ok = parts.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=year.index, dtype="datetime64[s]")
    if ok.any():
        out[ok] = pd.to_datetime(parts[ok].astype("int64"), errors="coerce")
    return out


def _month_number(names: pd.Series) -> pd.Series:
    return names.map(MONTHS)


def _dates_from_text(text: pd.Series) -> pd.Series:
    t = text.str.upper().str.strip()
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[s]")
    time = r"(?:[ T]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?(?:" + WS + r"*[AP]M)?)?$"
    patterns = [
        # 31-12-2025, 31/12/2025, 31.12.25 (day first: DATA.md)
        (rf"^(?P<d>\d{{1,2}})[-/.](?P<m>\d{{1,2}})[-/.](?P<y>\d{{4}}|\d{{2}}){time}", None),
        # 2025-12-31
        (rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){time}", None),
        # 31-Des-25, 31 Desember 2025, 31 DES 2025
        (rf"^(?P<d>\d{{1,2}})[-/. ]+(?P<mn>{MONTH_PATTERN})[-/. ,]+(?P<y>\d{{4}}|\d{{2}}){time}", "names"),
        # 20251231
        (rf"^(?P<y>20\d{{2}})(?P<m>[01]\d)(?P<d>[0-3]\d){time}", None),
        # 31122025: DDMMYYYY, as SBRS writes cmr_rd_date (a date YYYYMMDD could not be read first)
        (rf"^(?P<d>[0-3]\d)(?P<m>[01]\d)(?P<y>(?:19|20)\d{{2}}){time}", None),
        # 1072025: the same written as a number, which lost the day's leading zero
        (rf"^(?P<d>[1-9])(?P<m>[01]\d)(?P<y>(?:19|20)\d{{2}}){time}", None),
    ]
    for pattern, kind in patterns:
        todo = out.isna() & t.notna()
        if not todo.any():
            break
        parts = t[todo].str.extract(pattern)
        hit = parts["y"].notna()
        if not hit.any():
            continue
        parts = parts[hit]
        month = _month_number(parts["mn"]) if kind == "names" else parts["m"]
        out[parts.index] = _ymd(parts["y"], month, parts["d"])
    todo = out.isna() & t.notna()
    serial = t[todo].str.fullmatch(r"\d{5}(\.\d+)?").fillna(False).astype(bool)
    if serial.any():
        out[serial[serial].index] = _from_serial(pd.to_numeric(t[serial[serial].index]))
    return out


def _from_serial(numbers: pd.Series) -> pd.Series:
    # Excel serials from 1982 to 2064: wide enough for bills, narrow enough
    # that a stray amount is not taken for a date.
    plausible = (numbers >= 30000) & (numbers <= 60000)
    days = np.floor(numbers.where(plausible))
    return (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[s]")


def parse_date(s: pd.Series) -> Parsed:
    """Excel dates and serials, '31-12-2025', '2025-12-31', '31-Des-25', '01-Apr-26',
    '31 Desember 2025', '20251231', '31122025' (a number cell of 8 digits is read as text)."""
    is_number, is_date = _cell_kinds(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[s]")
    if is_date.any():
        out[is_date] = pd.to_datetime(s[is_date], errors="coerce").astype("datetime64[s]")
    if is_number.any():
        numbers = pd.to_numeric(s[is_number], errors="coerce")
        digits8 = numbers.between(1_000_000, 99_999_999) & (numbers % 1 == 0)
        is_number = is_number.copy()
        is_number[digits8.index[digits8.to_numpy()]] = False
        out[is_number] = _from_serial(pd.to_numeric(s[is_number], errors="coerce"))
    rest = ~(is_number | is_date)
    text = as_text(s[rest]) if rest.any() else pd.Series(dtype="str")
    if rest.any():
        out[rest] = _dates_from_text(text)
    out = out.where((out.dt.year >= 1980) & (out.dt.year <= 2100))
    blank = pd.Series(False, index=s.index)
    blank[text.index] = text.isna().to_numpy()
    blank |= s.isna()
    bad = out.isna() & ~blank
    return Parsed(out.dt.date.where(out.notna()), bad)


def _periode(year: pd.Series, month: pd.Series) -> pd.Series:
    year = pd.to_numeric(year, errors="coerce")
    year = year.where(year >= 100, year + 2000)
    month = pd.to_numeric(month, errors="coerce")
    ok = year.between(1980, 2100) & month.between(1, 12)
    text = year.astype("Int64").astype("str") + "-" + month.astype("Int64").astype("str").str.zfill(2)
    return text.where(ok)


def parse_bill_month(s: pd.Series) -> Parsed:
    """'122025' (MMYYYY), '202512', '2025-12', '12/2025', '1225' (MMYY), 'DES 2025' -> 'YYYY-MM'."""
    text = as_text(s)
    t = text.str.upper().str.replace(r"\.0+$", "", regex=True)
    out = pd.Series(pd.NA, index=s.index, dtype="str")

    def fill(pattern: str, year: str, month: str, *, names: bool = False) -> None:
        todo = out.isna() & t.notna()
        if not todo.any():
            return
        parts = t[todo].str.extract(pattern)
        parts = parts[parts[year].notna()]
        if parts.empty:
            return
        months = _month_number(parts[month]) if names else parts[month]
        found = _periode(parts[year], months)
        out[found.index] = found

    fill(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$", "y", "m")
    fill(r"^(?P<m>\d{1,2})[-/.](?P<y>\d{4})$", "y", "m")
    fill(r"^(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])$", "y", "m")  # 202512
    fill(r"^(?P<m>0[1-9]|1[0-2])(?P<y>(?:19|20)\d{2})$", "y", "m")  # 122025
    fill(r"^(?P<m>[1-9])(?P<y>(?:19|20)\d{2})$", "y", "m")  # 12025: a number cell lost the 0
    fill(r"^(?P<m>0[1-9]|1[0-2])(?P<y>\d{2})$", "y", "m")  # 1225 (MMYY)
    fill(r"^(?P<m>[1-9])(?P<y>\d{2})$", "y", "m")  # 125: MMYY that lost its 0
    fill(rf"^(?P<mn>{MONTH_PATTERN})[-/. ]*(?P<y>\d{{4}}|\d{{2}})$", "y", "mn", names=True)
    todo = out.isna() & t.notna()
    if todo.any():
        dates = parse_date(s[todo]).values
        found = pd.to_datetime(dates, errors="coerce")
        ok = found.notna()
        out[found.index[ok]] = found[ok].dt.strftime("%Y-%m")
    bad = out.isna() & text.notna()
    return Parsed(out, bad)


def parse_rayon(s: pd.Series) -> Parsed:
    """'34', '034', 'Rayon 34', 'R-34' -> '34'; other rayons kept, not dropped."""
    text = as_text(s)
    digits = text.str.extract(r"(\d+)", expand=False)
    number = pd.to_numeric(digits, errors="coerce")
    rayon = number.astype("Int64").astype("str").str.zfill(2).where(number.notna())
    rayon = rayon.fillna(text.str.upper())
    return Parsed(rayon, pd.Series(False, index=s.index))


def parse_zone(s: pd.Series) -> Parsed:
    """ZONA_NOVAK / PCEZBK: 9 digits (dots removed, lost leading zeros restored)."""
    text = as_text(s)
    # '341010203.0' (a number written as text by a float column) is not a tenth digit;
    # only a single trailing '.0' goes: '34.101.02.00' is a dotted zone with block 00.
    digits = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).str.replace(r"\D", "", regex=True)
    digits = digits.where(digits.str.len() >= 9, digits.str.zfill(9))
    digits = digits.where(digits.str.strip("0") != "")
    bad = text.notna() & digits.isna()
    return Parsed(digits, bad)


def parse_pcez(s: pd.Series) -> Parsed:
    """PCEZ: '151/10', '15110', '3415110' (rayon + PCEZ) or a 9-digit zone -> its digits (5, 7 or 9 of
    them; domain/codes.pcez_parts takes the PCEZ and any rayon from them)."""
    text = as_text(s)
    digits = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).str.replace(r"\D", "", regex=True)
    ok = digits.str.len().isin([5, 7, 9]).fillna(False).astype(bool)
    return Parsed(digits.where(ok), text.notna() & ~ok)


PARSERS = {
    "nomen": parse_nomen,
    "text": parse_text,
    "code": parse_code,
    "int": parse_integer,
    "date": parse_date,
    "month": parse_bill_month,
    "rayon": parse_rayon,
    "zone": parse_zone,
    "pcez": parse_pcez,
}

# Kinds whose parser is a few whole-column string operations: on text-file columns
# (pyarrow strings) they run as fast on every row as on the distinct cells, and
# such columns (names, bill numbers, timestamps) are mostly distinct anyway.
CHEAP_ON_TEXT = frozenset({"text", "nomen"})
# Kinds whose parser only looks at a cell's text (not whether Excel stored a number).
TEXT_KINDS = frozenset({"text", "code", "nomen", "rayon", "zone", "pcez"})


class Cells:
    """One raw column, either as is or factorized (its distinct cells plus, per row,
    which one; -1 for a missing cell) so that costly parsing runs once per value."""

    def __init__(self, s: pd.Series, kind: str, codes: np.ndarray | None = None,
                 uniques: pd.Series | None = None):
        self.s, self.kind = s, kind
        if codes is None and (s.dtype == object or kind not in CHEAP_ON_TEXT):
            codes, found = pd.factorize(s, use_na_sentinel=True)
            uniques = pd.Series(found, dtype=object if s.dtype == object else s.dtype)
        self.codes, self.uniques = codes, uniques
        self._text: pd.Series | None = None

    def _spread(self, values: pd.Series, fill=None) -> pd.Series:
        padded = pd.concat([values.reset_index(drop=True), pd.Series([fill], dtype=values.dtype)],
                           ignore_index=True)
        out = padded.take(np.where(self.codes < 0, len(values), self.codes))
        out.index = self.s.index
        return out

    def _unique_text(self) -> pd.Series:
        if self._text is None:
            self._text = as_text(self.uniques)
        return self._text

    def text(self) -> pd.Series:
        if self.codes is None:
            return as_text(self.s)
        return self._spread(self._unique_text())

    def subset(self, keep: np.ndarray) -> "Cells":
        kept = self.s[keep].reset_index(drop=True)
        if self.codes is None:
            return Cells(kept, self.kind)
        subset = Cells(kept, self.kind, self.codes[keep], self.uniques)
        subset._text = self._text
        return subset

    def parse(self) -> Parsed:
        if self.codes is None:
            return PARSERS[self.kind](self.s)
        # Text kinds read the cells' text, already worked out for the blank check.
        cells = self._unique_text() if self.kind in TEXT_KINDS else self.uniques
        values, bad = PARSERS[self.kind](cells)
        return Parsed(self._spread(values), self._spread(bad, fill=False).astype(bool))


def parse_column(kind: str, s: pd.Series) -> Parsed:
    """Parse a whole column, each distinct cell once where that pays."""
    return Cells(s, kind).parse()
