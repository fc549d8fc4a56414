"""The Unggah page's list of files: staged on the server, one list per admin and database.

1. ``stage``: the files the page sends join the admin's open list (a staging folder with a
   manifest naming the admin; a new one when none is open or its job runs). Each is previewed:
   type, periode and the rule that decided, or why it would be refused.
2. ``restage``, ``unstage``, ``confirm_replace``: the admin's edits (a type, a periode in any of
   DATA.md's forms, a column mapping), taking a file off the list, confirming a replacement.
   What will be loaded lives in the manifest, never in what the page sends back.
3. ``claim_job`` then ``load_staged`` (a background worker): the files the preview finds loadable
   are loaded; the others are skipped and stay listed, saying why. A file refused at load stays
   listed too, with the refusal, to retry with a corrected type, periode or mapping. The job writes
   its progress and outcome to the folder's status file, so a page that comes back (from another
   tab, or reloaded) shows the load still running, or its results (``current``, ``job_state``).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine

from ..domain import files
from ..domain.errors import BadParameter, Conflict, NotFound, TooManyJobs
from ..domain.periodes import UNDATED
from ..domain.uploads import PERIODE_RULES, recorded_name, replacement_note
from ..formatting import number
from ..ingest.detect import typed_periode
from ..ingest.load import UNFINISHED_AFTER, close_unfinished
from ..ingest.preview import fields_of, preview
from . import Actor
from .uploads import load

STAGING = Path(tempfile.gettempdir()) / "sunter_dash-uploads"
MANIFEST = "manifest.json"
STATUS = "status.json"  # the job's progress, then its outcome
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
    columns = [str(c) for c in row.get("columns") or []]
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


def database_of(url: str) -> str:
    """Which database a list belongs to (a list staged for one is never loaded into another)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def stage(engine: Engine, actor: Actor, sent: list, max_bytes: int) -> tuple[str, list[dict]]:
    """Add the files (uploaded parts: ``filename`` and ``save(path)``, as werkzeug gives them) to
    the admin's open list, streamed to disk, and preview each; return the list's token (random)
    and its rows. A file over ``max_bytes`` is listed, refused, and not kept."""
    actor.require("upload")
    forget_abandoned()
    database = database_of(engine.url.render_as_string(hide_password=False))
    opened = _open_list(actor, database)
    if opened is None:
        folder = STAGING / secrets.token_urlsafe(24)
        folder.mkdir(parents=True)
        found = {"username": actor.username, "address": actor.address, "database": database, "rows": {}, "next": 0}
    else:
        folder, found = opened
    start, extra = int(found.get("next", 0)), []
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
        found["rows"][key] = entry
    found["next"] = start + len(sent)
    _write(folder, MANIFEST, found)
    return folder.name, listed(found) + extra


KEEP = object()


def restage(engine: Engine, actor: Actor, token: str | None, key, *, file_type=KEEP, periode=KEEP,
            mapping=KEEP) -> dict:
    """Change what a staged file will be loaded with (its type; its periode, in any of DATA.md's
    forms, or empty for the one found by itself; a column mapping, an empty one for the one found
    by itself) and preview it again. A periode that names no month is refused, the file unchanged."""
    actor.require("upload")
    folder, found = _owned(actor, token)
    entry = _entry(found, key)
    if file_type is not KEEP:
        entry["type"] = _chosen_type(file_type)
    if periode is not KEEP:
        entry["periode"] = typed_periode(periode) if str(periode or "").strip() else None
    if mapping is not KEEP:
        entry["mapping"], entry["profile"] = _chosen_mapping(mapping), None
    for stale in ("shrink", "refusal"):  # what the last load said of the file as it was
        entry.pop(stale, None)
    entry["replace"] = False
    _preview(engine, folder, entry)
    _write(folder, MANIFEST, found)
    return _shown(str(key), entry)


def unstage(actor: Actor, token: str | None, key) -> list[dict]:
    """Take a file off the list (its staged copy goes); the list's rows as they are now."""
    actor.require("upload")
    folder, found = _owned(actor, token)
    if any(f == folder for f, _user in _running_jobs()):
        raise Conflict("File-file ini sedang dimuat; tunggu hasilnya.", "This staged set is loading already.")
    entry = found["rows"].pop(str(key), None)
    if entry is not None:
        (folder / entry["path"]).unlink(missing_ok=True)
        _write(folder, MANIFEST, found)
    return listed(found)


def confirm_replace(actor: Actor, token: str | None, keys: list) -> None:
    """The admin confirmed that these staged snapshots replace the stored ones (DATA.md's guard)."""
    actor.require("upload")
    folder, found = _owned(actor, token)
    for key in keys:
        if str(key) in found["rows"]:
            found["rows"][str(key)]["replace"] = True
    _write(folder, MANIFEST, found)


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


def _write(folder: Path, name: str, found: dict) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    part = folder / f".{name}.{os.getpid()}"
    part.write_text(json.dumps(found))
    part.replace(folder / name)
    os.utime(folder)  # the list was used now (forget_abandoned)


def _owned(actor: Actor, token: str | None) -> tuple[Path, dict]:
    found = manifest(token)
    if found is None or found[1].get("username") != actor.username:
        raise NotFound("Daftar file ini sudah tidak ada; pilih file lagi.", "No such staging folder.")
    return found


def _lists_of(actor: Actor, database: str) -> list[tuple[Path, dict]]:
    """The admin's lists on this database, the newest first."""
    found = []
    for folder in STAGING.iterdir() if STAGING.is_dir() else []:
        read = manifest(folder.name)
        if read and read[1].get("username") == actor.username and read[1].get("database") == database:
            found.append((folder.stat().st_mtime, read))
    return [read for _at, read in sorted(found, key=lambda item: item[0], reverse=True)]


def _open_list(actor: Actor, database: str) -> tuple[Path, dict] | None:
    """The list new files join: the admin's newest, unless its job runs."""
    lists = _lists_of(actor, database)
    running = {f for f, _user in _running_jobs()}
    return lists[0] if lists and lists[0][0] not in running else None


def current(engine: Engine, actor: Actor) -> dict | None:
    """What the page shows when it opens: the admin's newest list, its job's progress while it
    runs, or the outcome of its last job ({"token", "rows", "running", "progress", "done"})."""
    if not actor.can("upload"):
        return None
    lists = _lists_of(actor, database_of(engine.url.render_as_string(hide_password=False)))
    if not lists:
        return None
    folder, found = lists[0]
    return {"token": folder.name, "rows": listed(found), **job_state(actor, folder.name)}


def job_state(actor: Actor, token: str | None) -> dict:
    """The list's job: {"running": bool, "progress": [...] while it runs, "done": its outcome}."""
    folder, _found = _owned(actor, token)
    running = any(f == folder for f, _user in _running_jobs())
    status = (_read(token, STATUS) or (None, {}))[1]
    done = status.get("done") if status.get("state") == "done" and not running else None
    return {"running": running, "progress": status.get("progress") if running else None, "done": done}


# --- the job ------------------------------------------------------------------------------------

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
    """Load the list's loadable files, as the manifest says (the page's background job), reporting
    progress after each step of each file: {"results": [...], "skipped": [...], "staged": [rows]}.
    Skipped files and files refused at load stay listed; the loaded ones leave the folder."""
    from ..db import get_engine

    found = manifest(token)
    if found is None:
        return {"results": [{"file": "-", "status": "refused", "message": "Daftar file ini sudah tidak ada; pilih "
                             "file lagi."}], "skipped": [], "staged": []}
    folder, staged = found
    engine = get_engine(database_url)
    engine.dispose(close=False)  # a forked worker must not share the parent's connections
    actor = _staged_actor(engine, staged)
    if not actor.can("upload") or staged.get("database") != database_of(database_url):
        shutil.rmtree(folder, ignore_errors=True)
        return {"results": [{"file": "-", "status": "refused", "message": "Hanya admin yang dapat memuat file."}],
                "skipped": [], "staged": []}
    try:
        return _load_all(engine, actor, folder, staged, max_bytes, set_progress)
    finally:
        (folder / RUNNING).unlink(missing_ok=True)


def _load_all(engine: Engine, actor: Actor, folder: Path, staged: dict, max_bytes: int, set_progress) -> dict:
    wanted = [(key, entry) for key, entry in staged["rows"].items() if not entry["seen"]["error"]]
    skipped = [entry["file"] for entry in staged["rows"].values() if entry["seen"]["error"]]
    progress = [{"file": entry["file"], "pct": 0, "stage": "menunggu"} for _key, entry in wanted]

    def told() -> None:
        set_progress([list(progress)])
        _write(folder, STATUS, {"state": "running", "progress": progress})

    results = []
    for index, (key, entry) in enumerate(wanted):
        def report(step: str, done: int, total: int, index=index, entry=entry) -> None:
            share = {"antre": 2, "membaca": 5, "menyimpan": 10 + 80 * (done / total if total else 1), "meringkas": 92}
            label = f"menunggu giliran (antrean ke-{done + 1})" if step == "antre" else step
            progress[index] = {"file": entry["file"], "pct": round(share.get(step, 50)), "stage": label}
            told()
        report("membaca", 0, 1)
        result = load(engine, actor, folder / entry["path"], filename=entry["file"], file_type=entry["type"],
                      periode=entry["periode"], max_bytes=max_bytes, progress=report, wait_seconds=PAGE_WAIT_SECONDS,
                      mapping=entry["mapping"] or None, profile=entry["profile"], replace=entry["replace"]).as_json("page")
        progress[index] = {"file": entry["file"], "pct": 100, "stage": "selesai"}
        told()
        results.append(result)
        if result["status"] != "refused":
            (folder / entry["path"]).unlink(missing_ok=True)
            del staged["rows"][key]
        elif result.get("needs_replace"):
            entry.update(replace=False, shrink={
                "needs_replace": True, "stored_customers": result["stored_customers"],
                "file_customers": result["file_customers"], "upload_id": result.get("stored_upload")})
        else:
            entry["refusal"] = result["message"]
    outcome = {"results": results, "skipped": skipped, "staged": listed(staged)}
    _write(folder, MANIFEST, staged)
    _write(folder, STATUS, {"state": "done", "progress": progress, "done": outcome})
    return outcome
