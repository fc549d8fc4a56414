"""The manual-analysis workbench (issue 5): cases on a customer, their status, and their history.

Plain functions of an engine (no Dash, no Flask), shared by the Analisa tab and /api/analyses.
Reads are not memoized with the data-version cache of ``queries.py``: cases change without
any upload, so every read is a small indexed query (ix_analysis_nomen, ix_analysis_status).

- Every change is one ``analysis_event`` row: who, when, ``{"field": [old, new]}`` and a
  comment; the creation is the first event.
- Optimistic locking: an edit names the ``version`` it was based on; when someone changed
  the case since, ``StaleEdit`` is raised and nothing is written.
- Errors carry an English ``message`` (the API's JSON) and an Indonesian ``pesan`` (the tab).
"""
from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import Connection, Engine, Row, insert, select

from .ingest.anomalies import ANOMALIES
from .models import Analysis, AnalysisEvent, Customer, CustomerRayon, Mc, Rute, User

STATUSES = ("open", "in_progress", "resolved", "dismissed")
STATUS_LABELS = {"open": "Terbuka", "in_progress": "Diproses", "resolved": "Selesai", "dismissed": "Diabaikan"}
# open -> in_progress -> resolved | dismissed; open may be closed directly; a closed case reopens.
TRANSITIONS = {
    "open": ("in_progress", "resolved", "dismissed"),
    "in_progress": ("resolved", "dismissed"),
    "resolved": ("open",),
    "dismissed": ("open",),
}
CLOSED = ("resolved", "dismissed")  # reaching these needs a comment
PRIORITIES = ("rendah", "sedang", "tinggi")
PRIORITY_LABELS = {"rendah": "Rendah", "sedang": "Sedang", "tinggi": "Tinggi"}
OTHER_TYPE = "lainnya"
TYPE_LABELS = {**ANOMALIES, OTHER_TYPE: "Lainnya"}
# The assignee choice "the RUTE officer of the customer's PCEZ"; '@' is never in a username.
RUTE_OFFICER = "@rute"
EDITABLE = ("status", "priority", "assigned_to", "description", "anomaly_type", "periode")
FIELD_LABELS = {"nomen": "Nomen", "periode": "Periode", "rayon": "Rayon", "anomaly_type": "Jenis anomali",
                "description": "Deskripsi", "status": "Status", "priority": "Prioritas",
                "assigned_to": "Ditugaskan ke"}
MAX_DESCRIPTION = 4000
MAX_COMMENT = 2000
MAX_LIMIT = 1000

NOMEN = re.compile(r"\d{1,20}")
PERIODE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
RAYON = re.compile(r"[0-9A-Za-z]{1,8}")


class AnalysisError(ValueError):
    """A request the workbench refuses: ``message`` in English, ``pesan`` in Indonesian, and
    the ``field`` at fault when there is one."""

    def __init__(self, message: str, pesan: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.pesan = pesan
        self.field = field


class NotFound(AnalysisError):
    def __init__(self, analysis_id):
        super().__init__(f"Analysis {analysis_id} does not exist.", f"Analisa #{analysis_id} tidak ada.")


class StaleEdit(AnalysisError):
    """The case changed since the version the edit was based on; nothing was written."""

    def __init__(self, analysis_id: int, based_on: int, current: int, changed_by: str | None,
                 changed_at: dt.datetime | None):
        when = changed_at.strftime("%Y-%m-%d %H:%M") if changed_at else "-"
        who = changed_by or "pengguna lain"
        super().__init__(
            f"Analysis {analysis_id} was changed by {changed_by or 'another user'} at {when} UTC: your edit is "
            f"based on version {based_on}, the current version is {current}. Reload it and apply your edit "
            "again; nothing was changed.",
            f"Kasus ini sudah diubah oleh {who} pada {when} UTC (versi {current}, perubahan Anda berdasar "
            f"versi {based_on}). Tidak ada yang disimpan: muat ulang kasus, lalu ulangi perubahan Anda.",
            "version")
        self.current_version = current
        self.changed_by = changed_by
        self.changed_at = changed_at


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# --- checking values -----------------------------------------------------------------------------

def _text(name: str, value, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise AnalysisError(f"Field '{name}' must be text.", f"{FIELD_LABELS.get(name, name)} harus berupa teks.",
                            name)
    value = value.strip()
    if len(value) > max_length:
        raise AnalysisError(f"Field '{name}' is longer than {max_length} characters.",
                            f"{FIELD_LABELS.get(name, name)} lebih dari {max_length} karakter.", name)
    return value or None


def check_nomen(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    value = value.strip() if isinstance(value, str) else ""
    if not NOMEN.fullmatch(value):
        raise AnalysisError("Field 'nomen' is required: the customer number, digits only (e.g. 60012345).",
                            "Nomen wajib diisi: nomor pelanggan, hanya angka (misalnya 60012345).", "nomen")
    return value


def check_periode(value, name: str = "periode") -> str | None:
    value = _text(name, value, 7)
    if value is not None and not PERIODE.fullmatch(value):
        raise AnalysisError(f"Field '{name}' must be YYYY-MM (e.g. 2025-12), got {value!r}.",
                            f"Periode harus berbentuk TTTT-BB (misalnya 2025-12), bukan {value!r}.", name)
    return value


def check_rayon(value) -> str | None:
    value = _text("rayon", value, 8)
    if value is not None and not RAYON.fullmatch(value):
        raise AnalysisError(f"Field 'rayon' must be a rayon code such as 34, got {value!r}.",
                            f"Rayon harus berupa kode rayon seperti 34, bukan {value!r}.", "rayon")
    return value


def check_anomaly_type(value) -> str | None:
    value = _text("anomaly_type", value, 32)
    if value is not None and value not in TYPE_LABELS:
        raise AnalysisError(f"Field 'anomaly_type' must be one of {', '.join(TYPE_LABELS)}, or empty; "
                            f"got {value!r}.",
                            f"Jenis anomali tidak dikenal: {value!r}.", "anomaly_type")
    return value


def check_priority(value) -> str:
    if value not in PRIORITIES:
        raise AnalysisError(f"Field 'priority' must be one of {', '.join(PRIORITIES)}; got {value!r}.",
                            "Prioritas harus Rendah, Sedang atau Tinggi.", "priority")
    return value


def check_status(value, name: str = "status") -> str:
    if value not in STATUSES:
        raise AnalysisError(f"Field '{name}' must be one of {', '.join(STATUSES)}; got {value!r}.",
                            "Status harus Terbuka, Diproses, Selesai atau Diabaikan.", name)
    return value


def check_transition(old: str, new: str, comment: str | None) -> None:
    if new == old:
        return
    if new not in TRANSITIONS[old]:
        allowed = TRANSITIONS[old]
        raise AnalysisError(
            f"Status cannot change from {old} to {new}; from {old} it may become {' or '.join(allowed)}.",
            f"Status tidak dapat diubah dari {STATUS_LABELS[old]} ke {STATUS_LABELS[new]}; dari "
            f"{STATUS_LABELS[old]} hanya ke {' atau '.join(STATUS_LABELS[s] for s in allowed)}.", "status")
    if new in CLOSED and not comment:
        raise AnalysisError(f"Setting the status to {new} needs a comment saying why.",
                            f"Tulis komentar (alasannya) untuk menandai kasus {STATUS_LABELS[new]}.", "comment")


def rute_officer(conn: Connection, nomen: str, periode: str | None = None) -> tuple[str | None, str | None]:
    """(officer, pcez): who reads the customer's route by RUTE, the periode's RUTE first, else the
    newest. The PCEZ is the customer directory's, else the customer's MC (that periode's first)."""
    pcez = conn.scalar(select(Customer.pcez).where(Customer.nomen == nomen))
    if not pcez:
        pcez = conn.scalar(select(Mc.pcez).where(Mc.nomen == nomen, Mc.pcez.is_not(None), Mc.pcez != "")
                           .order_by((Mc.periode == (periode or "")).desc(), Mc.periode.desc()).limit(1))
    if not pcez:
        return None, None
    officer = conn.scalar(select(Rute.petugas).where(Rute.pcez == pcez.strip())
                          .order_by((Rute.periode == (periode or "")).desc(), Rute.periode.desc()).limit(1))
    return officer, pcez


def _check_assignee(conn: Connection, value, nomen: str, periode: str | None) -> str | None:
    value = _text("assigned_to", value, 120)
    if value is None:
        return None
    if conn.scalar(select(User.id).where(User.username == value, User.active.is_(True))):
        return value
    officer, pcez = rute_officer(conn, nomen, periode)
    if value == RUTE_OFFICER:
        if officer is None:
            where = f"PCEZ {pcez}" if pcez else "its PCEZ (no PCEZ known for this customer)"
            raise AnalysisError(
                f"No RUTE officer found for customer {nomen} at {where}: upload RUTE (and MC) or assign a user.",
                f"Petugas RUTE untuk pelanggan {nomen} tidak ditemukan"
                f"{f' (PCEZ {pcez})' if pcez else ' (PCEZ pelanggan tidak diketahui)'}: unggah RUTE/MC atau "
                "tugaskan ke pengguna.", "assigned_to")
        return officer
    if value == officer:
        return value
    raise AnalysisError(
        f"Field 'assigned_to' must be the username of an active user, or '{RUTE_OFFICER}' for the RUTE officer "
        f"of the customer's route; got {value!r}.",
        f"Petugas {value!r} bukan pengguna aktif maupun petugas RUTE pelanggan ini.", "assigned_to")


def _rayon_of(conn: Connection, nomen: str, given: str | None) -> str | None:
    rayon = conn.scalar(select(Customer.rayon).where(Customer.nomen == nomen))
    if not rayon:
        rayon = conn.scalar(select(CustomerRayon.rayon).where(CustomerRayon.nomen == nomen))
    return rayon or given


# --- reading -------------------------------------------------------------------------------------

_CASE = [Analysis.id, Analysis.nomen, Customer.nama, Analysis.periode, Analysis.rayon, Analysis.anomaly_type,
         Analysis.description, Analysis.status, Analysis.priority, Analysis.assigned_to, Analysis.created_by,
         Analysis.created_at, Analysis.updated_at, Analysis.version]


def _cases():
    return select(*_CASE).outerjoin(Customer, Customer.nomen == Analysis.nomen)


def _as_list(name: str, value, check) -> list[str] | None:
    """A filter value: one value, a comma-separated string or a list; None or empty for any."""
    if value is None or value == "":
        return None
    values = value.split(",") if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise AnalysisError(f"Filter '{name}' must be text.", f"Saringan {name} harus berupa teks.", name)
    return [check(v.strip()) for v in values if v.strip()] or None


def find(engine: Engine, *, status=None, priority=None, assigned_to=None, rayon=None, periode=None,
         anomaly_type=None, nomen=None, limit: int = 500) -> list[dict]:
    """Cases matching every filter given, most recently changed first. ``status``, ``priority``
    and ``anomaly_type`` take one value or several (comma-separated or a list)."""
    conditions = []
    statuses = _as_list("status", status, check_status)
    if statuses:
        conditions.append(Analysis.status.in_(statuses))
    priorities = _as_list("priority", priority, check_priority)
    if priorities:
        conditions.append(Analysis.priority.in_(priorities))
    types = _as_list("anomaly_type", anomaly_type, check_anomaly_type)
    if types:
        conditions.append(Analysis.anomaly_type.in_(types))
    if assigned_to:
        conditions.append(Analysis.assigned_to == _text("assigned_to", assigned_to, 120))
    if rayon:
        conditions.append(Analysis.rayon == check_rayon(rayon))
    if periode:
        conditions.append(Analysis.periode == check_periode(periode))
    if nomen:
        conditions.append(Analysis.nomen == check_nomen(nomen))
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise AnalysisError(f"'limit' must be a whole number from 1 to {MAX_LIMIT}.",
                            f"Batas harus 1 sampai {MAX_LIMIT}.", "limit")
    stmt = _cases().where(*conditions).order_by(Analysis.updated_at.desc(), Analysis.id.desc())
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt.limit(limit))]


def _history(conn: Connection, analysis_id: int) -> list[dict]:
    stmt = (select(AnalysisEvent.id, AnalysisEvent.username, AnalysisEvent.created_at, AnalysisEvent.change,
                   AnalysisEvent.comment)
            .where(AnalysisEvent.analysis_id == analysis_id).order_by(AnalysisEvent.created_at, AnalysisEvent.id))
    return [{**row._mapping, "change": json.loads(row.change or "{}")} for row in conn.execute(stmt)]


def get(engine: Engine, analysis_id: int) -> dict:
    """A case with its ``history``, oldest event first (the creation); NotFound when missing."""
    with engine.connect() as conn:
        row = conn.execute(_cases().where(Analysis.id == analysis_id)).first()
        if row is None:
            raise NotFound(analysis_id)
        return {**row._mapping, "history": _history(conn, analysis_id)}


def assignable_users(engine: Engine) -> list[str]:
    """Active usernames, the people a case may be assigned to (besides the RUTE officer)."""
    with engine.connect() as conn:
        return list(conn.scalars(select(User.username).where(User.active.is_(True)).order_by(User.username)))


def assignees(engine: Engine) -> list[str]:
    """Everyone some case is assigned to (users and RUTE officers), sorted."""
    with engine.connect() as conn:
        return sorted(conn.scalars(select(Analysis.assigned_to).distinct().where(Analysis.assigned_to.is_not(None))))


# --- writing -------------------------------------------------------------------------------------

def _event(conn: Connection, analysis_id: int, username: str | None, when: dt.datetime, change: dict,
           comment: str | None) -> None:
    conn.execute(insert(AnalysisEvent).values(analysis_id=analysis_id, username=username, created_at=when,
                                              change=json.dumps(change, ensure_ascii=False), comment=comment))


def create(engine: Engine, username: str | None, *, nomen, periode=None, rayon=None, anomaly_type=None,
           description=None, priority="sedang", assigned_to=None, comment=None) -> dict:
    """Open a case and return it (as ``get``). ``rayon`` is used only when the customer's own
    is unknown (customer directory, then customer_rayon); ``assigned_to`` may be ``RUTE_OFFICER``."""
    nomen = check_nomen(nomen)
    periode = check_periode(periode)
    given_rayon = check_rayon(rayon)
    values = {"nomen": nomen, "periode": periode, "anomaly_type": check_anomaly_type(anomaly_type),
              "description": _text("description", description, MAX_DESCRIPTION),
              "status": "open", "priority": check_priority(priority if priority is not None else "sedang")}
    comment = _text("comment", comment, MAX_COMMENT)
    now = _now()
    with engine.begin() as conn:
        values["rayon"] = _rayon_of(conn, nomen, given_rayon)
        values["assigned_to"] = _check_assignee(conn, assigned_to, nomen, periode)
        analysis_id = conn.execute(insert(Analysis).values(
            **values, created_by=username, created_at=now, updated_at=now, version=1)).inserted_primary_key[0]
        _event(conn, analysis_id, username, now,
               {field: [None, value] for field, value in values.items() if value is not None}, comment)
    return get(engine, analysis_id)


def update(engine: Engine, analysis_id: int, version, username: str | None, changes: dict,
           comment=None) -> dict:
    """Apply ``changes`` (any of EDITABLE) and/or a comment to the case, based on ``version``.

    StaleEdit when the case is no longer at ``version``; AnalysisError for a bad value, an
    invalid status transition, closing without a comment, or nothing to do. Nothing is
    written unless everything is right.
    """
    if isinstance(version, bool) or not isinstance(version, int):
        raise AnalysisError("Field 'version' is required: the version of the case your edit is based on "
                            "(from GET /api/analyses/<id>).",
                            "Versi kasus tidak diketahui: muat ulang kasus.", "version")
    if not isinstance(changes, dict):
        raise AnalysisError("Changes must be an object of fields.", "Perubahan tidak dapat dibaca.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise AnalysisError(f"Field(s) {', '.join(unknown)} cannot be changed; editable: {', '.join(EDITABLE)}.",
                            f"Kolom {', '.join(unknown)} tidak dapat diubah.", unknown[0])
    comment = _text("comment", comment, MAX_COMMENT)
    with engine.begin() as conn:
        current = conn.execute(select(Analysis.__table__).where(Analysis.id == analysis_id)
                               .with_for_update()).first()
        if current is None:
            raise NotFound(analysis_id)
        if current.version != version:
            raise _stale(conn, current, version)
        new = _checked(conn, current, changes)
        diff = {field: [getattr(current, field), value] for field, value in new.items()
                if value != getattr(current, field)}
        if "status" in diff:
            check_transition(current.status, diff["status"][1], comment)
        if not diff and not comment:
            raise AnalysisError("Nothing to change: send a field with a new value, or a comment.",
                                "Tidak ada perubahan: ubah salah satu isian atau tulis komentar.")
        now = _now()
        # The version in the WHERE keeps two edits of one version from both landing.
        values = {**{field: pair[1] for field, pair in diff.items()}, "updated_at": now, "version": version + 1}
        written = conn.execute(Analysis.__table__.update()
                               .where(Analysis.id == analysis_id, Analysis.version == version).values(values))
        if written.rowcount != 1:
            raise _stale(conn, current, version)
        _event(conn, analysis_id, username, now, diff, comment)
    return get(engine, analysis_id)


def _checked(conn: Connection, current: Row, changes: dict) -> dict:
    new = {}
    if "status" in changes:
        new["status"] = check_status(changes["status"])
    if "priority" in changes:
        new["priority"] = check_priority(changes["priority"])
    if "description" in changes:
        new["description"] = _text("description", changes["description"], MAX_DESCRIPTION)
    if "anomaly_type" in changes:
        new["anomaly_type"] = check_anomaly_type(changes["anomaly_type"])
    if "periode" in changes:
        new["periode"] = check_periode(changes["periode"])
    if "assigned_to" in changes:
        wanted = changes["assigned_to"]
        # The officer's name, already assigned, stays valid even when RUTE has changed since.
        if wanted is not None and wanted == current.assigned_to:
            new["assigned_to"] = wanted
        else:
            new["assigned_to"] = _check_assignee(conn, wanted, current.nomen, new.get("periode", current.periode))
    return new


def _stale(conn: Connection, current: Row, based_on: int) -> StaleEdit:
    last = conn.execute(select(AnalysisEvent.username, AnalysisEvent.created_at)
                        .where(AnalysisEvent.analysis_id == current.id)
                        .order_by(AnalysisEvent.created_at.desc(), AnalysisEvent.id.desc()).limit(1)).first()
    version = conn.scalar(select(Analysis.version).where(Analysis.id == current.id))
    return StaleEdit(current.id, based_on, version or current.version, last.username if last else None,
                     last.created_at if last else current.updated_at)


# --- describing ----------------------------------------------------------------------------------

def value_label(field: str, value) -> str:
    """A field's value as the tab shows it."""
    if value is None or value == "":
        return "—"
    if field == "status":
        return STATUS_LABELS.get(value, value)
    if field == "priority":
        return PRIORITY_LABELS.get(value, value)
    if field == "anomaly_type":
        return TYPE_LABELS.get(value, value)
    return str(value)



def audit_detail(case: dict) -> str:
    """The audit log's line for the latest event of a case: '#7 60012345: status open -> resolved'."""
    event = case["history"][-1]
    if len(case["history"]) == 1:
        return (f"#{case['id']} {case['nomen']}: dibuat ({case['anomaly_type'] or '-'}, {case['periode'] or '-'}, "
                f"{case['assigned_to'] or 'belum ditugaskan'})")
    parts = [f"{field} diubah" if field == "description" else f"{field} {old or '-'} -> {new or '-'}"
             for field, (old, new) in event["change"].items()]
    if event["comment"]:
        parts.append("komentar")
    return f"#{case['id']} {case['nomen']}: {', '.join(parts)}"
