"""Field follow-ups and promises to pay (METRICS.md, "Collection work"): the records of a periode,
the latest of each customer, and the status of each promise."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, func, select, text

from ..domain.followups import GRACE_DAYS, PROMISE, promise_status
from ..domain.periodes import shift_periode
from ..models import FollowUp, Mc
from .cache import cached
from .rute import officers
from .stored import data_as_of


def _shape(row) -> dict:
    return {"id": row.id, "nomen": row.nomen, "periode": row.periode, "result": row.result,
            "visit_date": row.visit_date.isoformat(),
            "promise_date": row.promise_date.isoformat() if row.promise_date else None,
            "note": row.note, "created_by": row.created_by,
            "created_at": row.created_at.isoformat(timespec="seconds") + "Z"}


def followup(engine: Engine, followup_id: int) -> dict:
    with engine.connect() as conn:
        return _shape(conn.execute(select(FollowUp).where(FollowUp.id == followup_id)).one())


@cached
def followups(engine: Engine, periode: str, nomen: str | None = None, petugas: str | None = None) -> list[dict]:
    """Every follow-up of a periode, newest first (of a customer, of an officer's customers)."""
    stmt = select(FollowUp).where(FollowUp.periode == periode).order_by(FollowUp.id.desc())
    if nomen:
        stmt = stmt.where(FollowUp.nomen == nomen)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        if petugas:
            by = officers(conn, periode, sorted({r.nomen for r in rows}))
            rows = [r for r in rows if by.get(r.nomen) == petugas.strip().upper()]
    return [_shape(r) for r in rows]


def customer_followups(engine: Engine, nomen: str) -> list[dict]:
    """Every follow-up of a customer, over every periode, newest first (its profile's timeline)."""
    with engine.connect() as conn:
        rows = conn.execute(select(FollowUp).where(FollowUp.nomen == nomen)
                            .order_by(FollowUp.visit_date.desc(), FollowUp.id.desc())).all()
    return [_shape(r) for r in rows]


def latest(conn: Connection, periode: str, nomens: list[str] | None = None) -> dict[str, dict]:
    """The latest follow-up of each customer in a periode (the one that counts)."""
    newest = select(func.max(FollowUp.id)).where(FollowUp.periode == periode).group_by(FollowUp.nomen)
    if nomens is not None:
        if not nomens:
            return {}
        newest = newest.where(FollowUp.nomen.in_(nomens))
    rows = conn.execute(select(FollowUp).where(FollowUp.id.in_(newest))).all()
    return {r.nomen: _shape(r) for r in rows}


def _paid_dates(conn: Connection, nomens: list[str], first: dt.date, last: dt.date) -> dict[str, list[dt.date]]:
    """Dates of every payment of any kind (COLLECTION, MB) by these customers from first to last."""
    names = {f"n{i}": nomen for i, nomen in enumerate(nomens)}
    listed = ", ".join(f":{name}" for name in names)
    months, month = [], first.strftime("%Y-%m")
    while month <= last.strftime("%Y-%m"):
        months.append(month)
        month = shift_periode(month, 1)
    month_names = {f"m{i}": m for i, m in enumerate(months)}
    found: dict[str, list[dt.date]] = {}
    collection = conn.execute(text(
        f"SELECT nomen, pay_date FROM payment WHERE periode IN ({', '.join(':' + m for m in month_names)}) "
        f"AND nomen IN ({listed}) AND pay_date >= :first AND pay_date <= :last"),
        {**names, **month_names, "first": first, "last": last})
    mb = conn.execute(text(f"SELECT nomen, pay_date FROM mb_payment WHERE nomen IN ({listed}) "
                           "AND pay_date >= :first AND pay_date <= :last"), {**names, "first": first, "last": last})
    for nomen, paid in [*collection, *mb]:
        found.setdefault(nomen, []).append(dt.date.fromisoformat(str(paid)[:10]))
    return found


@cached
def promises(engine: Engine, periode: str, petugas: str | None = None, statuses: tuple[str, ...] | None = None,
             grace: int = GRACE_DAYS) -> dict:
    """METRICS.md's promises of a periode: the janji_bayar follow-ups that are the latest of their
    customer, each pending, kept or broken, with the customer's officer and NOMINAL of MC(P)."""
    with engine.connect() as conn:
        made = [f for f in latest(conn, periode).values() if f["result"] == PROMISE]
        nomens = sorted({f["nomen"] for f in made})
        by = officers(conn, periode, nomens)
        nominal = dict(conn.execute(
            select(Mc.nomen, func.sum(Mc.nominal)).where(Mc.periode == periode, Mc.nomen.in_(nomens))
            .group_by(Mc.nomen)).all()) if nomens else {}
        as_of = data_as_of(conn, periode)
        paid = {}
        if made:
            first = min(dt.date.fromisoformat(f["visit_date"]) for f in made)
            last = max(dt.date.fromisoformat(f["promise_date"]) for f in made) + dt.timedelta(days=grace)
            paid = _paid_dates(conn, nomens, first, last)
    rows = []
    for f in sorted(made, key=lambda f: (f["promise_date"], f["nomen"])):
        status = promise_status(dt.date.fromisoformat(f["visit_date"]), dt.date.fromisoformat(f["promise_date"]),
                                paid.get(f["nomen"], []), as_of, grace)
        rows.append({"nomen": f["nomen"], "petugas": by.get(f["nomen"]), "visit_date": f["visit_date"],
                     "promise_date": f["promise_date"], "status": status,
                     "nominal": int(nominal.get(f["nomen"]) or 0)})
    if petugas:
        rows = [r for r in rows if r["petugas"] == petugas.strip().upper()]
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pending", "kept", "broken")}
    nominals = {s: sum(r["nominal"] for r in rows if r["status"] == s) for s in ("pending", "kept", "broken")}
    if statuses:
        rows = [r for r in rows if r["status"] in statuses]
    return {"periode": periode, "data_as_of": as_of.isoformat() if as_of else None, "grace_days": grace,
            "counts": counts, "nominal": nominals, "rows": rows}
