"""Store prepared rows inside the upload's transaction: a snapshot replaces its periode, payments
are merged by their key (DATA.md, Loading rules)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Date, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.codes import date_text
from ..domain.errors import ShrinkRefused
from ..domain.files import MERGE, SNAPSHOT, FileSpec
from ..domain.uploads import replacement_note
from ..models import PaymentCarrier, Upload, data_table, superseded_table
from .bulk import BULK_ROWS, ReadBack, bulk_insert
from .prepare import Prepared
from .result import IngestResult

Progress = Callable[[str, int, int], None]
BATCH = 50_000
KEY_LOOKUP_BATCH = 10_000  # bound parameters per query (SQLite allows 32766)

HASH_KEY = "sunter-dash-2025"  # fixed: the 64-bit keys are the same across runs and processes


def payment_keys(spec: FileSpec, frame: pd.DataFrame) -> np.ndarray:
    """The spec's merge key per row (DATA.md): its reference (NO_TRANSAKSI) when a row has
    one, else the combination of its parts.

    Each part is hashed as a column (its distinct values once) and the parts' hashes
    combined, so no per-row key string is ever built. Text is hashed as text, amounts as
    numbers and dates as ISO text, so keys stay equal to those stored by earlier versions.
    """
    def text(name: str) -> pd.Series:
        if name in frame:
            return frame[name].astype("str").fillna("")
        return pd.Series("", index=frame.index, dtype="str")

    def part(name) -> pd.Series:
        if isinstance(name, tuple):  # the first of these that is filled
            found = text(name[0])
            for other in name[1:]:
                found = found.where(found != "", text(other))
            return found
        kind = spec.column(name).kind
        return date_text(frame[name]) if kind == "date" else frame[name] if kind == "int" else text(name)

    def hashed(parts: list[pd.Series]) -> np.ndarray:
        return pd.util.hash_pandas_object(pd.DataFrame(dict(enumerate(parts))), index=False, hash_key=HASH_KEY,
                                          categorize=True).to_numpy(copy=True)

    key = spec.key
    keys = hashed([pd.Series("K", index=frame.index, dtype="str"), *(part(p) for p in key.parts)])
    reference = text(key.reference) if key.reference else pd.Series("", index=frame.index, dtype="str")
    has_reference = (reference != "").to_numpy()
    if has_reference.any():
        keys[has_reference] = hashed([pd.Series("T", index=reference.index[has_reference], dtype="str"),
                                      reference[has_reference]])
    return keys.view(np.int64)


def _stored_keys(conn: Connection, table, spec: FileSpec, frame: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    """Keys of this file already stored.

    A composite key fixes its pay date, so it can only be stored in the file's own
    pay months; a NO_TRANSAKSI key may have been posted under another date, so those
    few are looked up by value (through the partial unique index).
    """
    months = sorted(frame["periode"].dropna().unique().tolist())
    found = [_keys(conn, select(table.c.pay_key).where(table.c.periode.in_(months)))]
    reference = spec.key.reference
    if reference and reference in frame and reference in table.c:
        wanted = np.sort(pd.unique(keys[frame[reference].notna().to_numpy()])).tolist()
        for start in range(0, len(wanted), KEY_LOOKUP_BATCH):
            found.append(_keys(conn, select(table.c.pay_key).where(
                table.c[reference].is_not(None), table.c.pay_key.in_(wanted[start:start + KEY_LOOKUP_BATCH]))))
    return np.concatenate(found)


def _keys(conn: Connection, query) -> np.ndarray:
    """A query's one integer column, fetched by the driver's cursor: a month's 800,000 stored
    keys took 2.6 s through SQLAlchemy's rows, 0.8 s so."""
    result = conn.execute(query)
    rows = result.cursor.fetchall()
    result.close()
    return np.fromiter((key for (key,) in rows), dtype=np.int64, count=len(rows))


def _column_values(series: pd.Series, column) -> list:
    if isinstance(column.type, Date):
        # ISO text binds as a date in SQLite and PostgreSQL alike.
        series = date_text(series)
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _insert_rows(conn: Connection, table, frame: pd.DataFrame, progress: Progress | None, label: str,
                 read_back: ReadBack) -> int:
    names = [c.name for c in table.columns if c.name in frame]
    if frame.empty:
        return 0
    if progress:
        progress(label, 0, len(frame))
    if len(frame) >= BULK_ROWS:
        bulk_insert(conn, table, frame, names, read_back=read_back)
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


def customers_of(frame: pd.DataFrame, spec) -> int:
    """How many customers (distinct NOMEN; a RUTE: distinct PCEZ) a snapshot holds."""
    return int(frame[spec.key_field].nunique())


def stored_customers(conn: Connection, spec, periode: str) -> int:
    table = data_table(spec.name)
    column = table.c[spec.key_field]
    return int(conn.execute(select(func.count(func.distinct(column))).where(table.c.periode == periode)).scalar()
               or 0)


def current_uploads(conn: Connection, spec, periode: str, but: int | None = None) -> list:
    """The loaded uploads (id, sha256) whose rows a snapshot type holds for a periode, oldest first."""
    return conn.execute(select(Upload.id, Upload.sha256).where(
        Upload.file_type == spec.name, Upload.periode == periode, Upload.status == "loaded",
        Upload.id != (but or 0)).order_by(Upload.id)).all()


def replacement(conn: Connection, spec, periode: str, frame: pd.DataFrame, current: list | None = None) -> dict | None:
    """What loading this snapshot would replace (DATA.md): the stored upload and both customer
    counts, the note that says so, and whether the shrink guard asks for a confirmation."""
    current = current_uploads(conn, spec, periode) if current is None else current
    if spec.mode != SNAPSHOT or not current:
        return None
    before, now = stored_customers(conn, spec, periode), customers_of(frame, spec)
    return {"upload_id": current[-1].id, "stored_customers": before, "file_customers": now,
            "needs_replace": now * 2 < before, "unit": spec.unit,
            "note": replacement_note(spec.name, periode, before, current[-1].id)}


def keep_superseded(conn: Connection, file_type: str, where) -> None:
    """Copy the rows of the type's table that ``where`` selects into its superseded table."""
    table, archive = data_table(file_type), superseded_table(file_type)
    names = [c.name for c in archive.columns]
    conn.execute(insert(archive).from_select(names, select(*[table.c[n] for n in names]).where(where)))


def _replace(conn: Connection, prepared: Prepared, upload_id: int, current: list, result: IngestResult,
             replace: bool) -> None:
    """DATA.md: a snapshot replaces the stored one of its periode atomically (one transaction);
    one with fewer than half its customers only when confirmed; the replaced rows are kept,
    superseded, to come back if this upload is deleted."""
    spec, frame, periode = prepared.spec, prepared.frame, prepared.periode
    table = data_table(spec.name)
    replaced = replacement(conn, spec, periode, frame, current)
    if replaced:
        if replaced["needs_replace"] and not replace:
            raise ShrinkRefused(spec, periode, replaced["stored_customers"], replaced["file_customers"],
                                replaced["upload_id"])
        result.notes.append(replaced["note"])
    kept = superseded_table(spec.name) is not None and bool(current)
    if kept:
        keep_superseded(conn, spec.name, table.c.periode == periode)
    conn.execute(delete(table).where(table.c.periode == periode))
    if current:
        conn.execute(update(Upload).where(Upload.id.in_([row.id for row in current]))
                     .values(status="replaced", kept=kept))
    result.replaced = [row.id for row in current]


def _carried(conn: Connection, table_name: str, keys: np.ndarray, upload_id: int) -> None:
    """Record the payments this upload carried that another had stored (DATA.md: deleting that
    one hands them to this one). Many (an extract overlapping the one before) are copied on
    PostgreSQL; SQLite's bulk stage is the payments' own in this transaction, so the driver
    inserts them there (160,000: 2.1 s through SQLAlchemy's insert, about 0.8 s so)."""
    carriers = PaymentCarrier.__table__
    frame = pd.DataFrame({"table_name": table_name, "pay_key": keys, "upload_id": upload_id})
    if conn.dialect.name == "postgresql" and len(frame) >= BULK_ROWS:
        bulk_insert(conn, carriers, frame, list(frame.columns), read_back={})
    elif len(frame):
        _executemany(conn, carriers, frame, list(frame.columns), None, "")


def store(conn: Connection, prepared: Prepared, upload_id: int, sha: str, result: IngestResult,
          progress: Progress | None, replace: bool = False, *, read_back: ReadBack) -> pd.DataFrame | None:
    """Store the prepared rows; return the rows stored (None when nothing was). ``read_back``:
    what the summaries read back of the stored rows through ``bulk.staged`` in this transaction."""
    # The prepared frame is this function's to extend (upload_id, periode, pay_key).
    spec, frame = prepared.spec, prepared.frame
    table = data_table(spec.name)
    frame["upload_id"] = upload_id
    if spec.mode == SNAPSHOT:
        current = current_uploads(conn, spec, prepared.periode, but=upload_id)
        if any(row.sha256 == sha for row in current):
            result.status, result.duplicate = "duplicate", len(frame)
            same = next(row.id for row in current if row.sha256 == sha)
            result.message = f"File yang sama sudah dimuat (unggahan #{same}); tidak ada yang berubah."
            return None
        frame["periode"] = prepared.periode
        _replace(conn, prepared, upload_id, current, result, replace)
        result.duplicate = prepared.repeated
    else:
        keys = payment_keys(spec, frame)
        first = ~pd.Series(keys).duplicated().to_numpy()
        stored = _stored_keys(conn, table, spec, frame, keys)
        # pandas's hash table: numpy's isin took 1.1 s for 193,000 keys against 834,000, this 0.12 s.
        known = pd.Series(keys).isin(stored).to_numpy()
        new = first & ~known
        result.duplicate = int(len(frame) - new.sum())
        _carried(conn, table.name, np.sort(keys[first & known]), upload_id)  # distinct already: first
        frame["pay_key"] = keys
        if not new.all():
            frame = frame[new]
    result.stored = _insert_rows(conn, table, frame, progress, "menyimpan", read_back)
    result.row_periodes = sorted(frame["periode"].dropna().unique().tolist()) if len(frame) else []
    if spec.mode == MERGE and result.stored == 0 and result.duplicate:
        result.status = "duplicate"
        result.message = "Semua pembayaran di file ini sudah tersimpan; tidak ada yang baru."
    else:
        result.status = "loaded"
    return frame
