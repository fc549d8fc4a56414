"""The dashboard's summary tables, rebuilt inside the transaction that changes their inputs.

METRICS.md's collection KPI of a periode P depends on MC(P), the payments dated in
P and SBRS(P) (kubikasi when MC has none); its arrears figures on ARDEBT(P). A
customer's rayon comes from MC(P), else the most recent MC that lists it, else the
row's own rayon, so a change to any MC can move customers of other periodes
between rayons: an MC upload or deletion rebuilds every periode. Each rebuild is a
few grouped statements over one periode (indexes on (periode, nomen) everywhere),
measured in docs/PERFORMANCE.md.

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import BigInteger, Date, String, bindparam, delete, func, insert, select, text, union, update
from sqlalchemy.engine import Connection

from ..models import (DATA_TABLES, ArrearsBucket, ArrearsCustomer, Ardebt, DataVersion, KpiDay, KpiPeriode,
                      Mc, Payment, Sbrs, StoredCount)

# Aging buckets by bills outstanding (METRICS.md), in display order.
BUCKETS = ("1", "2", "3-6", "7-12", ">12")


def _latest_rayon(nomen: str) -> str:
    """SQL for the rayon of the most recent MC that lists the customer (with a rayon)."""
    return (f"(SELECT x.rayon FROM mc x WHERE x.nomen = {nomen} AND x.rayon IS NOT NULL "
            "ORDER BY x.periode DESC LIMIT 1)")


# The target: MC(P) per customer (a customer listed twice counts once, with its rows summed).
_MC_OF_P = f"""
    SELECT nomen, COUNT(*) AS rows_, SUM(nominal) AS nominal, SUM(kubik) AS kubik,
           COUNT(kubik) AS kubik_rows, COALESCE(MAX(rayon), {_latest_rayon('mc.nomen')}, '') AS rayon
    FROM mc WHERE periode = :p GROUP BY nomen
"""
_PAID_OF_P = """
    SELECT nomen,
           SUM(CASE WHEN jenis = 'CURRENT' THEN 1 ELSE 0 END) AS cur_n,
           SUM(CASE WHEN jenis = 'CURRENT' THEN amount ELSE 0 END) AS cur_sum,
           SUM(CASE WHEN jenis = 'UNDUE' THEN 1 ELSE 0 END) AS undue_n,
           SUM(CASE WHEN jenis = 'UNDUE' THEN amount ELSE 0 END) AS undue_sum
    FROM payment WHERE periode = :p GROUP BY nomen
"""

TARGET_SQL = text(f"""
    WITH m AS ({_MC_OF_P}), s AS ({_PAID_OF_P})
    SELECT m.rayon,
           SUM(m.rows_) AS mc_rows,
           COALESCE(SUM(m.kubik), 0) AS mc_kubik,
           SUM(m.kubik_rows) AS mc_kubik_rows,
           SUM(CASE WHEN m.nominal > 0 THEN 1 ELSE 0 END) AS target_nomen,
           SUM(m.nominal) AS target_nominal,
           SUM(CASE WHEN m.nominal > 0 AND s.cur_n > 0 THEN 1 ELSE 0 END) AS paid_nomen,
           SUM(CASE WHEN m.nominal > 0 THEN COALESCE(s.cur_sum, 0) ELSE 0 END) AS paid_nominal,
           SUM(CASE WHEN m.nominal > 0 AND COALESCE(s.cur_n, 0) = 0 THEN 1 ELSE 0 END) AS unpaid_nomen,
           SUM(CASE WHEN m.nominal > COALESCE(s.cur_sum, 0) THEN m.nominal - COALESCE(s.cur_sum, 0)
                    ELSE 0 END) AS unpaid_nominal
    FROM m LEFT JOIN s ON s.nomen = m.nomen
    GROUP BY m.rayon
""")

# Payments whose customer is not in MC(P): UNDUE ones count as arrears collected,
# CURRENT ones are "unmatched" (METRICS.md). Customers in MC(P) are grouped above.
PAYERS_SQL = text(f"""
    WITH m AS (SELECT nomen, COALESCE(MAX(rayon), {_latest_rayon('mc.nomen')}, '') AS rayon
               FROM mc WHERE periode = :p GROUP BY nomen),
         s AS ({_PAID_OF_P})
    SELECT COALESCE(m.rayon, {_latest_rayon('s.nomen')}, '') AS rayon,
           SUM(CASE WHEN s.undue_n > 0 THEN 1 ELSE 0 END) AS undue_nomen,
           SUM(s.undue_n) AS undue_count,
           SUM(s.undue_sum) AS undue_nominal,
           SUM(CASE WHEN m.nomen IS NULL AND s.cur_n > 0 THEN 1 ELSE 0 END) AS unmatched_nomen,
           SUM(CASE WHEN m.nomen IS NULL THEN s.cur_n ELSE 0 END) AS unmatched_count,
           SUM(CASE WHEN m.nomen IS NULL THEN s.cur_sum ELSE 0 END) AS unmatched_nominal
    FROM s LEFT JOIN m ON m.nomen = s.nomen
    WHERE s.undue_n > 0 OR m.nomen IS NULL
    GROUP BY 1
""")

SBRS_SQL = text(f"""
    WITH m AS (SELECT nomen, MAX(rayon) AS rayon FROM mc WHERE periode = :p GROUP BY nomen)
    SELECT COALESCE(m.rayon, {_latest_rayon('sbrs.nomen')}, sbrs.rayon, '') AS rayon,
           SUM(sbrs.volume) AS sbrs_volume
    FROM sbrs LEFT JOIN m ON m.nomen = sbrs.nomen
    WHERE sbrs.periode = :p
    GROUP BY 1
""")

DAILY_SQL = text(f"""
    WITH m AS ({_MC_OF_P})
    SELECT p.pay_date AS day, m.rayon AS rayon, COUNT(*) AS payments, SUM(p.amount) AS nominal
    FROM payment p JOIN m ON m.nomen = p.nomen
    WHERE p.periode = :p AND p.jenis = 'CURRENT' AND m.nominal > 0
    GROUP BY p.pay_date, m.rayon
""").columns(day=Date, rayon=String, payments=BigInteger, nominal=BigInteger)

ARREARS_SQL = text(f"""
    WITH a AS (
        SELECT nomen,
               CASE WHEN COUNT(bills) > 0 THEN SUM(bills) ELSE COUNT(*) END AS bills,
               CASE WHEN COUNT(total) > 0 THEN SUM(total) ELSE COALESCE(SUM(amount), 0) END AS total,
               MIN(bill_period) AS oldest_bill
        FROM ardebt WHERE periode = :p GROUP BY nomen),
         m AS (SELECT nomen, MAX(rayon) AS rayon FROM mc WHERE periode = :p GROUP BY nomen)
    SELECT CAST(:p AS VARCHAR(7)) AS periode, a.nomen, COALESCE(m.rayon, {_latest_rayon('a.nomen')}, '') AS rayon,
           a.bills, a.total, a.oldest_bill
    FROM a LEFT JOIN m ON m.nomen = a.nomen
""")

BUCKET_SQL = text("""
    SELECT rayon,
           CASE WHEN bills <= 1 THEN '1' WHEN bills = 2 THEN '2' WHEN bills <= 6 THEN '3-6'
                WHEN bills <= 12 THEN '7-12' ELSE '>12' END AS bucket,
           COUNT(*) AS nomen, SUM(total) AS nominal
    FROM arrears_customer WHERE periode = :p AND total > 0
    GROUP BY 1, 2
""")

_KPI_FIGURES = [c.name for c in KpiPeriode.__table__.columns if c.name not in ("periode", "rayon")]


def rebuild_kpi(conn: Connection, periode: str) -> None:
    """Recompute kpi_periode and kpi_day of one periode from the stored rows."""
    by_rayon: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_KPI_FIGURES, 0))
    for statement in (TARGET_SQL, PAYERS_SQL, SBRS_SQL):
        for row in conn.execute(statement, {"p": periode}).mappings():
            figures = by_rayon[row["rayon"] or ""]
            for name, value in row.items():
                if name != "rayon":
                    figures[name] += int(value or 0)
    conn.execute(delete(KpiPeriode).where(KpiPeriode.periode == periode))
    conn.execute(delete(KpiDay).where(KpiDay.periode == periode))
    if by_rayon:
        conn.execute(insert(KpiPeriode), [{"periode": periode, "rayon": rayon, **figures}
                                          for rayon, figures in by_rayon.items()])
    days = [{"periode": periode, "rayon": row.rayon or "", "day": row.day, "payments": int(row.payments),
             "nominal": int(row.nominal)} for row in conn.execute(DAILY_SQL, {"p": periode})]
    if days:
        conn.execute(insert(KpiDay), days)


def rebuild_arrears(conn: Connection, periode: str) -> None:
    conn.execute(delete(ArrearsCustomer).where(ArrearsCustomer.periode == periode))
    conn.execute(delete(ArrearsBucket).where(ArrearsBucket.periode == periode))
    conn.execute(insert(ArrearsCustomer).from_select(
        ["periode", "nomen", "rayon", "bills", "total", "oldest_bill"],
        ARREARS_SQL.bindparams(bindparam("p", periode)).columns(
            *[ArrearsCustomer.__table__.c[n] for n in
              ("periode", "nomen", "rayon", "bills", "total", "oldest_bill")])))
    buckets = [{"periode": periode, "rayon": row.rayon, "bucket": row.bucket, "nomen": int(row.nomen),
                "nominal": int(row.nominal or 0)} for row in conn.execute(BUCKET_SQL, {"p": periode})]
    if buckets:
        conn.execute(insert(ArrearsBucket), buckets)


def _periodes(conn: Connection, *tables) -> list[str]:
    found = conn.execute(union(*[select(t.c.periode).distinct() for t in tables])).scalars().all()
    return sorted(set(found))


def count_rows(conn: Connection, file_type: str, periodes: list[str]) -> None:
    table = DATA_TABLES[file_type]
    for periode in periodes:
        rows = conn.execute(select(func.count()).select_from(table).where(table.c.periode == periode)).scalar()
        conn.execute(delete(StoredCount).where(StoredCount.file_type == file_type,
                                               StoredCount.periode == periode))
        if rows:
            conn.execute(insert(StoredCount).values(file_type=file_type, periode=periode, rows=rows))


def refresh(conn: Connection, file_type: str | None, periodes: list[str]) -> None:
    """Bring the summaries up to date after rows of ``file_type`` changed in ``periodes``;
    bump the data version that every process's cache is keyed on."""
    if file_type in DATA_TABLES:
        count_rows(conn, file_type, periodes)
    kpi_inputs = (Mc.__table__, Payment.__table__, Sbrs.__table__, KpiPeriode.__table__)
    if file_type == "MC":
        # The rayon rule reaches into every MC, so every periode may move.
        for periode in _periodes(conn, *kpi_inputs):
            rebuild_kpi(conn, periode)
        for periode in _periodes(conn, Ardebt.__table__, ArrearsCustomer.__table__):
            rebuild_arrears(conn, periode)
    elif file_type in ("COLLECTION", "SBRS"):
        for periode in periodes:
            rebuild_kpi(conn, periode)
    elif file_type == "ARDEBT":
        for periode in periodes:
            rebuild_arrears(conn, periode)
    bump_version(conn)


def rebuild_all(conn: Connection) -> None:
    for file_type, table in DATA_TABLES.items():
        count_rows(conn, file_type, _periodes(conn, table))
    refresh(conn, "MC", [])


def bump_version(conn: Connection) -> None:
    updated = conn.execute(update(DataVersion).where(DataVersion.id == 1)
                           .values(version=DataVersion.version + 1)).rowcount
    if not updated:
        conn.execute(insert(DataVersion).values(id=1, version=1))
