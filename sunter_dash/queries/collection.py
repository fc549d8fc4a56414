"""METRICS.md's collection work ("penagihan") for a periode: the collection KPI per PCEZ and per
officer, the unpaid list, and the disconnection candidates.

A customer's PCEZ is MC(P)'s, else its most recent MC's; its rayon as the KPI has it (MC(P),
else ``customer_rayon``); its officer the PETUGAS of its PCEZ in the RUTE in effect for P
(queries/rute.py), names trimmed and upper-cased. Money comes from ``pay_customer`` (CURRENT and
UNDUE per customer and pay month) and ``arrears_customer`` (ARDEBT(P) per customer), the
summaries the ingest keeps, so no query here reads the raw payments but for one page's last
payment dates. A listed customer carries its latest follow-up of P.

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import Connection, Engine, text

from ..domain.listing import rayon_filter
from ..domain.params import COLLECTION_SORTS, LIMITS
from ..domain.settings import DISCONNECT_BILLS as _DISCONNECT
from .cache import cached
from .followups import latest
from .rute import rute_in_effect
from .stored import types_of

DISCONNECT_BILLS = _DISCONNECT.default  # METRICS.md's N (a setting): the bills of a candidate
PAGE_SIZE_MAX = LIMITS["collection_page_size"][2]
# The sorts the lists take: name -> ORDER BY (every one ends on nomen, so pages never overlap).
UNPAID_SORTS = {
    "nominal": "c.nominal DESC, c.nomen",
    "route": "c.pcez, c.alamat, c.nomen",  # as an officer walks: PCEZ, then address
    "nomen": "c.nomen",
    "arrears": "COALESCE(a.total, 0) DESC, c.nomen",
}
DISCONNECT_SORTS = {"arrears": "a.total DESC, c.nomen", "route": "c.pcez, c.alamat, c.nomen", "nomen": "c.nomen"}
assert tuple(UNPAID_SORTS) == COLLECTION_SORTS["unpaid"] and tuple(DISCONNECT_SORTS) == COLLECTION_SORTS["disconnect"]

# MC(P) per customer (a customer listed twice counts once, its rows summed), with the rayon and
# PCEZ METRICS.md gives it, and its officer.
_CUSTOMERS = """
    m AS (
        SELECT nomen, SUM(nominal) AS nominal, MAX(nama) AS nama, MAX(alamat) AS alamat, MAX(tarif) AS tarif,
               MAX(rayon) AS rayon, MAX(pcez) AS pcez
        FROM mc WHERE periode = :p {seed} GROUP BY nomen),
    r AS (SELECT pcez, MAX(UPPER(TRIM(petugas))) AS petugas FROM rute WHERE periode = :rp GROUP BY pcez),
    c AS (
        SELECT m.nomen, m.nominal, m.nama, m.alamat, m.tarif,
               COALESCE(m.rayon, (SELECT cr.rayon FROM customer_rayon cr WHERE cr.nomen = m.nomen), '') AS rayon,
               COALESCE(m.pcez, (SELECT m2.pcez FROM mc m2 WHERE m2.nomen = m.nomen AND m2.pcez IS NOT NULL
                                 ORDER BY m2.periode DESC LIMIT 1)) AS pcez
        FROM m)
"""

# Per PCEZ and officer: the KPI's target part over MC(P), and UNDUE payments by every payer of
# P (one not in MC(P) takes its most recent MC's rayon and PCEZ).
_GROUPS = """
    WITH {customers},
    outside AS (
        SELECT s.nomen,
               COALESCE((SELECT cr.rayon FROM customer_rayon cr WHERE cr.nomen = s.nomen), '') AS rayon,
               (SELECT m2.pcez FROM mc m2 WHERE m2.nomen = s.nomen AND m2.pcez IS NOT NULL
                ORDER BY m2.periode DESC LIMIT 1) AS pcez
        FROM pay_customer s
        WHERE s.periode = :p AND s.undue_n > 0 AND s.nomen NOT IN (SELECT nomen FROM m)),
    everyone AS (
        SELECT nomen, nominal, rayon, pcez, 1 AS in_mc FROM c
        UNION ALL
        SELECT nomen, 0, rayon, pcez, 0 FROM outside)
    SELECT e.pcez, r.petugas,
           SUM(e.in_mc) AS customers,
           SUM(CASE WHEN e.in_mc = 1 AND e.nominal > 0 THEN 1 ELSE 0 END) AS target_nomen,
           SUM(e.nominal) AS target_nominal,
           SUM(CASE WHEN e.nominal > 0 AND s.cur_n > 0 THEN 1 ELSE 0 END) AS paid_nomen,
           SUM(CASE WHEN e.nominal > 0 THEN COALESCE(s.cur_sum, 0) ELSE 0 END) AS paid_nominal,
           SUM(CASE WHEN e.in_mc = 1 AND e.nominal > 0 AND COALESCE(s.cur_n, 0) = 0 THEN 1 ELSE 0 END)
               AS unpaid_nomen,
           SUM(CASE WHEN e.nominal > COALESCE(s.cur_sum, 0) THEN e.nominal - COALESCE(s.cur_sum, 0) ELSE 0 END)
               AS unpaid_nominal,
           SUM(CASE WHEN s.undue_n > 0 THEN 1 ELSE 0 END) AS undue_nomen,
           SUM(COALESCE(s.undue_sum, 0)) AS undue_nominal
    FROM everyone e
    LEFT JOIN pay_customer s ON s.periode = :p AND s.nomen = e.nomen
    LEFT JOIN r ON r.pcez = e.pcez
    {where}
    GROUP BY e.pcez, r.petugas
"""
_FIGURES = ("target_nomen", "target_nominal", "paid_nomen", "paid_nominal", "unpaid_nomen", "unpaid_nominal",
            "undue_nomen", "undue_nominal")


def _rute_periode(conn: Connection, periode: str) -> str:
    return rute_in_effect(conn, periode) or ""


def _shape(key: str, value: str | None, figures: dict[str, int]) -> dict:
    target = figures["target_nominal"]
    return {key: value,
            "target": {"nomen": figures["target_nomen"], "nominal": target},
            "paid": {"nomen": figures["paid_nomen"], "nominal": figures["paid_nominal"]},
            "unpaid": {"nomen": figures["unpaid_nomen"], "nominal": figures["unpaid_nominal"]},
            "undue": {"nomen": figures["undue_nomen"], "nominal": figures["undue_nominal"]},
            "collection_rate": 100 * figures["paid_nominal"] / target if target else 0.0}


def _grouped(engine: Engine, periode: str, rayon: str | None, key: str) -> dict:
    """The KPI per ``key`` (pcez or petugas), with the total. A group with no customer in MC(P)
    is not listed; its UNDUE payments count in the row of customers with none, so the rows add
    up to the total."""
    rayon = rayon_filter(rayon)
    with engine.connect() as conn:
        statement = text(_GROUPS.format(customers=_CUSTOMERS.format(seed=""),
                                        where="WHERE e.rayon = :rayon" if rayon is not None else ""))
        rows = conn.execute(statement, {"p": periode, "rp": _rute_periode(conn, periode), "rayon": rayon}) \
            .mappings().all()
    groups: dict[str | None, dict[str, int]] = {}
    customers: dict[str | None, int] = {}
    for row in rows:
        value = row[key] or None
        into = groups.setdefault(value, dict.fromkeys(_FIGURES, 0))
        for name in _FIGURES:
            into[name] += int(row[name] or 0)
        customers[value] = customers.get(value, 0) + int(row["customers"] or 0)
    for value in [v for v in groups if v is not None and not customers[v]]:
        orphan = groups.pop(value)
        into = groups.setdefault(None, dict.fromkeys(_FIGURES, 0))
        for name in _FIGURES:
            into[name] += orphan[name]
    total = {name: sum(g[name] for g in groups.values()) for name in _FIGURES}
    ordered = sorted((v for v in groups if v is not None)) + ([None] if None in groups else [])
    return {"periode": periode, "rayon": rayon, "has_mc": "MC" in types_of(engine, periode),
            "rows": [_shape(key, value, groups[value]) for value in ordered],
            "total": _shape(key, None, total)}


@cached
def kpi_by_pcez(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """METRICS.md's collection KPI per PCEZ (5 digits; None: "Tanpa PCEZ"), with the total."""
    return _grouped(engine, periode, rayon, "pcez")


@cached
def kpi_by_petugas(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """METRICS.md's collection KPI per officer (None: "Tanpa petugas"), with the total."""
    return _grouped(engine, periode, rayon, "petugas")


def only(result: dict, key: str, values: set[str]) -> dict:
    """A per-PCEZ or per-officer result (``kpi_by_pcez``, ``kpi_by_petugas``) kept to the rows
    of ``values``, with their own total."""
    rows = [row for row in result["rows"] if row[key] in values]
    total = dict.fromkeys(_FIGURES, 0)
    for row in rows:
        for name in _FIGURES:
            part, _, measure = name.rpartition("_")
            total[name] += row[part][measure]
    return {**result, "rows": rows, "total": _shape(key, None, total)}


def _filters(rayon: str | None, pcez: str | None, petugas: str | None) -> tuple[str, dict]:
    where, values = [], {}
    if rayon_filter(rayon) is not None:
        where.append("c.rayon = :rayon")
        values["rayon"] = rayon_filter(rayon)
    if pcez:
        where.append("c.pcez = :pcez")
        values["pcez"] = pcez
    if petugas:
        where.append("r.petugas = :petugas")
        values["petugas"] = petugas.strip().upper()
    return "".join(f" AND {w}" for w in where), values


def _month_end(periode: str) -> dt.date:
    year, month = int(periode[:4]), int(periode[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _last_payments(conn: Connection, nomens: list[str], periode: str) -> dict[str, dt.date]:
    """The date of each customer's last payment of any kind (COLLECTION or MB) dated on or before
    the end of ``periode``: the newest pay month from ``pay_customer``, then that month's rows."""
    if not nomens:
        return {}
    names = {f"n{i}": nomen for i, nomen in enumerate(nomens)}
    listed = ", ".join(f":{name}" for name in names)
    end = _month_end(periode)
    found: dict[str, dt.date] = {}
    collection = conn.execute(text(f"""
        SELECT p.nomen, MAX(p.pay_date) AS last FROM payment p
        JOIN (SELECT nomen, MAX(periode) AS periode FROM pay_customer
              WHERE nomen IN ({listed}) AND periode <= :p GROUP BY nomen) l
          ON p.periode = l.periode AND p.nomen = l.nomen
        WHERE p.pay_date <= :end GROUP BY p.nomen"""), {**names, "p": periode, "end": end})
    mb = conn.execute(text(f"SELECT nomen, MAX(pay_date) AS last FROM mb_payment WHERE nomen IN ({listed}) "
                           "AND pay_date <= :end GROUP BY nomen"), {**names, "end": end})
    for nomen, last in [*collection, *mb]:
        last = dt.date.fromisoformat(str(last)[:10]) if last is not None else None
        if last and (nomen not in found or last > found[nomen]):
            found[nomen] = last
    return found


def _page(engine: Engine, periode: str, condition: str, sorts: dict[str, str], sort: str, filters: tuple,
          page: int, page_size: int, extra: dict | None = None, seed: str = "") -> dict:
    """One page of a list of MC(P)'s customers meeting ``condition``; ``seed`` narrows MC(P) first
    (an SQL condition on its nomen that the condition implies), so the joins read only those."""
    where, values = _filters(*filters)
    order = sorts.get(sort) or next(iter(sorts.values()))
    whole = page_size == 0  # every row (a download), else one page
    page_size = 0 if whole else max(1, min(page_size, PAGE_SIZE_MAX))
    page = max(1, page)
    has_ardebt = "ARDEBT" in types_of(engine, periode)
    with engine.connect() as conn:
        params = {"p": periode, "rp": _rute_periode(conn, periode), **values, **(extra or {})}
        body = f"""
            FROM c LEFT JOIN r ON r.pcez = c.pcez
            LEFT JOIN pay_customer s ON s.periode = :p AND s.nomen = c.nomen
            LEFT JOIN arrears_customer a ON a.periode = :p AND a.nomen = c.nomen
            WHERE {condition}{where}"""
        customers = _CUSTOMERS.format(seed=seed)
        total = conn.execute(text(f"WITH {customers} SELECT COUNT(*) {body}"), params).scalar()
        rows = conn.execute(text(f"""
            WITH {customers}
            SELECT c.nomen, c.nama, c.alamat, c.rayon, c.pcez, r.petugas, c.tarif, c.nominal,
                   COALESCE(s.cur_sum, 0) AS paid, a.bills, a.total {body}
            ORDER BY {order}{"" if whole else " LIMIT :limit OFFSET :offset"}"""),
            {**params, "limit": page_size, "offset": (page - 1) * page_size}).mappings().all()
        last = _last_payments(conn, [row["nomen"] for row in rows], periode)
        visited = latest(conn, periode, [row["nomen"] for row in rows])
    return {"periode": periode, "total": int(total), "page": page, "page_size": page_size,
            "has_ardebt": has_ardebt,
            "rows": [{"nomen": row["nomen"], "nama": row["nama"], "alamat": row["alamat"],
                      "rayon": row["rayon"] or None, "pcez": row["pcez"], "petugas": row["petugas"],
                      "tarif": row["tarif"], "nominal": int(row["nominal"]),
                      "sisa": max(int(row["nominal"]) - int(row["paid"]), 0),
                      "bills": (int(row["bills"] or 0) if has_ardebt else None),
                      "arrears": (int(row["total"] or 0) if has_ardebt else None),
                      "last_payment": last[row["nomen"]].isoformat() if row["nomen"] in last else None,
                      "followup": _brief(visited.get(row["nomen"]))}
                     for row in rows]}


def _brief(followup: dict | None) -> dict | None:
    """The latest follow-up of P, as a list row shows it."""
    if followup is None:
        return None
    return {key: followup[key] for key in ("id", "result", "visit_date", "promise_date", "created_by")}


@cached
def unpaid(engine: Engine, periode: str, rayon: str | None = None, pcez: str | None = None,
           petugas: str | None = None, page: int = 1, page_size: int = 50, sort: str = "nominal") -> dict:
    """METRICS.md's unpaid list ("belum bayar"): the customers of target.nomen(P) with no CURRENT
    payment dated in P, one page of them, with the whole count."""
    return _page(engine, periode, "c.nominal > 0 AND COALESCE(s.cur_n, 0) = 0", UNPAID_SORTS, sort,
                 (rayon, pcez, petugas), page, page_size,
                 seed="AND nomen NOT IN (SELECT nomen FROM pay_customer WHERE periode = :p AND cur_n > 0)")


@cached
def disconnect(engine: Engine, periode: str, rayon: str | None = None, pcez: str | None = None,
               petugas: str | None = None, page: int = 1, page_size: int = 50, sort: str = "arrears",
               bills: int = DISCONNECT_BILLS) -> dict:
    """METRICS.md's disconnection candidates ("calon segel"): ARDEBT(P) bills >= N and no payment
    of any kind (COLLECTION CURRENT or UNDUE, or MB) dated in month P; by arrears, largest first.
    Customers of MC(P) only: a candidate is visited at its address of the month."""
    start, end = f"{periode}-01", _month_end(periode)
    condition = ("a.bills >= :bills AND COALESCE(s.cur_n, 0) + COALESCE(s.undue_n, 0) = 0 AND NOT EXISTS "
                 "(SELECT 1 FROM mb_payment b WHERE b.nomen = c.nomen AND b.pay_date >= :start "
                 "AND b.pay_date <= :end)")
    return _page(engine, periode, condition, DISCONNECT_SORTS, sort, (rayon, pcez, petugas), page, page_size,
                 {"bills": bills, "start": dt.date.fromisoformat(start), "end": end},
                 seed="AND nomen IN (SELECT nomen FROM arrears_customer WHERE periode = :p AND bills >= :bills)")


def whole_list(engine: Engine, kind: str, periode: str, rayon: str | None = None, pcez: str | None = None,
               petugas: str | None = None, sort: str | None = None, bills: int = DISCONNECT_BILLS) -> list[dict]:
    """Every row of a collection list (``kind``: unpaid or disconnect) as filtered, for a download."""
    sort = sort or COLLECTION_SORTS[kind][0]
    if kind == "disconnect":
        return disconnect.uncached(engine, periode, rayon, pcez, petugas, 1, 0, sort, bills)["rows"]
    return unpaid.uncached(engine, periode, rayon, pcez, petugas, 1, 0, sort)["rows"]
