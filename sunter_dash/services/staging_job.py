"""The Unggah page's loading job: claimed on the request (the role, a free slot), then run in a
background worker (a spawned process, or Celery) over the admin's list (services/staging.py).
It loads the files listed when it was claimed that the preview found loadable, skips the others,
saves the list after each file and writes its progress and outcome to the list's status file."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from sqlalchemy import Engine

from ..domain.errors import Conflict, TooManyJobs
from . import Actor
from .staging import (
    LOCK,
    PAGE_WAIT_SECONDS,
    RUNNING,
    STATUS,
    change_list,
    database_of,
    listed,
    locked,
    manifest,
    owned_list,
    running_jobs,
    status_of,
    write_json,
)
from .uploads import load

JOBS_PER_USER = 2
JOBS_TOTAL = 6


def claim_job(actor: Actor, token: str | None, *, claim: bool = True) -> None:
    """May this admin start loading these staged files now? At most JOBS_PER_USER jobs of one
    user and JOBS_TOTAL in all run at once, and one job per staged set; with ``claim`` the slot is
    taken (the job frees it when it ends). Checked before a worker is spawned."""
    actor.require("upload")
    folder, _found = owned_list(actor, token)
    running = running_jobs()
    if any(f == folder for f, _user in running):
        raise Conflict("File-file ini sedang dimuat; tunggu hasilnya.", "This staged set is loading already.")
    if sum(user == actor.username for _f, user in running) >= JOBS_PER_USER:
        raise TooManyJobs(f"Anda sudah menjalankan {JOBS_PER_USER} pemuatan; tunggu salah satunya selesai.")
    if len(running) >= JOBS_TOTAL:
        raise TooManyJobs(f"Server sedang menjalankan {JOBS_TOTAL} pemuatan; coba lagi sebentar lagi.")
    if claim:
        with locked(folder / LOCK):
            if (folder / RUNNING).exists() and not any(f == folder for f, _user in running_jobs()):
                (folder / RUNNING).unlink(missing_ok=True)  # a job that was killed: its marker went stale
            try:
                descriptor = os.open(folder / RUNNING, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                raise Conflict("File-file ini sedang dimuat; tunggu hasilnya.",
                               "This staged set is loading already.") from None
            job = secrets.token_hex(8)  # whose marker this is: a job taken for killed must not touch the next
            with os.fdopen(descriptor, "w") as marker:
                marker.write(f"{actor.username or ''}\n{job}")
            # The job loads the files listed now; files sent meanwhile join the list outside it.
            write_json(folder, STATUS, {"state": "queued", "job": job, "progress": [],
                                        "keys": sorted(manifest(folder.name)[1]["rows"], key=int)})


def _staged_actor(engine: Engine, found: dict) -> Actor:
    """The admin who staged the files, as the database knows them now (role and status)."""
    from ..queries.users import active_role
    return Actor(found["username"], active_role(engine, found["username"]), found.get("address"))


def load_staged(database_url: str, max_bytes: int, token: str, set_progress) -> dict:
    """Load the list's loadable files, as the manifest says (the page's background job), reporting
    progress after each step of each file: {"results": [...], "skipped": [...], "staged": [rows]}.
    Skipped files and files refused at load stay listed; the loaded ones leave the folder. The
    list is saved after each file, so a job that is killed leaves it true."""
    from ..db import get_engine

    found = manifest(token)
    if found is None:
        return {"results": [{"file": "-", "status": "refused", "message": "Daftar file ini sudah tidak ada; pilih "
                             "file lagi."}], "skipped": [], "staged": []}
    folder, staged = found
    outcome, job = None, status_of(folder).get("job")
    try:
        if staged.get("database") != database_of(database_url):
            outcome = _refused("Daftar file ini untuk basis data lain; pilih file lagi.")
            return outcome
        engine = get_engine(database_url)
        engine.dispose(close=False)  # a forked worker must not share the parent's connections
        actor = _staged_actor(engine, staged)
        if not actor.can("upload"):
            shutil.rmtree(folder, ignore_errors=True)
            return _refused("Hanya admin yang dapat memuat file.")
        outcome = _load_all(engine, actor, folder, max_bytes, set_progress, job)
        return outcome
    finally:
        if _ours(folder, job):
            if outcome is not None and folder.is_dir():
                write_json(folder, STATUS, {"state": "done", "progress": [], "done": outcome})
            (folder / RUNNING).unlink(missing_ok=True)


def _ours(folder: Path, job: str | None) -> bool:
    """Is the list's marker this job's? (No claim: no marker, and no other job to disturb.)"""
    try:
        return job is None or (folder / RUNNING).read_text().split("\n")[1:] == [job]
    except OSError:
        return False


def _refused(message: str) -> dict:
    return {"results": [{"file": "-", "status": "refused", "message": message}], "skipped": [], "staged": []}


def _load_all(engine: Engine, actor: Actor, folder: Path, max_bytes: int, set_progress, job: str | None) -> dict:
    staged = manifest(folder.name)[1]
    claimed = status_of(folder).get("keys")
    keys = set(staged["rows"] if claimed is None else claimed)  # as claimed (all: a job run without a claim)
    mine = sorted(((key, entry) for key, entry in staged["rows"].items() if key in keys),
                  key=lambda item: int(item[0]))
    wanted = [(key, entry) for key, entry in mine if not entry["seen"]["error"]]
    skipped = [entry["file"] for _key, entry in mine if entry["seen"]["error"]]
    progress = [{"file": entry["file"], "pct": 0, "stage": "menunggu"} for _key, entry in wanted]

    def told() -> None:
        set_progress([list(progress)])
        if _ours(folder, job):  # (a job taken for killed, and claimed again since, says nothing more)
            write_json(folder, STATUS, {"state": "running", "job": job, "keys": sorted(keys, key=int),
                                        "progress": progress})
            with contextlib.suppress(FileNotFoundError):  # (a job run without a claim has no marker)
                os.utime(folder / RUNNING)  # alive: a marker not touched for a while is a job that was killed

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
        results.append(result)
        change_list(folder, lambda found, key=key, result=result: after_load(folder, found, key, result))
        progress[index] = {"file": entry["file"], "pct": 100, "stage": "selesai"}
        told()
    outcome = {"results": results, "skipped": skipped, "staged": listed(manifest(folder.name)[1])}
    write_json(folder, STATUS, {"state": "done", "progress": progress, "done": outcome})
    return outcome


def after_load(folder: Path, found: dict, key: str, result: dict) -> None:
    """What a load leaves of a listed file: nothing when stored, else the refusal (the shrink
    guard's counts, to be confirmed; or the reason) in place of what the last load said."""
    entry = found["rows"].get(key)
    if entry is None:
        return
    entry.pop("shrink", None)
    entry.pop("refusal", None)
    if result["status"] != "refused":
        (folder / entry["path"]).unlink(missing_ok=True)
        del found["rows"][key]
    elif result.get("needs_replace"):
        entry.update(replace=False, shrink={
            "needs_replace": True, "stored_customers": result["stored_customers"],
            "file_customers": result["file_customers"], "upload_id": result.get("stored_upload")})
    else:
        entry["refusal"] = result["message"]
