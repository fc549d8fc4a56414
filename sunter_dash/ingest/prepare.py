"""Read, detect and validate a file: the rows ready to store, the rows that failed, and
the type and periode with the rule that decided them (nothing is written here)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..domain.codes import no_errors
from ..domain.errors import EmptyFile, TooManyBadRows
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
}
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


def prepare(table: RawTable, filename: str, file_type: str | None, periode: str | None) -> Prepared:
    match, _how = detect_type(list(table.frame.columns), filename, file_type)
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
    source_rows = pd.Series(table.source_rows[keep], index=raw.index)
    rows_read = len(raw) + len(table.bad_lines)
    if len(raw) == 0:
        raise EmptyFile("File tidak berisi baris data di bawah judul kolom.", "No data rows under the header.")

    parsed = pd.DataFrame(index=raw.index)
    problems: list[pd.DataFrame] = []
    fitting = [req for req in spec.required if req <= match.columns.keys()]
    required = fitting[0]
    blanks: dict[str, pd.Series] = {}
    for field_name in raw.columns:
        column = spec.column(field_name)
        values, bad = cells[field_name].parse()
        parsed[field_name] = values
        if bad.any():
            problems.append(pd.DataFrame({"index": bad.index[bad.to_numpy()], "field": field_name,
                                          "reason": REASONS.get(column.kind, "nilai tidak valid")}))
        if field_name in required:
            blanks[field_name] = values.isna() & ~bad
    # DATA.md: ZONA_NOVAK is required unless RAYON is given (ARDEBT: either layout), so
    # a row that fills any of the type's required sets present in the file has what it needs.
    complete = pd.Series(False, index=parsed.index)
    for req in fitting:
        complete |= parsed[sorted(req)].notna().all(axis=1)
    for field_name, blank in blanks.items():
        blank &= ~complete
        if blank.any():
            problems.append(pd.DataFrame({"index": blank.index[blank.to_numpy()],
                                          "field": field_name, "reason": "wajib diisi"}))
    parsed, extra = spec.derive(parsed, match.columns) if spec.derive else (parsed, no_errors())
    if len(extra) and problems:
        # A cell already reported as unreadable is not reported again as blank.
        seen = pd.MultiIndex.from_frame(pd.concat(problems)[["index", "field"]])
        extra = extra[~pd.MultiIndex.from_frame(extra[["index", "field"]]).isin(seen)]
    problems.append(extra)

    errors = _row_errors(problems, raw, source_rows, match) + table.bad_lines
    errors.sort(key=lambda e: (e.row or 0))
    bad_index = pd.Index(pd.concat(problems)["index"].unique()) if problems else pd.Index([])
    rejected = len(bad_index) + len(table.bad_lines)
    valid = parsed.drop(index=bad_index) if len(bad_index) else parsed
    if rejected * 2 > rows_read:
        raise TooManyBadRows(rows_read, rejected, errors, spec.name)
    found_periode, rule = detect_periode(spec, valid, filename, periode)
    return Prepared(spec, match, valid, rows_read, errors, rejected, found_periode, rule)


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
