"""The Unggah page's list of files: staged on the server, one list per admin and database.

1. ``stage``: the files the page sends join the admin's open list (a staging folder with a
   manifest naming the admin; a new one when none is open or its job runs). Each is previewed:
   type, periode and the rule that decided, or why it would be refused.
2. ``restage``, ``unstage``, ``confirm_replace``: the admin's edits (a type, a periode in any of
   DATA.md's forms, a column mapping), taking a file off the list, confirming a replacement.
   What will be loaded lives in the manifest, never in what the page sends back.
3. The job (services/staging_job.py) loads the files the preview finds loadable; the others are
   skipped and stay listed, saying why. A file refused at load stays listed too, with the refusal,
   to retry with a corrected type, periode or mapping. The job writes its progress and outcome to
   the folder's status file, so a page that comes back (from another tab, or reloaded) shows the
   load still running, or its results (``current``, ``job_state``).
Every change of a list is made under its lock (``change_list``): two requests, or a request and
the job, never lose each other's changes.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from ..domain import files
from ..domain.errors import BadParameter, Conflict, NotFound
from ..domain.periodes import UNDATED
from ..domain.uploads import PERIODE_RULES, recorded_name, replacement_note
from ..formatting import number
from ..ingest.detect import typed_periode
from ..ingest.load import UNFINISHED_AFTER, close_unfinished
from ..ingest.preview import fields_of, preview
from . import Actor

STAGING = Path(tempfile.gettempdir()) / "sunter_dash-uploads"
MANIFEST = "manifest.json"
STATUS = "status.json"  # the job's progress, then its outcome
LOCK = ".lock"  # a list's lock (``change_list``)
PAGE_WAIT_SECONDS = 30 * 60  # the page's job may wait this long for its turn (it runs in the background)
AUTO = "(otomatis)"
# A listed file's state, as the Status column says it.
READY, UNUSABLE, REFUSED, CONFIRM = "Siap dimuat", "Tidak dapat dimuat", "Ditolak, perbaiki lalu muat lagi", \
    "Perlu konfirmasi"


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
    columns = [str(c) for c in row["columns"]] if isinstance(row.get("columns"), list) else []
    return fields_of(spec, columns, mapping) if spec else None


def _shown(key: str, entry: dict) -> dict:
    """A staged file as the page lists it (what the page sends back is only ever a key and the
    user's edits: the manifest keeps what will be loaded)."""
    seen, shrink, refusal = entry["seen"], entry.get("shrink"), entry.get("refusal")
    replaces = {**(seen["replaces"] or {}), **(shrink or {})} or None
    if seen["error"]:
        status = UNUSABLE
    elif (replaces or {}).get("needs_replace"):
        status = CONFIRM
    else:
        status = REFUSED if refusal else READY
    return {"key": key, "file": entry["file"], "size_label": _size_label(entry["size"]), "status": status,
            "type": seen["type"] or AUTO, "periode": seen["periode"] if seen["periode"] != UNDATED else "",
            "rule_label": PERIODE_RULES.get(seen["rule"], seen["rule"] or ""),
            "note": refusal if refusal and status == REFUSED else staged_note(seen, shrink),
            "columns": seen["columns"], "fields": seen["fields"], "mapping": seen["mapping"],
            "profile": seen["profile"], "unknown": seen["unknown"], "replaces": replaces,
            "refused": bool(seen["error"]), "loadable": True}


def _unreadable(key: str, name: str, note: str = "File tidak terkirim utuh; unggah ulang.") -> dict:
    return {"key": key, "file": name, "size_label": "-", "status": UNUSABLE, "type": AUTO, "periode": "",
            "rule_label": "", "note": note, "columns": [], "fields": [], "mapping": {}, "profile": None,
            "unknown": [], "replaces": None, "refused": True, "loadable": False}


def _preview(engine: Engine, folder: Path, entry: dict) -> None:
    """Judge the file as the entry says it will be loaded; keep what was found with it."""
    seen = preview(folder / entry["path"], entry["file"], entry["type"], entry["periode"], engine=engine,
                   mapping=entry["mapping"] or None, profile=entry["profile"])
    entry.update(seen=seen, mapping=seen["mapping"], profile=seen["profile"])


def listed(found: dict) -> list[dict]:
    """The rows of a manifest, in the order the files came."""
    return [_shown(key, entry) for key, entry in sorted(found["rows"].items(), key=lambda item: int(item[0]))]


def database_of(url: str | URL) -> str:
    """Which database a list belongs to (a list staged for one is never loaded into another),
    however its URL is written (SQLAlchemy's own rendering: parameters in order, password escaped)."""
    return hashlib.sha256(make_url(url).render_as_string(hide_password=False).encode()).hexdigest()[:16]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (across processes and threads): every change of a list is a
    read, a change and a write under its lock, so two requests (or the job) never lose each other's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _admin_lock(actor: Actor, database: str):
    key = hashlib.sha256(f"{actor.username}|{database}".encode()).hexdigest()[:16]
    return locked(STAGING / f".admin-{key}.lock")


def change_list(folder: Path, change) -> dict:
    """Apply ``change(manifest)`` to the list as it is now, under its lock; the manifest after."""
    with locked(folder / LOCK):
        found = manifest(folder.name)
        if found is None:
            raise NotFound("Daftar file ini sudah tidak ada; pilih file lagi.", "No such staging folder.")
        change(found[1])
        write_json(folder, MANIFEST, found[1])
        return found[1]


def stage(engine: Engine, actor: Actor, sent: list, max_bytes: int) -> tuple[str, list[dict]]:
    """Add the files (uploaded parts: ``filename`` and ``save(path)``, as werkzeug gives them) to
    the admin's list (one per admin and database), streamed to disk, and preview each; return the
    list's token (random) and its rows. A file over ``max_bytes`` is listed, refused, and not kept.
    Files sent while a job loads the list join it, outside that job."""
    actor.require("upload")
    forget_abandoned()
    database = database_of(engine.url)
    with _admin_lock(actor, database):
        lists = _lists_of(actor, database)
        if lists:
            folder = lists[0][0]
        else:
            folder = STAGING / secrets.token_urlsafe(24)
            folder.mkdir(parents=True)
            write_json(folder, MANIFEST, {"username": actor.username, "address": actor.address, "database": database,
                                      "created": time.time(), "rows": {}, "next": 0})
        start = int(change_list(folder, lambda found: found.update(next=int(found.get("next", 0)) + len(sent)))["next"]) \
            - len(sent)  # these indexes are ours alone
    entries, extra = {}, []
    for offset, part in enumerate(sent):
        index = start + offset
        key, name = str(index), recorded_name(Path(str(getattr(part, "filename", "") or "")).name or f"file-{index}")
        path = f"{index:03d}.upload"  # our own name: the browser's may be anything
        try:
            part.save(folder / path)
            size = (folder / path).stat().st_size
        except OSError:
            extra.append(_unreadable(key, name))
            continue
        if size > max_bytes:
            (folder / path).unlink(missing_ok=True)
            extra.append(_unreadable(key, name, f"File terlalu besar ({_size_label(size)}); batasnya "
                                                f"{_size_label(max_bytes)}. Pecah file per periode atau per rayon."))
            continue
        # type and periode: the user's choice (None: as detected); mapping and profile: as found.
        entry = {"file": name, "path": path, "size": size, "type": None, "periode": None, "mapping": {},
                 "profile": None, "replace": False}
        _preview(engine, folder, entry)
        entries[key] = entry
    found = change_list(folder, lambda found: found["rows"].update(entries))
    return folder.name, listed(found) + extra


KEEP = object()


def restage(engine: Engine, actor: Actor, token: str | None, key, *, file_type=KEEP, periode=KEEP,
            mapping=KEEP) -> dict:
    """Change what a staged file will be loaded with (its type; its periode, in any of DATA.md's
    forms, or empty for the one found by itself; a column mapping, an empty one for the one found
    by itself) and preview it again. A periode that names no month is refused, the file unchanged."""
    actor.require("upload")
    folder, _found = owned_list(actor, token)
    chosen = {"type": _chosen_type(file_type)} if file_type is not KEEP else {}
    if periode is not KEEP:
        chosen["periode"] = typed_periode(periode) if str(periode or "").strip() else None
    if mapping is not KEEP:
        chosen.update(mapping=_chosen_mapping(mapping), profile=None)

    def change(found: dict) -> None:
        entry = _entry(found, key)
        _not_loading(folder, key)
        entry.update(chosen, replace=False)
        for stale in ("shrink", "refusal"):  # what the last load said of the file as it was
            entry.pop(stale, None)
        _preview(engine, folder, entry)
    return _shown(str(key), change_list(folder, change)["rows"][str(key)])


def unstage(actor: Actor, token: str | None, key) -> list[dict]:
    """Take a file off the list (its staged copy goes); the list's rows as they are now."""
    actor.require("upload")
    folder, _found = owned_list(actor, token)

    def change(found: dict) -> None:
        _not_loading(folder, key)
        entry = found["rows"].pop(str(key), None)
        if entry is not None:
            (folder / entry["path"]).unlink(missing_ok=True)
    return listed(change_list(folder, change))


def confirm_replace(actor: Actor, token: str | None, keys: list) -> None:
    """The admin confirmed that these staged snapshots replace the stored ones (DATA.md's guard)."""
    actor.require("upload")
    folder, _found = owned_list(actor, token)

    def change(found: dict) -> None:
        for key in keys:
            if str(key) in found["rows"]:
                _not_loading(folder, key)
                found["rows"][str(key)]["replace"] = True
    change_list(folder, change)


def _not_loading(folder: Path, key) -> None:
    """A file the running job loads cannot be changed or taken off until the job ends (files
    added since can)."""
    if _running(folder) and str(key) in (status_of(folder).get("keys") or []):
        raise Conflict("File ini sedang dimuat; tunggu hasilnya.", "This file is being loaded.")


def _entry(found: dict, key) -> dict:
    entry = found["rows"].get(str(key))
    if entry is None:
        raise NotFound("File ini sudah tidak ada di daftar; pilih file lagi.", f"No staged file {key!r}.")
    return entry


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


# --- the folders ---------------------------------------------------------------------------------

TEMPORARY = ("sunter-api-*", "sunter-preview-*", "sunter-stage-*")  # what loads leave in the temporary folder


def forget_abandoned(max_age_seconds: int = 24 * 3600) -> None:
    """Lists nobody touched for a day (the page was closed) and the temporary files of loads that
    were killed are removed: no load runs that long."""
    cutoff = time.time() - max_age_seconds
    # (not the admins' lock files: one may be held now, and a new one in its place would not exclude)
    found = [p for p in STAGING.iterdir() if not p.name.startswith(".")] if STAGING.is_dir() else []
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
    forget_abandoned(max_age_seconds)
    return close_unfinished(engine, UNFINISHED_AFTER)


def manifest(token: str | None) -> tuple[Path, dict] | None:
    found = _read(token, MANIFEST)
    return found if found is None or isinstance(found[1].get("rows"), dict) else None


def _read(token: str | None, name: str) -> tuple[Path, dict] | None:
    if not isinstance(token, str) or not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = STAGING / token
    try:
        return folder, json.loads((folder / name).read_text())
    except (OSError, ValueError):
        return None


def write_json(folder: Path, name: str, found: dict) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    part = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"
    part.write_text(json.dumps(found))
    part.replace(folder / name)
    os.utime(folder)  # the list was used now (forget_abandoned)


def status_of(folder: Path) -> dict:
    return (_read(folder.name, STATUS) or (None, {}))[1]


def _running(folder: Path) -> bool:
    return any(f == folder for f, _user in running_jobs())


def owned_list(actor: Actor, token: str | None) -> tuple[Path, dict]:
    found = manifest(token)
    if found is None or found[1].get("username") != actor.username:
        raise NotFound("Daftar file ini sudah tidak ada; pilih file lagi.", "No such staging folder.")
    return found


def _lists_of(actor: Actor, database: str) -> list[tuple[Path, dict]]:
    """The admin's lists on this database, the newest first (there is one, unless two requests
    made one each at the same moment before this lock existed)."""
    found = []
    for folder in STAGING.iterdir() if STAGING.is_dir() else []:
        read = manifest(folder.name) if folder.is_dir() else None
        if read and read[1].get("username") == actor.username and read[1].get("database") == database:
            found.append((read[1].get("created", 0), read))
    return [read for _at, read in sorted(found, key=lambda item: item[0], reverse=True)]


def rows_of(actor: Actor, token: str | None) -> list[dict]:
    """The admin's list as the page lists it."""
    return listed(owned_list(actor, token)[1])


def current(engine: Engine, actor: Actor) -> dict | None:
    """What the page shows when it opens: the admin's list, its job's progress while it runs, or
    the outcome of its last job ({"token", "rows", "running", "progress", "done"})."""
    if not actor.can("upload"):
        return None
    lists = _lists_of(actor, database_of(engine.url))
    if not lists:
        return None
    folder, found = lists[0]
    return {"token": folder.name, "rows": listed(found), **job_state(actor, folder.name)}


STOPPED = {"results": [], "skipped": [], "stopped": True}  # a job that ended without its outcome (killed)


def job_state(actor: Actor, token: str | None) -> dict:
    """The list's job: {"running": bool, "progress": [...] while it runs, "done": its outcome}."""
    folder, found = owned_list(actor, token)
    running, status = _running(folder), status_of(folder)
    if running:
        return {"running": True, "progress": status.get("progress") or [], "done": None}
    if status.get("state") in ("queued", "running"):  # its marker is gone, its outcome never came
        return {"running": False, "progress": None, "done": {**STOPPED, "staged": listed(found)}}
    return {"running": False, "progress": None, "done": status.get("done") if status.get("state") == "done" else None}


# --- the job's marker (the job itself: services/staging_job.py) ------------------------------

RUNNING = "running"  # a staging folder's marker while its job runs
QUEUED_HOURS = 4  # a claimed job may wait this long for a worker (6 jobs of up to 30 minutes' wait each)
JOB_MARKER_MINUTES = 20  # the job touches its marker as it goes (each step, and each poll while it waits its
# turn); one untouched for longer is a job that was killed (the longest step, a large file's summaries, takes
# about a minute)


def running_jobs() -> list[tuple[Path, str]]:
    """(folder, the admin's name) of the staging folders whose job runs now."""
    found = []
    for folder in STAGING.iterdir() if STAGING.is_dir() else []:
        marker = folder / RUNNING
        try:
            touched = marker.stat().st_mtime  # (most lists have no job: their status is not read)
            # A job still queued (behind others, on a busy Celery worker) touches nothing yet.
            waiting = QUEUED_HOURS * 3600 if status_of(folder).get("state") == "queued" else JOB_MARKER_MINUTES * 60
            if touched >= time.time() - waiting:
                found.append((folder, marker.read_text().split("\n")[0]))
        except OSError:
            continue
    return found
