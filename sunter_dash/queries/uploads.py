"""Every upload attempt and its row errors (never cached: the history must show an upload at once)."""
from __future__ import annotations

from sqlalchemy import Engine, select

from ..models import Upload, UploadError


def uploads(engine: Engine, limit: int = 1000) -> list[dict]:
    """Every upload attempt, newest first (not cached: the history must show an upload at once)."""
    stmt = select(Upload).order_by(Upload.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_upload_row(row) for row in conn.execute(stmt).mappings()]


def upload(engine: Engine, upload_id: int) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(Upload).where(Upload.id == upload_id)).mappings().first()
    return _upload_row(row) if row else None


def _upload_row(row) -> dict:
    return {
        "id": row["id"], "file": row["filename"], "size": row["size"], "type": row["file_type"],
        "periode": row["periode"], "periode_rule": row["periode_rule"], "user": row["username"],
        "created_at": row["created_at"].strftime("%Y-%m-%d %H:%M:%S") if row["created_at"] else None,
        "status": row["status"], "read": row["rows_read"], "stored": row["rows_stored"],
        "rejected": row["rows_rejected"], "duplicate": row["rows_duplicate"], "message": row["message"],
        "deleted_at": row["deleted_at"].strftime("%Y-%m-%d %H:%M:%S") if row["deleted_at"] else None,
        "deleted_by": row["deleted_by"], "warned": row["rows_warned"], "profile": row["profile"], "kept": row["kept"],
    }


def upload_errors(engine: Engine, upload_id: int, limit: int = 10_000) -> list[dict]:
    """The row errors and warnings of an upload in source order: row (None for the file), column,
    value, reason, kind (error or warning)."""
    stmt = (select(UploadError.row, UploadError.column, UploadError.value, UploadError.reason, UploadError.kind)
            .where(UploadError.upload_id == upload_id).order_by(UploadError.row, UploadError.id).limit(limit))
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(stmt).mappings()]
