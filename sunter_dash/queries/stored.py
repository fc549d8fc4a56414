"""What is stored: periodes and the file types of each, rows per type, rayons, uploads count."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, func, select

from ..domain.periodes import UNDATED
from ..models import DATA_TABLES, ArrearsBucket, KpiPeriode, StoredCount, Upload
from .cache import cached


@cached
def periodes(engine: Engine) -> list[dict]:
    """Stored periodes, newest first, with the file types present for each (an undated RUTE is
    no periode)."""
    found: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for file_type, periode in conn.execute(select(StoredCount.file_type, StoredCount.periode)
                                               .where(StoredCount.periode != UNDATED)):
            found.setdefault(periode, set()).add(file_type)
    return [{"periode": p, "types": sorted(found[p])} for p in sorted(found, reverse=True)]


def types_of(engine: Engine, periode: str) -> set[str]:
    """The file types stored for a periode."""
    return next((set(p["types"]) for p in periodes(engine) if p["periode"] == periode), set())


@cached
def data_status(engine: Engine) -> list[dict]:
    """Rows stored per periode and file type, for the data overview."""
    with engine.connect() as conn:
        rows = conn.execute(select(StoredCount.periode, StoredCount.file_type, StoredCount.rows))
        found = [{"periode": p, "type": t, "rows": n} for p, t, n in rows]
    return sorted(found, key=lambda r: (r["periode"], r["type"]), reverse=True)


@cached
def rayons(engine: Engine) -> list[str]:
    """Every rayon present in the figures of any periode, numerically sorted."""
    with engine.connect() as conn:
        found = {r for (r,) in conn.execute(select(KpiPeriode.rayon).distinct()) if r}
        found |= {r for (r,) in conn.execute(select(ArrearsBucket.rayon).distinct()) if r}
    return sorted(found, key=lambda r: (not r.isdigit(), r.zfill(4)))


@cached
def upload_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Upload)).scalar() or 0


def table_rows(engine: Engine) -> dict[str, list[tuple[str, int]]]:
    """Rows of each file type's table per periode, counted in the table itself (``db stats``)."""
    found = {}
    with engine.connect() as conn:
        for file_type, table in DATA_TABLES.items():
            found[file_type] = [tuple(row) for row in conn.execute(
                select(table.c.periode, func.count()).group_by(table.c.periode).order_by(table.c.periode))]
    return found


def upload_statuses(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(Upload.status, func.count()).group_by(Upload.status))]


def data_as_of(conn: Connection, periode: str) -> dt.date | None:
    """METRICS.md: the latest payment date stored in COLLECTION for P, branch-wide (kept with
    the row counts by the ingest)."""
    found = conn.scalar(select(StoredCount.last_day).where(StoredCount.file_type == "COLLECTION",
                                                             StoredCount.periode == periode))
    return dt.date.fromisoformat(str(found)[:10]) if found else None
