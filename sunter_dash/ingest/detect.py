"""Which type a file is, and which periode it reports (DATA.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..domain import files
from ..domain.codes import month_of
from ..domain.errors import AmbiguousType, MissingColumns, NoPeriode, UnknownType
from ..domain.files import FileSpec, normalise_header
from ..domain.periodes import MONTH_PATTERN, MONTHS, UNDATED, shift_periode, valid_periode
from .parse import parse_bill_month


@dataclass(frozen=True)
class Match:
    spec: FileSpec
    columns: dict[str, str]  # field -> the file's header
    exact: int  # columns found under the real export's own name

    @property
    def fits(self) -> bool:
        return any(req <= self.columns.keys() for req in self.spec.required)

    def missing(self) -> list[str]:
        """Headers of the nearest required set that the file lacks."""
        nearest = min(self.spec.required, key=lambda req: len(req - self.columns.keys()))
        return self.spec.headers_of(nearest - self.columns.keys())


def mapped_fields(spec: FileSpec, mapping: dict[str, str] | None) -> dict[str, str]:
    """field -> file header, for the keys of a column mapping that name a column of ``spec``
    (its header, any alias or its field, matched like headers; DATA.md, column mapping)."""
    wanted = {normalise_header(key): header for key, header in (mapping or {}).items()}
    found = {}
    for col in spec.columns:
        for name in (*col.names, col.field):
            if normalise_header(name) in wanted:
                found[col.field] = wanted[normalise_header(name)]
                break
    return found


def match_columns(spec: FileSpec, headers: list[str], mapping: dict[str, str] | None = None) -> Match:
    """Which header of the file holds each column of ``spec``: a mapped one first, else the
    first of its names (the export's own, then its aliases) the file has."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), h)
    found = mapped_fields(spec, mapping)
    exact = len(found)
    for col in spec.columns:
        if col.field in found:
            continue
        for i, name in enumerate(col.names):
            header = by_norm.get(normalise_header(name))
            if header is not None and header not in found.values():
                found[col.field] = header
                exact += i == 0
                break
    return Match(spec, found, exact)


def check_mapping(headers: list[str], mapping: dict[str, str] | None,
                  spec: FileSpec | None = None) -> dict[str, str]:
    """The mapping with each file column written as the file writes it. Refused: a key that names
    a column of no type (of ``spec``, when the type is chosen), a file column the file lacks, and
    one file column given for two columns."""
    if not mapping:
        return {}
    by_norm = {normalise_header(h): h for h in headers}
    specs = [spec] if spec else files.specs()
    known = {normalise_header(name) for s in specs for col in s.columns for name in (*col.names, col.field)}
    checked = {}
    for key, header in mapping.items():
        if not isinstance(key, str) or not isinstance(header, str):
            raise MissingColumns("Pemetaan kolom harus berupa pasangan nama kolom, mis. AMT_COLLECT=NILAI_BAYAR.",
                                 "A column mapping maps names to names.", field="map")
        if normalise_header(key) not in known:
            where = f"tipe {spec.name}" if spec else "tipe file mana pun"
            raise MissingColumns(f"Pemetaan kolom '{key}' bukan kolom {where}: sebutkan kolom tipe file (mis. NOMEN, "
                                 "AMT_COLLECT) atau salah satu nama lainnya.",
                                 f"The mapping names {key!r}, a column of no file type.", field="map")
        if normalise_header(header) not in by_norm:
            raise MissingColumns(f"Kolom '{header}' yang dipetakan ke {key} tidak ada di file. Kolom di file: "
                                 f"{_shown(headers)}.", f"Mapped column {header!r} is not in the file.", field="map")
        checked[key] = by_norm[normalise_header(header)]
    twice = sorted({h for h in checked.values() if list(checked.values()).count(h) > 1})
    if twice:
        keys = ", ".join(k for k, h in checked.items() if h == twice[0])
        raise MissingColumns(f"Kolom file '{twice[0]}' dipetakan ke lebih dari satu kolom ({keys}); satu kolom file "
                             "hanya untuk satu kolom tipe.", f"File column {twice[0]!r} is mapped twice.", field="map")
    return checked
def filename_words(filename: str) -> set[str]:
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", filename).upper()
    words = set(re.findall(r"[A-Z]+", stem))
    if re.search(r"MASTER[\s_\-.]*BAYAR", stem):
        words.add("MASTERBAYAR")
    return words


def _forced(headers: list[str], forced: str, mapping: dict[str, str] | None) -> Match:
    spec = files.resolve(forced)
    if spec is None:
        raise UnknownType(f"Tipe '{forced}' tidak dikenal; pilih salah satu: {', '.join(files.names())}.",
                          f"Unknown file type {forced!r}; one of {', '.join(files.names())}.", field="type")
    match = match_columns(spec, headers, check_mapping(headers, mapping, spec))
    if not match.fits:
        missing = match.missing()
        refusal = MissingColumns(
            f"File tidak cocok dengan tipe {spec.name}: kolom {', '.join(missing)} tidak ditemukan. "
            f"Kolom di file: {_shown(headers)}.",
            f"The file does not fit type {spec.name}: columns {', '.join(missing)} are missing.",
            remedies={"page": "Bila kolom itu ada dengan nama lain, klik baris file ini lalu pilih kolomnya di "
                              "Kolom file.",
                      "cli": f"Bila kolom itu ada dengan nama lain, petakan: --map {missing[0]}=NAMA_KOLOM_DI_FILE.",
                      "api": "Bila kolom itu ada dengan nama lain, petakan dengan isian map, mis. "
                             f'{{"{missing[0]}": "NAMA_KOLOM_DI_FILE"}}.'})
        refusal.file_type = spec.name  # the preview offers this type's columns for mapping
        raise refusal
    return match


def detect_type(headers: list[str], filename: str, forced: str | None = None,
                mapping: dict[str, str] | None = None) -> tuple[Match, str]:
    """Return the match and how it was decided; refuse with what was found and missing."""
    if forced:
        return _forced(headers, forced, mapping), "forced"
    mapping = check_mapping(headers, mapping)
    matches = [match_columns(spec, headers, mapping) for spec in files.specs()]
    fitting = [m for m in matches if m.fits]
    if len(fitting) == 1:
        return fitting[0], "header"
    if not fitting:
        nearest = sorted(matches, key=lambda m: (len(m.missing()), -len(m.columns)))[:3]
        lacks = "; ".join(f"{m.spec.name} kurang {', '.join(m.missing())}" for m in nearest)
        raise UnknownType(
            f"Tipe file tidak dikenali. Kolom di file: {_shown(headers)}. Tipe terdekat: {lacks}.",
            "The file type is not recognised from its columns.")
    words = filename_words(filename)
    named = [m for m in fitting if words & set(m.spec.filename_words)]
    if len(named) == 1:
        return named[0], "header+filename"
    pool = named or fitting
    # Still a tie: the type whose own export names the columns wins outright, but only
    # if it also recognises at least as many of the file's columns as every other one
    # (an SBRS written with aliases must not become MAINBILL for naming NOMEN, PERIODE).
    ranked = sorted(pool, key=lambda m: (m.exact, len(m.columns)), reverse=True)
    best = ranked[0]
    if all(best.exact > m.exact and len(best.columns) >= len(m.columns) for m in ranked[1:]):
        return best, "header"
    names = " dan ".join(m.spec.name for m in pool)
    raise AmbiguousType(
        f"File cocok dengan lebih dari satu tipe ({names}). Pilih tipenya, atau cantumkan tipenya di nama file.",
        f"The file fits more than one type ({', '.join(m.spec.name for m in pool)}); name the type.",
        remedies={"page": "Pilih tipenya di kolom Tipe pada daftar.", "cli": "Pilih dengan --type.",
                  "api": "Kirim parameter type."})


def _shown(headers: list[str], limit: int = 25) -> str:
    shown = ", ".join(str(h) for h in headers[:limit])
    return shown + (f", ... ({len(headers)} kolom)" if len(headers) > limit else "")


# --- periode -------------------------------------------------------------------

_YEAR = r"(20\d{2})"
_MONTH = r"(0[1-9]|1[0-2])"
_FILENAME_PATTERNS = [
    (re.compile(rf"(?<!\d){_YEAR}{_MONTH}[0-3]\d(?!\d)"), "ym"),  # 20251231
    (re.compile(rf"(?<!\d){_YEAR}[-_ .]?{_MONTH}(?!\d)"), "ym"),  # 202512, 2025-12, 2025_12
    (re.compile(rf"(?<!\d){_MONTH}[-_ .]{_YEAR}(?!\d)"), "my"),  # 12-2025
    (re.compile(rf"(?<!\d){_MONTH}{_YEAR}(?!\d)"), "my"),  # 122025
    (re.compile(rf"(?<![A-Z])({MONTH_PATTERN})[-_ .]?(20\d{{2}}|\d{{2}})(?!\d)"), "ny"),  # DES 2025, Des25
]


def typed_periode(text: object) -> str:
    """A periode typed into the page's cell, in any of DATA.md's bill-month forms ('2025-12',
    '122025', '202512', '12/2025', '1225', 'Des 2025', 'Desember 2025', 'Dec-25'), as YYYY-MM. (The
    CLI's --periode and the API's periode take YYYY-MM, as INTERFACES.md says.)"""
    given = str(text or "").strip()
    if valid_periode(given):
        return given
    found = None
    if 0 < len(given) <= 20 and not re.fullmatch(r"\d{1,3}|\d{5}", given):  # '125': a typo, not January 2025
        values, bad = parse_bill_month(pd.Series([given]))
        found = None if bad.any() or pd.isna(values.iloc[0]) else str(values.iloc[0])
    if not valid_periode(found):
        raise NoPeriode(f"Periode '{given[:20]}' tidak dikenali; tulis tahun dan bulannya, mis. 2025-12 "
                        "(atau 122025, Des 2025).", f"Periode {given[:20]!r} is not a month (YYYY-MM).",
                        field="periode")
    return found


def periode_from_filename(filename: str) -> str | None:
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", filename).upper()
    found: set[str] = set()
    for pattern, order in _FILENAME_PATTERNS:
        for m in pattern.finditer(stem):
            a, b = m.group(1), m.group(2)
            if order == "ym":
                found.add(f"{a}-{b}")
            elif order == "my":
                found.add(f"{b}-{a}")
            else:
                year = b if len(b) == 4 else f"20{b}"
                found.add(f"{year}-{MONTHS[a]:02d}")
        if found:
            break  # the most specific pattern that matched decides
    return found.pop() if len(found) == 1 else None


def _bill_month(spec: FileSpec, frame: pd.DataFrame) -> tuple[str, str] | None:
    """DATA.md 4: the bill's year and month in two columns (TAHUN2, NAMA_BLN2: a month name or
    number), the same on most rows; no shift."""
    year_field, month_field = spec.bill_month
    if year_field not in frame or month_field not in frame:
        return None
    months = frame[month_field].str.strip().str.upper()
    number = pd.to_numeric(months, errors="coerce").where(lambda m: m.between(1, 12))
    month = number.fillna(months.map(MONTHS)).astype("Float64")
    year = frame[year_field].astype("Float64")
    ok = month.notna() & year.between(1980, 2100)
    found = (year[ok].astype("Int64").astype(str) + "-" + month[ok].astype("Int64").astype(str).str.zfill(2))
    counts = found.value_counts()
    if len(counts) and counts.iloc[0] * 2 > len(frame):
        return counts.index[0], "mc_bill_month"
    return None


def _reading_month(spec: FileSpec, frame: pd.DataFrame, filename: str) -> tuple[str, str] | None:
    """DATA.md 4: a raw MC names its reading month (file name MC + MMYY, or TGL_CATAT); the
    readings of month M are billed and collected in M+1."""
    prefix, date_field = spec.reading_month
    m = re.search(rf"(?<![A-Z]){re.escape(prefix)}[-_ ]?{_MONTH}(\d{{2}})(?!\d)", filename.upper())
    if m:
        return shift_periode(f"20{m.group(2)}-{m.group(1)}", 1), "mc_filename"
    if date_field in frame:
        months = month_of(frame[date_field]).value_counts()
        if len(months) and months.iloc[0] * 2 > months.sum():
            return shift_periode(months.index[0], 1), "mc_reading_date"
    return None


def detect_periode(spec: FileSpec, frame: pd.DataFrame, filename: str,
                   explicit: str | None) -> tuple[str, str]:
    """DATA.md's order: explicit, periode column, file name, MC evidence, payment dates."""
    if explicit:
        explicit = explicit.strip()
        if not valid_periode(explicit):
            raise NoPeriode(f"Periode '{explicit[:20]}' tidak valid; gunakan bentuk YYYY-MM, mis. 2025-12.",
                            f"Periode {explicit[:20]!r} is not YYYY-MM.", field="periode")
        return explicit, "explicit"
    if spec.periode_field and spec.periode_field in frame:
        values = frame[spec.periode_field].dropna().unique()
        if len(values) == 1:
            return str(values[0]), "column"
    from_name = periode_from_filename(filename)
    if from_name:
        return from_name, "filename"
    evidence = (_bill_month(spec, frame) if spec.bill_month else None) or (
        _reading_month(spec, frame, filename) if spec.reading_month else None)
    if evidence:
        return evidence
    if spec.date_field and spec.date_field in frame:
        months = month_of(frame[spec.date_field]).value_counts()
        if len(months):
            return months.index[0], "payment_date"
    if spec.undated:
        return UNDATED, "none"
    raise NoPeriode(
        "Periode file tidak dapat ditentukan: berikan periodenya (YYYY-MM, mis. 2025-12), atau cantumkan di nama file "
        "(mis. MC_2025-12.xlsx).",
        "The file's periode cannot be found: give one (YYYY-MM) or put it in the file name.",
        remedies={"page": "Ketik periodenya di kolom Periode pada daftar, lalu klik Muat semua.",
                  "cli": "Berikan dengan --periode 2025-12.", "api": "Kirim parameter periode=2025-12."})
