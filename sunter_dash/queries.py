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
import json
from functools import wraps

from flask import current_app, g
from sqlalchemy import Engine, and_, func, or_, select

from .extensions import cache
from .ingest.detect import shift_periode
from .ingest.summaries import BUCKETS
from .models import (Analysis, ArrearsBucket, ArrearsCustomer, AuditLog, Customer, DataVersion, KpiDay, KpiPeriode,
                     Mainbill, MbPayment, Mc, MeterFlag, Payment, Sbrs, StoredCount, UploadError, Upload)

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


# --- meter-reading anomalies --------------------------------------------------------------
# From meter_flag, which the ingest keeps (ingest/anomalies.py): one row per periode,
# anomaly and customer, so a count is a count of rows.

# What each check reads besides SBRS(P): (file type, periodes back) pairs.
ANOMALY_NEEDS = {
    "extreme": [("SBRS", 0)], "zero": [("SBRS", 0)], "negative": [("SBRS", 0)], "estimated": [("SBRS", 0)],
    "drop": [("SBRS", 0), ("SBRS", 1)], "misrecord": [("SBRS", 0), ("SBRS", 1)],
    "tamper": [("SBRS", 0)], "inactive_use": [("SBRS", 0), ("MC", 0)],
    "rebill": [("SBRS", 0), ("MAINBILL", 0)],
}
# Columns a list may be sorted and filtered on: field -> kind.
ANOMALY_FIELDS = {
    "nomen": "text", "nama": "text", "rayon": "text", "tarif": "text", "stand_lalu": "number",
    "stand_kini": "number", "pakai": "number", "volume": "number", "prev_stand_kini": "number",
    "prev_volume": "number", "median_volume": "number", "read_method": "text", "trouble_code": "text",
    "flags": "text", "delta_m3": "number", "price_m3": "number", "at_stake": "number",
}
DEFAULT_ANOMALY_SORT = "at_stake:desc"


class BadListRequest(ValueError):
    """A sort or filter a list cannot apply; the message says which and why."""


def _missing_inputs(periode: str, key: str) -> list[str]:
    """The files a check needs for ``periode`` that are not stored, e.g. ["SBRS 2025-11"]."""
    needs = list(ANOMALY_NEEDS.get(key, []))
    thresholds = _thresholds()
    if key == "stuck":
        needs = [("SBRS", back) for back in range(thresholds.stuck_periodes)]
    elif key == "spike":
        back = range(1, thresholds.spike_history + 1)
        stored = sum("SBRS" in _types_of(shift_periode(periode, -b)) for b in back)
        needs = [("SBRS", 0)]
        if stored < thresholds.spike_min_readings:
            needs += [("SBRS", b) for b in back if "SBRS" not in _types_of(shift_periode(periode, -b))]
    missing = [f"{kind} {shift_periode(periode, -back)}" for kind, back in needs
               if kind not in _types_of(shift_periode(periode, -back))]
    if key == "rebill" and len(missing) < 2:
        return []  # either SBRS(P) or MAINBILL(P) is enough to find rebills
    return missing


@cached
def _thresholds():
    from .ingest.anomalies import stored_thresholds
    with engine().connect() as conn:
        return stored_thresholds(conn)


@cached
def _flag_counts(periode: str, rayon: str | None) -> dict[str, int]:
    flag = MeterFlag.__table__
    query = select(flag.c.flag, func.count()).where(flag.c.periode == periode).group_by(flag.c.flag)
    if rayon:
        query = query.where(flag.c.rayon == rayon)
    with engine().connect() as conn:
        return {key: int(n) for key, n in conn.execute(query)}


@cached
def anomaly_summary(periode: str, rayon: str | None = None) -> dict:
    """Every anomaly key of METRICS.md with its count of customers in P, the count in
    P-1 when SBRS(P-1) is stored, and the files missing for a full count."""
    from .ingest.anomalies import ANOMALIES
    previous_periode = shift_periode(periode, -1)
    current = _flag_counts(periode, rayon)
    compare = "SBRS" in _types_of(previous_periode) or "MAINBILL" in _types_of(previous_periode)
    before = _flag_counts(previous_periode, rayon) if compare else {}
    anomalies = {}
    for key, name in ANOMALIES.items():
        anomalies[key] = {"name": name, "count": current.get(key, 0),
                          "previous": before.get(key, 0) if compare else None,
                          "missing": _missing_inputs(periode, key)}
    return {"periode": periode, "rayon": rayon, "previous_periode": previous_periode if compare else None,
            "anomalies": anomalies}


def parse_sort(sort: str | None) -> list[tuple[str, str]]:
    """"volume:desc,nomen" -> [("volume", "desc"), ("nomen", "asc")]; unknown fields refused."""
    order = []
    for part in (sort or DEFAULT_ANOMALY_SORT).split(","):
        field, _, direction = part.strip().partition(":")
        direction = (direction or "asc").lower()
        if field not in ANOMALY_FIELDS or direction not in ("asc", "desc"):
            raise BadListRequest(f"cannot sort by {part.strip()!r}: use field:asc or field:desc with a field of "
                                 f"{', '.join(ANOMALY_FIELDS)}")
        order.append((field, direction))
    return order


_TEXT_TESTS = {
    "contains": lambda c, v: c.icontains(v, autoescape=True),
    "notContains": lambda c, v: ~c.icontains(v, autoescape=True) | c.is_(None),
    "equals": lambda c, v: func.lower(c) == v.lower(),
    "notEqual": lambda c, v: (func.lower(c) != v.lower()) | c.is_(None),
    "startsWith": lambda c, v: c.istartswith(v, autoescape=True),
    "endsWith": lambda c, v: c.iendswith(v, autoescape=True),
}
_NUMBER_TESTS = {
    "equals": lambda c, v, _: c == v, "notEqual": lambda c, v, _: (c != v) | c.is_(None),
    "lessThan": lambda c, v, _: c < v, "lessThanOrEqual": lambda c, v, _: c <= v,
    "greaterThan": lambda c, v, _: c > v, "greaterThanOrEqual": lambda c, v, _: c >= v,
    "inRange": lambda c, v, to: c.between(min(v, to), max(v, to)),
}


def _condition(column, kind: str, model: dict):
    """One AG Grid filter condition as SQL (values always bound as parameters)."""
    if "conditions" in model:
        parts = [_condition(column, kind, c) for c in model["conditions"]]
        return and_(*parts) if str(model.get("operator", "AND")).upper() == "AND" else or_(*parts)
    test = model.get("type")
    if test == "blank":
        return column.is_(None) if kind == "number" else (column.is_(None) | (column == ""))
    if test == "notBlank":
        return column.is_not(None) if kind == "number" else (column.is_not(None) & (column != ""))
    if kind == "number":
        try:
            value = float(model.get("filter"))
            to = float(model["filterTo"]) if test == "inRange" else None
        except (TypeError, ValueError, KeyError):
            raise BadListRequest(f"filter on {column.name} needs a number") from None
        if test not in _NUMBER_TESTS:
            raise BadListRequest(f"unknown number filter {test!r} on {column.name}")
        return _NUMBER_TESTS[test](column, value, to)
    value = model.get("filter")
    if test not in _TEXT_TESTS or not isinstance(value, (str, int, float)):
        raise BadListRequest(f"unknown text filter {test!r} on {column.name}")
    return _TEXT_TESTS[test](column, str(value))


def _anomaly_query(periode: str, key: str, rayon: str | None, filters: str | None):
    flag = MeterFlag.__table__
    clauses = [flag.c.periode == periode, flag.c.flag == key]
    if rayon:
        clauses.append(flag.c.rayon == rayon)
    try:
        model = json.loads(filters) if filters else {}
    except ValueError:
        raise BadListRequest("filters must be a JSON object of AG Grid filter models") from None
    if not isinstance(model, dict):
        raise BadListRequest("filters must be a JSON object of AG Grid filter models")
    for field, condition in model.items():
        if field not in ANOMALY_FIELDS or not isinstance(condition, dict):
            raise BadListRequest(f"cannot filter on {field!r}")
        clauses.append(_condition(flag.c[field], ANOMALY_FIELDS[field], condition))
    return flag, clauses


def _flag_row(row) -> dict:
    found = dict(row._mapping)
    found["flags"] = found["flags"].split(",") if found["flags"] else []
    return found


@cached
def anomaly_rows(periode: str, key: str, rayon: str | None = None, start: int = 0, count: int = 50,
                 sort: str | None = None, filters: str | None = None) -> dict:
    """A page of one anomaly's list: {"total", "rows"}. ``sort``: "field:dir,..."; ``filters``:
    AG Grid's filter model as canonical JSON. Raises BadListRequest for what it cannot apply."""
    flag, clauses = _anomaly_query(periode, key, rayon, filters)
    order = []
    for field, direction in parse_sort(sort):
        column = flag.c[field]
        order.append(column.desc().nulls_last() if direction == "desc" else column.asc().nulls_last())
    order.append(flag.c.nomen.asc())
    columns = [flag.c[name] for name in ("nomen", *[f for f in ANOMALY_FIELDS if f != "nomen"])]
    with engine().connect() as conn:
        total = conn.execute(select(func.count()).select_from(flag).where(*clauses)).scalar() or 0
        rows = conn.execute(select(*columns).where(*clauses).order_by(*order).offset(start).limit(count)).all()
    return {"total": int(total), "rows": [_flag_row(r) for r in rows]}


# --- customers -----------------------------------------------------------------------------
# The search box and the customer profile. Raw tables without a nomen-first index (mainbill,
# payment, arrears_customer) are read with ``periode IN (<stored periodes>) AND nomen = :n``,
# one index seek per periode; the others have a (nomen, ...) index.

def _like_anywhere(word: str) -> str:
    """A LIKE pattern matching ``word`` anywhere, its own %, _ and \\ taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _is_nomen(text: str) -> bool:
    return text.isascii() and text.isdigit()


@cached
def customer_search(q: str, rayon: str | None = None, limit: int = 20) -> list[dict]:
    """Customers of the directory whose NOMEN starts with ``q`` when it is all digits, else
    whose name and address hold every word of ``q``; in NOMEN order."""
    words = (q or "").lower().split()
    if not words:
        return []
    stmt = select(Customer.nomen, Customer.nama, Customer.alamat, Customer.rayon, Customer.tarif)
    if len(words) == 1 and _is_nomen(words[0]):
        prefix = words[0]
        # A range, not LIKE, so the primary key is searched: '6001' <= nomen < '6002'.
        stmt = stmt.where(Customer.nomen >= prefix, Customer.nomen < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    else:
        stmt = stmt.where(*[Customer.search_text.like(_like_anywhere(word), escape="\\") for word in words])
    rayon = rayon_filter(rayon)
    if rayon is not None:
        stmt = stmt.where(Customer.rayon == rayon)
    with engine().connect() as conn:
        rows = conn.execute(stmt.order_by(Customer.nomen).limit(limit)).all()
    return [{"nomen": r.nomen, "nama": r.nama, "alamat": r.alamat, "rayon": r.rayon or None, "tarif": r.tarif}
            for r in rows]


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value) -> str | None:
    """A stored UTC time as ISO 8601 with Z, as the API sends times."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


IDENTITY = ("nama", "alamat", "rayon", "tarif", "zona_novak", "pcez", "nomet", "status", "periode", "source")
HISTORY_PARTS = ("readings", "mc", "bills", "payments", "mb_payments", "arrears", "flags")


def _per_periode(conn, stmt, periode_column, stored: list[dict], file_type: str) -> list:
    """``stmt`` restricted to the ``stored`` periodes of ``file_type`` (none stored: no rows)."""
    wanted = [p["periode"] for p in stored if file_type in p["types"]]
    return conn.execute(stmt.where(periode_column.in_(wanted))).all() if wanted else []


@cached
def _customer_data(nomen: str) -> dict | None:
    """Everything stored about a customer except its analyses; None when nothing is."""
    stored = periodes()
    with engine().connect() as conn:
        who = conn.execute(select(Customer).where(Customer.nomen == nomen)).mappings().first()
        readings = conn.execute(
            select(Sbrs.periode, Sbrs.read_date, Sbrs.stand_lalu, Sbrs.stand_kini, Sbrs.pakai, Sbrs.volume,
                   Sbrs.read_method, Sbrs.skip_code, Sbrs.trouble_code, Sbrs.special_msg, Sbrs.bill_period,
                   Sbrs.bill_amount)
            .where(Sbrs.nomen == nomen).order_by(Sbrs.periode, Sbrs.id)).all()
        masters = conn.execute(
            select(Mc.periode, Mc.tgl_catat, Mc.stan_awal, Mc.stan_akir, Mc.kubik, Mc.nominal, Mc.notagihan,
                   Mc.tarif, Mc.cust_type)
            .where(Mc.nomen == nomen).order_by(Mc.periode, Mc.id)).all()
        bills = _per_periode(conn, select(
            Mainbill.periode, Mainbill.bill_period, Mainbill.tgl_tagihan, Mainbill.jenis_rek, Mainbill.pakai,
            Mainbill.tarif, Mainbill.total).where(Mainbill.nomen == nomen).order_by(Mainbill.periode, Mainbill.id),
            Mainbill.periode, stored, "MAINBILL")
        payments = _per_periode(conn, select(
            Payment.periode, Payment.pay_date, Payment.amount, Payment.bill_period, Payment.jenis, Payment.loket,
            Payment.notag, Payment.no_transaksi).where(Payment.nomen == nomen)
            .order_by(Payment.pay_date, Payment.bill_period, Payment.pay_key), Payment.periode, stored, "COLLECTION")
        history_payments = conn.execute(
            select(MbPayment.bill_period, MbPayment.pay_date, MbPayment.amount, MbPayment.notag)
            .where(MbPayment.nomen == nomen).order_by(MbPayment.bill_period, MbPayment.pay_date)).all()
        arrears = _per_periode(conn, select(
            ArrearsCustomer.periode, ArrearsCustomer.rayon, ArrearsCustomer.bills, ArrearsCustomer.total,
            ArrearsCustomer.oldest_bill).where(ArrearsCustomer.nomen == nomen).order_by(ArrearsCustomer.periode),
            ArrearsCustomer.periode, stored, "ARDEBT")
        flags = conn.execute(
            select(MeterFlag.periode, MeterFlag.flag, MeterFlag.stand_lalu, MeterFlag.stand_kini, MeterFlag.volume,
                   MeterFlag.prev_volume, MeterFlag.median_volume, MeterFlag.delta_m3, MeterFlag.price_m3,
                   MeterFlag.at_stake, MeterFlag.read_method, MeterFlag.trouble_code)
            .where(MeterFlag.nomen == nomen).order_by(MeterFlag.periode, MeterFlag.flag)).all()
    if who is None and not any((readings, masters, bills, payments, history_payments, arrears, flags)):
        return None
    identity = {key: (who[key] if who else None) for key in IDENTITY}
    if not identity["rayon"]:
        # In no MC or SBRS: the rayon the arrears summary found for it, if any.
        identity["rayon"] = next((a.rayon for a in reversed(arrears) if a.rayon), None)
    return _profile(nomen, identity, stored, {
        "readings": [{**r._mapping, "read_date": _day(r.read_date)} for r in readings],
        "mc": [{**r._mapping, "tgl_catat": _day(r.tgl_catat)} for r in masters],
        "bills": [{**r._mapping, "tgl_tagihan": _day(r.tgl_tagihan)} for r in bills],
        "payments": [{**r._mapping, "pay_date": _day(r.pay_date)} for r in payments],
        "mb_payments": [{**r._mapping, "pay_date": _day(r.pay_date)} for r in history_payments],
        "arrears": [{"periode": a.periode, "bills": int(a.bills), "total": int(a.total),
                     "oldest_bill": a.oldest_bill} for a in arrears],
        "flags": [dict(r._mapping) for r in flags],
    })


def _profile(nomen: str, identity: dict, stored: list[dict], found: dict) -> dict:
    types = {p["periode"]: p["types"] for p in reversed(stored)}
    return {"nomen": nomen, "identity": identity, "stored": types, "history": _history_rows(list(types), found),
            **found}


_NO_HISTORY = {"stand_lalu": None, "stand_kini": None, "volume": None, "read_method": None, "mc_nominal": None,
               "mc_kubik": None, "bills": 0, "bill_total": None, "payments": 0, "paid_current": 0, "paid_undue": 0,
               "arrears_bills": None, "arrears_total": None}


def _history_rows(stored: list[str], found: dict) -> list[dict]:
    """One row per stored periode, oldest first: the reading (the periode's last, as the
    anomaly checks take it), the MC target, the bill, COLLECTION payments by type (MB's
    history would count them twice), arrears and flags. The bill is the periode's last
    MAINBILL row: a correction is a further row that replaces the bill (DATA.md)."""
    rows: dict[str, dict] = {}

    def row(periode: str) -> dict:
        if periode not in rows:
            rows[periode] = {"periode": periode, **_NO_HISTORY, "flags": []}
        return rows[periode]
    for periode in stored:
        row(periode)
    for r in found["readings"]:
        row(r["periode"]).update(stand_lalu=r["stand_lalu"], stand_kini=r["stand_kini"], volume=r["volume"],
                                 read_method=r["read_method"])
    for m in found["mc"]:
        target = row(m["periode"])
        target["mc_nominal"] = (target["mc_nominal"] or 0) + m["nominal"]
        if m["kubik"] is not None:
            target["mc_kubik"] = (target["mc_kubik"] or 0) + m["kubik"]
    for b in found["bills"]:
        target = row(b["periode"])
        target["bills"] += 1
        target["bill_total"] = b["total"]
    for p in found["payments"]:
        target = row(p["periode"])  # the month paid in
        target["payments"] += 1
        target["paid_current" if p["jenis"] == "CURRENT" else "paid_undue"] += p["amount"]
    for a in found["arrears"]:
        row(a["periode"]).update(arrears_bills=a["bills"], arrears_total=a["total"])
    for f in found["flags"]:
        row(f["periode"])["flags"].append(f["flag"])
    return [rows[p] for p in sorted(rows)]


def _customer_analyses(nomen: str) -> list[dict]:
    """The customer's analysis cases, newest first. Never cached: cases change without uploads."""
    stmt = (select(Analysis.id, Analysis.periode, Analysis.anomaly_type, Analysis.status, Analysis.priority,
                   Analysis.assigned_to, Analysis.description, Analysis.created_by, Analysis.created_at,
                   Analysis.updated_at)
            .where(Analysis.nomen == nomen).order_by(Analysis.created_at.desc(), Analysis.id.desc()))
    with engine().connect() as conn:
        return [{**r._mapping, "created_at": _moment(r.created_at), "updated_at": _moment(r.updated_at)}
                for r in conn.execute(stmt)]


def customer_profile(nomen: str) -> dict | None:
    """A customer's identity (the directory: its most recent MC, else SBRS) and its history
    over every stored periode: readings, MC targets and MAINBILL bills, COLLECTION and MB
    payments, arrears, meter flags; and its analyses, read fresh. None when the nomen is
    unknown everywhere."""
    data = _customer_data(nomen)
    cases = _customer_analyses(nomen)
    if data is None and not cases:
        return None
    if data is None:  # a case opened on a customer none of whose rows are stored
        data = _profile(nomen, dict.fromkeys(IDENTITY), periodes(), {part: [] for part in HISTORY_PARTS})
    return {**data, "analyses": cases}


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
