"""Uploads: stage files for the page's preview, load a file, delete an upload.

Loading goes through the one pipeline (``ingest.ingest_file``); deleting through
``ingest.delete_upload``. Each checks the permission first, records the audit and empties
the cache, whoever asks (the page, the API, the CLI).
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine
from werkzeug.utils import secure_filename

from ..domain.errors import SunterError
from ..domain.periodes import periode_label
from ..domain.uploads import PERIODE_RULES, deletion_refusal
from ..ingest import IngestResult, delete_upload, ingest_file
from ..ingest.preview import preview
from ..queries.cache import invalidate
from ..queries.uploads import upload as stored_upload
from . import Actor, record

STAGING = Path(tempfile.gettempdir()) / "sunter_dash-uploads"
MANIFEST = "manifest.json"
AUTO = "(otomatis)"
Progress = Callable[[str, int, int], None]


def load(engine: Engine, actor: Actor, path: Path, *, filename: str | None = None, file_type: str | None = None,
         periode: str | None = None, max_bytes: int, progress: Progress | None = None) -> IngestResult:
    """Run one file through the pipeline for ``actor`` (an admin) and audit the attempt."""
    actor.require("upload")
    result = ingest_file(engine, path, filename=filename, file_type=file_type, periode=periode,
                         username=actor.username, max_bytes=max_bytes, progress=progress)
    record(engine, actor, "upload", f"#{result.upload_id} {result.file}: {result.status}, {result.type or '-'} "
                                    f"{result.periode or '-'}, {result.stored} baris disimpan")
    invalidate()
    return result


def describe(upload: dict) -> str:
    """'#12 MC_2025-12.csv · MC · Desember 2025'."""
    return " · ".join(filter(None, [f"#{upload['id']} {upload['file']}", upload["type"],
                                    periode_label(upload["periode"]) if upload["periode"] else None]))


def refusal(upload: dict | None, upload_id) -> SunterError | None:
    """Why this upload cannot be deleted (None: it can)."""
    return deletion_refusal(upload_id, upload["status"] if upload else None)


def delete(engine: Engine, actor: Actor, upload_id: int) -> tuple[int, dict]:
    """Remove what an upload stored: (rows removed, the upload as it was)."""
    actor.require("delete")
    upload = stored_upload(engine, upload_id)
    reason = refusal(upload, upload_id)
    if reason:
        raise reason
    removed = delete_upload(engine, upload_id, actor.username)
    record(engine, actor, "upload_deleted",
           f"#{upload_id} {upload['file']} ({upload['type']} {upload['periode']}): {removed} baris dikeluarkan")
    invalidate()
    return removed, upload


# --- the page's two steps: stage (preview), then load in a background job ---------------------

def _size_label(size: int) -> str:
    from ..formatting import number
    return f"{number(size / 1048576, 1)} MB" if size >= 1048576 else f"{number(size / 1024, 0)} KB"


def _staged_row(index: int, name: str, folder: Path, content: bytes) -> dict:
    path = folder / f"{index:03d}-{secure_filename(name) or 'file'}"
    path.write_bytes(content)
    seen = preview(path, name)
    return {"key": f"{index}", "file": name, "size": len(content), "size_label": _size_label(len(content)),
            "type": seen["type"] or AUTO, "periode": seen["periode"] or "",
            "rule_label": PERIODE_RULES.get(seen["rule"], seen["rule"] or ""),
            "note": seen["error"] or "", "path": path.name}


def stage(actor: Actor, files: list[dict]) -> tuple[str, list[dict]]:
    """Write the files (browser data URLs) to a new staging folder with a manifest naming the
    admin; preview each one. The token naming the folder is random."""
    actor.require("upload")
    _forget_abandoned()
    token = secrets.token_urlsafe(24)
    folder = STAGING / token
    folder.mkdir(parents=True)
    rows = []
    for index, item in enumerate(files):
        name = Path(item["name"]).name or f"file-{index}"
        try:
            content = base64.b64decode(item["content"].split(",", 1)[1], validate=True)
        except (IndexError, ValueError, binascii.Error):
            rows.append({"key": f"{index}", "file": name, "size_label": "-", "type": AUTO, "periode": "",
                         "rule_label": "", "note": "File tidak terbaca oleh peramban; unggah ulang.", "path": None})
            continue
        rows.append(_staged_row(index, name, folder, content))
    (folder / MANIFEST).write_text(json.dumps({"username": actor.username, "address": actor.address,
                                               "files": [r["path"] for r in rows if r["path"]]}))
    return token, rows


def _forget_abandoned(max_age_seconds: int = 24 * 3600) -> None:
    """Staged files nobody loaded (the page was closed) are removed after a day."""
    if not STAGING.is_dir():
        return
    cutoff = time.time() - max_age_seconds
    for folder in STAGING.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def manifest(token: str | None) -> tuple[Path, dict] | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = STAGING / token
    try:
        return folder, json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _staged_actor(engine: Engine, found: dict) -> Actor:
    """The admin who staged the files, as the database knows them now (role and status)."""
    from ..queries.users import active_role
    return Actor(found["username"], active_role(engine, found["username"]), found.get("address"))


def load_staged(database_url: str, max_bytes: int, token: str, rows: list[dict], set_progress) -> list[dict]:
    """Load every staged file of a manifest (the page's background job), reporting progress after
    each step of each file. Only what a manifest written for an admin names is loaded."""
    from ..db import get_engine

    found = manifest(token)
    if found is None:
        return [{"file": "-", "status": "refused", "message": "Unggahan ini sudah tidak ada; pilih file lagi."}]
    folder, staged = found
    engine = get_engine(database_url)
    engine.dispose(close=False)  # a forked worker must not share the parent's connections
    actor = _staged_actor(engine, staged)
    if not actor.can("upload"):
        shutil.rmtree(folder, ignore_errors=True)
        return [{"file": "-", "status": "refused", "message": "Hanya admin yang dapat memuat file."}]
    wanted = [r for r in rows if r.get("path") in staged["files"]]
    progress = [{"file": r["file"], "pct": 0, "stage": "menunggu"} for r in wanted]
    results = []
    for index, row in enumerate(wanted):
        def report(step: str, done: int, total: int, index=index, row=row) -> None:
            share = {"membaca": 5, "menyimpan": 10 + 80 * (done / total if total else 1), "meringkas": 92}
            progress[index] = {"file": row["file"], "pct": round(share.get(step, 50)), "stage": step}
            set_progress([list(progress)])
        report("membaca", 0, 1)
        result = load(engine, actor, folder / row["path"], filename=row["file"],
                      file_type=None if row.get("type") in (None, "", AUTO) else row["type"],
                      periode=(row.get("periode") or "").strip() or None, max_bytes=max_bytes, progress=report)
        progress[index] = {"file": row["file"], "pct": 100, "stage": "selesai"}
        set_progress([list(progress)])
        results.append(result.as_json())
    shutil.rmtree(folder, ignore_errors=True)
    return results
