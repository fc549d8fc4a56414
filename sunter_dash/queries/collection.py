"""METRICS.md's collection work ("penagihan") for a periode: the collection KPI per PCEZ and per
officer, the unpaid list, and the disconnection candidates.

A customer's PCEZ is MC(P)'s, else its most recent MC's; its rayon as the KPI has it (MC(P),
else ``customer_rayon``); its officer the PETUGAS of its PCEZ in the RUTE in effect for P
(queries/rute.py), names trimmed and upper-cased. Everything but the officer comes from the
summaries the ingest keeps (ingest/collection.py: ``collection_customer`` per customer,
``collection_group`` per rayon and PCEZ), so a list's page reads its rows through an index and
no query here reads the raw payments but for one page's last payment dates. A listed customer
carries its latest follow-up of P.

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, text

from ..domain.listing import rayon_filter
from ..domain.params import COLLECTION_SORTS, LIMITS
from ..domain.periodes import month_end
from ..domain.settings import DISCONNECT_BILLS as _DISCONNECT
from ..models.summaries import CANDIDATES, UNPAID
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
    "arrears": "c.arrears DESC, c.nomen",
}
DISCONNECT_SORTS = {"arrears": "c.arrears DESC, c.nomen", "route": "c.pcez, c.alamat, c.nomen", "nomen": "c.nomen"}
assert tuple(UNPAID_SORTS) == COLLECTION_SORTS["unpaid"] and tuple(DISCONNECT_SORTS) == COLLECTION_SORTS["disconnect"]

# The officer of each PCEZ in the RUTE in effect (queries/rute.py), names trimmed and upper-cased.
_OFFICERS = "r AS (SELECT pcez, MAX(UPPER(TRIM(petugas))) AS petugas FROM rute WHERE periode = :rp GROUP BY pcez)"

# Per PCEZ and officer: the sums of collection_group (ingest/collection.py) of P.
_GROUPS = """
    WITH {officers}
    SELECT g.pcez, r.petugas, SUM(g.customers) AS customers,
           SUM(g.target_nomen) AS target_nomen, SUM(g.target_nominal) AS target_nominal,
           SUM(g.paid_nomen) AS paid_nomen, SUM(g.paid_nominal) AS paid_nominal,
           SUM(g.unpaid_nomen) AS unpaid_nomen, SUM(g.unpaid_nominal) AS unpaid_nominal,
           SUM(g.undue_nomen) AS undue_nomen, SUM(g.undue_nominal) AS undue_nominal
    FROM collection_group g LEFT JOIN r ON r.pcez = g.pcez
    WHERE g.periode = :p {where}
    GROUP BY g.pcez, r.petugas
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
        statement = text(_GROUPS.format(officers=_OFFICERS, where="AND g.rayon = :rayon" if rayon is not None else ""))
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


def _filters(rayon: str | None, pcez: str | None, petugas: str | None, on: str = "c") -> tuple[str, dict]:
    """A list's filters as SQL on the table aliased ``on`` (joined to the officers r)."""
    where, values = [], {}
    if rayon_filter(rayon) is not None:
        where.append(f"{on}.rayon = :rayon")
        values["rayon"] = rayon_filter(rayon)
    if pcez:
        where.append(f"{on}.pcez = :pcez")
        values["pcez"] = pcez
    if petugas:
        where.append("r.petugas = :petugas")
        values["petugas"] = petugas.strip().upper()
    return "".join(f" AND {w}" for w in where), values



def _last_payments(conn: Connection, nomens: list[str], periode: str) -> dict[str, dt.date]:
    """The date of each customer's last payment of any kind (COLLECTION or MB) dated on or before
    the end of ``periode``: the newest pay month from ``pay_customer``, then that month's rows."""
    if not nomens:
        return {}
    names = {f"n{i}": nomen for i, nomen in enumerate(nomens)}
    listed = ", ".join(f":{name}" for name in names)
    end = month_end(periode)
    found: dict[str, dt.date] = {}
    # The pay months up to P, by a loose scan of pay_customer's key (a dozen seeks, not a
    # million rows), so the customers' newest months are found by seeking (month, nomen).
    months = {f"m{i}": month for i, month in enumerate(conn.execute(text("""
        WITH RECURSIVE m(periode) AS (
            SELECT MIN(periode) FROM pay_customer
            UNION ALL
            SELECT (SELECT MIN(s.periode) FROM pay_customer s WHERE s.periode > m.periode) FROM m
            WHERE m.periode IS NOT NULL AND m.periode < :p)
        SELECT periode FROM m WHERE periode <= :p"""), {"p": periode}).scalars())}
    if months:
        collection = conn.execute(text(f"""
            SELECT p.nomen, MAX(p.pay_date) AS last FROM payment p
            JOIN (SELECT nomen, MAX(periode) AS periode FROM pay_customer
                  WHERE periode IN ({", ".join(f":{m}" for m in months)}) AND nomen IN ({listed})
                  GROUP BY nomen) l
              ON p.periode = l.periode AND p.nomen = l.nomen
            WHERE p.pay_date <= :end GROUP BY p.nomen"""), {**names, **months, "end": end}).all()
    else:
        collection = []
    mb = conn.execute(text(f"SELECT nomen, MAX(pay_date) AS last FROM mb_payment WHERE nomen IN ({listed}) "
                           "AND pay_date <= :end GROUP BY nomen"), {**names, "end": end})
    for nomen, last in [*collection, *mb]:
        last = dt.date.fromisoformat(str(last)[:10]) if last is not None else None
        if last and (nomen not in found or last > found[nomen]):
            found[nomen] = last
    return found


def _unpaid_count(conn: Connection, params: dict, filters: tuple) -> int:
    """The unpaid list's whole count, from ``collection_group``'s sums (ingest/collection.py)
    rather than the periode's customers: the same filters, on the group's rayon and PCEZ."""
    where = _filters(*filters, on="g")[0]
    return conn.execute(text(f"WITH {_OFFICERS} SELECT COALESCE(SUM(g.unpaid_nomen), 0) FROM collection_group g "
                             f"LEFT JOIN r ON r.pcez = g.pcez AND g.pcez <> '' WHERE g.periode = :p{where}"),
                        params).scalar()


def _page(engine: Engine, periode: str, condition: str, sorts: dict[str, str], sort: str, filters: tuple,
          page: int, page_size: int, extra: dict | None = None, count=None) -> dict:
    """One page of a list of MC(P)'s customers meeting ``condition`` (on ``collection_customer``
    c; it holds ``in_mc``, so that an index answers it), with the whole count (``count``: a
    function of the parameters and filters giving it otherwise)."""
    where, values = _filters(*filters)
    order = sorts.get(sort) or next(iter(sorts.values()))
    whole = page_size == 0  # every row (a download), else one page
    page_size = 0 if whole else max(1, min(page_size, PAGE_SIZE_MAX))
    page = max(1, page)
    has_ardebt = "ARDEBT" in types_of(engine, periode)
    with engine.connect() as conn:
        params = {"p": periode, "rp": _rute_periode(conn, periode), **values, **(extra or {})}
        # The officers are joined only to filter on one: without them an index holding the sort's
        # columns finds the page's customers alone, and only those rows are read (the candidates
        # by arrears at 1,000,000 customers: 98 ms reading all 57,505 of them, 17 ms).
        officers = "LEFT JOIN r ON r.pcez = c.pcez" if filters[2] else ""
        among = f"FROM collection_customer c {officers} WHERE c.periode = :p AND {condition}{where}"
        if count is not None:
            total = count(conn, params, filters)
        else:
            total = conn.execute(text(f"WITH {_OFFICERS} SELECT COUNT(*) {among}"), params).scalar()
        rows = conn.execute(text(f"""
            WITH {_OFFICERS},
                 k AS (SELECT c.nomen {among}{"" if whole else f" ORDER BY {order} LIMIT :limit OFFSET :offset"})
            SELECT c.nomen, c.nama, c.alamat, c.rayon, c.pcez, r.petugas, c.tarif, c.nominal,
                   c.cur_sum AS paid, c.bills, c.arrears AS total
            FROM k JOIN collection_customer c ON c.periode = :p AND c.nomen = k.nomen
            LEFT JOIN r ON r.pcez = c.pcez
            ORDER BY {order}"""),
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
    return _page(engine, periode, UNPAID, UNPAID_SORTS, sort, (rayon, pcez, petugas), page, page_size,
                 count=_unpaid_count)


@cached
def disconnect(engine: Engine, periode: str, rayon: str | None = None, pcez: str | None = None,
               petugas: str | None = None, page: int = 1, page_size: int = 50, sort: str = "arrears",
               bills: int = DISCONNECT_BILLS) -> dict:
    """METRICS.md's disconnection candidates ("calon segel"): ARDEBT(P) bills >= N and no payment
    of any kind (COLLECTION CURRENT or UNDUE, or MB) dated in month P; by arrears, largest first.
    Customers of MC(P) only: a candidate is visited at its address of the month. The MB payments
    are those the ingest marks (``mb_paid``); the condition is the partial index's, so the
    candidates are found in the index, not among the periode's customers."""
    condition = f"c.bills >= :bills AND {CANDIDATES}"  # unqualified: no other table has these columns
    return _page(engine, periode, condition, DISCONNECT_SORTS, sort, (rayon, pcez, petugas), page, page_size,
                 {"bills": max(bills, 1)})


def whole_list(engine: Engine, kind: str, periode: str, rayon: str | None = None, pcez: str | None = None,
               petugas: str | None = None, sort: str | None = None, bills: int = DISCONNECT_BILLS) -> list[dict]:
    """Every row of a collection list (``kind``: unpaid or disconnect) as filtered, for a download."""
    sort = sort or COLLECTION_SORTS[kind][0]
    if kind == "disconnect":
        return disconnect.uncached(engine, periode, rayon, pcez, petugas, 1, 0, sort, bills)["rows"]
    return unpaid.uncached(engine, periode, rayon, pcez, petugas, 1, 0, sort)["rows"]
