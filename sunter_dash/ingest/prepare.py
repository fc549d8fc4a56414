"""Read, detect and validate a file: the rows ready to store, the rows that failed, and
the type and periode with the rule that decided them (nothing is written here)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..domain.codes import no_errors
from ..domain.errors import EmptyFile, InconsistentFile, TooManyBadRows
from ..domain.files import FileSpec
from .detect import Match, detect_periode, detect_type
from .errors import RowError
from .parse import Cells, as_text
from .read import RawTable

REASONS = {
    "nomen": "NOMEN harus berupa angka",
    "int": "bukan angka yang valid",
    "date": "tanggal tidak dikenali (contoh: 31-12-2025)",
    "month": "periode tidak dikenali (contoh: 122025 atau 2025-12)",
    "zone": "kode zona tidak valid",
    "pcez": "kode PCEZ tidak dikenali (contoh: 151/10, 15110, 3415110)",
}
WARNED = "; dibiarkan kosong, baris tetap dimuat"
_TOTAL_ROW = r"^[ \t]*(?:GRAND[ \t]*)?(?:SUB[ \t]*)?(?:TOTAL|JUMLAH)(?:[^A-Z]|$)"


@dataclass
class Prepared:
    spec: FileSpec
    match: Match
    frame: pd.DataFrame  # valid rows, parsed, with derived columns
    rows_read: int
    errors: list[RowError]
    rejected: int
    periode: str
    periode_rule: str
    warnings: list[RowError] = field(default_factory=list)  # optional values left empty
    repeated: int = 0  # exact repeats of a row, kept once (MC)


def _data_rows(blank: np.ndarray, key: pd.Series) -> np.ndarray:
    """Rows that are data: not fully blank, and not the total rows after the last data row."""
    is_total = key.str.upper().str.contains(_TOTAL_ROW, regex=True, na=False).to_numpy(dtype=bool)
    looks_like_data = key.notna().to_numpy() & ~is_total
    keep = ~blank
    if not looks_like_data.any():
        return np.zeros(len(blank), dtype=bool)
    last = np.flatnonzero(looks_like_data)[-1]
    keep[last + 1:] = False
    return keep


def _data(table: RawTable, match: Match) -> tuple[pd.DataFrame, dict[str, Cells], pd.Series]:
    """The matched columns of the rows that are data, numbered as in the source file."""
    spec = match.spec
    raw = table.frame[list(match.columns.values())]
    raw.columns = list(match.columns.keys())
    cells = {name: Cells(raw[name].reset_index(drop=True), spec.column(name).kind) for name in raw.columns}
    blank = np.ones(len(raw), dtype=bool)
    for column in cells.values():
        blank &= column.text().isna().to_numpy(dtype=bool)
    keep = _data_rows(blank, cells[spec.key_field].text())
    if not keep.all():
        raw = raw[keep]
        cells = {name: column.subset(keep) for name, column in cells.items()}
    raw.index = pd.RangeIndex(len(raw))
    return raw, cells, pd.Series(table.source_rows[keep], index=raw.index)


def _problems(mask: pd.Series, column: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame({"index": mask.index[mask.to_numpy()], "field": column, "reason": reason})


def _parse(match: Match, raw: pd.DataFrame, cells: dict[str, Cells]):
    """(parsed frame, row errors, row warnings). DATA.md: a value that cannot be read in a
    required column rejects its row; in an optional column it is left empty and warned about.
    A column is required when every required set the file fits names it."""
    spec = match.spec
    fitting = [req for req in spec.required if req <= match.columns.keys()]
    strict = frozenset.intersection(*fitting)
    parsed = pd.DataFrame(index=raw.index)
    problems: list[pd.DataFrame] = []
    warnings: list[pd.DataFrame] = []
    unreadable: dict[str, pd.Series] = {}
    for field_name in raw.columns:
        values, bad = cells[field_name].parse()
        reason = REASONS.get(spec.column(field_name).kind, "nilai tidak valid")
        if bad.any() and field_name in strict:
            problems.append(_problems(bad, field_name, reason))
            unreadable[field_name] = bad
        elif bad.any():
            warnings.append(_problems(bad, field_name, reason + WARNED))
            values = values.where(~bad)
        parsed[field_name] = values
    # DATA.md: ZONA_NOVAK is required unless RAYON is given (ARDEBT: either layout), so
    # a row that fills any of the type's required sets present in the file has what it needs.
    complete = pd.Series(False, index=parsed.index)
    for req in fitting:
        complete |= parsed[sorted(req)].notna().all(axis=1)
    for field_name in fitting[0]:
        blank = parsed[field_name].isna() & ~complete
        if field_name in unreadable:
            blank &= ~unreadable[field_name]
        if blank.any():
            problems.append(_problems(blank, field_name, "wajib diisi"))
    return parsed, problems, warnings


def _once_per_customer(frame: pd.DataFrame, source_rows: pd.Series, filename: str) -> pd.DataFrame:
    """DATA.md: a file that lists each customer once (MC) keeps exact repeats once, and is
    refused when it gives one NOMEN two different rows."""
    repeated = frame[frame["nomen"].duplicated(keep=False)]
    if repeated.empty:
        return frame
    different = repeated.drop_duplicates()
    clashing = different.loc[different["nomen"].duplicated(keep=False), "nomen"].drop_duplicates()
    if len(clashing):
        rows = {n: source_rows.loc[repeated.index[repeated["nomen"] == n]].tolist() for n in clashing[:10]}
        shown = "; ".join(f"{n} (baris {', '.join(map(str, r[:4]))})" for n, r in rows.items())
        raise InconsistentFile(
            f"{filename}: {len(clashing)} NOMEN tercantum dua kali dengan isi berbeda: {shown}. Satu pelanggan "
            "hanya boleh satu baris; perbaiki atau hapus baris gandanya, lalu unggah lagi.",
            f"{len(clashing)} NOMEN appear twice with different values: {', '.join(clashing[:10])}.")
    return frame.drop_duplicates()


def prepare(table: RawTable, filename: str, file_type: str | None, periode: str | None,
            mapping: dict[str, str] | None = None) -> Prepared:
    match, _how = detect_type(list(table.frame.columns), filename, file_type, mapping)
    spec = match.spec
    raw, cells, source_rows = _data(table, match)
    rows_read = len(raw) + len(table.bad_lines)
    if len(raw) == 0:
        raise EmptyFile("File tidak berisi baris data di bawah judul kolom.", "No data rows under the header.")
    parsed, problems, warned = _parse(match, raw, cells)
    parsed, extra = spec.derive(parsed, match.columns) if spec.derive else (parsed, no_errors())
    if len(extra) and problems:
        # A cell already reported as unreadable is not reported again as blank.
        seen = pd.MultiIndex.from_frame(pd.concat(problems)[["index", "field"]])
        extra = extra[~pd.MultiIndex.from_frame(extra[["index", "field"]]).isin(seen)]
    problems.append(extra)
    bad_index = pd.Index(pd.concat(problems)["index"].unique()) if problems else pd.Index([])
    errors = _row_errors(problems, raw, source_rows, match) + table.bad_lines
    errors.sort(key=lambda e: (e.row or 0))
    # A rejected row's warnings are not reported: the row is not stored at all.
    warnings = _row_errors([w[~w["index"].isin(bad_index)] for w in warned], raw, source_rows, match)
    warnings.sort(key=lambda e: (e.row or 0))
    rejected = len(bad_index) + len(table.bad_lines)
    valid = parsed.drop(index=bad_index) if len(bad_index) else parsed
    if rejected * 2 > rows_read:
        raise TooManyBadRows(rows_read, rejected, errors, spec.name)
    repeated = 0
    if spec.one_row_per_customer:
        before = len(valid)
        valid = _once_per_customer(valid, source_rows, filename)
        repeated = before - len(valid)
    found_periode, rule = detect_periode(spec, valid, filename, periode)
    return Prepared(spec, match, valid, rows_read, errors, rejected, found_periode, rule, warnings, repeated)


def _row_errors(problems: list[pd.DataFrame], raw: pd.DataFrame, source_rows: pd.Series,
                match: Match) -> list[RowError]:
    problems = [p for p in problems if len(p)]
    if not problems:
        return []
    found = pd.concat(problems, ignore_index=True)
    out: list[RowError] = []
    for field_name, group in found.groupby("field", sort=False):
        index = group["index"].to_numpy()
        values = as_text(raw.loc[index, field_name]) if field_name in raw else pd.Series([None] * len(index))
        rows = source_rows.loc[index].to_numpy()
        header = match.columns.get(field_name, field_name)
        out.extend(RowError(int(r), header, None if pd.isna(v) else str(v)[:200], reason)
                   for r, v, reason in zip(rows, values.tolist(), group["reason"].tolist()))
    return out
