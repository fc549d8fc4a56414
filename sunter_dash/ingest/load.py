"""The ingestion pipeline: read, detect, validate, then store in one transaction.

``ingest_file`` is the single entry point of the load pipeline (services/uploads.py calls it
for the CLI, the upload page and the API). It never raises for bad input: a refused file
comes back as a result with status ``refused`` and a message that says what to fix, and is
recorded as an upload like every other attempt.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain import files
from ..domain.clock import now_utc
from ..domain.errors import (
    FileMissing,
    FileRefused,
    FileTooLarge,
    LoadBusy,
    PaymentConflict,
    ShrinkRefused,
    TooManyBadRows,
)
from ..domain.files import MERGE
from ..domain.periodes import valid_periode
from ..domain.uploads import deletion_refusal, recorded_name
from ..models import DATA_TABLES, PaymentCarrier, Upload, UploadError, data_table, superseded_table
from . import flags, profiles, queue, summaries
from .bulk import detach_stage, settle
from .errors import RowError
from .prepare import Prepared, prepare
from .read import read_table
from .result import IngestResult
from .store import Progress, keep_superseded, store

log = logging.getLogger(__name__)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _record(conn: Connection, result: IngestResult, filename: str, size: int, sha: str | None,
            username: str | None, status: str = "running") -> int:
    """The upload's record: created (queued), or brought up to date when it exists."""
    values = {"filename": filename, "size": size, "sha256": sha, "file_type": result.type,
              "periode": result.periode, "periode_rule": result.periode_rule, "username": username,
              "status": status}
    if result.upload_id is not None:
        conn.execute(update(Upload).where(Upload.id == result.upload_id).values(**values))
        return result.upload_id
    return conn.execute(insert(Upload).values(created_at=now_utc(), **values)).inserted_primary_key[0]


def _finish(conn: Connection, upload_id: int, result: IngestResult) -> None:
    conn.execute(update(Upload).where(Upload.id == upload_id).values(
        status=result.status, rows_read=result.read, rows_stored=result.stored,
        rows_rejected=result.rejected, rows_duplicate=result.duplicate, rows_warned=len(result.warnings),
        row_periodes=",".join(result.row_periodes) or None, profile=result.profile,
        message="\n".join(filter(None, [result.message, *result.notes])) or None, finished_at=now_utc()))
    problems = [(e, "error") for e in result.errors] + [(w, "warning") for w in result.warnings]
    if problems:
        conn.execute(insert(UploadError), [
            {"upload_id": upload_id, "row": e.row, "column": e.column, "value": e.value, "reason": e.reason,
             "kind": kind} for e, kind in problems])


def _checked(path: Path, name: str, size: int, max_bytes: int) -> None:
    if not path.is_file():
        raise FileMissing(f"File '{name}' tidak ditemukan.", f"File {name!r} does not exist.")
    if size > max_bytes:
        raise FileTooLarge(
            f"File terlalu besar ({size / 1048576:.1f} MB); batasnya {max_bytes / 1048576:.0f} MB. "
            "Pecah file per periode atau per rayon.",
            f"The file is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB.")


def _write(engine: Engine, prepared: Prepared, result: IngestResult, name: str, size: int, sha: str,
           username: str | None, progress: Progress | None, replace: bool) -> None:
    """Store the rows, record the upload and bring the summaries up to date: one transaction."""
    try:
        with engine.connect() as conn:
            try:
                with conn.begin():
                    result.upload_id = _record(conn, result, name, size, sha, username)
                    stored = store(conn, prepared, result.upload_id, sha, result, progress, replace,
                                   read_back=summaries.reads_back(prepared.spec))
                    if stored is not None and prepared.spec.report:
                        details, notes = prepared.spec.report(stored, flags.stored_thresholds(conn))
                        result.details.update(details)
                        result.notes += notes
                    _finish(conn, result.upload_id, result)
                    if result.stored:
                        if progress:
                            progress("meringkas", 0, 1)
                        summaries.refresh(conn, result.type, result.row_periodes,
                                          added=stored if prepared.spec.mode == MERGE else None,
                                          replaced=result.replaced)
                settle(conn)
            finally:
                detach_stage(conn)
    except IntegrityError:
        # The transaction rolled back whole; nothing of this file was stored.
        result.stored = result.duplicate = 0
        result.row_periodes = []
        raise PaymentConflict(
            "Sebagian pembayaran di file ini sudah tersimpan dengan tanggal bayar di periode "
            "lain (NO_TRANSAKSI sama); periksa file, atau hapus unggahan lama lalu muat ulang.",
            "Some payments of this file are stored already under another pay month (same NO_TRANSAKSI).") from None


def _refused(engine: Engine, result: IngestResult, exc: FileRefused, name: str, size: int, sha: str | None,
             username: str | None) -> None:
    result.status, result.message, result.stored, result.duplicate = "refused", exc.message, 0, 0
    result.remedies = exc.remedies
    result.notes, result.details = [], {}
    if isinstance(exc, TooManyBadRows):
        result.type, result.read, result.rejected, result.errors = exc.file_type, exc.read, exc.rejected, exc.errors
    if isinstance(exc, ShrinkRefused):
        result.needs_replace = True
        result.stored_customers, result.file_customers = exc.stored_customers, exc.file_customers
        result.details = {"stored_upload": exc.stored_upload}
        result.warnings = []
    if not result.errors:
        result.errors = [RowError(None, None, None, exc.message)]
    with engine.begin() as conn:
        result.upload_id = _record(conn, result, name, size, sha, username)
        _finish(conn, result.upload_id, result)


LOAD_WAIT_SECONDS = 120  # how long a load waits for its turn before it is refused (SUNTER_LOAD_WAIT_SECONDS)
UNFINISHED_AFTER = dt.timedelta(hours=2)  # longer than any load waits and runs: its process is gone
UNFINISHED = ("Pemuatan terhenti: server berhenti sebelum file ini selesai dimuat, dan tidak ada yang disimpan. "
              "Unggah file ini lagi.")


def close_unfinished(engine: Engine, older_than: dt.timedelta) -> int:
    """Uploads left queued or running by a process that was killed: refused, saying so (their
    transaction rolled back, so nothing of them is stored)."""
    with engine.begin() as conn:
        return conn.execute(update(Upload).where(
            Upload.status.in_(queue.WAITING), Upload.created_at < now_utc() - older_than).values(
            status="refused", message=UNFINISHED, finished_at=now_utc())).rowcount


def ingest_file(engine: Engine, path: str | Path, *, filename: str | None = None,
                file_type: str | None = None, periode: str | None = None,
                username: str | None = None, max_bytes: int = 100 * 1024 * 1024,
                progress: Progress | None = None, mapping: dict[str, str] | None = None,
                profile: str | None = None, replace: bool = False,
                wait_seconds: float = LOAD_WAIT_SECONDS) -> IngestResult:
    """Run one file through the whole pipeline and record the attempt. ``mapping`` names the
    file's column for a column of the type; ``profile`` applies a saved mapping; ``replace``
    confirms a snapshot the shrink guard would refuse. Loads run one at a time (ingest/queue.py):
    this one waits up to ``wait_seconds`` for its turn, recorded as queued."""
    path = Path(path)
    name = recorded_name(filename or path.name)
    # A refused file keeps the periode given (when it is one).
    result = IngestResult(file=name, periode=periode.strip() if periode and valid_periode(periode.strip()) else None)
    size = path.stat().st_size if path.exists() else 0
    sha = None
    try:
        _checked(path, name, size, max_bytes)
        sha = sha256_of(path)
        with engine.begin() as conn:
            result.upload_id = _record(conn, result, name, size, sha, username, status="queued")

        def waiting(_seconds: float) -> None:
            if progress:
                progress("antre", queue.position(engine, result.upload_id), 0)

        with queue.load_slot(engine, wait_seconds, waiting):
            _load(engine, path, result, name, size, sha, username, file_type, periode, max_bytes, progress,
                  mapping, profile, replace)
    except FileRefused as exc:
        _refused(engine, result, exc, name, size, sha, username)
    except queue.Busy as exc:
        _refused(engine, result, LoadBusy(exc.waited), name, size, sha, username)
        result.busy = True
    except Exception as exc:  # a bug: the attempt is still recorded, and the log has it with its code
        code = secrets.token_hex(4)
        log.exception("load %s of %s failed [%s]", result.upload_id, name, code)
        _refused(engine, result, FileRefused(
            f"Terjadi kesalahan tak terduga saat memuat file ini (kode {code}); tidak ada yang disimpan. Coba lagi; "
            f"bila terulang, kirim file dan kode ini ke admin.", f"Unexpected {type(exc).__name__} [{code}]"),
            name, size, sha, username)
    return result


def _load(engine: Engine, path: Path, result: IngestResult, name: str, size: int, sha: str, username: str | None,
          file_type: str | None, periode: str | None, max_bytes: int, progress: Progress | None,
          mapping: dict[str, str] | None, profile: str | None, replace: bool) -> None:
    if progress:
        progress("membaca", 0, size)
    table = read_table(path, name, max_bytes)
    result.fmt = table.fmt
    with engine.connect() as conn:
        mapping, file_type, result.profile = profiles.resolve(conn, list(table.frame.columns), mapping, profile,
                                                              file_type)
    prepared = prepare(table, name, file_type, periode, mapping)
    del table  # the raw cells are done with; free them before the insert needs memory
    result.type, result.periode, result.periode_rule = (
        prepared.spec.name, prepared.periode, prepared.periode_rule)
    result.read, result.rejected, result.errors = prepared.rows_read, prepared.rejected, prepared.errors
    result.warnings = prepared.warnings
    _write(engine, prepared, result, name, size, sha, username, progress, replace)


def _kept_before(conn: Connection, upload) -> int | None:
    """The most recent snapshot of the upload's type and periode that a later one replaced and
    that is still kept: the one deleting the current snapshot brings back (DATA.md)."""
    if superseded_table(upload.file_type) is None:
        return None
    return conn.execute(select(Upload.id).where(
        Upload.file_type == upload.file_type, Upload.periode == upload.periode, Upload.status == "replaced",
        Upload.kept.is_(True)).order_by(Upload.id.desc()).limit(1)).scalar()


def _restore(conn: Connection, upload, previous: int | None) -> int | None:
    """Bring back ``previous`` (``_kept_before``'s snapshot): its rows move back from the
    superseded table; return its id."""
    if previous is None:
        return None
    archive = superseded_table(upload.file_type)
    table = data_table(upload.file_type)
    names = [c.name for c in archive.columns]
    conn.execute(insert(table).from_select(names, select(*[archive.c[n] for n in names])
                                           .where(archive.c.upload_id == previous)))
    conn.execute(delete(archive).where(archive.c.upload_id == previous))
    conn.execute(update(Upload).where(Upload.id == previous).values(status="loaded", kept=False))
    return previous


class Deleted(NamedTuple):
    removed: int  # rows the upload's deletion took out (of its table, or of the kept ones)
    restored: int | None  # the replaced upload whose rows are current again
    kept: int = 0  # payments that stay because another remaining upload carried them too
    kept_by: tuple[int, ...] = ()  # those uploads


def _hand_over(conn: Connection, upload, periodes: list[str]) -> tuple[int, tuple[int, ...]]:
    """DATA.md: a payment another remaining upload also carried stays, and now belongs to it (the
    earliest such upload). Returns (payments kept, the uploads now holding them)."""
    table = DATA_TABLES[upload.file_type]
    carrier = PaymentCarrier.__table__
    own = select(table.c.pay_key).where(table.c.periode.in_(periodes), table.c.upload_id == upload.id)
    carriers = conn.execute(
        select(carrier.c.upload_id).distinct()
        .join(Upload, Upload.id == carrier.c.upload_id)
        .where(carrier.c.table_name == table.name, carrier.c.upload_id != upload.id,
               Upload.status.in_(("loaded", "duplicate")), carrier.c.pay_key.in_(own))
        .order_by(carrier.c.upload_id)).scalars().all()
    kept, holders = 0, []
    for holder in carriers:
        carried = select(carrier.c.pay_key).where(carrier.c.table_name == table.name, carrier.c.upload_id == holder)
        moved = conn.execute(update(table).where(
            table.c.periode.in_(periodes), table.c.upload_id == upload.id, table.c.pay_key.in_(carried))
            .values(upload_id=holder)).rowcount
        if not moved:
            continue
        kept += moved
        holders.append(holder)
        conn.execute(delete(carrier).where(carrier.c.table_name == table.name, carrier.c.upload_id == holder,
                                           carrier.c.pay_key.in_(select(table.c.pay_key).where(
                                               table.c.periode.in_(periodes), table.c.upload_id == holder))))
        row = conn.execute(select(Upload.row_periodes).where(Upload.id == holder)).scalar()
        held = sorted(set(filter(None, (row or "").split(","))) | set(periodes))
        conn.execute(update(Upload).where(Upload.id == holder).values(
            status="loaded", rows_stored=Upload.rows_stored + moved,
            rows_duplicate=case((Upload.rows_duplicate > moved, Upload.rows_duplicate - moved), else_=0),
            row_periodes=",".join(held)))
    return kept, tuple(holders)


def delete_upload(engine: Engine, upload_id: int, username: str | None = None) -> Deleted:
    """Remove exactly the rows an upload stored; the upload record stays, marked deleted. Deleting
    the current upload of a snapshot restores the one it replaced (when kept); deleting a replaced
    one drops its kept rows and changes nothing the dashboard shows; a payment another remaining
    upload also carried stays, and now belongs to it."""
    with engine.connect() as conn:
        try:
            with conn.begin():
                deleted = _delete(conn, upload_id, username)
            settle(conn)  # the summaries it rewrote (PostgreSQL)
        finally:
            detach_stage(conn)
    return deleted


def _delete(conn: Connection, upload_id: int, username: str | None) -> Deleted:
    """``delete_upload``'s work, in its transaction."""
    upload = conn.execute(select(Upload).where(Upload.id == upload_id)).first()
    refused = deletion_refusal(upload_id, upload.status if upload else None, bool(upload and upload.kept))
    if refused:
        raise refused
    removed, kept, kept_by, known = 0, 0, (), upload.file_type in DATA_TABLES
    periodes = [p for p in (upload.row_periodes or "").split(",") if p]
    archive = superseded_table(upload.file_type) if known else None
    previous = _kept_before(conn, upload) if known and upload.status == "loaded" else None
    # A snapshot whose rows the summaries compare with the one deleting it brings back (an SBRS
    # correction undone: only the customers it changed are recomputed): its rows are kept aside,
    # superseded by the one restored, until the summaries are done.
    compared = previous is not None and summaries.compares_replaced(upload.file_type)
    if upload.status == "replaced" and known:
        removed = conn.execute(delete(archive).where(archive.c.upload_id == upload_id)).rowcount
    elif periodes and known:
        table = DATA_TABLES[upload.file_type]
        if files.spec(upload.file_type).mode == files.MERGE:
            kept, kept_by = _hand_over(conn, upload, periodes)
        # Only the upload's own periodes are scanned: data tables have no upload_id index.
        own = table.c.periode.in_(periodes) & (table.c.upload_id == upload_id)
        if compared:
            keep_superseded(conn, upload.file_type, own)
        removed = conn.execute(delete(table).where(own)).rowcount
    conn.execute(delete(PaymentCarrier).where(PaymentCarrier.upload_id == upload_id))
    conn.execute(update(Upload).where(Upload.id == upload_id).values(
        status="deleted", deleted_at=now_utc(), deleted_by=username, kept=False))
    restored = _restore(conn, upload, previous)
    if upload.status != "replaced" and (removed or restored):
        summaries.refresh(conn, upload.file_type, periodes if removed else [upload.periode],
                          replaced=[upload_id] if compared else None)
    if compared:
        conn.execute(delete(archive).where(archive.c.upload_id == upload_id))
    return Deleted(removed, restored, kept, kept_by)


def stored_rows(engine: Engine, upload_id: int) -> int:
    """How many rows an upload has in its table now (for checks and the history page)."""
    with engine.connect() as conn:
        upload = conn.execute(select(Upload.file_type).where(Upload.id == upload_id)).scalar()
        table = DATA_TABLES.get(upload or "")
        if table is None:
            return 0
        return conn.execute(select(func.count()).select_from(table).where(table.c.upload_id == upload_id)).scalar()
