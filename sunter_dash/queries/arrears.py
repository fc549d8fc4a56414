"""Arrears outstanding (OS) of ARDEBT(P): aging buckets, top debtors, arrears collected."""
from __future__ import annotations

from sqlalchemy import Engine, func, select

from ..domain.labels import BUCKETS
from ..domain.listing import rayon_filter
from ..domain.periodes import shift_periode
from ..models import ArrearsBucket, ArrearsCustomer, Mc
from .cache import cached
from .kpi import kpi
from .stored import periodes, types_of


@cached
def arrears_summary(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """OS of ARDEBT(P): customers and Rupiah, aging buckets, and arrears collected in P
    (undue.nominal) as a share of P-1's outstanding. A figure whose file is not stored is None
    (METRICS.md), and ``missing`` names the files lacking: ARDEBT(P) for the OS and its buckets,
    COLLECTION(P) for what was collected."""
    rayon = rayon_filter(rayon)
    stored = types_of(engine, periode)
    has_ardebt, has_payments = "ARDEBT" in stored, "COLLECTION" in stored
    stmt = (select(ArrearsBucket.bucket, func.sum(ArrearsBucket.nomen), func.sum(ArrearsBucket.nominal))
            .where(ArrearsBucket.periode == periode).group_by(ArrearsBucket.bucket))
    if rayon is not None:
        stmt = stmt.where(ArrearsBucket.rayon == rayon)
    with engine.connect() as conn:
        found = {b: (int(n), int(total)) for b, n, total in conn.execute(stmt)}
    unknown = (None, None)
    buckets = [{"bucket": b, "nomen": found.get(b, (0, 0) if has_ardebt else unknown)[0],
                "nominal": found.get(b, (0, 0) if has_ardebt else unknown)[1]} for b in BUCKETS]
    previous_periode = shift_periode(periode, -1)
    previous = _os_nominal(engine, previous_periode, rayon)
    undue = kpi(engine, periode, rayon)["undue"] if has_payments else {"nomen": None, "nominal": None}
    return {
        "periode": periode,
        "rayon": rayon,
        "has_ardebt": has_ardebt,
        "os": {"nomen": sum(b["nomen"] for b in buckets), "nominal": sum(b["nominal"] for b in buckets)}
        if has_ardebt else None,
        "buckets": buckets,
        "collected": {"nomen": undue["nomen"], "nominal": undue["nominal"],
                      "previous_periode": previous_periode, "previous_os_nominal": previous,
                      "share": 100 * undue["nominal"] / previous if previous and has_payments else None},
        "missing": [t for t, has in (("ARDEBT", has_ardebt), ("COLLECTION", has_payments)) if not has],
    }


def _os_nominal(engine: Engine, periode: str, rayon: str | None) -> int | None:
    if "ARDEBT" not in types_of(engine, periode):
        return None
    stmt = select(func.sum(ArrearsBucket.nominal)).where(ArrearsBucket.periode == periode)
    if rayon is not None:
        stmt = stmt.where(ArrearsBucket.rayon == rayon)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


@cached
def arrears_top(engine: Engine, periode: str, rayon: str | None = None, limit: int = 100) -> list[dict]:
    """Top debtors of ARDEBT(P) by total, with name, address and tarif from MC(P)
    (else the customer's most recent MC)."""
    rayon = rayon_filter(rayon)
    stmt = (select(ArrearsCustomer).where(ArrearsCustomer.periode == periode, ArrearsCustomer.total > 0)
            .order_by(ArrearsCustomer.total.desc(), ArrearsCustomer.nomen).limit(limit))
    if rayon is not None:
        stmt = stmt.where(ArrearsCustomer.rayon == rayon)
    with engine.connect() as conn:
        debtors = conn.execute(stmt).mappings().all()
        names = _identities(conn, [d["nomen"] for d in debtors], periode)
    return [{"nomen": d["nomen"], **names.get(d["nomen"], {"nama": None, "alamat": None, "tarif": None}),
             "rayon": d["rayon"] or None, "bills": int(d["bills"]), "total": int(d["total"]),
             "oldest_bill": d["oldest_bill"]} for d in debtors]


def _identities(conn, nomens: list[str], periode: str) -> dict[str, dict]:
    """Name, address and tarif of customers from their MC closest to (at or before) ``periode``."""
    if not nomens:
        return {}
    rows = conn.execute(
        select(Mc.nomen, Mc.periode, Mc.nama, Mc.alamat, Mc.tarif).where(Mc.nomen.in_(nomens))
        .order_by(Mc.nomen, (Mc.periode <= periode).desc(), Mc.periode.desc())).all()
    found: dict[str, dict] = {}
    for row in rows:
        found.setdefault(row.nomen, {"nama": row.nama, "alamat": row.alamat, "tarif": row.tarif})
    return found


@cached
def arrears_series(engine: Engine, first: str, last: str, rayon: str | None = None) -> list[dict]:
    """OS per periode with ARDEBT from ``first`` to ``last``, oldest first."""
    return [arrears_summary(engine, p["periode"], rayon) for p in reversed(periodes(engine))
            if first <= p["periode"] <= last and "ARDEBT" in p["types"]]
