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

from ..domain import files
from ..domain.errors import NotFound, SunterError
from ..domain.periodes import UNDATED, periode_label
from ..domain.uploads import PERIODE_RULES, deletion_refusal
from ..formatting import number
from ..ingest import IngestResult, delete_upload, ingest_file
from ..ingest.preview import fields_of, preview
from ..queries.cache import invalidate
from ..queries.uploads import current_upload
from ..queries.uploads import upload as stored_upload
from . import Actor, record

STAGING = Path(tempfile.gettempdir()) / "sunter_dash-uploads"
MANIFEST = "manifest.json"
AUTO = "(otomatis)"
Progress = Callable[[str, int, int], None]


def load(engine: Engine, actor: Actor, path: Path, *, filename: str | None = None, file_type: str | None = None,
         periode: str | None = None, max_bytes: int, progress: Progress | None = None,
         mapping: dict[str, str] | None = None, profile: str | None = None, replace: bool = False) -> IngestResult:
    """Run one file through the pipeline for ``actor`` (an admin) and audit the attempt."""
    actor.require("upload")
    result = ingest_file(engine, path, filename=filename, file_type=file_type, periode=periode,
                         username=actor.username, max_bytes=max_bytes, progress=progress, mapping=mapping,
                         profile=profile, replace=replace)
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
    return deletion_refusal(upload_id, upload["status"] if upload else None, bool(upload and upload["kept"]))


def delete(engine: Engine, actor: Actor, upload_id: int) -> tuple[int, dict, dict | None]:
    """Remove what an upload stored: (rows removed, the upload as it was, the upload it brought
    back: a snapshot it had replaced, or None)."""
    actor.require("delete")
    upload = stored_upload(engine, upload_id)
    reason = refusal(upload, upload_id)
    if reason:
        raise reason
    removed = delete_upload(engine, upload_id, actor.username)
    restored = restored_by(engine, upload)
    detail = f"#{upload_id} {upload['file']} ({upload['type']} {upload['periode']}): {removed} baris dikeluarkan"
    record(engine, actor, "upload_deleted", detail + (f"; unggahan #{restored['id']} berlaku lagi" if restored else ""))
    invalidate()
    return removed, upload, restored


def restored_by(engine: Engine, deleted: dict) -> dict | None:
    """The snapshot that became current again when ``deleted`` (a current snapshot) went."""
    if deleted["status"] != "loaded" or deleted["type"] not in files.names() or \
            files.spec(deleted["type"]).mode != files.SNAPSHOT:
        return None
    return current_upload(engine, deleted["type"], deleted["periode"])


# --- the page's two steps: stage (preview), then load in a background job ---------------------

def _size_label(size: int) -> str:
    if size < 1024:
        return f"{number(size)} byte"
    return f"{number(size / 1048576, 1)} MB" if size >= 1048576 else f"{number(size / 1024, 0)} KB"


def staged_note(seen: dict) -> str:
    """What the preview says about a staged file, in one line: why it would be refused, or the
    profile applied, the snapshot it replaces (and whether that needs confirming), unknown columns."""
    if seen["error"]:
        return seen["error"]
    notes = []
    if seen["profile"]:
        notes.append(f"profil kolom '{seen['profile']}' diterapkan")
    replaces = seen["replaces"]
    if replaces:
        notes.append(replaces["note"])
        if replaces["needs_replace"]:
            notes.append(f"file ini hanya {number(replaces['file_customers'])} pelanggan, kurang dari separuh: "
                         "perlu konfirmasi penggantian")
    if seen["unknown"]:
        notes.append(f"kolom tidak dikenal: {', '.join(seen['unknown'][:12])}"
                     + (f" (dan {len(seen['unknown']) - 12} lagi)" if len(seen["unknown"]) > 12 else "")
                     + "; pastikan tipenya benar")
    text = "; ".join(notes)
    return text[:1].upper() + text[1:]


def _row(key: str, name: str, size: int, path: str | None, seen: dict) -> dict:
    return {"key": key, "file": name, "size": size, "size_label": _size_label(size),
            "type": seen["type"] or AUTO, "periode": seen["periode"] if seen["periode"] != UNDATED else "",
            "rule_label": PERIODE_RULES.get(seen["rule"], seen["rule"] or ""), "note": staged_note(seen),
            "path": path, "columns": seen["columns"], "fields": seen["fields"], "mapping": seen["mapping"],
            "profile": seen["profile"], "unknown": seen["unknown"], "replaces": seen["replaces"],
            "replace": False, "refused": bool(seen["error"])}


def _staged_row(engine: Engine, index: int, name: str, folder: Path, content: bytes) -> dict:
    path = folder / f"{index:03d}-{secure_filename(name) or 'file'}"
    path.write_bytes(content)
    return _row(f"{index}", name, len(content), path.name, preview(path, name, engine=engine))


def stage(engine: Engine, actor: Actor, files: list[dict]) -> tuple[str, list[dict]]:
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
                         "rule_label": "", "note": "File tidak terbaca oleh peramban; unggah ulang.", "path": None,
                         "columns": [], "fields": [], "mapping": {}, "refused": True})
            continue
        rows.append(_staged_row(engine, index, name, folder, content))
    (folder / MANIFEST).write_text(json.dumps({"username": actor.username, "address": actor.address,
                                               "files": [r["path"] for r in rows if r["path"]]}))
    return token, rows


def fields_for(row: dict) -> list[dict] | None:
    """The columns of a staged row's type beside the file's (None: no type chosen yet)."""
    spec = files.resolve(None if row.get("type") in (None, "", AUTO) else row["type"])
    return fields_of(spec, row.get("columns") or [], row.get("mapping") or None) if spec else None


def restage(engine: Engine, actor: Actor, token: str | None, row: dict, mapping: dict | None) -> dict:
    """Preview a staged file again with the type and periode of its row and a column mapping
    (empty: the one found by itself)."""
    actor.require("upload")
    found = manifest(token)
    if found is None or found[1]["username"] != actor.username or row.get("path") not in found[1]["files"]:
        raise NotFound("File ini sudah tidak ada di antrean; pilih file lagi.", "The staged file is gone.")
    folder, _staged = found
    file_type = None if row.get("type") in (None, "", AUTO) else row["type"]
    seen = preview(folder / row["path"], row["file"], file_type, (row.get("periode") or "").strip() or None,
                   engine=engine, mapping={k: v for k, v in (mapping or {}).items() if v} or None)
    return _row(row["key"], row["file"], row.get("size") or 0, row["path"], seen)


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
        try:
            result = load(engine, actor, folder / row["path"], filename=row["file"],
                          file_type=None if row.get("type") in (None, "", AUTO) else row["type"],
                          periode=(row.get("periode") or "").strip() or None, max_bytes=max_bytes, progress=report,
                          mapping=None if row.get("profile") else row.get("mapping") or None,
                          profile=row.get("profile") or None, replace=bool(row.get("replace"))).as_json()
        except SunterError as exc:  # the mapping no longer fits (a profile deleted meanwhile)
            result = {"file": row["file"], "status": "refused", "message": exc.message}
        progress[index] = {"file": row["file"], "pct": 100, "stage": "selesai"}
        set_progress([list(progress)])
        result["staged"] = row if result.get("needs_replace") else None  # kept for the confirmation
        results.append(result)
    if not any(r["staged"] for r in results):
        shutil.rmtree(folder, ignore_errors=True)
    return results
