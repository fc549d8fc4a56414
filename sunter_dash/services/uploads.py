"""Uploads: stage files for the page's preview, load a file, delete an upload.

Loading goes through the one pipeline (``ingest.ingest_file``); deleting through
``ingest.delete_upload``. Each checks the permission first, records the audit and empties
the cache, whoever asks (the page, the API, the CLI).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from ..domain import files
from ..domain.errors import BadParameter, Conflict, NotFound, SunterError, TooManyJobs
from ..domain.periodes import UNDATED, periode_label
from ..domain.uploads import PERIODE_RULES, UPLOAD_STATUSES, deletion_refusal, recorded_name, replacement_note
from ..formatting import number
from ..ingest import IngestResult, delete_upload, ingest_file
from ..ingest.load import LOAD_WAIT_SECONDS, UNFINISHED_AFTER, Deleted, close_unfinished
from ..ingest.preview import fields_of, preview
from ..queries.cache import invalidate
from ..queries.uploads import upload as stored_upload
from . import Actor, record

STAGING = Path(tempfile.gettempdir()) / "sunter_dash-uploads"
MANIFEST = "manifest.json"
PAGE_WAIT_SECONDS = 30 * 60  # the page's job may wait this long for its turn (it runs in the background)
AUTO = "(otomatis)"
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


# --- the page's two steps: stage (preview), then load in a background job ---------------------

def _size_label(size: int) -> str:
    if size < 1024:
        return f"{number(size)} byte"
    return f"{number(size / 1048576, 1)} MB" if size >= 1048576 else f"{number(size / 1024, 0)} KB"


def staged_note(seen: dict, shrink: dict | None = None) -> str:
    """What the preview says about a staged file, in one line: why it would be refused, or the
    profile applied, the snapshot it replaces (and whether that needs confirming), unknown columns.
    ``shrink``: the counts with which a load of this file was refused (DATA.md's shrink guard)."""
    if seen["error"]:
        return seen["error"]
    notes = []
    if seen["profile"]:
        notes.append(f"profil kolom '{seen['profile']}' diterapkan")
    replaces = {**(seen["replaces"] or {}), **(shrink or {})}
    if replaces:
        notes.append(replacement_note(seen["type"], seen["periode"], replaces["stored_customers"],
                                      replaces["upload_id"]))
        if replaces["needs_replace"]:
            notes.append(f"file ini hanya {number(replaces['file_customers'])} {files.spec(seen['type']).unit}, "
                         "kurang dari separuh: perlu konfirmasi penggantian")
    if seen["unknown"]:
        notes.append(f"kolom tidak dikenal: {', '.join(seen['unknown'][:12])}"
                     + (f" (dan {len(seen['unknown']) - 12} lagi)" if len(seen["unknown"]) > 12 else "")
                     + "; pastikan tipenya benar")
    text = "; ".join(notes)
    return text[:1].upper() + text[1:]


def fields_for(row: dict) -> list[dict] | None:
    """The columns of a listed file's type beside the file's (None: no type chosen yet)."""
    spec = files.resolve(None if row.get("type") in (None, "", AUTO) else str(row["type"]))
    mapping = row.get("mapping") if isinstance(row.get("mapping"), dict) else None
    columns = [str(c) for c in row.get("columns") or []]
    return fields_of(spec, columns, mapping) if spec else None


def _shown(key: str, staged: dict, seen: dict) -> dict:
    """A staged file as the page lists it (what the page sends back is only ever a key and the
    user's edits: the manifest keeps what will be loaded)."""
    shrink = staged.get("shrink")
    replaces = {**(seen["replaces"] or {}), **(shrink or {})} or None
    return {"key": key, "file": staged["file"], "size_label": _size_label(staged["size"]),
            "type": seen["type"] or AUTO, "periode": seen["periode"] if seen["periode"] != UNDATED else "",
            "rule_label": PERIODE_RULES.get(seen["rule"], seen["rule"] or ""), "note": staged_note(seen, shrink),
            "columns": seen["columns"], "fields": seen["fields"], "mapping": seen["mapping"],
            "profile": seen["profile"], "unknown": seen["unknown"], "replaces": replaces,
            "refused": bool(seen["error"]), "loadable": True}


def _unreadable(key: str, name: str) -> dict:
    return {"key": key, "file": name, "size_label": "-", "type": AUTO, "periode": "", "rule_label": "",
            "note": "File tidak terkirim utuh; unggah ulang.", "columns": [], "fields": [], "mapping": {},
            "profile": None, "unknown": [], "replaces": None, "refused": True, "loadable": False}


def _seen(engine: Engine, folder: Path, staged: dict) -> dict:
    return preview(folder / staged["path"], staged["file"], staged["type"], staged["periode"], engine=engine,
                   mapping=staged["mapping"] or None, profile=staged["profile"])


def stage(engine: Engine, actor: Actor, sent: list, max_bytes: int) -> tuple[str, list[dict]]:
    """Write the files (uploaded parts: ``filename`` and ``save(path)``, as werkzeug gives them) to
    a new staging folder, streamed to disk, with a manifest naming the admin and what each file
    will be loaded with; preview each one. A file over ``max_bytes`` is listed, refused. The token
    naming the folder is random."""
    actor.require("upload")
    _forget_abandoned()
    token = secrets.token_urlsafe(24)
    folder = STAGING / token
    folder.mkdir(parents=True)
    staged, rows = {}, []
    for index, part in enumerate(sent):
        key, name = str(index), recorded_name(Path(str(getattr(part, "filename", "") or "")).name or f"file-{index}")
        path = f"{index:03d}.upload"  # our own name: the browser's may be anything
        try:
            part.save(folder / path)
            size = (folder / path).stat().st_size
        except OSError:
            rows.append(_unreadable(key, name))
            continue
        if size > max_bytes:
            (folder / path).unlink(missing_ok=True)
            rows.append({**_unreadable(key, name), "note": f"File terlalu besar ({_size_label(size)}); batasnya "
                                                           f"{_size_label(max_bytes)}. Pecah file per periode atau per rayon."})
            continue
        # type and periode: the user's choice (None: as detected); mapping and profile: as found.
        entry = {"file": name, "path": path, "size": size, "type": None, "periode": None, "mapping": {},
                 "profile": None, "replace": False}
        seen = _seen(engine, folder, entry)
        entry.update(mapping=seen["mapping"], profile=seen["profile"])
        staged[key] = entry
        rows.append(_shown(key, entry, seen))
    _write_manifest(folder, {"username": actor.username, "address": actor.address, "rows": staged})
    return token, rows


KEEP = object()


def restage(engine: Engine, actor: Actor, token: str | None, key, *, file_type=KEEP, periode=KEEP,
            mapping=KEEP) -> dict:
    """Change what a staged file will be loaded with (its type, its periode, a column mapping;
    an empty mapping: the one found by itself) and preview it again."""
    actor.require("upload")
    folder, found = _owned(actor, token)
    entry = found["rows"].get(str(key))
    if entry is None:
        raise NotFound("File ini sudah tidak ada di antrean; pilih file lagi.", f"No staged file {key!r}.")
    if file_type is not KEEP:
        entry["type"] = _chosen_type(file_type)
    if periode is not KEEP:
        entry["periode"] = str(periode or "").strip()[:20] or None
    if mapping is not KEEP:
        entry["mapping"], entry["profile"] = _chosen_mapping(mapping), None
    entry.pop("shrink", None)  # what the guard said of the file as it was
    seen = _seen(engine, folder, entry)
    entry.update(mapping=seen["mapping"], profile=seen["profile"], replace=False)
    _write_manifest(folder, found)
    return _shown(str(key), entry, seen)


def confirm_replace(actor: Actor, token: str | None, keys: list) -> None:
    """The admin confirmed that these staged snapshots replace the stored ones (DATA.md's guard)."""
    actor.require("upload")
    folder, found = _owned(actor, token)
    for key in keys:
        if str(key) in found["rows"]:
            found["rows"][str(key)]["replace"] = True
    _write_manifest(folder, found)


def _chosen_type(value) -> str | None:
    if value in (None, "", AUTO):
        return None
    spec = files.resolve(str(value))
    if spec is None:
        raise BadParameter(f"Tipe '{str(value)[:20]}' tidak dikenal; pilih salah satu: {', '.join(files.names())}.",
                           f"Unknown file type {str(value)[:20]!r}.", field="type")
    return spec.name


def _chosen_mapping(value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise BadParameter("Pemetaan kolom tidak terbaca; pilih kolom file lagi.", "A mapping maps names to names.",
                           field="mapping")
    return {k: v for k, v in value.items() if v}


TEMPORARY = ("sunter-api-*", "sunter-preview-*", "sunter-stage-*")  # what loads leave in the temporary folder


def _forget_abandoned(max_age_seconds: int = 24 * 3600) -> None:
    """Staged files nobody loaded (the page was closed) and the temporary files of loads that
    were killed are removed after a day: no load runs that long."""
    cutoff = time.time() - max_age_seconds
    found = list(STAGING.iterdir()) if STAGING.is_dir() else []
    found += [p for pattern in TEMPORARY for p in Path(tempfile.gettempdir()).glob(pattern)]
    for path in found:
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        except OSError:
            pass


def tidy(engine: Engine, max_age_seconds: int = 24 * 3600) -> int:
    """At start: remove what killed loads left behind, and close the records of loads that never
    finished (queued or running for longer than any load waits and runs). Returns how many."""
    _forget_abandoned(max_age_seconds)
    return close_unfinished(engine, UNFINISHED_AFTER)


def manifest(token: str | None) -> tuple[Path, dict] | None:
    if not isinstance(token, str) or not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = STAGING / token
    try:
        return folder, json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _write_manifest(folder: Path, found: dict) -> None:
    (folder / MANIFEST).write_text(json.dumps(found))


def _owned(actor: Actor, token: str | None) -> tuple[Path, dict]:
    found = manifest(token)
    if found is None or found[1].get("username") != actor.username:
        raise NotFound("Antrean file ini sudah tidak ada; pilih file lagi.", "No such staging folder.")
    return found


RUNNING = "running"  # a staging folder's marker while its job runs
JOBS_PER_USER = 2
JOBS_TOTAL = 6
JOB_MARKER_HOURS = 2  # an older marker is a job that was killed


def _running_jobs() -> list[tuple[Path, str]]:
    """(folder, the admin's name) of the staging folders whose job runs now."""
    found = []
    cutoff = time.time() - JOB_MARKER_HOURS * 3600
    for folder in STAGING.iterdir() if STAGING.is_dir() else []:
        marker = folder / RUNNING
        try:
            if marker.stat().st_mtime >= cutoff:
                found.append((folder, marker.read_text()))
        except OSError:
            continue
    return found


def claim_job(actor: Actor, token: str | None, *, claim: bool = True) -> None:
    """May this admin start loading these staged files now? At most JOBS_PER_USER jobs of one
    user and JOBS_TOTAL in all run at once, and one job per staged set; with ``claim`` the slot is
    taken (the job frees it when it ends). Checked before a worker is spawned."""
    actor.require("upload")
    folder, _found = _owned(actor, token)
    running = _running_jobs()
    if any(f == folder for f, _user in running):
        raise Conflict("File-file ini sedang dimuat; tunggu hasilnya.", "This staged set is loading already.")
    if sum(user == actor.username for _f, user in running) >= JOBS_PER_USER:
        raise TooManyJobs(f"Anda sudah menjalankan {JOBS_PER_USER} pemuatan; tunggu salah satunya selesai.")
    if len(running) >= JOBS_TOTAL:
        raise TooManyJobs(f"Server sedang menjalankan {JOBS_TOTAL} pemuatan; coba lagi sebentar lagi.")
    if claim:
        try:
            descriptor = os.open(folder / RUNNING, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            raise Conflict("File-file ini sedang dimuat; tunggu hasilnya.", "This staged set is loading already.") \
                from None
        with os.fdopen(descriptor, "w") as marker:
            marker.write(actor.username or "")


def _staged_actor(engine: Engine, found: dict) -> Actor:
    """The admin who staged the files, as the database knows them now (role and status)."""
    from ..queries.users import active_role
    return Actor(found["username"], active_role(engine, found["username"]), found.get("address"))


def load_staged(database_url: str, max_bytes: int, token: str, set_progress) -> dict:
    """Load every file a manifest names, as the manifest says (the page's background job),
    reporting progress after each step of each file: {"results": [...], "staged": [rows]}. A file
    the shrink guard refused stays staged, to be confirmed; the rest leave the folder."""
    from ..db import get_engine

    found = manifest(token)
    if found is None:
        return {"results": [{"file": "-", "status": "refused", "message": "Unggahan ini sudah tidak ada; pilih file "
                             "lagi."}], "staged": []}
    folder, staged = found
    engine = get_engine(database_url)
    engine.dispose(close=False)  # a forked worker must not share the parent's connections
    actor = _staged_actor(engine, staged)
    if not actor.can("upload"):
        shutil.rmtree(folder, ignore_errors=True)
        return {"results": [{"file": "-", "status": "refused", "message": "Hanya admin yang dapat memuat file."}],
                "staged": []}
    try:
        return _load_all(engine, actor, folder, staged, max_bytes, set_progress)
    finally:
        (folder / RUNNING).unlink(missing_ok=True)


def _load_all(engine: Engine, actor: Actor, folder: Path, staged: dict, max_bytes: int, set_progress) -> dict:
    wanted = list(staged["rows"].items())
    progress = [{"file": entry["file"], "pct": 0, "stage": "menunggu"} for _key, entry in wanted]
    results, kept = [], {}
    for index, (key, entry) in enumerate(wanted):
        def report(step: str, done: int, total: int, index=index, entry=entry) -> None:
            share = {"antre": 2, "membaca": 5, "menyimpan": 10 + 80 * (done / total if total else 1), "meringkas": 92}
            label = f"menunggu giliran (antrean ke-{done + 1})" if step == "antre" else step
            progress[index] = {"file": entry["file"], "pct": round(share.get(step, 50)), "stage": label}
            set_progress([list(progress)])
        report("membaca", 0, 1)
        result = load(engine, actor, folder / entry["path"], filename=entry["file"], file_type=entry["type"],
                      periode=entry["periode"], max_bytes=max_bytes, progress=report, wait_seconds=PAGE_WAIT_SECONDS,
                      mapping=entry["mapping"] or None, profile=entry["profile"], replace=entry["replace"]).as_json()
        progress[index] = {"file": entry["file"], "pct": 100, "stage": "selesai"}
        set_progress([list(progress)])
        results.append(result)
        if result.get("needs_replace"):
            kept[key] = {**entry, "replace": False, "shrink": {
                "needs_replace": True, "stored_customers": result["stored_customers"],
                "file_customers": result["file_customers"], "upload_id": result.get("stored_upload")}}
        else:
            (folder / entry["path"]).unlink(missing_ok=True)
    if not kept:
        shutil.rmtree(folder, ignore_errors=True)
        return {"results": results, "staged": []}
    _write_manifest(folder, {**staged, "rows": kept})
    return {"results": results, "staged": [_shown(key, entry, _seen(engine, folder, entry))
                                           for key, entry in kept.items()]}
