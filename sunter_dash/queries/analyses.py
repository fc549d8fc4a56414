"""Reads of the manual-analysis workbench: cases, a case with its history, who may be assigned.

Not memoized with the data-version cache: cases change without any upload, so every read is
a small indexed query (ix_analysis_nomen, ix_analysis_status).
"""
from __future__ import annotations

import json

from sqlalchemy import Connection, Engine, select

from ..domain.cases import (
    MAX_LIMIT,
    as_list,
    check_anomaly_type,
    check_nomen,
    check_periode,
    check_priority,
    check_rayon,
    check_status,
    text_value,
)
from ..domain.errors import BadParameter, NotFound
from ..models import (
    Analysis,
    AnalysisEvent,
    ArrearsCustomer,
    Customer,
    CustomerRayon,
    Mainbill,
    MbPayment,
    Mc,
    Payment,
    Sbrs,
    User,
)
from .rute import officer_of

ACTIVE = ("open", "in_progress")


def known_nomen(conn: Connection, nomen: str, stored: list[str]) -> bool:
    """Whether any stored data knows the customer: the directory, its MC or SBRS rows, MB
    payments, or the payments, bills or arrears of a stored periode. Each is an indexed lookup:
    the last three are keyed by periode first, so they are asked per periode (``stored``)."""
    asks = [select(Customer.nomen).where(Customer.nomen == nomen)]
    asks += [select(table.nomen).where(table.nomen == nomen) for table in (Mc, Sbrs, MbPayment)]
    asks += [select(table.nomen).where(table.periode.in_(stored), table.nomen == nomen)
             for table in (Payment, Mainbill, ArrearsCustomer)]
    return any(conn.scalar(ask.limit(1)) is not None for ask in asks)


def open_twin(conn: Connection, nomen: str, periode: str | None, anomaly_type: str | None) -> int | None:
    """The active case (open or in progress) of the same customer, periode and anomaly type."""
    def same(column, value):
        return column.is_(None) if value is None else column == value
    return conn.scalar(select(Analysis.id).where(
        Analysis.nomen == nomen, same(Analysis.periode, periode), same(Analysis.anomaly_type, anomaly_type),
        Analysis.status.in_(ACTIVE)).order_by(Analysis.id).limit(1))


def rute_officer(conn: Connection, nomen: str, periode: str | None = None) -> tuple[str | None, str | None]:
    """(officer, pcez): who reads the customer's route by the RUTE in effect for the periode (the
    newest without one). The PCEZ is the customer directory's, else the customer's MC (that
    periode's first)."""
    pcez = conn.scalar(select(Customer.pcez).where(Customer.nomen == nomen))
    if not pcez:
        pcez = conn.scalar(select(Mc.pcez).where(Mc.nomen == nomen, Mc.pcez.is_not(None), Mc.pcez != "")
                           .order_by((Mc.periode == (periode or "")).desc(), Mc.periode.desc()).limit(1))
    if not pcez:
        return None, None
    return officer_of(conn, pcez, periode), pcez


def rayon_of(conn: Connection, nomen: str, given: str | None) -> str | None:
    rayon = conn.scalar(select(Customer.rayon).where(Customer.nomen == nomen))
    if not rayon:
        rayon = conn.scalar(select(CustomerRayon.rayon).where(CustomerRayon.nomen == nomen))
    return rayon or given


_CASE = [Analysis.id, Analysis.nomen, Customer.nama, Analysis.periode, Analysis.rayon, Analysis.anomaly_type,
         Analysis.description, Analysis.status, Analysis.priority, Analysis.assigned_to, Analysis.created_by,
         Analysis.created_at, Analysis.updated_at, Analysis.version]


def _cases():
    return select(*_CASE).outerjoin(Customer, Customer.nomen == Analysis.nomen)


def find(engine: Engine, *, status=None, priority=None, assigned_to=None, rayon=None, periode=None,
         anomaly_type=None, nomen=None, limit: int = 500) -> list[dict]:
    """Cases matching every filter given, most recently changed first. ``status``, ``priority``
    and ``anomaly_type`` take one value or several (comma-separated or a list)."""
    conditions = []
    statuses = as_list("status", status, check_status)
    if statuses:
        conditions.append(Analysis.status.in_(statuses))
    priorities = as_list("priority", priority, check_priority)
    if priorities:
        conditions.append(Analysis.priority.in_(priorities))
    types = as_list("anomaly_type", anomaly_type, check_anomaly_type)
    if types:
        conditions.append(Analysis.anomaly_type.in_(types))
    if assigned_to:
        conditions.append(Analysis.assigned_to == text_value("assigned_to", assigned_to, 120))
    if rayon:
        conditions.append(Analysis.rayon == check_rayon(rayon))
    if periode:
        conditions.append(Analysis.periode == check_periode(periode))
    if nomen:
        conditions.append(Analysis.nomen == check_nomen(nomen))
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadParameter(f"Batas harus 1 sampai {MAX_LIMIT}.", f"'limit' must be a whole number from 1 to {MAX_LIMIT}.",
                           field="limit")
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
            raise NotFound(f"Analisa #{analysis_id} tidak ada.", f"Analysis {analysis_id} does not exist.")
        return {**row._mapping, "history": _history(conn, analysis_id)}


def assignable_users(engine: Engine) -> list[str]:
    """Active usernames, the people a case may be assigned to (besides the RUTE officer)."""
    with engine.connect() as conn:
        return list(conn.scalars(select(User.username).where(User.active.is_(True)).order_by(User.username)))


def assignees(engine: Engine) -> list[str]:
    """Everyone some case is assigned to (users and RUTE officers), sorted."""
    with engine.connect() as conn:
        return sorted(conn.scalars(select(Analysis.assigned_to).distinct().where(Analysis.assigned_to.is_not(None))))
