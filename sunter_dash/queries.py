"""The one place SQL lives for the pages and the API. Functions return plain data.

Every public function is memoized with flask-caching, keyed by its arguments and
by the data version that each upload and deletion bumps in the database
(ingest/summaries.py): a cache shared by several workers, or one per process,
never serves figures from before an upload. Figures are read from the summary
tables that the ingest transaction keeps, so no page aggregates raw payments.
Definitions: ../shared/spec/METRICS.md.
"""
from __future__ import annotations

import calendar
import datetime as dt
from functools import wraps

from flask import current_app, g
from sqlalchemy import Engine, func, select

from .extensions import cache
from .ingest.detect import shift_periode
from .ingest.summaries import BUCKETS
from .models import (ArrearsBucket, ArrearsCustomer, AuditLog, DataVersion, KpiDay, KpiPeriode, Mc, StoredCount,
                     UploadError,
                     Upload)

ALL_RAYONS = "semua"


def engine() -> Engine:
    return current_app.extensions["sunter_engine"]


def data_version() -> int:
    """The stamp every cached figure is keyed on; read once per request."""
    if "sunter_data_version" not in g:
        with engine().connect() as conn:
            g.sunter_data_version = conn.execute(select(DataVersion.version)).scalar() or 0
    return g.sunter_data_version


def invalidate() -> None:
    """Forget this request's stamp (the next call reads the bumped one) and drop old entries."""
    g.pop("sunter_data_version", None)
    cache.clear()


def cached(fn):
    """Memoize ``fn`` by its arguments and the current data version."""
    memo = cache.memoize()(_versioned(fn))

    @wraps(fn)
    def call(*args, **kwargs):
        return memo(data_version(), *args, **kwargs)
    return call


def _versioned(fn):
    @wraps(fn)
    def inner(_version, *args, **kwargs):
        return fn(*args, **kwargs)
    return inner


def rayon_filter(rayon: str | None) -> str | None:
    """None for all rayons ("semua", "", None), else the rayon code."""
    if rayon is None or rayon.strip().lower() in ("", ALL_RAYONS, "all"):
        return None
    return rayon.strip()


# --- what is stored ------------------------------------------------------------------

@cached
def periodes() -> list[dict]:
    """Stored periodes, newest first, with the file types present for each."""
    found: dict[str, set[str]] = {}
    with engine().connect() as conn:
        for file_type, periode in conn.execute(select(StoredCount.file_type, StoredCount.periode)):
            found.setdefault(periode, set()).add(file_type)
    return [{"periode": p, "types": sorted(found[p])} for p in sorted(found, reverse=True)]


@cached
def data_status() -> list[dict]:
    """Rows stored per periode and file type, for the data overview."""
    with engine().connect() as conn:
        rows = conn.execute(select(StoredCount.periode, StoredCount.file_type, StoredCount.rows))
        found = [{"periode": p, "type": t, "rows": n} for p, t, n in rows]
    return sorted(found, key=lambda r: (r["periode"], r["type"]), reverse=True)


@cached
def rayons() -> list[str]:
    """Every rayon present in the figures of any periode, numerically sorted."""
    with engine().connect() as conn:
        found = {r for (r,) in conn.execute(select(KpiPeriode.rayon).distinct()) if r}
        found |= {r for (r,) in conn.execute(select(ArrearsBucket.rayon).distinct()) if r}
    return sorted(found, key=lambda r: (not r.isdigit(), r.zfill(4)))


@cached
def upload_count() -> int:
    with engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(Upload)).scalar() or 0


def _types_of(periode: str) -> set[str]:
    return next((set(p["types"]) for p in periodes() if p["periode"] == periode), set())


# --- collection KPI ------------------------------------------------------------------

_FIGURES = [c.name for c in KpiPeriode.__table__.columns if c.name not in ("periode", "rayon")]


@cached
def _kpi_rows(periode: str) -> dict[str, dict[str, int]]:
    """kpi_periode of a periode: {rayon: {figure: value}} ('' = no rayon)."""
    with engine().connect() as conn:
        rows = conn.execute(select(KpiPeriode).where(KpiPeriode.periode == periode)).mappings().all()
    return {row["rayon"]: {name: int(row[name]) for name in _FIGURES} for row in rows}


def _shape(periode: str, rayon: str | None, figures: dict[str, int], kubik_from_mc: bool) -> dict:
    target = figures["target_nominal"]
    return {
        "periode": periode,
        "rayon": rayon,
        "total_pelanggan": figures["mc_rows"],
        "total_kubikasi": figures["mc_kubik"] if kubik_from_mc else figures["sbrs_volume"],
        "kubikasi_source": "MC" if kubik_from_mc else ("SBRS" if figures["sbrs_volume"] else None),
        "target": {"nomen": figures["target_nomen"], "nominal": target},
        "paid": {"nomen": figures["paid_nomen"], "nominal": figures["paid_nominal"]},
        "unpaid": {"nomen": figures["unpaid_nomen"], "nominal": figures["unpaid_nominal"]},
        "undue": {"nomen": figures["undue_nomen"], "nominal": figures["undue_nominal"],
                  "count": figures["undue_count"]},
        "unmatched": {"nomen": figures["unmatched_nomen"], "nominal": figures["unmatched_nominal"],
                      "count": figures["unmatched_count"]},
        # METRICS.md: 0 when there is no target; rounded only when shown.
        "collection_rate": 100 * figures["paid_nominal"] / target if target else 0.0,
    }


def _sum(groups: list[dict[str, int]]) -> dict[str, int]:
    return {name: sum(group[name] for group in groups) for name in _FIGURES}


def _kubik_from_mc(rows: dict[str, dict[str, int]]) -> bool:
    # METRICS.md: KUBIKASI of MC(P); SBRS(P)'s PAKAI only when MC has none (decided for the periode).
    return any(figures["mc_kubik_rows"] for figures in rows.values())


@cached
def kpi(periode: str, rayon: str | None = None) -> dict:
    """METRICS.md's collection KPI for a periode and a rayon (all when None)."""
    rayon = rayon_filter(rayon)
    rows = _kpi_rows(periode)
    groups = list(rows.values()) if rayon is None else [rows[rayon]] if rayon in rows else []
    shaped = _shape(periode, rayon, _sum(groups), _kubik_from_mc(rows))
    types = _types_of(periode)
    shaped["has_mc"] = "MC" in types
    shaped["has_collection"] = "COLLECTION" in types
    return shaped


@cached
def kpi_by_rayon(periode: str) -> dict:
    """The KPI per rayon, side by side, with their total; customers without a rayon
    form their own row (rayon None) so the rows add up to the total."""
    rows = _kpi_rows(periode)
    from_mc = _kubik_from_mc(rows)
    ordered = sorted((r for r in rows if r), key=lambda r: (not r.isdigit(), r.zfill(4)))
    if "" in rows:
        ordered.append("")
    return {
        "periode": periode,
        "rayons": [_shape(periode, r or None, rows[r], from_mc) for r in ordered],
        "total": _shape(periode, None, _sum(list(rows.values())), from_mc),
    }


def _days_of(periode: str) -> list[dt.date]:
    year, month = int(periode[:4]), int(periode[5:7])
    return [dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def _daily_totals(periode: str, rayon: str | None) -> dict[dt.date, tuple[int, int]]:
    stmt = (select(KpiDay.day, func.sum(KpiDay.payments), func.sum(KpiDay.nominal))
            .where(KpiDay.periode == periode).group_by(KpiDay.day))
    if rayon is not None:
        stmt = stmt.where(KpiDay.rayon == rayon)
    with engine().connect() as conn:
        return {day: (int(n), int(total)) for day, n, total in conn.execute(stmt)}


def _cumulative_rates(periode: str, rayon: str | None) -> tuple[int, list[float]]:
    """(target, the cumulative rate at the end of each day); METRICS.md: 0 without a target."""
    target = kpi(periode, rayon)["target"]["nominal"]
    totals = _daily_totals(periode, rayon) if target else {}
    running, rates = 0, []
    for day in _days_of(periode):
        running += totals.get(day, (0, 0))[1]
        rates.append(100 * running / target if target else 0.0)
    return target, rates


@cached
def kpi_daily(periode: str, rayon: str | None = None) -> dict:
    """Grafik harian: per day of P, CURRENT payments by target customers, the
    cumulative collection rate, and P-1's cumulative rate on the same day of month."""
    rayon = rayon_filter(rayon)
    totals = _daily_totals(periode, rayon)
    target, rates = _cumulative_rates(periode, rayon)
    previous_periode = shift_periode(periode, -1)
    previous_target, previous = _cumulative_rates(previous_periode, rayon)
    days = []
    for index, day in enumerate(_days_of(periode)):
        payments, nominal = totals.get(day, (0, 0))
        # A shorter previous month keeps its final rate for the days it lacks.
        days.append({"date": day.isoformat(), "nomen": payments, "nominal": nominal,
                     "cumulative_rate": rates[index],
                     "previous_cumulative_rate": previous[min(index, len(previous) - 1)]})
    return {"periode": periode, "rayon": rayon, "target_nominal": target, "previous_periode": previous_periode,
            "previous_target_nominal": previous_target, "days": days}


@cached
def kpi_series(first: str, last: str, rayon: str | None = None, by_rayon: bool = False) -> list[dict]:
    """The KPI of every periode from ``first`` to ``last`` that has figures, oldest first;
    with ``by_rayon``, one entry per periode and rayon."""
    rayon = rayon_filter(rayon)
    with engine().connect() as conn:
        found = conn.execute(select(KpiPeriode.periode).distinct().where(
            KpiPeriode.periode >= first, KpiPeriode.periode <= last)).scalars().all()
    series = []
    for periode in sorted(found):
        if by_rayon:
            series.extend(kpi_by_rayon(periode)["rayons"])
        else:
            series.append(kpi(periode, rayon))
    return series


# --- arrears (OS) ----------------------------------------------------------------------

@cached
def arrears_summary(periode: str, rayon: str | None = None) -> dict:
    """OS of ARDEBT(P): customers and Rupiah, aging buckets, and arrears collected in P
    (undue.nominal) as a share of P-1's outstanding."""
    rayon = rayon_filter(rayon)
    stmt = (select(ArrearsBucket.bucket, func.sum(ArrearsBucket.nomen), func.sum(ArrearsBucket.nominal))
            .where(ArrearsBucket.periode == periode).group_by(ArrearsBucket.bucket))
    if rayon is not None:
        stmt = stmt.where(ArrearsBucket.rayon == rayon)
    with engine().connect() as conn:
        found = {b: (int(n), int(total)) for b, n, total in conn.execute(stmt)}
    buckets = [{"bucket": b, "nomen": found.get(b, (0, 0))[0], "nominal": found.get(b, (0, 0))[1]}
               for b in BUCKETS]
    previous_periode = shift_periode(periode, -1)
    previous = _os_nominal(previous_periode, rayon)
    undue = kpi(periode, rayon)["undue"]
    return {
        "periode": periode,
        "rayon": rayon,
        "has_ardebt": "ARDEBT" in _types_of(periode),
        "os": {"nomen": sum(b["nomen"] for b in buckets), "nominal": sum(b["nominal"] for b in buckets)},
        "buckets": buckets,
        "collected": {"nomen": undue["nomen"], "nominal": undue["nominal"],
                      "previous_periode": previous_periode, "previous_os_nominal": previous,
                      "share": 100 * undue["nominal"] / previous if previous else None},
    }


def _os_nominal(periode: str, rayon: str | None) -> int | None:
    if "ARDEBT" not in _types_of(periode):
        return None
    stmt = select(func.sum(ArrearsBucket.nominal)).where(ArrearsBucket.periode == periode)
    if rayon is not None:
        stmt = stmt.where(ArrearsBucket.rayon == rayon)
    with engine().connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


@cached
def arrears_top(periode: str, rayon: str | None = None, limit: int = 100) -> list[dict]:
    """Top debtors of ARDEBT(P) by total, with name, address and tarif from MC(P)
    (else the customer's most recent MC)."""
    rayon = rayon_filter(rayon)
    stmt = (select(ArrearsCustomer).where(ArrearsCustomer.periode == periode, ArrearsCustomer.total > 0)
            .order_by(ArrearsCustomer.total.desc(), ArrearsCustomer.nomen).limit(limit))
    if rayon is not None:
        stmt = stmt.where(ArrearsCustomer.rayon == rayon)
    with engine().connect() as conn:
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
def arrears_series(first: str, last: str, rayon: str | None = None) -> list[dict]:
    """OS per periode with ARDEBT from ``first`` to ``last``, oldest first."""
    return [arrears_summary(p["periode"], rayon) for p in reversed(periodes())
            if first <= p["periode"] <= last and "ARDEBT" in p["types"]]


# --- audit ---------------------------------------------------------------------------------

def audit_log(limit: int = 1000) -> list[dict]:
    """The newest audit events first (not cached: it changes with every login)."""
    stmt = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)
    with engine().connect() as conn:
        return [{"created_at": row.created_at.strftime("%Y-%m-%d %H:%M:%S"), "username": row.username,
                 "address": row.address, "action": row.action, "detail": row.detail}
                for row in conn.execute(stmt)]


# --- uploads ---------------------------------------------------------------------------------

def uploads(limit: int = 1000) -> list[dict]:
    """Every upload attempt, newest first (not cached: the history must show an upload at once)."""
    stmt = select(Upload).order_by(Upload.id.desc()).limit(limit)
    with engine().connect() as conn:
        return [_upload_row(row) for row in conn.execute(stmt).mappings()]


def upload(upload_id: int) -> dict | None:
    with engine().connect() as conn:
        row = conn.execute(select(Upload).where(Upload.id == upload_id)).mappings().first()
    return _upload_row(row) if row else None


def _upload_row(row) -> dict:
    return {
        "id": row["id"], "file": row["filename"], "size": row["size"], "type": row["file_type"],
        "periode": row["periode"], "periode_rule": row["periode_rule"], "user": row["username"],
        "created_at": row["created_at"].strftime("%Y-%m-%d %H:%M:%S") if row["created_at"] else None,
        "status": row["status"], "read": row["rows_read"], "stored": row["rows_stored"],
        "rejected": row["rows_rejected"], "duplicate": row["rows_duplicate"], "message": row["message"],
        "deleted_at": row["deleted_at"].strftime("%Y-%m-%d %H:%M:%S") if row["deleted_at"] else None,
        "deleted_by": row["deleted_by"],
    }


def upload_errors(upload_id: int, limit: int = 10_000) -> list[dict]:
    """The row errors of an upload in source order: row (None for the file), column, value, reason."""
    stmt = (select(UploadError.row, UploadError.column, UploadError.value, UploadError.reason)
            .where(UploadError.upload_id == upload_id).order_by(UploadError.row, UploadError.id).limit(limit))
    with engine().connect() as conn:
        return [dict(row) for row in conn.execute(stmt).mappings()]
