"""METRICS.md's month-end forecast of a periode's collection rate: the periode's data as of,
and the share of their month's payments the usable earlier periodes had collected by the same
day of month, read from the KPI's summaries (``kpi_periode``, ``kpi_day``). The arithmetic is
domain/forecast.py."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from ..domain import forecast as rule
from ..domain.listing import rayon_filter
from ..domain.periodes import month_end, shift_periode
from ..models import KpiDay
from .cache import cached
from .kpi import kpi
from .stored import data_as_of, types_of


def _paid_by(engine: Engine, periode: str, day: dt.date, rayon: str | None) -> int:
    """CURRENT payments of P's target customers dated up to ``day`` (the KPI's, per day)."""
    stmt = select(func.coalesce(func.sum(KpiDay.nominal), 0)).where(KpiDay.periode == periode, KpiDay.day <= day)
    if rayon is not None:
        stmt = stmt.where(KpiDay.rayon == rayon)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar())


@cached
def kpi_forecast(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """The forecast of P's collection rate at month end (METRICS.md), with the periodes it used
    and their f_k; ``forecast`` None with the ``reason`` when there is none."""
    rayon = rayon_filter(rayon)
    with engine.connect() as conn:
        as_of = data_as_of(conn, periode)
    found = {"periode": periode, "rayon": rayon, "data_as_of": as_of.isoformat() if as_of else None,
             "day": as_of.day if as_of else None, "last_day": month_end(periode).day, "periodes": [],
             "forecast": None}
    if "MC" not in types_of(engine, periode):
        return {**found, "reason": rule.NO_TARGET}
    if as_of is None:
        return {**found, "reason": rule.NO_PAYMENT}
    if as_of >= month_end(periode):
        return {**found, "reason": rule.COMPLETE}
    used = []
    for back in range(1, rule.LOOKBACK + 1):
        earlier = shift_periode(periode, -back)
        if "MC" not in types_of(engine, earlier):
            continue
        paid = kpi(engine, earlier, rayon)["paid"]["nominal"]
        last = month_end(earlier)
        with engine.connect() as conn:
            complete = data_as_of(conn, earlier) == last
        if paid <= 0 or not complete:
            continue
        # The same day of month, or the month's last when it is shorter (30 March -> 28 February).
        fraction = _paid_by(engine, earlier, last.replace(day=min(as_of.day, last.day)), rayon) / paid
        if fraction > 0:
            used.append({"periode": earlier, "fraction": fraction})
    figures = kpi(engine, periode, rayon)
    if not figures["target"]["nominal"]:
        return {**found, "periodes": used, "reason": rule.ZERO_TARGET}
    result = rule.forecast(figures["target"]["nominal"], figures["paid"]["nominal"], [u["fraction"] for u in used])
    return {**found, "periodes": used, **result}
