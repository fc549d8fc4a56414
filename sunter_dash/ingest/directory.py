"""The customer directory (table ``customer``): each customer as last seen, the most recent
MC that lists it, else its most recent SBRS reading. The search box and the profile read it;
it is kept with the summaries, for the file types that feed "directory" (MC and SBRS), and
with it ``customer_search``, each entry's name and address for the search by words, written only
where they changed (its trigram index on PostgreSQL is costly to write)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..models import Customer, CustomerSearch
from .bulk import wrote

# Each customer's most recent row of {table} among the rows {where} keeps ({where} keeps or drops
# a customer's rows together, or keeps a periode); the highest id breaks a tie within a periode (a
# database from before DATA.md refused an MC holding one NOMEN twice). Written per back end: the
# same rows; each form is the slower one on the other back end.
_NEWEST_ROWS = {
    # A window: PostgreSQL misjudges the join below and probes its rows one by one.
    "postgresql": """(SELECT * FROM (
        SELECT src.*, ROW_NUMBER() OVER (PARTITION BY src.nomen ORDER BY src.periode DESC, src.id DESC) AS newest
        FROM {table} src {where}) ranked WHERE ranked.newest = 1)""",
    # The newest periode, then its highest id: SQLite sorts a window's every column.
    "sqlite": """(SELECT * FROM {table} WHERE id IN (
        SELECT MAX(x.id) FROM {table} x
        JOIN (SELECT src.nomen, MAX(src.periode) AS periode FROM {table} src {where} GROUP BY src.nomen) l
          ON l.nomen = x.nomen AND l.periode = x.periode
        GROUP BY x.nomen))""",
}
# An entry's columns, in the order the statements below select them. They end without a WHERE:
# ``_TAKE_OVER`` adds one (and ``_WITHOUT_ENTRY`` goes inside ``{newest}``).
_ENTRY_COLUMNS = [column.name for column in Customer.__table__.columns]
_DIRECTORY_FROM = {
    "mc": f"""
    INSERT INTO customer ({", ".join(_ENTRY_COLUMNS)})
    SELECT m.nomen, m.nama, m.alamat, COALESCE(m.rayon, cr.rayon, ''), m.tarif, m.zona_novak, m.pcez, m.nomet,
           m.cust_type, m.periode, 'MC'
    FROM {{newest}} m LEFT JOIN customer_rayon cr ON cr.nomen = m.nomen
""",
    "sbrs": f"""
    INSERT INTO customer ({", ".join(_ENTRY_COLUMNS)})
    SELECT s.nomen, s.nama, s.alamat, COALESCE(cr.rayon, s.rayon, ''), s.tarif, NULL, NULL, s.nomet, NULL,
           s.periode, 'SBRS'
    FROM {{newest}} s LEFT JOIN customer_rayon cr ON cr.nomen = s.nomen
"""}
_WITHOUT_ENTRY = "WHERE NOT EXISTS (SELECT 1 FROM customer c WHERE c.nomen = src.nomen)"
# The entries a periode's rows of a type beat, taken over by an upsert rather than deleted and
# inserted again (on SQLite the primary key's index is then left alone). An MC beats any SBRS
# entry and an MC's of its periode or before; an SBRS only an SBRS's of its periode or before.
# ``WHERE true``: SQLite's upsert after a join needs a WHERE to tell its ON from the join's.
_BEATEN = {"mc": "customer.source = 'SBRS' OR customer.periode <= :p",
           "sbrs": "customer.source = 'SBRS' AND customer.periode <= :p"}
_TAKE_OVER = {table: " WHERE true ON CONFLICT (nomen) DO UPDATE SET "
                     + ", ".join(f"{name} = excluded.{name}" for name in _ENTRY_COLUMNS if name != "nomen")
                     + f" WHERE {beaten}"
              for table, beaten in _BEATEN.items()}


def _directory_from(conn: Connection, table: str, where: str) -> str:
    """The statement writing directory entries from ``table``'s newest rows that ``where`` keeps."""
    newest = _NEWEST_ROWS[conn.dialect.name].format(table=table, where=where)
    return _DIRECTORY_FROM[table].format(newest=newest)


# Each customer's last row of {table} in periode :p: on SQLite its highest id there (the join of
# ``_NEWEST_ROWS`` is needless within one periode: 0.3 -> 0.1 s for 200,000 MC rows); PostgreSQL
# keeps its window, there the faster of the two.
_PERIODE_ROWS = "(SELECT * FROM {table} WHERE id IN (SELECT MAX(id) FROM {table} WHERE periode = :p GROUP BY nomen))"


def _directory_of_periode(conn: Connection, table: str) -> str:
    """The statement writing directory entries from ``table``'s rows of periode ``:p``."""
    if conn.dialect.name == "sqlite":
        return _DIRECTORY_FROM[table].format(newest=_PERIODE_ROWS.format(table=table))
    return _directory_from(conn, table, "WHERE src.periode = :p")


# The customers of cd_affected still without an entry, each with its most recent row of {table}
# (the newest periode, then the highest id): SQLite seeks each through the table's (nomen,
# periode) index instead of grouping every row of theirs (deleting the newest MC at 200,000
# customers: 1.6 s for MC's rows, 0.8 s for SBRS's, grouped). PostgreSQL keeps its window.
_NEWEST_OF_AFFECTED = """(SELECT * FROM {table} WHERE id IN (
    SELECT (SELECT MAX(x.id) FROM {table} x WHERE x.nomen = a.nomen
            AND x.periode = (SELECT MAX(y.periode) FROM {table} y WHERE y.nomen = a.nomen))
    FROM cd_affected a WHERE NOT EXISTS (SELECT 1 FROM customer c WHERE c.nomen = a.nomen)))"""
_AFFECTED = f"{_WITHOUT_ENTRY} AND src.nomen IN (SELECT nomen FROM cd_affected)"


def _directory_of_affected(conn: Connection, table: str) -> str:
    """The statement writing the entries of cd_affected's customers still without one from
    ``table``'s newest rows."""
    if conn.dialect.name == "sqlite":
        return _DIRECTORY_FROM[table].format(newest=_NEWEST_OF_AFFECTED.format(table=table))
    return _directory_from(conn, table, _AFFECTED)


# What the search by words matches: an entry's name and address, in lower case.
_SEARCH_TEXT = "LOWER(COALESCE(c.nama, '') || ' ' || COALESCE(c.alamat, ''))"
# customer_search brought in line with the directory: the rows whose entry is gone or whose text
# changed are removed, then the missing ones written. Of every entry (a whole rebuild), or of the
# entries a periode's refresh touched ({touched}: a condition on the entry c) and the customers
# of cd_affected left without one: the touched entries read once, joined to their search rows
# (the union of their keys, which SQLite probed key by key, took about twice as long on either
# back end).
_SEARCH_REMOVE_ALL = f"""
    DELETE FROM customer_search WHERE NOT EXISTS (
        SELECT 1 FROM customer c WHERE c.nomen = customer_search.nomen AND {_SEARCH_TEXT} = customer_search.search_text)
"""
_SEARCH_REMOVE_TOUCHED = f"""
    DELETE FROM customer_search WHERE nomen IN (
        SELECT c.nomen FROM customer c JOIN customer_search s ON s.nomen = c.nomen
        WHERE ({{touched}}) AND s.search_text <> {_SEARCH_TEXT}
        UNION ALL
        SELECT a.nomen FROM cd_affected a WHERE NOT EXISTS (SELECT 1 FROM customer c WHERE c.nomen = a.nomen))
"""
_SEARCH_ADD = f"""
    INSERT INTO customer_search (nomen, search_text) SELECT c.nomen, {_SEARCH_TEXT} FROM customer c
    WHERE ({{touched}}) AND NOT EXISTS (SELECT 1 FROM customer_search s WHERE s.nomen = c.nomen)
"""
_TRIGRAM = next(index for index in CustomerSearch.__table__.indexes if index.name == "ix_customer_search_trigram")
_FILL_FROM_EMPTY = text("SELECT to_regclass(:index) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customer_search)")


def _sync_search(conn: Connection, touched: str | None, params: dict) -> None:
    # PostgreSQL, a table empty before this change (a branch's first MC or SBRS, a migration's
    # rebuild into a new table): the trigram index built once over the rows written is about
    # twice as fast as writing every row's trigrams into it. Dropping the index holds the table
    # until the upload commits; the search by words does not wait for it: while the directory
    # committed is empty, it answers at once without reading this table (queries/customers.py).
    # A table emptied by this change (every name changed, say) keeps its index: the directory
    # committed is not empty, and searches read it meanwhile.
    rebuild = (conn.dialect.name == "postgresql"
               and conn.execute(_FILL_FROM_EMPTY, {"index": _TRIGRAM.name}).scalar())
    remove = _SEARCH_REMOVE_ALL if touched is None else _SEARCH_REMOVE_TOUCHED.format(touched=touched)
    conn.execute(text(remove), params)
    if rebuild:
        _TRIGRAM.drop(conn)
    added = conn.execute(text(_SEARCH_ADD.format(touched=touched or "true")), params)
    wrote(conn, "customer_search", added.rowcount)
    if rebuild:
        _TRIGRAM.create(conn)


def refresh(conn: Connection, file_type: str | None, periode: str | None) -> None:
    """Bring the directory up to date after MC or SBRS of ``periode`` changed (everything
    when ``periode`` is None). Customers the new rows show as recent take them directly;
    only those whose entry came from the changed periode and are no longer in it are
    looked up again among every stored periode."""
    if periode is None:
        conn.execute(text("DELETE FROM customer"))
        conn.execute(text(_directory_from(conn, "mc", "")))
        conn.execute(text(_directory_from(conn, "sbrs", _WITHOUT_ENTRY)))
        _sync_search(conn, None, {})
        return
    table = "mc" if file_type == "MC" else "sbrs"
    source = "MC" if table == "mc" else "SBRS"
    for statement in ("DROP TABLE IF EXISTS cd_affected",
                      "CREATE TEMPORARY TABLE cd_affected (nomen VARCHAR(20) PRIMARY KEY)"):
        conn.exec_driver_sql(statement)
    # Entries taken from this periode's rows of this type that it no longer lists.
    conn.execute(text(f"""
        INSERT INTO cd_affected (nomen) SELECT nomen FROM customer
        WHERE periode = :p AND source = :source
          AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.periode = :p AND t.nomen = customer.nomen)"""),
                 {"p": periode, "source": source})
    conn.exec_driver_sql("DELETE FROM customer WHERE nomen IN (SELECT nomen FROM cd_affected)")
    # Newcomers, and the entries this periode's own rows beat, from those rows ...
    written = conn.execute(text(_directory_of_periode(conn, table) + _TAKE_OVER[table]), {"p": periode})
    wrote(conn, "customer", written.rowcount)
    # ... and the rest of the affected from wherever they are now most recent.
    conn.execute(text(_directory_of_affected(conn, "mc")))
    conn.execute(text(_directory_of_affected(conn, "sbrs")))
    # Every entry written above: this periode's own, and the affected looked up elsewhere (or gone).
    touched = "(c.periode = :p AND c.source = :source) OR c.nomen IN (SELECT nomen FROM cd_affected)"
    _sync_search(conn, touched, {"p": periode, "source": source})
    conn.exec_driver_sql("DROP TABLE cd_affected")
