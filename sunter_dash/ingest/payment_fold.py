"""Payments folded into their summaries: pay_customer (each customer's CURRENT and UNDUE
payments per pay month) and kpi_day (the daily figures), from the rows a COLLECTION just
inserted, or pay_customer rebuilt for a periode from the stored rows (summaries.py decides which).

The statements are plain SQL that SQLite and PostgreSQL both run.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import bindparam, delete, text
from sqlalchemy.engine import Connection

from ..domain.codes import date_text
from ..models import DATA_TABLES, KpiDay, PayCustomer
from .bulk import ROWS, fresh_statistics, insert_derived, release, stageable, staged
from .figures import ANY_PAYER, TARGET_SET_SQL

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
        held = [p for p in periodes if conn.execute(ANY_PAYER, {"p": p}).first() is not None]
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
