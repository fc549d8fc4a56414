"""The summary figures of METRICS.md's collection KPI and arrears: kpi_periode (per periode and
rayon, in parts), kpi_day and the arrears tables, each rebuilt for a periode, kpi_day's payments
moved after an MC, and the arrears' rayons moved in place (summaries.py decides which, when).
Payments as they are inserted are folded into pay_customer and kpi_day by payment_fold.py.

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import BigInteger, Date, String, delete, insert, select, text
from sqlalchemy.engine import Connection

from ..models import ArrearsBucket, ArrearsCustomer, KpiDay, KpiPeriode
from .bulk import fresh_statistics

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

DAILY_SQL = text(f"""
    WITH m AS ({_TARGET_SET})
    SELECT p.pay_date AS day, m.rayon AS rayon, COUNT(*) AS payments, SUM(p.amount) AS nominal
    FROM payment p JOIN m ON m.nomen = p.nomen
    WHERE p.periode = :p AND p.jenis = 'CURRENT'
    GROUP BY p.pay_date, m.rayon
""").columns(day=Date, rayon=String, payments=BigInteger, nominal=BigInteger)

TARGET_SET_SQL = text(_TARGET_SET)
# Whether a pay month holds any payment (its pay_customer has a row).
ANY_PAYER = text("SELECT 1 FROM pay_customer WHERE periode = :p LIMIT 1")


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
    if conn.execute(ANY_PAYER, {"p": periode}).first() is None:
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
