"""Writes of the manual-analysis workbench (issue 5): opening a case and changing it.

- Every change is one ``analysis_event`` row: who, when, ``{"field": [old, new]}`` and a
  comment; the creation is the first event.
- Optimistic locking: an edit names the ``version`` it was based on; when someone changed
  the case since, ``StaleEdit`` is raised and nothing is written.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine, Row, insert, select

from ..domain.cases import (
    EDITABLE,
    MAX_COMMENT,
    MAX_DESCRIPTION,
    RUTE_OFFICER,
    StaleEdit,
    audit_detail,
    check_anomaly_type,
    check_nomen,
    check_periode,
    check_priority,
    check_rayon,
    check_status,
    check_transition,
    refused,
    text_value,
)
from ..domain.clock import now_utc
from ..domain.errors import NotFound
from ..models import Analysis, AnalysisEvent, User
from ..queries.analyses import get, known_nomen, open_twin, rayon_of, rute_officer
from ..queries.stored import periodes
from . import Actor, record


def _check_assignee(conn: Connection, value, nomen: str, periode: str | None) -> str | None:
    value = text_value("assigned_to", value, 120)
    if value is None:
        return None
    if conn.scalar(select(User.id).where(User.username == value, User.active.is_(True))):
        return value
    officer, pcez = rute_officer(conn, nomen, periode)
    if value == RUTE_OFFICER:
        if officer is None:
            where = f"PCEZ {pcez}" if pcez else "its PCEZ (no PCEZ known for this customer)"
            raise refused(
                f"No RUTE officer found for customer {nomen} at {where}: upload RUTE (and MC) or assign a user.",
                f"Petugas RUTE untuk pelanggan {nomen} tidak ditemukan"
                f"{f' (PCEZ {pcez})' if pcez else ' (PCEZ pelanggan tidak diketahui)'}: unggah RUTE/MC atau "
                "tugaskan ke pengguna.", "assigned_to")
        return officer
    if value == officer:
        return value
    raise refused(
        f"Field 'assigned_to' must be the username of an active user, or '{RUTE_OFFICER}' for the RUTE officer "
        f"of the customer's route; got {value!r}.",
        f"Petugas {value!r} bukan pengguna aktif maupun petugas RUTE pelanggan ini.", "assigned_to")


def _event(conn: Connection, analysis_id: int, username: str | None, when: dt.datetime, change: dict,
           comment: str | None) -> None:
    conn.execute(insert(AnalysisEvent).values(analysis_id=analysis_id, username=username, created_at=when,
                                              change=json.dumps(change, ensure_ascii=False), comment=comment))


def create(engine: Engine, actor: Actor, *, nomen, periode=None, rayon=None, anomaly_type=None,
           description=None, priority="sedang", assigned_to=None, comment=None) -> dict:
    """Open a case and return it (as ``get``, with ``existing`` False). ``rayon`` is used only
    when the customer's own is unknown (customer directory, then customer_rayon); ``assigned_to``
    may be ``RUTE_OFFICER``. A NOMEN no stored data knows is refused. When an active case of the
    same customer, periode and anomaly type exists, nothing is written and that case is returned
    (``existing`` True)."""
    actor.require("analyse")
    username = actor.username
    nomen = check_nomen(nomen)
    periode = check_periode(periode)
    given_rayon = check_rayon(rayon)
    values = {"nomen": nomen, "periode": periode, "anomaly_type": check_anomaly_type(anomaly_type),
              "description": text_value("description", description, MAX_DESCRIPTION),
              "status": "open", "priority": check_priority(priority if priority is not None else "sedang")}
    comment = text_value("comment", comment, MAX_COMMENT)
    now = now_utc()
    stored = [p["periode"] for p in periodes(engine)]
    with engine.begin() as conn:
        if not known_nomen(conn, nomen, stored):
            raise refused(f"NOMEN {nomen} is unknown: no stored MC, SBRS, payment, bill or arrears holds it.",
                          f"NOMEN {nomen} tidak dikenal: tidak ada data tersimpan (MC, SBRS, pembayaran, tagihan "
                          "atau tunggakan) untuk pelanggan ini. Periksa nomornya.", "nomen")
        values["rayon"] = rayon_of(conn, nomen, given_rayon)
        values["assigned_to"] = _check_assignee(conn, assigned_to, nomen, periode)
        twin = open_twin(conn, nomen, periode, values["anomaly_type"])
        if twin is None:
            analysis_id = conn.execute(insert(Analysis).values(
                **values, created_by=username, created_at=now, updated_at=now, version=1)).inserted_primary_key[0]
            _event(conn, analysis_id, username, now,
                   {field: [None, value] for field, value in values.items() if value is not None}, comment)
    if twin is not None:
        return {**get(engine, twin), "existing": True}
    case = get(engine, analysis_id)
    record(engine, actor, "analysis_created", audit_detail(case))
    return {**case, "existing": False}


def update(engine: Engine, actor: Actor, analysis_id: int, version, changes: dict, comment=None) -> dict:
    """Apply ``changes`` (any of EDITABLE) and/or a comment to the case, based on ``version``.

    StaleEdit when the case is no longer at ``version``; BadParameter for a bad value, an
    invalid status transition, closing without a comment, or nothing to do. Nothing is
    written unless everything is right.
    """
    actor.require("analyse")
    username = actor.username
    if isinstance(version, bool) or not isinstance(version, int):
        raise refused("Field 'version' is required: the version of the case your edit is based on "
                            "(from GET /api/analyses/<id>).",
                            "Versi kasus tidak diketahui: muat ulang kasus.", "version")
    if not isinstance(changes, dict):
        raise refused("Changes must be an object of fields.", "Perubahan tidak dapat dibaca.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise refused(f"Field(s) {', '.join(unknown)} cannot be changed; editable: {', '.join(EDITABLE)}.",
                            f"Kolom {', '.join(unknown)} tidak dapat diubah.", unknown[0])
    comment = text_value("comment", comment, MAX_COMMENT)
    with engine.begin() as conn:
        current = conn.execute(select(Analysis.__table__).where(Analysis.id == analysis_id)
                               .with_for_update()).first()
        if current is None:
            raise NotFound(f"Analisa #{analysis_id} tidak ada.", f"Analysis {analysis_id} does not exist.")
        if current.version != version:
            raise _stale(conn, current, version)
        new = _checked(conn, current, changes)
        diff = {field: [getattr(current, field), value] for field, value in new.items()
                if value != getattr(current, field)}
        if "status" in diff:
            check_transition(current.status, diff["status"][1], comment)
        if not diff and not comment:
            raise refused("Nothing to change: send a field with a new value, or a comment.",
                                "Tidak ada perubahan: ubah salah satu isian atau tulis komentar.")
        now = now_utc()
        # The version in the WHERE keeps two edits of one version from both landing.
        values = {**{field: pair[1] for field, pair in diff.items()}, "updated_at": now, "version": version + 1}
        written = conn.execute(Analysis.__table__.update()
                               .where(Analysis.id == analysis_id, Analysis.version == version).values(values))
        if written.rowcount != 1:
            raise _stale(conn, current, version)
        _event(conn, analysis_id, username, now, diff, comment)
    case = get(engine, analysis_id)
    record(engine, actor, "analysis_updated", audit_detail(case))
    return case


def _checked(conn: Connection, current: Row, changes: dict) -> dict:
    new = {}
    if "status" in changes:
        new["status"] = check_status(changes["status"])
    if "priority" in changes:
        new["priority"] = check_priority(changes["priority"])
    if "description" in changes:
        new["description"] = text_value("description", changes["description"], MAX_DESCRIPTION)
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
