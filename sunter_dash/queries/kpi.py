"""METRICS.md's collection KPI: per periode and rayon, per day, over a range of periodes.
Read from the summary tables the ingest keeps (kpi_periode, kpi_day)."""
from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import Engine, func, select

from ..domain.forecast import known_gap
from ..domain.listing import rayon_filter
from ..domain.periodes import shift_periode
from ..models import KpiDay, KpiPeriode
from .cache import cached
from .stored import data_as_of, types_of

_FIGURES = [c.name for c in KpiPeriode.__table__.columns if c.name not in ("periode", "rayon")]


@cached
def _kpi_rows(engine: Engine, periode: str) -> dict[str, dict[str, int]]:
    """kpi_periode of a periode: {rayon: {figure: value}} ('' = no rayon)."""
    with engine.connect() as conn:
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
def kpi(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """METRICS.md's collection KPI for a periode and a rayon (all when None)."""
    rayon = rayon_filter(rayon)
    rows = _kpi_rows(engine, periode)
    groups = list(rows.values()) if rayon is None else [rows[rayon]] if rayon in rows else []
    shaped = _shape(periode, rayon, _sum(groups), _kubik_from_mc(rows))
    types = types_of(engine, periode)
    shaped["has_mc"] = "MC" in types
    shaped["has_collection"] = "COLLECTION" in types
    return shaped


# METRICS.md: the file types each figure is read from; without one of them it is null, not 0.
SOURCES = {"total_pelanggan": ("MC",), "target": ("MC",), "paid": ("MC", "COLLECTION"),
           "unpaid": ("MC", "COLLECTION"), "collection_rate": ("MC", "COLLECTION"), "undue": ("COLLECTION",),
           "unmatched": ("MC", "COLLECTION")}
KPI_TYPES = ("MC", "COLLECTION", "SBRS")


def known(figures: dict, types: set[str]) -> tuple[dict, list[str]]:
    """The figures with those whose source file is not stored set to None, and the types lacking."""
    shown = {name: None if name in SOURCES and not set(SOURCES[name]) <= types else value
             for name, value in figures.items()}
    lacking = {t for needs in SOURCES.values() for t in needs if t not in types}
    if not {"MC", "SBRS"} & types:
        shown["total_kubikasi"] = None
        lacking.add("SBRS")
    return shown, [t for t in KPI_TYPES if t in lacking]


@cached
def kpi_month(engine: Engine, periode: str, rayon: str | None = None, goal: float | None = None) -> dict:
    """The KPI as /api/kpi gives it (INTERFACES.md): figures whose file is not stored as None, the
    types lacking in ``missing``, ``data_as_of``, the ``goal`` and its ``gap``, and the same figures
    of P-12 in ``previous_year`` (None when nothing of the KPI is stored for P-12)."""
    rayon = rayon_filter(rayon)
    types = set(types_of(engine, periode))
    shown, missing = known(kpi(engine, periode, rayon), types)
    with engine.connect() as conn:
        as_of = data_as_of(conn, periode)
    year_ago = shift_periode(periode, -12)
    year_types = set(types_of(engine, year_ago))
    previous_year = None
    if year_types & set(KPI_TYPES):
        previous_year, year_missing = known(kpi(engine, year_ago, rayon), year_types)
        previous_year["missing"] = year_missing
    reached = known_gap(goal, (shown["target"] or {}).get("nominal"), (shown["paid"] or {}).get("nominal"))
    return {**shown, "missing": missing, "data_as_of": as_of.isoformat() if as_of else None, "goal": goal,
            "gap": reached, "previous_year": previous_year}


@cached
def kpi_by_rayon(engine: Engine, periode: str) -> dict:
    """The KPI per rayon, side by side, with their total; customers without a rayon
    form their own row (rayon None) so the rows add up to the total."""
    rows = _kpi_rows(engine, periode)
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


def _daily_totals(engine: Engine, periode: str, rayon: str | None) -> dict[dt.date, tuple[int, int]]:
    stmt = (select(KpiDay.day, func.sum(KpiDay.payments), func.sum(KpiDay.nominal))
            .where(KpiDay.periode == periode).group_by(KpiDay.day))
    if rayon is not None:
        stmt = stmt.where(KpiDay.rayon == rayon)
    with engine.connect() as conn:
        return {day: (int(n), int(total)) for day, n, total in conn.execute(stmt)}


def _cumulative_rates(engine: Engine, periode: str, rayon: str | None) -> tuple[int, list[float]]:
    """(target, the cumulative rate at the end of each day); METRICS.md: 0 without a target."""
    target = kpi(engine, periode, rayon)["target"]["nominal"]
    totals = _daily_totals(engine, periode, rayon) if target else {}
    running, rates = 0, []
    for day in _days_of(periode):
        running += totals.get(day, (0, 0))[1]
        rates.append(100 * running / target if target else 0.0)
    return target, rates


@cached
def kpi_daily(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """Grafik harian: per day of P, CURRENT payments by target customers, the
    cumulative collection rate, and P-1's cumulative rate on the same day of month."""
    rayon = rayon_filter(rayon)
    totals = _daily_totals(engine, periode, rayon)
    target, rates = _cumulative_rates(engine, periode, rayon)
    previous_periode = shift_periode(periode, -1)
    previous_target, previous = _cumulative_rates(engine, previous_periode, rayon)
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
def kpi_series(engine: Engine, first: str, last: str, rayon: str | None = None, by_rayon: bool = False) -> list[dict]:
    """The KPI of every periode from ``first`` to ``last`` that has figures, oldest first;
    with ``by_rayon``, one entry per periode and rayon."""
    rayon = rayon_filter(rayon)
    with engine.connect() as conn:
        found = conn.execute(select(KpiPeriode.periode).distinct().where(
            KpiPeriode.periode >= first, KpiPeriode.periode <= last)).scalars().all()
    series = []
    for periode in sorted(found):
        if by_rayon:
            series.extend(kpi_by_rayon(engine, periode)["rayons"])
        else:
            series.append(kpi(engine, periode, rayon))
    return series


# --- as the API answers them: a figure whose file is not stored is None, not 0 (METRICS.md) ----

@cached
def kpi_by_rayon_known(engine: Engine, periode: str) -> dict:
    """kpi_by_rayon() with each row's unknown figures None, and the file types lacking."""
    data, types = kpi_by_rayon(engine, periode), set(types_of(engine, periode))
    total, missing = known(data["total"], types)
    return {**data, "rayons": [known(row, types)[0] for row in data["rayons"]], "total": total, "missing": missing}


@cached
def kpi_daily_known(engine: Engine, periode: str, rayon: str | None = None) -> dict:
    """kpi_daily() with unknown figures None: a day's payments by target customers and the
    cumulative rate need MC(P) and COLLECTION(P); the previous month's rate those of P-1."""
    data = kpi_daily(engine, periode, rayon)
    types, before = set(types_of(engine, periode)), set(types_of(engine, data["previous_periode"]))
    needs = set(SOURCES["collection_rate"])  # the daily figures are the rate's, day by day
    rated, rated_before = needs <= types, needs <= before
    days = [{"date": day["date"], "nomen": day["nomen"] if rated else None,
             "nominal": day["nominal"] if rated else None, "cumulative_rate": day["cumulative_rate"] if rated else None,
             "previous_cumulative_rate": day["previous_cumulative_rate"] if rated_before else None}
            for day in data["days"]]
    return {**data, "target_nominal": data["target_nominal"] if "MC" in types else None,
            "previous_target_nominal": data["previous_target_nominal"] if "MC" in before else None, "days": days,
            "missing": [t for t in ("MC", "COLLECTION") if t not in types]}


@cached
def kpi_series_known(engine: Engine, first: str, last: str, rayon: str | None = None,
                     by_rayon: bool = False) -> list[dict]:
    """kpi_series() with each entry's unknown figures None and its own ``missing``."""
    entries = []
    for entry in kpi_series(engine, first, last, rayon, by_rayon):
        shown, missing = known(entry, set(types_of(engine, entry["periode"])))
        entries.append({**shown, "missing": missing})
    return entries
