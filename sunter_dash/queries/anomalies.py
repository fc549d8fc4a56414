"""Meter-reading anomalies from meter_flag, which the ingest keeps (ingest/flags.py): one row
per periode, check and customer, so a count is a count of rows."""
from __future__ import annotations

import json

from sqlalchemy import Engine, and_, func, or_, select

from ..domain import checks
from ..domain.checks import Need, Thresholds
from ..domain.listing import Filters, Group, Sort, Test
from ..domain.periodes import shift_periode
from ..domain.settings import ACTUAL_READ_METHODS, no_actual_reads
from ..models import AnomalySetting, MeterFlag, MeterFlagCount, StoredCount
from .cache import cached
from .stored import types_of

# Columns a list may be sorted and filtered on: field -> kind.
FIELDS = {
    "nomen": "text", "nama": "text", "rayon": "text", "tarif": "text", "stand_lalu": "number",
    "stand_kini": "number", "pakai": "number", "volume": "number", "prev_stand_kini": "number",
    "prev_volume": "number", "median_volume": "number", "read_method": "text", "trouble_code": "text",
    "flags": "text", "delta_m3": "number", "price_m3": "number", "at_stake": "number",
}
DEFAULT_SORT = "at_stake:desc"


@cached
def thresholds(engine: Engine) -> Thresholds:
    """The thresholds the stored flags were computed with."""
    with engine.connect() as conn:
        stored = conn.execute(select(AnomalySetting.thresholds).where(AnomalySetting.id == 1)).scalar()
    return Thresholds.from_stored(json.loads(stored)) if stored else Thresholds()


def _missing(engine: Engine, periode: str, check, t: Thresholds) -> list[str]:
    """The files a check needs for ``periode`` that are not stored, e.g. ["SBRS 2025-11"]."""
    def stored(need: Need) -> bool:
        return need.file_type in types_of(engine, shift_periode(periode, -need.back))
    return [f"{n.file_type} {shift_periode(periode, -n.back)}" for n in check.missing(t, stored)]


@cached
def _flag_counts(engine: Engine, periode: str, rayon: str | None) -> dict[str, int]:
    """Customers per check in P, from the counts the ingest keeps with the flags."""
    count = MeterFlagCount.__table__
    query = select(count.c.flag, func.sum(count.c.customers)).where(count.c.periode == periode) \
        .group_by(count.c.flag)
    if rayon:
        query = query.where(count.c.rayon == rayon)
    with engine.connect() as conn:
        return {key: int(n) for key, n in conn.execute(query)}


@cached
def read_methods(engine: Engine, periode: str) -> list[str]:
    """The distinct read-method codes of SBRS(P), as the ingest keeps them (stored_count.codes)."""
    with engine.connect() as conn:
        codes = conn.execute(select(StoredCount.codes).where(StoredCount.file_type == "SBRS",
                                                             StoredCount.periode == periode)).scalar()
    return json.loads(codes) if codes else []


@cached
def anomaly_summary(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """Every check of the catalogue with its count of customers in P (None when P's files do not
    let it run), the count in P-1 when P-1's files let it run there, and the files missing for a
    full count."""
    previous_periode = shift_periode(periode, -1)
    current = _flag_counts(engine, periode, rayon)
    t = thresholds(engine)
    # Compared with P-1 when P-1's own files let some check run there.
    stored, stored_before = types_of(engine, periode), types_of(engine, previous_periode)
    compare = any(c.runnable(t, stored_before) for c in checks.checks())
    before = _flag_counts(engine, previous_periode, rayon) if compare else {}
    # METRICS.md: when no read-method code of SBRS(P) is one set as actual, every reading is
    # "not actual"; the checks that use the setting say so.
    codes = read_methods(engine, periode)
    no_actual = no_actual_reads(codes, t.actual_read_methods)
    # A check that cannot run on P's files counts nothing: its count is None, not 0 (METRICS.md).
    anomalies = {c.key: {"name": c.name, "count": current.get(c.key, 0) if c.runnable(t, stored) else None,
                         "previous": before.get(c.key, 0) if compare and c.runnable(t, stored_before) else None,
                         "missing": _missing(engine, periode, c, t),
                         "no_actual_reads": no_actual and ACTUAL_READ_METHODS in c.settings} for c in checks.checks()}
    return {"periode": periode, "rayon": rayon, "previous_periode": previous_periode if compare else None,
            "anomalies": anomalies, "read_methods": codes, "actual_read_methods": list(t.actual_read_methods)}


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


def _sql(condition: Test | Group):
    """One neutral filter as SQL (values always bound as parameters)."""
    if isinstance(condition, Group):
        parts = [_sql(p) for p in condition.parts]
        return and_(*parts) if condition.operator == "AND" else or_(*parts)
    column = MeterFlag.__table__.c[condition.field]
    number = FIELDS[condition.field] == "number"
    if condition.test == "blank":
        return column.is_(None) if number else (column.is_(None) | (column == ""))
    if condition.test == "notBlank":
        return column.is_not(None) if number else (column.is_not(None) & (column != ""))
    if number:
        return _NUMBER_TESTS[condition.test](column, condition.value, condition.value_to)
    return _TEXT_TESTS[condition.test](column, str(condition.value))


def _select(periode: str, key: str, rayon: str | None, sort: Sort, filters: Filters):
    flag = MeterFlag.__table__
    clauses = [flag.c.periode == periode, flag.c.flag == key, *(_sql(f) for f in filters)]
    if rayon:
        clauses.append(flag.c.rayon == rayon)
    order = [flag.c[f].desc().nulls_last() if d == "desc" else flag.c[f].asc().nulls_last() for f, d in sort]
    order.append(flag.c.nomen.asc())
    columns = [flag.c[name] for name in ("nomen", *[f for f in FIELDS if f != "nomen"])]
    return select(func.count()).select_from(flag).where(*clauses), select(*columns).where(*clauses).order_by(*order)


def _flag_row(row) -> dict:
    found = dict(row._mapping)
    found["flags"] = found["flags"].split(",") if found["flags"] else []
    return found


@cached
def anomaly_page(engine: Engine, periode: str, key: str, rayon: str | None = None, start: int = 0,
                 count: int = 50, sort: Sort = (), filters: Filters = ()) -> dict:
    """A page of one anomaly's list: {"total", "rows"}."""
    total, rows = _select(periode, key, rayon, sort, filters)
    with engine.connect() as conn:
        return {"total": int(conn.execute(total).scalar() or 0),
                "rows": [_flag_row(r) for r in conn.execute(rows.offset(start).limit(count))]}


def anomaly_list(engine: Engine, periode: str, key: str, rayon: str | None, sort: Sort, filters: Filters) -> list[dict]:
    """The whole filtered list, as the grid sorts it (an export: never cached)."""
    _total, rows = _select(periode, key, rayon, sort, filters)
    with engine.connect() as conn:
        return [_flag_row(r) for r in conn.execute(rows)]


def flagged(engine: Engine, periode: str, rayon: str | None = None) -> dict[str, dict]:
    """Every customer flagged in P: nomen -> {"nama", "flags": [keys]} (the daily summary's new
    anomalies are those not flagged at the previous summary; not cached: read once a day)."""
    stmt = select(MeterFlag.nomen, MeterFlag.nama, MeterFlag.flag).where(MeterFlag.periode == periode)
    if rayon is not None:
        stmt = stmt.where(MeterFlag.rayon == rayon)
    found: dict[str, dict] = {}
    with engine.connect() as conn:
        for nomen, nama, flag in conn.execute(stmt.order_by(MeterFlag.nomen, MeterFlag.flag)):
            found.setdefault(nomen, {"nama": nama, "flags": []})["flags"].append(flag)
    return found
