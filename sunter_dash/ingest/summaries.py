"""The dashboard's summary tables, kept up to date inside the transaction that changes their inputs.

METRICS.md's collection KPI of a periode P depends on MC(P), the payments dated in P
and SBRS(P) (kubikasi when MC has none); its arrears figures on ARDEBT(P). A
customer's rayon is the one in MC(P), else in the most recent MC that lists it
(``customer_rayon``), else the row's own.

What each change costs (figures in docs/PERFORMANCE.md):
- new payments are added to ``pay_customer`` (per customer and pay month) and to
  ``kpi_day`` from the inserted rows alone; the payers' collection work follows, and the
  periode's KPI is summed from it and ``pay_customer``, never from the raw payments;
- an MC rebuilds its own periode, and other periodes only when a customer they
  hold outside their own MC has a new most recent rayon or PCEZ (their collection work
  for those customers alone); of the arrears it rewrites only the rayons that moved;
- SBRS and ARDEBT rebuild their part of their periode (ARDEBT the collection work of
  its customers in arrears before or after); a deletion rebuilds what the deleted rows fed.

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import delete, func, insert, literal, select, text, union, update
from sqlalchemy.engine import Connection

from ..domain import files
from ..models import DATA_TABLES, CustomerRayon, DataVersion, KpiPeriode, PayCustomer, StoredCount
from . import collection, directory, flags
from .bulk import ReadBack
from .figures import (
    MC_RAYON,
    PARTS,
    note_target,
    rebuild_arrears,
    rebuild_daily,
    rebuild_kpi,
    restamp_arrears,
    restamp_daily,
)
from .payment_fold import PAYMENTS_READ_BACK, add_payments, rebuild_pay_customer

# Each customer's rayon (its most recent MC with one) and the first periode of its current run in
# it: the earliest of its MC periodes (with a rayon) after the last one that gave another rayon.
# {where} restricts the customers. A periode's rayon is the greatest its rows give.
RAYON_RUN_SQL = """
    WITH per AS (SELECT nomen, periode, MAX(rayon) AS rayon FROM mc
                 WHERE rayon IS NOT NULL {where} GROUP BY nomen, periode),
         latest AS (SELECT p.nomen, p.rayon FROM per p
                    JOIN (SELECT nomen, MAX(periode) AS periode FROM per GROUP BY nomen) l
                      ON l.nomen = p.nomen AND l.periode = p.periode),
         other AS (SELECT p.nomen, MAX(p.periode) AS periode FROM per p
                   JOIN latest c ON c.nomen = p.nomen AND p.rayon <> c.rayon GROUP BY p.nomen)
    SELECT c.nomen, c.rayon, MIN(p.periode) AS periode
    FROM latest c LEFT JOIN other o ON o.nomen = c.nomen
    JOIN per p ON p.nomen = c.nomen AND p.periode > COALESCE(o.periode, '')
    GROUP BY c.nomen, c.rayon
"""


# --- the rayon of customers outside their periode's MC ----------------------------------

def refresh_customer_rayon(conn: Connection, periode: str) -> int:
    """Bring customer_rayon up to date after MC(P) changed. Those whose rayon changed are left in
    the temporary table ``cr_changed`` (for ``_periodes_holding``); return how many they are.

    Only customers listed in MC(P) and those whose run started in P or later can move: for another,
    whose run started before P, P lies inside its run (whose first periode stays, on either side
    of the change) or before the last MC that gave another rayon (which stays too). When P is the
    newest MC (the month's routine), its customers take its rayon straight: those already in it
    keep their row (their run goes on), and only those whose rayon moved are looked up among every
    periode (at 200,000 customers the month's MC rewrote every row: 1.8 s of statements, 0.5 s now)."""
    for statement in (
        "DROP TABLE IF EXISTS cr_affected", "DROP TABLE IF EXISTS cr_fresh", "DROP TABLE IF EXISTS cr_changed",
        "CREATE TEMPORARY TABLE cr_affected (nomen VARCHAR(20) PRIMARY KEY)",
        "CREATE TEMPORARY TABLE cr_fresh (nomen VARCHAR(20) PRIMARY KEY, rayon VARCHAR(8), periode VARCHAR(7))",
        "CREATE TEMPORARY TABLE cr_changed (nomen VARCHAR(20) PRIMARY KEY)",
    ):
        conn.exec_driver_sql(statement)
    p = {"p": periode}
    newest = conn.execute(text("SELECT MAX(periode) FROM mc")).scalar() == periode
    if newest:
        # The newest MC: whoever it lists with a rayon has it as the most recent; only those whose
        # rayon it moves start a run. A newcomer (no row: no other MC gave it a rayon) starts its
        # run in P; the others' first periode is looked up (a branch's first MC at 200,000: 2.3 -> 1.4 s).
        conn.execute(text(f"""
            INSERT INTO cr_fresh (nomen, rayon, periode) SELECT m.nomen, m.rayon, :p FROM ({MC_RAYON}) m
            WHERE m.rayon IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM customer_rayon c WHERE c.nomen = m.nomen)"""), p)
        conn.execute(text(f"""
            INSERT INTO cr_affected (nomen) SELECT m.nomen FROM ({MC_RAYON}) m
            JOIN customer_rayon c ON c.nomen = m.nomen
            WHERE m.rayon IS NOT NULL AND c.rayon <> m.rayon"""), p)
        # Listed with a rayon: MC_RAYON's MAX(rayon) is one exactly when a row gives one. NOT
        # EXISTS, not NOT IN: PostgreSQL probes a NOT IN list row by row when it does not fit
        # work_mem (figures.py).
        unlisted = ("AND NOT EXISTS (SELECT 1 FROM mc m WHERE m.periode = :p AND m.nomen = customer_rayon.nomen "
                    "AND m.rayon IS NOT NULL)")
    else:
        conn.execute(text("INSERT INTO cr_affected (nomen) SELECT DISTINCT nomen FROM mc WHERE periode = :p"), p)
        unlisted = ""
    conn.execute(text(f"""
        INSERT INTO cr_affected (nomen) SELECT nomen FROM customer_rayon
        WHERE periode >= :p {unlisted}
          AND NOT EXISTS (SELECT 1 FROM cr_affected a WHERE a.nomen = customer_rayon.nomen)"""), p)
    conn.exec_driver_sql("INSERT INTO cr_fresh (nomen, rayon, periode) "
                         + RAYON_RUN_SQL.format(where="AND nomen IN (SELECT nomen FROM cr_affected)"))
    if newest:
        conn.exec_driver_sql("INSERT INTO cr_affected (nomen) SELECT nomen FROM cr_fresh f "
                             "WHERE NOT EXISTS (SELECT 1 FROM cr_affected a WHERE a.nomen = f.nomen)")
    changed = conn.exec_driver_sql("""
        INSERT INTO cr_changed (nomen)
        SELECT a.nomen FROM cr_affected a
        LEFT JOIN customer_rayon c ON c.nomen = a.nomen LEFT JOIN cr_fresh f ON f.nomen = a.nomen
        WHERE COALESCE(c.rayon, '') <> COALESCE(f.rayon, '')""").rowcount
    conn.exec_driver_sql("DELETE FROM customer_rayon WHERE nomen IN (SELECT nomen FROM cr_affected)")
    conn.exec_driver_sql("INSERT INTO customer_rayon (nomen, rayon, periode) SELECT nomen, rayon, periode FROM cr_fresh")
    conn.exec_driver_sql("DROP TABLE cr_affected")
    conn.exec_driver_sql("DROP TABLE cr_fresh")
    return changed


def rebuild_customer_rayon(conn: Connection) -> None:
    """customer_rayon from every MC (``rebuild_all``; a migration's)."""
    conn.execute(delete(CustomerRayon))
    conn.exec_driver_sql(f"INSERT INTO customer_rayon (nomen, rayon, periode) {RAYON_RUN_SQL.format(where='')}")


def _periodes_holding(conn: Connection, skip: str) -> list[str]:
    """Periodes other than ``skip`` with a payment, reading, bill or arrears of the customers in
    ``cr_changed`` (a bill: a meter flag raised from MAINBILL alone takes its rayon by the same
    rule): one join per table against it, never lists of keys."""
    found: set[str] = set()
    for table in (PayCustomer.__tablename__, *(DATA_TABLES[t].name for t in ("SBRS", "MAINBILL", "ARDEBT", "MC"))):
        found |= set(conn.exec_driver_sql(
            f"SELECT DISTINCT periode FROM {table} WHERE nomen IN (SELECT nomen FROM cr_changed)").scalars())
    found.discard(skip)
    return sorted(found)


# --- entry points ------------------------------------------------------------------------

def count_rows(conn: Connection, file_type: str, periodes: list[str], added: pd.DataFrame | None = None) -> None:
    """The rows of a type per periode, the latest date of its dated rows (data as of) and the
    distinct values of its code (FileSpec.code_field). With ``added`` (a merged type's new rows,
    when rows were only added), carried forward from them instead of counted again: recounting
    a month of a million payments took 0.2-0.5 s."""
    table = DATA_TABLES[file_type]
    spec = files.spec(file_type)
    last = func.max(table.c[spec.date_field]) if spec.date_field else literal(None)
    new = _new_figures(spec, added) if added is not None else None
    for periode in periodes:
        if new is None:
            rows, last_day = conn.execute(select(func.count(), last).where(table.c.periode == periode)).one()
            codes = _codes(conn, table, spec.code_field, periode)
        else:
            rows, last_day, codes = _carried(conn, spec, periode, new.get(periode, (0, None, set())))
        conn.execute(delete(StoredCount).where(StoredCount.file_type == file_type,
                                               StoredCount.periode == periode))
        if rows:
            conn.execute(insert(StoredCount).values(file_type=file_type, periode=periode, rows=rows,
                                                    last_day=_as_date(last_day), codes=codes))


def _new_figures(spec, added: pd.DataFrame) -> dict[str, tuple]:
    """Per periode of the new rows: their number, latest date and codes (one grouping: 0.12 s for a
    million payments, a filter per periode 0.38 s)."""
    groups = added.groupby("periode", sort=False)
    lasts = groups[spec.date_field].max() if spec.date_field else None
    codes = groups[spec.code_field].unique() if spec.code_field else None
    return {periode: (int(size), None if lasts is None else lasts[periode],
                      set() if codes is None else {c for c in codes[periode] if not pd.isna(c)})
            for periode, size in groups.size().items()}


def _carried(conn: Connection, spec, periode: str, new: tuple) -> tuple:
    """``count_rows``' three figures of a periode from its stored figures and its new rows'."""
    count, last_day, codes = new
    held = conn.execute(select(StoredCount.rows, StoredCount.last_day, StoredCount.codes).where(
        StoredCount.file_type == spec.name, StoredCount.periode == periode)).one_or_none()
    days = [_as_date(d) for d in (held.last_day if held else None, last_day) if d is not None and not pd.isna(d)]
    kept = None
    if spec.code_field:
        kept = json.dumps(sorted(set(json.loads(held.codes) if held and held.codes else []) | codes))
    return count + (held.rows if held else 0), max(days) if days else None, kept


def _codes(conn: Connection, table, field: str | None, periode: str) -> str | None:
    if field is None:
        return None
    column = table.c[field]
    return json.dumps(sorted(conn.execute(select(column).distinct().where(table.c.periode == periode,
                                                                          column.is_not(None))).scalars()))


def _as_date(value) -> dt.date | None:
    # SQLite's max() of a DATE column comes back as text.
    return None if value is None else dt.date.fromisoformat(str(value)[:10])


def _kpi_periodes(conn: Connection) -> list[str]:
    tables = (DATA_TABLES["MC"], DATA_TABLES["SBRS"], PayCustomer.__table__, KpiPeriode.__table__)
    return sorted(set(conn.execute(union(*[select(t.c.periode).distinct() for t in tables])).scalars()))


def _payments(conn: Connection, periodes: list[str], added: pd.DataFrame | None) -> list[str]:
    """COLLECTION: new payments folded in, the collection work of their payers only (or the
    periodes rebuilt after a deletion)."""
    changed = add_payments(conn, added) if added is not None else {}
    for periode in periodes:
        if added is None:
            rebuild_pay_customer(conn, periode)
            rebuild_daily(conn, periode)
        _collection_then_kpi(conn, periode, ("paid", "payers"), changed.get(periode))
    return []


def _collection_then_kpi(conn: Connection, periode: str, parts, customers: str | None = None, *,
                         afresh: bool = False) -> None:
    """The periode's collection work (``collection.rebuild``), then these parts of its KPI, which
    read it (``rebuild_kpi``)."""
    collection.rebuild(conn, periode, customers, afresh=afresh)
    rebuild_kpi(conn, periode, parts)


def rebuild_collection(conn: Connection) -> None:
    """Every periode's collection work, and the KPI's figures that read it (a migration)."""
    collection.rebuild_all(conn)
    for periode in _kpi_periodes(conn):
        rebuild_kpi(conn, periode)  # every part reads it ("sbrs" MC(P)'s rayon)
        rebuild_daily(conn, periode)


def _volume(conn: Connection, periodes: list[str], added) -> list[str]:
    """SBRS: kubikasi when MC has none. SBRS feeds no collection work, so the MC(P) rayons the
    "sbrs" part reads from it are current."""
    for periode in periodes:
        rebuild_kpi(conn, periode, ("sbrs",))
    return []


def _arrears(conn: Connection, periodes: list[str], added) -> list[str]:
    """ARDEBT: the arrears of its periode; the collection work of the customers in arrears
    before or after only."""
    for periode in periodes:
        for statement in ("DROP TABLE IF EXISTS ar_before",
                          "CREATE TEMPORARY TABLE ar_before (nomen VARCHAR(20) PRIMARY KEY)"):
            conn.exec_driver_sql(statement)
        conn.execute(text("INSERT INTO ar_before (nomen) SELECT nomen FROM arrears_customer WHERE periode = :p"),
                     {"p": periode})
        rebuild_arrears(conn, periode)
        collection.rebuild(conn, periode, "SELECT nomen FROM ar_before UNION "
                                          "SELECT nomen FROM arrears_customer WHERE periode = :p")
        conn.exec_driver_sql("DROP TABLE ar_before")
    return []


# The customers whose most recent rayon an MC moved (``_target``), for the flags of the other
# periodes (``flags.refresh``'s ``movers``).
_MOVERS = "mc_movers"


def _target(conn: Connection, periodes: list[str], added) -> list[str]:
    """MC: the target and every customer's rayon; returns the other periodes whose customers'
    most recent rayon moved (METRICS.md's rayon rule reaches into the most recent MC), those
    customers left in ``_MOVERS``."""
    moved: list[str] = []
    for statement in (f"DROP TABLE IF EXISTS {_MOVERS}",
                      f"CREATE TEMPORARY TABLE {_MOVERS} (nomen VARCHAR(20) PRIMARY KEY)"):
        conn.exec_driver_sql(statement)
    for periode in periodes:
        changed = refresh_customer_rayon(conn, periode)
        holding = _periodes_holding(conn, periode) if changed else []
        if holding:
            conn.exec_driver_sql(f"INSERT INTO {_MOVERS} (nomen) SELECT nomen FROM cr_changed c "
                                 f"WHERE NOT EXISTS (SELECT 1 FROM {_MOVERS} m WHERE m.nomen = c.nomen)")
        for each in [periode, *holding]:
            # The arrears' rayons (METRICS.md's rule): MC(P) moves its own periode's, another
            # periode's only for the customers whose most recent rayon moved (cr_changed).
            restamp_arrears(conn, each, None if each == periode else "SELECT nomen FROM cr_changed")
            # Another periode's collection work moves only for the customers whose rayon did,
            # and those whose PCEZ comes from another MC (this one, maybe: ``dependents``). Today
            # the second set holds the first (an MC row without a rayon has no PCEZ either, so
            # a rayon from customer_rayon goes with a borrowed PCEZ); the union keeps it right
            # should MC's derivation ever give one without the other.
            # The daily figures read the collection work: noted before, moved after.
            if each == periode:
                noted = note_target(conn, each)
                _collection_then_kpi(conn, each, tuple(PARTS), afresh=True)
            else:
                customers = f"SELECT nomen FROM cr_changed UNION {collection.BORROWED}"
                noted = note_target(conn, each, customers)
                _collection_then_kpi(conn, each, tuple(PARTS), customers)
                moved.append(each)
            restamp_daily(conn, each, noted)
        conn.exec_driver_sql("DROP TABLE cr_changed")
        # Customers of other periodes whose PCEZ comes from their most recent MC (their rayon
        # did not move, or the periode is in ``holding``: the KPI, per rayon, stays as it is).
        for each in sorted(set(collection.dependents(conn, periode)) - set(holding)):
            collection.rebuild(conn, each, collection.BORROWED)
    return moved


def _mb(conn: Connection, periodes: list[str], added) -> list[str]:
    """MB: which disconnection candidates paid through it in each pay month."""
    for periode in periodes:
        collection.mark_mb(conn, periode)
    return []


# A FileSpec's ``feeds`` name these; they run in this order.
FEEDS = {"target": _target, "payments": _payments, "volume": _volume, "arrears": _arrears, "mb": _mb}
# What the feeds read back of an upload's new rows from the bulk stage.
READ_BACK = {"payments": PAYMENTS_READ_BACK}


def reads_back(spec) -> ReadBack:
    """What ``refresh`` reads back of this type's newly stored rows through ``bulk.staged``."""
    if spec.mode != files.MERGE:
        return {}
    return {name: make for feed in spec.feeds for name, make in READ_BACK.get(feed, {}).items()}


def refresh(conn: Connection, file_type: str | None, periodes: list[str],
            added: pd.DataFrame | None = None, replaced: list[int] | None = None) -> None:
    """Bring the summaries up to date after rows of ``file_type`` changed in ``periodes``
    (``added``: the new rows of a merged type, when rows were only added; ``replaced``: the
    uploads a snapshot replaced, their rows kept as superseded, or the deleted one a restored
    snapshot is compared with): the row counts,
    the summaries the type feeds, the customer directory and the meter flags; then bump
    the data version that every process's cache is keyed on."""
    feeds = files.spec(file_type).feeds if file_type in files.names() else ()
    if file_type in files.names():
        count_rows(conn, file_type, periodes, added)
    moved: list[str] = []
    for name, feed in FEEDS.items():
        if name in feeds:
            moved += feed(conn, periodes, added)
    if "directory" in feeds:
        for periode in periodes:
            directory.refresh(conn, file_type, periode)
    flags.refresh(conn, file_type, periodes, rayon_moved=moved,
                  movers=f"SELECT nomen FROM {_MOVERS}" if moved else None, replaced=replaced)
    if "directory" in feeds:  # flags of any periode may be named from the entries it changed
        flags.follow_directory(conn)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_MOVERS}")
    bump_version(conn)


def compares_replaced(file_type: str) -> bool:
    """Whether ``refresh`` reads the rows of the uploads ``replaced`` names (the flags compare
    them): a deletion that brings a snapshot back keeps the deleted one's rows superseded until then."""
    return flags.compares_replaced(file_type)


def rebuild_all(conn: Connection) -> None:
    """Every summary from the stored rows (a migration, or a repair)."""
    for file_type, table in DATA_TABLES.items():
        conn.execute(delete(StoredCount).where(StoredCount.file_type == file_type))
        count_rows(conn, file_type, sorted(set(conn.execute(select(table.c.periode).distinct()).scalars())))
    rebuild_customer_rayon(conn)
    payment_periodes = sorted(set(conn.execute(select(DATA_TABLES["COLLECTION"].c.periode).distinct()).scalars()))
    for periode in payment_periodes:
        rebuild_pay_customer(conn, periode)
    ardebt = DATA_TABLES["ARDEBT"]
    for periode in sorted(set(conn.execute(select(ardebt.c.periode).distinct()).scalars())):
        rebuild_arrears(conn, periode)
    collection.rebuild_all(conn)  # before the KPI and the daily figures, which read it
    for periode in _kpi_periodes(conn):
        rebuild_kpi(conn, periode)
        rebuild_daily(conn, periode)
    bump_version(conn)


def bump_version(conn: Connection) -> None:
    updated = conn.execute(update(DataVersion).where(DataVersion.id == 1)
                           .values(version=DataVersion.version + 1)).rowcount
    if not updated:
        conn.execute(insert(DataVersion).values(id=1, version=1))
