"""The one place SQL lives for the pages and the API. Functions return plain data.

The engine comes from the running Flask app; every function is memoized and
the cache is cleared whenever an upload lands or is deleted.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine, func, select

from .extensions import cache
from .models import DATA_TABLES, Upload


def engine() -> Engine:
    return current_app.extensions["sunter_engine"]


def invalidate() -> None:
    cache.clear()


@cache.memoize()
def periodes() -> list[dict]:
    """Stored periodes, newest first, with the file types present for each."""
    found: dict[str, set[str]] = {}
    with engine().connect() as conn:
        for kind, table in DATA_TABLES.items():
            for (periode,) in conn.execute(select(table.c.periode).distinct()):
                found.setdefault(periode, set()).add(kind)
    return [{"periode": p, "types": sorted(found[p])} for p in sorted(found, reverse=True)]


@cache.memoize()
def data_status() -> list[dict]:
    """Rows stored per periode and file type, for the data overview."""
    rows: list[dict] = []
    with engine().connect() as conn:
        for kind, table in DATA_TABLES.items():
            stmt = select(table.c.periode, func.count()).group_by(table.c.periode)
            rows.extend({"periode": p, "type": kind, "rows": n} for p, n in conn.execute(stmt))
    return sorted(rows, key=lambda r: (r["periode"], r["type"]), reverse=True)


@cache.memoize()
def rayons() -> list[str]:
    """Every rayon present in any MC, numerically sorted."""
    table = DATA_TABLES["MC"]
    with engine().connect() as conn:
        found = [r for (r,) in conn.execute(select(table.c.rayon).distinct()) if r]
    return sorted(found, key=lambda r: (not r.isdigit(), r.zfill(4)))


@cache.memoize()
def upload_count() -> int:
    with engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(Upload)).scalar() or 0
