"""Uploads: load a file, delete an upload (the page's staging of files is services/staging.py).

Loading goes through the one pipeline (``ingest.ingest_file``); deleting through
``ingest.delete_upload``. Each checks the permission first, records the audit and empties
the cache, whoever asks (the page, the API, the CLI).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from ..domain.errors import SunterError
from ..domain.periodes import periode_label
from ..domain.uploads import UPLOAD_STATUSES, deletion_refusal
from ..formatting import number
from ..ingest import IngestResult, delete_upload, ingest_file
from ..ingest.load import LOAD_WAIT_SECONDS, Deleted
from ..queries.cache import invalidate
from ..queries.uploads import upload as stored_upload
from . import Actor, record

Progress = Callable[[str, int, int], None]


def load(engine: Engine, actor: Actor, path: Path, *, filename: str | None = None, file_type: str | None = None,
         periode: str | None = None, max_bytes: int, progress: Progress | None = None,
         mapping: dict[str, str] | None = None, profile: str | None = None, replace: bool = False,
         wait_seconds: float = LOAD_WAIT_SECONDS) -> IngestResult:
    """Run one file through the pipeline for ``actor`` (an admin) and audit the attempt."""
    actor.require("upload")
    result = ingest_file(engine, path, filename=filename, file_type=file_type, periode=periode,
                         username=actor.username, max_bytes=max_bytes, progress=progress, mapping=mapping,
                         profile=profile, replace=replace, wait_seconds=wait_seconds)
    status = UPLOAD_STATUSES.get(result.status, result.status)
    record(engine, actor, "upload", f"#{result.upload_id} {result.file}: {status}, {result.type or '-'} "
                                    f"{result.periode or '-'}, {number(result.stored)} baris disimpan")
    invalidate()
    return result


def describe(upload: dict) -> str:
    """'#12 MC_2025-12.csv · MC · Desember 2025'."""
    return " · ".join(filter(None, [f"#{upload['id']} {upload['file']}", upload["type"],
                                    periode_label(upload["periode"]) if upload["periode"] else None]))


def refusal(upload: dict | None, upload_id) -> SunterError | None:
    """Why this upload cannot be deleted (None: it can)."""
    return deletion_refusal(upload_id, upload["status"] if upload else None, bool(upload and upload["kept"]))


def delete(engine: Engine, actor: Actor, upload_id: int) -> tuple[Deleted, dict, dict | None]:
    """Remove what an upload stored: (what the deletion did, the upload as it was, the upload it
    brought back: a snapshot it had replaced, or None)."""
    actor.require("delete")
    upload = stored_upload(engine, upload_id)
    reason = refusal(upload, upload_id)
    if reason:
        raise reason
    deleted = delete_upload(engine, upload_id, actor.username)
    restored = stored_upload(engine, deleted.restored) if deleted.restored else None
    detail = (f"#{upload_id} {upload['file']} ({upload['type']} {upload['periode']}): {deleted.removed} baris "
              "dikeluarkan")
    if restored:
        detail += f"; unggahan #{deleted.restored} berlaku lagi"
    if deleted.kept:
        detail += f"; {deleted.kept} pembayaran tetap, kini milik unggahan {kept_by_text(deleted.kept_by)}"
    record(engine, actor, "upload_deleted", detail)
    invalidate()
    return deleted, upload, restored


def kept_by_text(uploads: tuple[int, ...]) -> str:
    return ", ".join(f"#{u}" for u in uploads)
