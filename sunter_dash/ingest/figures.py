"""The summary figures of METRICS.md's collection KPI and arrears: kpi_periode (per periode and
rayon, in parts), kpi_day, pay_customer and the arrears tables, each rebuilt for a periode or,
for payments, folded in from the rows just inserted, and the arrears' rayons moved in place after
an MC (summaries.py decides which, when).

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import BigInteger, Date, String, bindparam, delete, insert, select, text
from sqlalchemy.engine import Connection

from ..domain.codes import date_text
from ..models import DATA_TABLES, ArrearsBucket, ArrearsCustomer, KpiDay, KpiPeriode, PayCustomer
from .bulk import ROWS, fresh_statistics, insert_derived, release, stageable, staged

LATEST = "(SELECT cr.rayon FROM customer_rayon cr WHERE cr.nomen = {})"

_AGGREGATE = re.compile(r"(SUM|MAX)\((\w+)\)|COUNT\((\*|\w+)\)")
_DUPLICATED = "SELECT nomen FROM mc WHERE periode = :p GROUP BY nomen HAVING COUNT(*) > 1"


def mc_per_customer(only: str = "", **columns: str) -> str:
    """MC(P) (``:p``) per customer: ``nomen`` and, for each ``name="SUM(column)"`` (or MAX,
    COUNT), that aggregate of the customer's rows; ``only``: a query of the customers wanted
    (all when empty). A customer is normally listed once: those listed more than once are
    grouped, the others taken as they are (grouping all of a periode's 200,000 customers took
    about twice as long)."""
    grouped, single = [], []
    for name, aggregate in columns.items():
        found = _AGGREGATE.fullmatch(aggregate)
        if found is None:
            raise ValueError(f"not SUM, MAX or COUNT of a column: {aggregate!r}")
        summed, column, counted = found.groups()
        grouped.append(f"{aggregate} AS {name}")
        if summed:
            single.append(f"{column} AS {name}")
        else:
            single.append(f"1 AS {name}" if counted == "*" else
                          f"CASE WHEN {counted} IS NULL THEN 0 ELSE 1 END AS {name}")
    # The duplicated set is computed once: written twice as a subquery, PostgreSQL with stale
    # statistics grouped it again for every MC row, inside each summary's outer join (cubic).
    # NOT EXISTS is an anti-join on PostgreSQL whatever it estimates (NOT IN needs the set to
    # fit work_mem as a hash, else it scans it row by row).
    wanted = f"AND nomen IN ({only}) " if only else ""
    return (f"WITH duplicated AS MATERIALIZED ({_DUPLICATED}) "
            f"SELECT nomen, {', '.join(single)} FROM mc WHERE periode = :p {wanted}"
            f"AND NOT EXISTS (SELECT 1 FROM duplicated d WHERE d.nomen = mc.nomen) "
            f"UNION ALL SELECT nomen, {', '.join(grouped)} FROM mc "
            f"WHERE periode = :p {wanted}AND nomen IN (SELECT nomen FROM duplicated) GROUP BY nomen")


# MC(P)'s customers, each once (its rows summed), with its rayon (MC(P)'s, else customer_rayon's,
# else ''): the periode's collection work holds them (``in_mc``), kept by every change of MC(P)
# or of a customer's rayon, so nothing here reads MC(P) and customer_rayon again (at 200,000
# customers that took 0.2-0.3 s of each statement below, and of each COLLECTION extract's daily
# figures). Where an MC is loaded, collection.rebuild comes first.
_IN_MC = "SELECT nomen, rayon FROM collection_customer WHERE periode = :p AND in_mc = 1"
# The target set: those of them with a bill.
_TARGET_SET = f"{_IN_MC} AND nominal > 0"
# MC(P)'s rayon per customer, before customer_rayon's (summaries.py's newest rayons too).
MC_RAYON = mc_per_customer(rayon="MAX(rayon)")

# Each part of kpi_periode comes from one statement; a change recomputes only its parts.
PARTS = {
    # MC(P)'s rows, volume and target, and the target's paid and unpaid customers, summed from the
    # periode's collection work (a few hundred rows, written by the same upload: collection.rebuild
    # runs first). "target" is what an MC changes; joining MC(P) again took about 1.9 s of an MC's
    # upload at 200,000 customers, and joining it to pay_customer 0.7 s of each COLLECTION extract.
    "target": text("""
        SELECT rayon, SUM(mc_rows) AS mc_rows, SUM(mc_kubik) AS mc_kubik, SUM(mc_kubik_rows) AS mc_kubik_rows,
               SUM(target_nomen) AS target_nomen, SUM(target_nominal) AS target_nominal
        FROM collection_group WHERE periode = :p
        GROUP BY rayon
    """),
    "paid": text("""
        SELECT rayon, SUM(paid_nomen) AS paid_nomen, SUM(paid_nominal) AS paid_nominal,
               SUM(unpaid_nomen) AS unpaid_nomen, SUM(unpaid_nominal) AS unpaid_nominal
        FROM collection_group WHERE periode = :p
        GROUP BY rayon
    """),
    # Payments beside the target: UNDUE ones are arrears collected; CURRENT ones by
    # customers not in MC(P) are "unmatched" (METRICS.md).
    "payers": text(f"""
        WITH m AS ({_IN_MC})
        SELECT COALESCE(m.rayon, {LATEST.format('s.nomen')}, '') AS rayon,
               SUM(CASE WHEN s.undue_n > 0 THEN 1 ELSE 0 END) AS undue_nomen,
               SUM(s.undue_n) AS undue_count,
               SUM(s.undue_sum) AS undue_nominal,
               SUM(CASE WHEN m.nomen IS NULL AND s.cur_n > 0 THEN 1 ELSE 0 END) AS unmatched_nomen,
               SUM(CASE WHEN m.nomen IS NULL THEN s.cur_n ELSE 0 END) AS unmatched_count,
               SUM(CASE WHEN m.nomen IS NULL THEN s.cur_sum ELSE 0 END) AS unmatched_nominal
        FROM pay_customer s LEFT JOIN m ON m.nomen = s.nomen
        WHERE s.periode = :p AND (s.undue_n > 0 OR m.nomen IS NULL)
        GROUP BY 1
    """),
    # MC(P)'s rayon from the collection work (``collection.rebuild`` comes first), else the most
    # recent MC's, else the reading's own: the collection work's '' says that neither MC(P) nor
    # the most recent MC gives one (a stored MC rayon is never '': parse.as_text makes it NULL).
    # Grouping MC(P) again took 0.94 s of an MC or SBRS at 200,000 customers, this 0.65 s.
    "sbrs": text(f"""
        WITH m AS ({_IN_MC})
        SELECT COALESCE(NULLIF(m.rayon, ''), {LATEST.format('sbrs.nomen')}, sbrs.rayon, '') AS rayon,
               SUM(sbrs.volume) AS sbrs_volume
        FROM sbrs LEFT JOIN m ON m.nomen = sbrs.nomen
        WHERE sbrs.periode = :p
        GROUP BY 1
    """),
}
PART_FIGURES = {
    "target": ("mc_rows", "mc_kubik", "mc_kubik_rows", "target_nomen", "target_nominal"),
    "paid": ("paid_nomen", "paid_nominal", "unpaid_nomen", "unpaid_nominal"),
    "payers": ("undue_nomen", "undue_count", "undue_nominal", "unmatched_nomen", "unmatched_count",
               "unmatched_nominal"),
    "sbrs": ("sbrs_volume",),
}
FIGURES = [name for names in PART_FIGURES.values() for name in names]

# Payments per customer and pay month, from the stored rows of a periode (a rebuild; as they are
# inserted, ``payment_sums`` makes the same sums in Arrow). Every payment, whatever its jenis, has
# its row: ``add_payments`` takes a pay month without any for one holding no payment.
_PAY_CUSTOMER = """
    INSERT INTO pay_customer (periode, nomen, cur_n, cur_sum, undue_n, undue_sum)
    SELECT periode, nomen,
           SUM(CASE WHEN jenis = 'CURRENT' THEN 1 ELSE 0 END),
           SUM(CASE WHEN jenis = 'CURRENT' THEN amount ELSE 0 END),
           SUM(CASE WHEN jenis = 'UNDUE' THEN 1 ELSE 0 END),
           SUM(CASE WHEN jenis = 'UNDUE' THEN amount ELSE 0 END)
    FROM {source} WHERE {where} GROUP BY periode, nomen
"""
PAY_CUSTOMER_SQL = text(_PAY_CUSTOMER.format(source="payment", where="periode = :p"))

DAILY_SQL = text(f"""
    WITH m AS ({_TARGET_SET})
    SELECT p.pay_date AS day, m.rayon AS rayon, COUNT(*) AS payments, SUM(p.amount) AS nominal
    FROM payment p JOIN m ON m.nomen = p.nomen
    WHERE p.periode = :p AND p.jenis = 'CURRENT'
    GROUP BY p.pay_date, m.rayon
""").columns(day=Date, rayon=String, payments=BigInteger, nominal=BigInteger)

TARGET_SET_SQL = text(_TARGET_SET)


def _arrears_rayon(mc: str, own: str) -> str:
    """An arrears customer's rayon (METRICS.md): MC(P)'s, else its most recent MC's, else the one
    ARDEBT gives (``mc`` and ``own``: those of MC(P) and ARDEBT(P))."""
    return f"COALESCE({mc}, {LATEST.format('a.nomen')}, {own}, '')"


ARREARS_SQL = text(f"""
    INSERT INTO arrears_customer (periode, nomen, rayon, bills, total, oldest_bill)
    WITH a AS (
        SELECT nomen,
               CASE WHEN COUNT(bills) > 0 THEN SUM(bills) ELSE COUNT(*) END AS bills,
               CASE WHEN COUNT(total) > 0 THEN SUM(total) ELSE COALESCE(SUM(amount), 0) END AS total,
               MIN(bill_period) AS oldest_bill, MAX(rayon) AS own_rayon
        FROM ardebt WHERE periode = :p GROUP BY nomen),
         m AS ({MC_RAYON})
    SELECT CAST(:p AS VARCHAR(7)), a.nomen, {_arrears_rayon('m.rayon', 'a.own_rayon')},
           a.bills, a.total, a.oldest_bill
    FROM a LEFT JOIN m ON m.nomen = a.nomen
""")

# An MC moves nothing of a periode's arrears but their rayons (of the customers ``{only}`` keeps,
# or all): bills and totals are ARDEBT's. So only the rows whose rayon differs are rewritten and
# ARDEBT is not grouped again. At 200,000 customers (40,878 arrears rows) the full rebuild took
# about 1.5 s of an MC's upload, this 0.5 s.
_ARREARS_RAYON_SQL = f"""
    UPDATE arrears_customer SET rayon = x.rayon FROM (
        SELECT a.nomen, {_arrears_rayon(
            "(SELECT MAX(m.rayon) FROM mc m WHERE m.periode = :p AND m.nomen = a.nomen)",
            "(SELECT MAX(d.rayon) FROM ardebt d WHERE d.periode = :p AND d.nomen = a.nomen)")} AS rayon
        FROM arrears_customer a WHERE a.periode = :p {{only}}) x
    WHERE arrears_customer.periode = :p AND arrears_customer.nomen = x.nomen AND arrears_customer.rayon <> x.rayon
"""

BUCKET_SQL = text("""
    SELECT rayon,
           CASE WHEN bills <= 1 THEN '1' WHEN bills = 2 THEN '2' WHEN bills <= 6 THEN '3-6'
                WHEN bills <= 12 THEN '7-12' ELSE '>12' END AS bucket,
           COUNT(*) AS nomen, SUM(total) AS nominal
    FROM arrears_customer WHERE periode = :p AND total > 0
    GROUP BY 1, 2
""")

# --- kpi_periode and kpi_day ----------------------------------------------------------

def rebuild_kpi(conn: Connection, periode: str, parts=tuple(PARTS)) -> None:
    """Recompute the given parts of kpi_periode for one periode; the others keep their values.
    Every part reads the periode's collection work ("sbrs" only MC(P)'s rayons):
    ``collection.rebuild`` comes first."""
    by_rayon: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    kept = [name for part in PARTS if part not in parts for name in PART_FIGURES[part]]
    if kept:
        stored = select(KpiPeriode.rayon, *[KpiPeriode.__table__.c[n] for n in kept]).where(
            KpiPeriode.periode == periode)
        for row in conn.execute(stored).mappings():
            by_rayon[row["rayon"]].update({name: int(row[name]) for name in kept})
    for part in parts:
        for row in conn.execute(PARTS[part], {"p": periode}).mappings():
            figures = by_rayon[row["rayon"] or ""]
            for name in PART_FIGURES[part]:
                figures[name] += int(row[name] or 0)
    conn.execute(delete(KpiPeriode).where(KpiPeriode.periode == periode))
    rows = [{"periode": periode, "rayon": rayon, **figures} for rayon, figures in by_rayon.items()
            if any(figures.values())]
    if rows:
        conn.execute(insert(KpiPeriode), rows)


def rebuild_daily(conn: Connection, periode: str) -> None:
    conn.execute(delete(KpiDay).where(KpiDay.periode == periode))
    days = [{"periode": periode, "rayon": row.rayon or "", "day": row.day, "payments": int(row.payments),
             "nominal": int(row.nominal)} for row in conn.execute(DAILY_SQL, {"p": periode})]
    if days:
        conn.execute(insert(KpiDay), days)


# The daily figures after an MC rewrote a periode's collection work: only the customers whose
# place in the target moved (in it or not, its rayon) move them, their CURRENT payments from the
# old rayon to the new one. ``note_target`` keeps the target as it was (kd_before; of the
# customers whose work is computed again, kd_only, when not all) if the periode has payments;
# ``restamp_daily`` then moves those customers' payments, or rebuilds the periode's days when
# more than a quarter of the target moved (a first MC). At 200,000 customers an MC correction
# moving 50 customers' rayon recomputed the days of the 12 periodes holding their payments,
# 16.0 s; 1.9 s now (profiled).
_NOTED, _ONLY = "kd_before", "kd_only"
_MOVED_SQL = f"""
    INSERT INTO kd_moved (nomen, old_rayon, new_rayon)
    SELECT b.nomen, b.rayon, n.rayon FROM {_NOTED} b LEFT JOIN ({_TARGET_SET}) n ON n.nomen = b.nomen
    WHERE n.nomen IS NULL OR n.rayon <> b.rayon
    UNION ALL
    SELECT n.nomen, NULL, n.rayon FROM ({_TARGET_SET}) n
    WHERE NOT EXISTS (SELECT 1 FROM {_NOTED} b WHERE b.nomen = n.nomen){{only}}
"""
_MOVED_PAYMENTS = text("""
    SELECT p.pay_date AS day, k.old_rayon, k.new_rayon, COUNT(*) AS payments, SUM(p.amount) AS nominal
    FROM kd_moved k JOIN payment p ON p.periode = :p AND p.nomen = k.nomen
    WHERE p.jenis = 'CURRENT'
    GROUP BY p.pay_date, k.old_rayon, k.new_rayon
""").columns(day=Date, old_rayon=String, new_rayon=String, payments=BigInteger, nominal=BigInteger)


def note_target(conn: Connection, periode: str, only: str | None = None) -> str | None:
    """Keep the periode's target set (kd_before) before its collection work is rewritten, for
    ``restamp_daily``: of the customers ``only`` selects (``:p`` the periode; read now, before
    the rewrite), else all. Returns what restricts the target after to the same customers;
    None (nothing kept) when the periode has no payment: a rebuild then reads none."""
    for name in (_NOTED, _ONLY):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    if conn.execute(_ANY_PAYER, {"p": periode}).first() is None:
        return None
    p = {"p": periode}
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_NOTED} (nomen VARCHAR(20) PRIMARY KEY, rayon VARCHAR(8))")
    where = ""
    if only is not None:
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_ONLY} (nomen VARCHAR(20) PRIMARY KEY)")
        conn.execute(text(f"INSERT INTO {_ONLY} (nomen) {only}"), p)
        where = f" AND nomen IN (SELECT nomen FROM {_ONLY})"
    conn.execute(text(f"INSERT INTO {_NOTED} (nomen, rayon) {_TARGET_SET}{where}"), p)
    return where


def restamp_daily(conn: Connection, periode: str, noted: str | None) -> None:
    """kpi_day of the periode after its collection work was rewritten (``noted``: what
    ``note_target`` returned)."""
    if noted is None:
        rebuild_daily(conn, periode)
        return
    p = {"p": periode}
    for statement in ("DROP TABLE IF EXISTS kd_moved", "CREATE TEMPORARY TABLE kd_moved "
                      "(nomen VARCHAR(20) PRIMARY KEY, old_rayon VARCHAR(8), new_rayon VARCHAR(8))"):
        conn.exec_driver_sql(statement)
    moved = conn.execute(text(_MOVED_SQL.format(only=noted)), p).rowcount
    if moved and 4 * moved > conn.execute(text(f"SELECT COUNT(*) FROM ({_TARGET_SET}) t"), p).scalar():
        rebuild_daily(conn, periode)
    elif moved:
        days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for row in conn.execute(select(KpiDay.rayon, KpiDay.day, KpiDay.payments, KpiDay.nominal)
                                .where(KpiDay.periode == periode)):
            days[(row.rayon, row.day)] = [int(row.payments), int(row.nominal)]
        for row in conn.execute(_MOVED_PAYMENTS, p):
            for rayon, sign in ((row.old_rayon, -1), (row.new_rayon, 1)):
                if rayon is not None:
                    figures = days[(rayon or "", row.day)]
                    figures[0] += sign * int(row.payments)
                    figures[1] += sign * int(row.nominal)
        conn.execute(delete(KpiDay).where(KpiDay.periode == periode))
        rows = [{"periode": periode, "rayon": rayon, "day": day, "payments": n, "nominal": total}
                for (rayon, day), (n, total) in days.items() if n]
        if rows:
            conn.execute(insert(KpiDay), rows)
    for name in (_NOTED, _ONLY, "kd_moved"):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def rebuild_pay_customer(conn: Connection, periode: str) -> None:
    conn.execute(delete(PayCustomer).where(PayCustomer.periode == periode))
    written = conn.execute(PAY_CUSTOMER_SQL, {"p": periode}).rowcount
    fresh_statistics(conn, PayCustomer.__tablename__, written)


def _upsert_add(conn: Connection, table, frame: pd.DataFrame, keys: list[str]) -> None:
    """Add the frame's figures to the rows of the same key, inserting the missing ones."""
    if frame.empty:
        return
    sums = [c for c in frame.columns if c not in keys]
    quote = conn.dialect.identifier_preparer.quote
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = keys + sums
    sql = (f"INSERT INTO {table.name} ({', '.join(map(quote, names))}) "
           f"VALUES ({', '.join([marker] * len(names))}) "
           f"ON CONFLICT ({', '.join(map(quote, keys))}) DO UPDATE SET "
           + ", ".join(f"{quote(s)} = {table.name}.{quote(s)} + excluded.{quote(s)}" for s in sums))
    columns = [frame[n].tolist() for n in names]
    conn.exec_driver_sql(sql, list(zip(*columns)))


# The same folding from the new rows of a bulk insert, summed per customer and pay month in Arrow
# (``payment_sums``, derived beside them as ``PAY_SUMS``: grouping a million rows in SQL took 4x as
# long as inserting the sums): a plain insert for the pay months pay_customer holds nothing of yet
# (``bulk.insert_derived``: no conflict to look for, and on PostgreSQL a COPY with no stage), an
# upsert from the staged sums for the others.
PAY_SUMS = "pay_sums"
_SUMMED = "periode, nomen, cur_n, cur_sum, undue_n, undue_sum"  # pay_customer's columns
PAY_CUSTOMER_ADD_FROM_SUMS = f"INSERT INTO pay_customer ({_SUMMED}) SELECT {_SUMMED} FROM {{sums}} " \
                             "WHERE periode IN :periodes" + """
    ON CONFLICT (periode, nomen) DO UPDATE SET
        cur_n = pay_customer.cur_n + excluded.cur_n, cur_sum = pay_customer.cur_sum + excluded.cur_sum,
        undue_n = pay_customer.undue_n + excluded.undue_n, undue_sum = pay_customer.undue_sum + excluded.undue_sum
"""


_SUMS = ("cur_n", "cur_sum", "undue_n", "undue_sum")


def payment_sums(rows: pa.Table) -> pa.Table:
    """``_PAY_CUSTOMER``'s sums of these payment rows per pay month and customer, in the rows'
    order of first appearance (their primary-key order: pay_customer's own)."""
    current = pc.equal(rows["jenis"], "CURRENT")
    undue = pc.equal(rows["jenis"], "UNDUE")
    zero = pa.scalar(0, pa.int64())
    parts = pa.table({
        # Grouped by large_string keys (pandas' strings), Arrow took 3x as long.
        "periode": pc.cast(rows["periode"], pa.string()), "nomen": pc.cast(rows["nomen"], pa.string()),
        "cur_n": pc.cast(current, pa.int64()), "cur_sum": pc.if_else(current, rows["amount"], zero),
        "undue_n": pc.cast(undue, pa.int64()), "undue_sum": pc.if_else(undue, rows["amount"], zero)})
    # Single-threaded, the groups come out in the order they first appear.
    sums = parts.group_by(["periode", "nomen"], use_threads=False).aggregate([(name, "sum") for name in _SUMS])
    return sums.rename_columns({f"{name}_sum": name for name in _SUMS})


# What add_payments reads back of a COLLECTION's bulk insert (bulk.staged): the rows' columns
# that DAILY_FROM reads as ``stage`` for a pay month that held payments (on PostgreSQL only these
# are staged, a third of the copy; a new pay month's are read from ``payment``) and their sums.
DAILY_COLUMNS = ("periode", "nomen", "pay_date", "amount", "jenis")
PAYMENTS_READ_BACK = {ROWS: DAILY_COLUMNS, PAY_SUMS: payment_sums}

DAILY_FROM = f"""
    INSERT INTO kpi_day (periode, rayon, day, payments, nominal)
    WITH m AS ({TARGET_SET_SQL.text})
    SELECT s.periode, m.rayon, s.pay_date, COUNT(*), SUM(s.amount)
    FROM {{stage}} s JOIN m ON m.nomen = s.nomen
    WHERE s.periode = :p AND s.jenis = 'CURRENT'
    GROUP BY s.periode, m.rayon, s.pay_date
    ON CONFLICT (periode, rayon, day) DO UPDATE SET
        payments = kpi_day.payments + excluded.payments, nominal = kpi_day.nominal + excluded.nominal
"""

_ANY_PAYER = text("SELECT 1 FROM pay_customer WHERE periode = :p LIMIT 1")


def add_payments(conn: Connection, added: pd.DataFrame) -> dict[str, str]:
    """Fold newly stored COLLECTION rows into pay_customer and kpi_day (no rescan of payments).
    Returns, per pay month, a query (``:p``) of the customers whose pay_customer row changed,
    when they can be named without a scan (the staged bulk insert); else nothing.

    A pay month that held no payment (``fresh``) holds only these rows: its sums are copied
    straight into pay_customer, its days summed from ``payment`` itself. On PostgreSQL the rows
    are staged only for a held one (a million rows of new pay months staged: 0.8 s)."""
    payments = DATA_TABLES["COLLECTION"].name
    if stageable(conn, payments):
        periodes = sorted(added["periode"].dropna().unique().tolist())
        held = [p for p in periodes if conn.execute(_ANY_PAYER, {"p": p}).first() is not None]
        fresh = [p for p in periodes if p not in held]
        folded = insert_derived(conn, payments, PAY_SUMS, PayCustomer.__table__, "periode", fresh) if fresh else 0
        # A new pay month's payers are all of its pay_customer; a held one's, those of the sums.
        changed = {p: "SELECT nomen FROM pay_customer WHERE periode = :p" for p in fresh}
        if held:
            sums = staged(conn, payments, PAY_SUMS)
            fold = text(PAY_CUSTOMER_ADD_FROM_SUMS.format(sums=sums)).bindparams(bindparam("periodes", expanding=True))
            folded += conn.execute(fold, {"periodes": held}).rowcount
            changed.update({p: f"SELECT nomen FROM {sums} WHERE periode = :p" for p in held})
        fresh_statistics(conn, PayCustomer.__tablename__, folded)
        if not held:  # nothing of the rows will be read back
            release(conn, payments)
        for periode in periodes:
            source = staged(conn, payments) if periode in held else payments
            conn.execute(text(DAILY_FROM.format(stage=source)), {"p": periode})
        return changed
    sums = payment_sums(pa.Table.from_pandas(added[["periode", "nomen", "jenis", "amount"]], preserve_index=False))
    _upsert_add(conn, PayCustomer.__table__, sums.to_pandas(), ["periode", "nomen"])

    current = (added["jenis"] == "CURRENT").to_numpy()
    paid = pd.DataFrame({"periode": added["periode"].to_numpy(dtype=object)[current],
                         "nomen": added["nomen"].to_numpy(dtype=object)[current],
                         "day": date_text(added["pay_date"][current]).to_numpy(dtype=object),
                         "amount": added["amount"].to_numpy(dtype=np.int64)[current]})
    for periode, rows in paid.groupby("periode", sort=True):
        target = pd.DataFrame(conn.execute(TARGET_SET_SQL, {"p": periode}).all(), columns=["nomen", "rayon"])
        rows = rows.merge(target, on="nomen")
        if rows.empty:
            continue
        days = rows.groupby(["rayon", "day"], sort=True)["amount"].agg(["size", "sum"]).reset_index()
        days = pd.DataFrame({"periode": periode, "rayon": days["rayon"].fillna(""), "day": days["day"],
                             "payments": days["size"].astype(np.int64), "nominal": days["sum"].astype(np.int64)})
        _upsert_add(conn, KpiDay.__table__, days, ["periode", "rayon", "day"])
    return {}


# --- arrears ----------------------------------------------------------------------------

def rebuild_arrears(conn: Connection, periode: str) -> None:
    """The periode's arrears per customer from ARDEBT(P), and their buckets."""
    conn.execute(delete(ArrearsCustomer).where(ArrearsCustomer.periode == periode))
    written = conn.execute(ARREARS_SQL, {"p": periode}).rowcount
    fresh_statistics(conn, ArrearsCustomer.__tablename__, written)
    _rebuild_buckets(conn, periode)


def restamp_arrears(conn: Connection, periode: str, customers: str | None = None) -> None:
    """The rayon of the periode's arrears after an MC changed (of ``customers``, a query of
    them, or all), and their buckets when one moved."""
    only = f"AND a.nomen IN ({customers})" if customers else ""
    if conn.execute(text(_ARREARS_RAYON_SQL.format(only=only)), {"p": periode}).rowcount:
        _rebuild_buckets(conn, periode)


def _rebuild_buckets(conn: Connection, periode: str) -> None:
    conn.execute(delete(ArrearsBucket).where(ArrearsBucket.periode == periode))
    buckets = [{"periode": periode, "rayon": row.rayon, "bucket": row.bucket, "nomen": int(row.nomen),
                "nominal": int(row.nominal or 0)} for row in conn.execute(BUCKET_SQL, {"p": periode})]
    if buckets:
        conn.execute(insert(ArrearsBucket), buckets)
