"""The collection-work summaries (METRICS.md, "Collection work"), rebuilt for a periode inside
the transaction that changes their inputs, as the KPI's are (ingest/summaries.py).

``collection_customer`` holds every customer of MC(P) and every UNDUE payer of P outside it:
its rayon (MC(P)'s, else ``customer_rayon``), its PCEZ (MC(P)'s, else its most recent MC's),
its target (and MC(P)'s rows and KUBIK, which the KPI sums), its CURRENT and UNDUE payments
dated in P (``pay_customer``), ARDEBT(P) (``arrears_customer``) and, for the customers who may be
disconnection candidates, whether MB holds a payment dated in P (``mb_paid``, which MB uploads
and deletions keep too).
``collection_group`` sums it per rayon and PCEZ. The officer is not stored: it comes from the
RUTE in effect when a page asks, so a new RUTE needs no rebuild.

A periode's rows change with MC(P) (and a customer's rayon moving, as the KPI's), the
payments of P and ARDEBT(P); and with an MC of another periode Q when a customer of P takes its
PCEZ from the most recent MC (``borrowed``): from Q itself (``pcez_from``), or from an older one
than a customer of MC(Q) now offers. ``dependents`` finds those periodes.

The statements are plain SQL that SQLite and PostgreSQL both run. On PostgreSQL the table is
partitioned by periode (migration 0023), and a new periode's rows are written into their own
partition before it is attached (``_fill``, ingest/partitions.py).
"""
from __future__ import annotations

from sqlalchemy import delete, func, insert, or_, select, text, tuple_
from sqlalchemy.engine import Connection

from ..models import DATA_TABLES, CollectionCustomer, CollectionGroup, PayCustomer
from . import partitions
from .bulk import fresh_statistics, wrote
from .figures import mc_per_customer

TABLE = CollectionCustomer.__tablename__
# collection_customer's columns, in the order CUSTOMERS_SQL selects them.
COLUMNS = ("periode", "nomen", "in_mc", "rayon", "pcez", "borrowed", "pcez_from", "nama", "alamat", "tarif",
           "nominal", "unpaid", "cur_sum", "cur_n", "undue_sum", "undue_n", "bills", "arrears", "mb_paid",
           "mc_rows", "kubik", "kubik_rows")
CUSTOMERS_SQL = """
    INSERT INTO {target} ({columns})
    WITH m AS ({mc}),
    everyone AS (
        SELECT m.nomen, 1 AS in_mc, m.nominal, m.nama, m.alamat, m.tarif,
               COALESCE(m.rayon, (SELECT cr.rayon FROM customer_rayon cr WHERE cr.nomen = m.nomen), '') AS rayon,
               m.pcez AS own, m.mc_rows, COALESCE(m.kubik, 0) AS kubik, m.kubik_rows
        FROM m
        UNION ALL
        SELECT s.nomen, 0, 0, NULL, NULL, NULL,
               COALESCE((SELECT cr.rayon FROM customer_rayon cr WHERE cr.nomen = s.nomen), ''), NULL, 0, 0, 0
        FROM pay_customer s
        WHERE s.periode = :p AND s.undue_n > 0 {undue_only}AND NOT EXISTS (SELECT 1 FROM m WHERE m.nomen = s.nomen))
    SELECT :p, e.nomen, e.in_mc, e.rayon,
           COALESCE(e.own, (SELECT m2.pcez FROM mc m2 WHERE m2.nomen = e.nomen AND m2.pcez IS NOT NULL
                            ORDER BY m2.periode DESC LIMIT 1)),
           CASE WHEN e.own IS NULL THEN 1 ELSE 0 END,
           CASE WHEN e.own IS NULL THEN (SELECT m2.periode FROM mc m2 WHERE m2.nomen = e.nomen
                                         AND m2.pcez IS NOT NULL ORDER BY m2.periode DESC LIMIT 1) ELSE :p END,
           e.nama, e.alamat, e.tarif, e.nominal,
           CASE WHEN e.in_mc = 1 AND e.nominal > 0 AND COALESCE(s.cur_n, 0) = 0 THEN 1 ELSE 0 END,
           COALESCE(s.cur_sum, 0), COALESCE(s.cur_n, 0), COALESCE(s.undue_sum, 0), COALESCE(s.undue_n, 0),
           COALESCE(a.bills, 0), COALESCE(a.total, 0),
           -- mb_paid, as MB_PAID_SQL keeps it (computed here: an UPDATE would write the rows twice)
           CASE WHEN e.in_mc = 1 AND COALESCE(a.bills, 0) > 0 AND COALESCE(s.cur_n, 0) + COALESCE(s.undue_n, 0) = 0
                     AND EXISTS (SELECT 1 FROM mb_payment b WHERE b.periode = :p AND b.nomen = e.nomen)
                THEN 1 ELSE 0 END,
           e.mc_rows, e.kubik, e.kubik_rows
    FROM everyone e
    LEFT JOIN pay_customer s ON s.periode = :p AND s.nomen = e.nomen
    LEFT JOIN arrears_customer a ON a.periode = :p AND a.nomen = e.nomen
"""

# mb_paid of the customers the disconnection list can hold (in MC(P), with bills, no COLLECTION
# payment dated in P), after MB changed; an MB payment dated in P is one of pay month P
# (mb_payment.periode). CUSTOMERS_SQL computes the same as it inserts.
_MB_PAID = """CASE WHEN EXISTS (SELECT 1 FROM mb_payment b WHERE b.periode = collection_customer.periode
                                                     AND b.nomen = collection_customer.nomen) THEN 1 ELSE 0 END"""
MB_PAID_SQL = text(f"""
    UPDATE collection_customer SET mb_paid = {_MB_PAID}
    WHERE periode = :p AND in_mc = 1 AND bills > 0 AND cur_n + undue_n = 0 AND mb_paid <> {_MB_PAID}
""")

# collection_group's figures, summed from collection_customer rows per rayon and PCEZ.
GROUP_KEY = ("rayon", "pcez")
GROUP_FIGURES = tuple(c.name for c in CollectionGroup.__table__.columns if c.name not in ("periode", *GROUP_KEY))
GROUP_SUMS = """
    SELECT rayon, COALESCE(pcez, '') AS pcez, SUM(in_mc) AS customers,
           SUM(CASE WHEN in_mc = 1 AND nominal > 0 THEN 1 ELSE 0 END) AS target_nomen, SUM(nominal) AS target_nominal,
           SUM(CASE WHEN nominal > 0 AND cur_n > 0 THEN 1 ELSE 0 END) AS paid_nomen,
           SUM(CASE WHEN nominal > 0 THEN cur_sum ELSE 0 END) AS paid_nominal,
           SUM(unpaid) AS unpaid_nomen,
           SUM(CASE WHEN in_mc = 1 AND nominal > cur_sum THEN nominal - cur_sum ELSE 0 END) AS unpaid_nominal,
           SUM(CASE WHEN undue_n > 0 THEN 1 ELSE 0 END) AS undue_nomen, SUM(undue_sum) AS undue_nominal,
           SUM(mc_rows) AS mc_rows, SUM(kubik) AS mc_kubik, SUM(kubik_rows) AS mc_kubik_rows
    FROM collection_customer WHERE periode = :p {only}
    GROUP BY rayon, COALESCE(pcez, '')
"""
_GROUP_COLUMNS = ", ".join(GROUP_KEY + GROUP_FIGURES)
GROUPS_SQL = text(f"INSERT INTO collection_group (periode, {_GROUP_COLUMNS}) "
                  f"SELECT :p, {_GROUP_COLUMNS} FROM ({GROUP_SUMS.format(only='')}) g")


# Of the periode's rows computed afresh (cc_new), only those that changed are written: a
# COLLECTION extract or an ARDEBT changes a part of a periode's customers, and writing a row
# costs its indexes (at 1,000,000 customers most of a rebuild on PostgreSQL). When the caller
# knows which customers' inputs changed (cc_some), only theirs are computed: a customer's row
# reads nothing of another customer's.
_CHANGED = (
    "DROP TABLE IF EXISTS cc_new",
    "CREATE TEMPORARY TABLE cc_new AS SELECT * FROM collection_customer WHERE 1 = 0",
    "CREATE INDEX ix_cc_new_nomen ON cc_new (nomen)",
)
_SOME = (
    "DROP TABLE IF EXISTS cc_some",
    "CREATE TEMPORARY TABLE cc_some (nomen VARCHAR(20) PRIMARY KEY)",
)
SOME = "SELECT nomen FROM cc_some"


def _write(dialect: str, some: bool) -> tuple[str, str]:
    """Delete the periode's rows (of cc_some's customers when ``some``) that cc_new does not hold
    as they are, insert cc_new's others. Equal-or-both-null is SQLite's ``IS`` (``IS NOT
    DISTINCT FROM`` only from SQLite 3.39)."""
    same = "IS" if dialect == "sqlite" else "IS NOT DISTINCT FROM"
    unchanged = " AND ".join(f"n.{name} {same} collection_customer.{name}" for name in COLUMNS[2:])
    only = f"AND nomen IN ({SOME}) " if some else ""
    return (f"DELETE FROM collection_customer WHERE periode = :p {only}AND NOT EXISTS "
            f"(SELECT 1 FROM cc_new n WHERE n.nomen = collection_customer.nomen AND {unchanged})",
            f"INSERT INTO collection_customer ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM cc_new n "
            f"WHERE NOT EXISTS (SELECT 1 FROM collection_customer c WHERE c.periode = :p AND c.nomen = n.nomen)")


_MC_COLUMNS = {"nominal": "SUM(nominal)", "nama": "MAX(nama)", "alamat": "MAX(alamat)", "tarif": "MAX(tarif)",
               "rayon": "MAX(rayon)", "pcez": "MAX(pcez)", "mc_rows": "COUNT(*)", "kubik": "SUM(kubik)",
               "kubik_rows": "COUNT(kubik)"}


def _customers(target: str, some: bool = False) -> str:
    """CUSTOMERS_SQL into ``target``, for cc_some's customers only when ``some``."""
    return CUSTOMERS_SQL.format(target=target, columns=", ".join(COLUMNS),
                                mc=mc_per_customer(SOME if some else "", **_MC_COLUMNS),
                                undue_only=f"AND s.nomen IN ({SOME}) " if some else "")


def rebuild(conn: Connection, periode: str, customers: str | None = None, *, afresh: bool = False) -> None:
    """Both summaries of ``periode`` from MC(P), ``pay_customer`` and ``arrears_customer``. A
    periode with no rows yet (its first MC or payments) takes them straight; any other computes
    them aside and writes the ones that changed. ``customers``: a query (``:p`` for the
    periode) of the only customers whose inputs changed (a COLLECTION's payers, an ARDEBT's
    customers in arrears before or after, an MC's moved customers of another periode), when the
    caller knows; a periode with no rows yet ignores it. ``afresh``: nearly every row changes
    (its MC): the periode's rows are deleted and written straight (at 200,000 customers 2 s
    sooner than computed aside and compared)."""
    if afresh:
        conn.execute(delete(CollectionCustomer).where(CollectionCustomer.periode == periode))
    held = None if afresh else conn.execute(
        select(CollectionCustomer.nomen).where(CollectionCustomer.periode == periode).limit(1)).first()
    if held is None:
        _fill(conn, periode)
        _regroup(conn, periode)
        return
    some, before = customers is not None, None
    for statement in _CHANGED + (_SOME if some else ()):
        conn.exec_driver_sql(statement)
    if some:
        changed = conn.execute(text(f"INSERT INTO cc_some (nomen) {customers}"), {"p": periode}).rowcount
        fresh_statistics(conn, "cc_some", changed)
        # Two sums over most of the periode's rows (a new pay month's first extract: all its
        # payers) cost more than one over all of them.
        held_rows = conn.execute(select(func.count()).where(CollectionCustomer.periode == periode)).scalar()
        before = _sums(conn, periode) if 2 * changed <= held_rows else None
    written = conn.execute(text(_customers("cc_new", some)), {"p": periode}).rowcount
    fresh_statistics(conn, "cc_new", written)
    wrote(conn, partitions.stored_in(conn, TABLE, periode), written)
    for statement in _write(conn.dialect.name, some):
        conn.execute(text(statement), {"p": periode})
    conn.exec_driver_sql("DROP TABLE cc_new")
    if before is not None:
        _move_groups(conn, periode, before, _sums(conn, periode))
    else:
        _regroup(conn, periode)
    if some:
        conn.exec_driver_sql("DROP TABLE cc_some")


def _fill(conn: Connection, periode: str) -> None:
    """The rows of a periode that holds none; on PostgreSQL into its partition, made and
    attached once filled when the periode is new (ingest/partitions.py)."""
    with partitions.new_rows(conn, TABLE, periode) as target:
        written = conn.execute(text(_customers(target)), {"p": periode}).rowcount
    fresh_statistics(conn, target, written)


def _sums(conn: Connection, periode: str) -> dict[tuple, list[int]]:
    """GROUP_SUMS of the periode's rows of cc_some's customers, per group."""
    sql = GROUP_SUMS.format(only=f"AND nomen IN ({SOME})")
    return {tuple(row._mapping[k] for k in GROUP_KEY): [int(row._mapping[f] or 0) for f in GROUP_FIGURES]
            for row in conn.execute(text(sql), {"p": periode})}


def _regroup(conn: Connection, periode: str) -> None:
    """collection_group of the periode, summed again from all of its rows."""
    conn.execute(delete(CollectionGroup).where(CollectionGroup.periode == periode))
    conn.execute(GROUPS_SQL, {"p": periode})


def _move_groups(conn: Connection, periode: str, before: dict, after: dict) -> None:
    """collection_group of the periode moved by the difference between the changed customers'
    sums ``before`` and ``after`` their rows were written (summing a periode's 200,000 rows again
    took 0.7-1.0 s). A group the changed customers left with every figure 0 is kept only if a
    row is still in it (none today: each row counts in ``customers`` or ``undue_nomen``; the
    look keeps this exact should CUSTOMERS_SQL ever hold other rows)."""
    table = CollectionGroup.__table__
    zero = [0] * len(GROUP_FIGURES)
    moved = sorted(key for key in before.keys() | after.keys() if before.get(key, zero) != after.get(key, zero))
    if not moved:
        return
    in_moved = (table.c.periode == periode) & tuple_(*[table.c[k] for k in GROUP_KEY]).in_(moved)
    stored = {tuple(row[:len(GROUP_KEY)]): list(row[len(GROUP_KEY):]) for row in conn.execute(
        select(*[table.c[name] for name in GROUP_KEY + GROUP_FIGURES]).where(in_moved))}
    figures = {key: [held - old + new for held, old, new in
                     zip(stored.get(key, zero), before.get(key, zero), after.get(key, zero))] for key in moved}
    maybe_empty = [key for key in moved if key not in after and not any(figures[key])]
    left = set(_groups_with_rows(conn, periode, maybe_empty)) if maybe_empty else set()
    conn.execute(delete(table).where(in_moved))
    rows = [{"periode": periode, **dict(zip(GROUP_KEY + GROUP_FIGURES, (*key, *figures[key])))}
            for key in moved if key not in maybe_empty or key in left]
    if rows:
        conn.execute(insert(table), rows)


def _groups_with_rows(conn: Connection, periode: str, keys: list[tuple]) -> list[tuple]:
    cc = CollectionCustomer.__table__
    group = tuple_(cc.c.rayon, func.coalesce(cc.c.pcez, ""))
    return [tuple(row) for row in conn.execute(
        select(cc.c.rayon, func.coalesce(cc.c.pcez, "")).distinct().where(cc.c.periode == periode, group.in_(keys)))]


def mark_mb(conn: Connection, periode: str) -> None:
    """After MB payments of pay month ``periode`` were added or deleted."""
    conn.execute(MB_PAID_SQL, {"p": periode})


# The customers of a periode whose PCEZ another periode's MC gives: the only ones whose PCEZ an
# MC of another periode can move (``dependents``; its moved rayons go by ``cr_changed``).
BORROWED = "SELECT nomen FROM collection_customer WHERE periode = :p AND borrowed = 1"


def dependents(conn: Connection, periode: str) -> list[str]:
    """The other periodes whose borrowed PCEZs a change of MC(``periode``) can move: those taken
    from it, and those taken from an older MC (or none) of a customer it now lists with a PCEZ."""
    cc, mc = CollectionCustomer, DATA_TABLES["MC"]
    borrowed = (cc.borrowed == 1) & (cc.periode != periode)
    from_it = select(cc.periode).where(borrowed, cc.pcez_from == periode)
    newer = select(cc.periode).where(
        borrowed, or_(cc.pcez_from.is_(None), cc.pcez_from < periode),
        cc.nomen.in_(select(mc.c.nomen).where(mc.c.periode == periode, mc.c.pcez.is_not(None))))
    return sorted(set(conn.execute(from_it).scalars()) | set(conn.execute(newer).scalars()))


def periodes(conn: Connection) -> list[str]:
    """Every periode with an MC or payments: those the summaries cover."""
    mc = select(DATA_TABLES["MC"].c.periode).distinct()
    paid = select(PayCustomer.periode).distinct()
    return sorted(set(conn.execute(mc).scalars()) | set(conn.execute(paid).scalars()))


def rebuild_all(conn: Connection) -> None:
    """Every periode's, through ``summaries.rebuild_all`` or ``summaries.rebuild_collection``
    only: every part of the KPI ("sbrs" MC(P)'s rayon) and the daily figures read what this writes.
    On PostgreSQL the partitions are dropped (which locks the table until the transaction ends:
    a migration's) and each periode's made again."""
    conn.execute(delete(CollectionGroup))
    partitions.drop_all(conn, TABLE)  # each periode filled, then attached, as a new one
    conn.execute(delete(CollectionCustomer))
    for periode in periodes(conn):
        rebuild(conn, periode)
