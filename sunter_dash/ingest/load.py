"""The ingestion pipeline: read, detect, validate, then store in one transaction.

``ingest_file`` is the single entry point used by the CLI, the upload page and
the API. It never raises for bad input: a refused file comes back as a result
with status ``refused`` and a message that says what to fix, and is recorded
as an upload like every other attempt.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Date, Engine, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..models import DATA_TABLES, Upload, UploadError
from . import derive, summaries
from .detect import Match, detect_periode, detect_type
from .errors import IngestError, RowError
from .parse import Cells, as_text, date_text
from .bulk import BULK_ROWS, bulk_insert, detach_stage
from .read import RawTable, read_table
from .specs import FileSpec

Progress = Callable[[str, int, int], None]
BATCH = 50_000
KEY_LOOKUP_BATCH = 10_000  # bound parameters per query (SQLite allows 32766)
MAX_ERRORS_RETURNED = 20

REASONS = {
    "nomen": "NOMEN harus berupa angka",
    "int": "bukan angka yang valid",
    "date": "tanggal tidak dikenali (contoh: 31-12-2025)",
    "month": "periode tidak dikenali (contoh: 122025 atau 2025-12)",
    "zone": "kode zona tidak valid",
}
_TOTAL_ROW = r"^[ \t]*(?:GRAND[ \t]*)?(?:SUB[ \t]*)?(?:TOTAL|JUMLAH)(?:[^A-Z]|$)"


@dataclass
class IngestResult:
    file: str
    type: str | None = None
    periode: str | None = None
    periode_rule: str | None = None
    status: str = "refused"
    read: int = 0
    stored: int = 0
    rejected: int = 0
    duplicate: int = 0
    errors: list[RowError] = field(default_factory=list)
    message: str = ""
    upload_id: int | None = None
    replaced: list[int] = field(default_factory=list)
    row_periodes: list[str] = field(default_factory=list)
    fmt: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.status == "refused"

    def as_json(self) -> dict:
        return {
            "file": self.file, "type": self.type, "periode": self.periode,
            "periode_rule": self.periode_rule, "status": self.status, "read": self.read,
            "stored": self.stored, "rejected": self.rejected, "duplicate": self.duplicate,
            "errors": [e.as_dict() for e in self.errors[:MAX_ERRORS_RETURNED]],
            "error_count": len(self.errors), "message": self.message,
            "upload_id": self.upload_id, "replaced_uploads": self.replaced,
        }


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
        raise IngestError("File tidak berisi baris data di bawah judul kolom.", code="empty")

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
    parsed, extra = derive.DERIVE[spec.name](parsed, match.columns)
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
        raise _TooManyBad(rows_read, rejected, errors, spec.name)
    found_periode, rule = detect_periode(spec, valid, filename, periode)
    return Prepared(spec, match, valid, rows_read, errors, rejected, found_periode, rule)


class _TooManyBad(IngestError):
    def __init__(self, read: int, rejected: int, errors: list[RowError], file_type: str):
        super().__init__(
            f"Lebih dari separuh baris bermasalah ({rejected} dari {read}); file ditolak seluruhnya. "
            "Periksa apakah tipe file dan kolomnya benar, lalu perbaiki baris yang dilaporkan.",
            code="too_many_errors")
        self.read, self.rejected, self.errors, self.file_type = read, rejected, errors, file_type


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


# --- storing ---------------------------------------------------------------------

HASH_KEY = "sunter-dash-2025"  # fixed: the 64-bit keys are the same across runs and processes


def _payment_keys(frame: pd.DataFrame) -> np.ndarray:
    """DATA.md: NO_TRANSAKSI when present, else (NOMEN, bill number or periode, date, amount).

    Each part is hashed as a column (its distinct values once) and the parts'
    hashes combined, so no per-row key string is ever built.
    """
    def text(name: str) -> pd.Series:
        if name in frame:
            return frame[name].astype("str").fillna("")
        return pd.Series("", index=frame.index, dtype="str")

    def hashed(parts: dict[str, pd.Series]) -> np.ndarray:
        return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False, hash_key=HASH_KEY,
                                          categorize=True).to_numpy(copy=True)

    notag = text("notag")
    keys = hashed({"kind": pd.Series("K", index=frame.index, dtype="str"), "nomen": text("nomen"),
                   "ref": notag.where(notag != "", text("bill_period")),
                   "date": date_text(frame["pay_date"]), "amount": frame["amount"]})
    transaction = text("no_transaksi")
    has_reference = (transaction != "").to_numpy()
    if has_reference.any():
        keys[has_reference] = hashed({"kind": pd.Series("T", index=transaction.index[has_reference], dtype="str"),
                                      "reference": transaction[has_reference]})
    return keys.view(np.int64)


def _stored_keys(conn: Connection, table, frame: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    """Keys of this file already stored.

    A composite key fixes its pay date, so it can only be stored in the file's own
    pay months; a NO_TRANSAKSI key may have been posted under another date, so those
    few are looked up by value (through the partial unique index).
    """
    months = sorted(frame["periode"].dropna().unique().tolist())
    found = conn.execute(select(table.c.pay_key).where(table.c.periode.in_(months))).scalars().all()
    if "no_transaksi" in frame and "no_transaksi" in table.c:
        wanted = np.unique(keys[frame["no_transaksi"].notna().to_numpy()]).tolist()
        for start in range(0, len(wanted), KEY_LOOKUP_BATCH):
            found.extend(conn.execute(select(table.c.pay_key).where(
                table.c.no_transaksi.is_not(None),
                table.c.pay_key.in_(wanted[start:start + KEY_LOOKUP_BATCH]))).scalars())
    return np.fromiter(found, dtype=np.int64, count=len(found))


def _column_values(series: pd.Series, column) -> list:
    if isinstance(column.type, Date):
        # ISO text binds as a date in SQLite and PostgreSQL alike.
        series = date_text(series)
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _insert_rows(conn: Connection, table, frame: pd.DataFrame, progress: Progress | None, label: str) -> int:
    names = [c.name for c in table.columns if c.name in frame]
    if frame.empty:
        return 0
    if progress:
        progress(label, 0, len(frame))
    if len(frame) >= BULK_ROWS:
        bulk_insert(conn, table, frame, names)
    else:
        _executemany(conn, table, frame, names, progress, label)
    if progress:
        progress(label, len(frame), len(frame))
    return len(frame)


def _executemany(conn: Connection, table, frame: pd.DataFrame, names: list[str],
                 progress: Progress | None, label: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join([marker] * len(names))})")
    columns = [_column_values(frame[n], table.c[n]) for n in names]
    total = len(frame)
    for start in range(0, total, BATCH):
        conn.exec_driver_sql(sql, list(zip(*(c[start:start + BATCH] for c in columns))))
        if progress:
            progress(label, min(start + BATCH, total), total)


def _store(conn: Connection, prepared: Prepared, upload_id: int, sha: str,
           result: IngestResult, progress: Progress | None) -> pd.DataFrame | None:
    """Store the prepared rows; return the rows stored (None when nothing was)."""
    # The prepared frame is this function's to extend (upload_id, periode, pay_key).
    spec, frame = prepared.spec, prepared.frame
    table = DATA_TABLES[spec.name]
    frame["upload_id"] = upload_id
    if spec.mode == "snapshot":
        current = conn.execute(
            select(Upload.id, Upload.sha256).where(
                Upload.file_type == spec.name, Upload.periode == prepared.periode,
                Upload.status == "loaded", Upload.id != upload_id)).all()
        if any(row.sha256 == sha for row in current):
            result.status, result.duplicate = "duplicate", len(frame)
            same = next(row.id for row in current if row.sha256 == sha)
            result.message = f"File yang sama sudah dimuat (unggahan #{same}); tidak ada yang berubah."
            return None
        frame["periode"] = prepared.periode
        replaced = [row.id for row in current]
        # DATA.md: a snapshot replaces the stored one of its periode, atomically (one transaction).
        conn.execute(delete(table).where(table.c.periode == prepared.periode))
        if replaced:
            conn.execute(update(Upload).where(Upload.id.in_(replaced)).values(status="replaced"))
        result.replaced = replaced
    else:
        keys = _payment_keys(frame)
        first = ~pd.Series(keys).duplicated().to_numpy()
        stored = _stored_keys(conn, table, frame, keys)
        new = first & ~np.isin(keys, stored)
        result.duplicate = int(len(frame) - new.sum())
        frame["pay_key"] = keys
        if not new.all():
            frame = frame[new]
    result.stored = _insert_rows(conn, table, frame, progress, "menyimpan")
    result.row_periodes = sorted(frame["periode"].dropna().unique().tolist()) if len(frame) else []
    if spec.mode == "merge" and result.stored == 0 and result.duplicate:
        result.status = "duplicate"
        result.message = "Semua pembayaran di file ini sudah tersimpan; tidak ada yang baru."
    else:
        result.status = "loaded"
    return frame


def _record(conn: Connection, result: IngestResult, filename: str, size: int, sha: str | None,
            username: str | None) -> int:
    return conn.execute(insert(Upload).values(
        filename=filename, size=size, sha256=sha, file_type=result.type, periode=result.periode,
        periode_rule=result.periode_rule, username=username, created_at=_now(),
        status="running")).inserted_primary_key[0]


def _finish(conn: Connection, upload_id: int, result: IngestResult) -> None:
    conn.execute(update(Upload).where(Upload.id == upload_id).values(
        status=result.status, rows_read=result.read, rows_stored=result.stored,
        rows_rejected=result.rejected, rows_duplicate=result.duplicate,
        row_periodes=",".join(result.row_periodes) or None,
        message=result.message or None, finished_at=_now()))
    if result.errors:
        conn.execute(insert(UploadError), [
            {"upload_id": upload_id, "row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in result.errors])


def ingest_file(engine: Engine, path: str | Path, *, filename: str | None = None,
                file_type: str | None = None, periode: str | None = None,
                username: str | None = None, max_bytes: int = 100 * 1024 * 1024,
                progress: Progress | None = None) -> IngestResult:
    """Run one file through the whole pipeline and record the attempt."""
    path = Path(path)
    name = filename or path.name
    result = IngestResult(file=name)
    size = path.stat().st_size if path.exists() else 0
    sha = None
    try:
        if not path.is_file():
            raise IngestError(f"File '{name}' tidak ditemukan.", code="not_found")
        if size > max_bytes:
            raise IngestError(
                f"File terlalu besar ({size / 1048576:.1f} MB); batasnya {max_bytes / 1048576:.0f} MB. "
                "Pecah file per periode atau per rayon.", code="too_large")
        sha = sha256_of(path)
        if progress:
            progress("membaca", 0, size)
        table = read_table(path, name)
        result.fmt = table.fmt
        prepared = prepare(table, name, file_type, periode)
        del table  # the raw cells are done with; free them before the insert needs memory
        result.type, result.periode, result.periode_rule = (
            prepared.spec.name, prepared.periode, prepared.periode_rule)
        result.read, result.rejected, result.errors = prepared.rows_read, prepared.rejected, prepared.errors
        try:
            with engine.connect() as conn:
                try:
                    with conn.begin():
                        upload_id = _record(conn, result, name, size, sha, username)
                        result.upload_id = upload_id
                        stored = _store(conn, prepared, upload_id, sha, result, progress)
                        _finish(conn, upload_id, result)
                        if result.stored:
                            if progress:
                                progress("meringkas", 0, 1)
                            summaries.refresh(conn, result.type, result.row_periodes,
                                              added=stored if prepared.spec.mode == "merge" else None)
                finally:
                    detach_stage(conn)
        except IntegrityError:
            # The transaction rolled back whole; nothing of this file was stored.
            result.stored = result.duplicate = 0
            result.row_periodes = []
            raise IngestError(
                "Sebagian pembayaran di file ini sudah tersimpan dengan tanggal bayar di periode "
                "lain (NO_TRANSAKSI sama); periksa file, atau hapus unggahan lama lalu muat ulang.",
                code="conflict") from None
    except IngestError as exc:
        result.status, result.message, result.stored, result.duplicate = "refused", exc.message, 0, 0
        if isinstance(exc, _TooManyBad):
            result.type, result.read, result.rejected, result.errors = (
                exc.file_type, exc.read, exc.rejected, exc.errors)
        if not result.errors:
            result.errors = [RowError(None, None, None, exc.message)]
        with engine.begin() as conn:
            result.upload_id = _record(conn, result, name, size, sha, username)
            _finish(conn, result.upload_id, result)
    return result


def delete_upload(engine: Engine, upload_id: int, username: str | None = None) -> int:
    """Remove exactly the rows an upload stored; the upload record stays, marked deleted."""
    with engine.begin() as conn:
        upload = conn.execute(select(Upload).where(Upload.id == upload_id)).first()
        if upload is None:
            raise IngestError(f"Unggahan #{upload_id} tidak ada.", code="not_found")
        if upload.status == "deleted":
            raise IngestError(f"Unggahan #{upload_id} sudah dihapus.", code="already_deleted")
        if upload.status not in ("loaded", "duplicate"):
            raise IngestError(f"Unggahan #{upload_id} tidak menyimpan baris yang dapat dihapus "
                              f"(status {upload.status}).", code="nothing_stored")
        removed = 0
        table = DATA_TABLES.get(upload.file_type or "")
        periodes = (upload.row_periodes or "").split(",")
        if table is not None and upload.row_periodes:
            # Only the upload's own periodes are scanned: data tables have no upload_id index.
            removed = conn.execute(delete(table).where(
                table.c.periode.in_(periodes), table.c.upload_id == upload_id)).rowcount
        conn.execute(update(Upload).where(Upload.id == upload_id).values(
            status="deleted", deleted_at=_now(), deleted_by=username))
        if removed:
            summaries.refresh(conn, upload.file_type, periodes)
    return removed


def stored_rows(engine: Engine, upload_id: int) -> int:
    """How many rows an upload has in its table now (for checks and the history page)."""
    with engine.connect() as conn:
        upload = conn.execute(select(Upload.file_type).where(Upload.id == upload_id)).scalar()
        table = DATA_TABLES.get(upload or "")
        if table is None:
            return 0
        return conn.execute(select(func.count()).select_from(table).where(table.c.upload_id == upload_id)).scalar()
