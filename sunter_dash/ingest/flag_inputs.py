"""Reading the meter flags' inputs (ingest/flags.py runs the checks on them): the readings of
a periode and their history, what MC(P) and MAINBILL(P) mark, and, for the flagged customers
alone, their names, rayons and prices. Frames come from the driver's own tuples.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from ..domain.meter_checks import CORRECTIONS, INACTIVE
from ..domain.periodes import shift_periode
from ..models import data_table, superseded_table

PRICE_LOOKBACK = 6  # periodes of MC before P whose prices stand in when P itself prices nobody


def load_frame(conn: Connection, sql: str, params: dict) -> pd.DataFrame:
    result = conn.execute(text(sql), params)
    # The driver's own tuples: building a million Row objects would cost more than the query.
    return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))


def upper_or_none(series: pd.Series) -> pd.Series:
    cleaned = series.astype("string").str.strip().str.upper()
    return cleaned.where(cleaned != "")


def load_history(conn: Connection, first: str, last: str, which: str = "") -> pd.DataFrame:
    """The last SBRS row of each customer in each periode from ``first`` to ``last`` (``which``:
    a further condition, such as ``FLAGGED``'s customers)."""
    frame = load_frame(conn, f"""
        SELECT periode, nomen, stand_kini, volume, read_method FROM sbrs
        WHERE periode BETWEEN :a AND :b {which} ORDER BY periode, nomen, id""", {"a": first, "b": last})
    frame = frame.drop_duplicates(["periode", "nomen"], keep="last")
    frame["volume"] = frame["volume"].astype("float64")
    frame["read_method"] = upper_or_none(frame["read_method"])
    return frame


def history_of(periode: str, readings: pd.DataFrame) -> pd.DataFrame:
    """The rows ``load_history`` gives for P (in the readings' order), from the readings of P
    ``load_readings`` gave."""
    frame = readings[["nomen", "stand_kini", "volume", "read_method"]].drop_duplicates("nomen", keep="last")
    frame = frame.assign(volume=frame["volume"].astype("float64"))
    frame.insert(0, "periode", periode)
    return frame


def load_readings(conn: Connection, periode: str, which: str = "") -> pd.DataFrame:
    """The SBRS rows of P (``which``: a further condition on the customers, as ``FLAGGED``), as the checks read
    them: a reading's own rayon, name and tarif are shown only for the flagged (``load_own``),
    and left out here they are a third less to fetch."""
    frame = load_frame(conn, f"""
        SELECT id, nomen, stand_lalu, stand_kini, pakai, volume, read_method, trouble_code, special_msg,
               bill_amount
        FROM sbrs WHERE periode = :p {which} ORDER BY id""", {"p": periode})
    for name in ("read_method", "trouble_code", "special_msg"):
        frame[name] = upper_or_none(frame[name])
    return frame


def load_own(conn: Connection, periode: str) -> pd.DataFrame:
    """The rayon, name and tarif of the flagged customers' readings of P (``FLAGGED``), by id."""
    return load_frame(conn, f"""
        SELECT id, rayon AS own_rayon, nama AS own_nama, tarif AS own_tarif FROM sbrs
        WHERE periode = :p {FLAGGED}""", {"p": periode}).set_index("id")


# MC(P) and MAINBILL(P). The checks see only the customers these files mark (``load_marked``: an
# inactive status; a correction or more than one bill), which is all they read of them; the
# flagged customers' names, rayons and prices are read afterwards for them alone (``load_mc``,
# ``load_bills``: ``FLAGGED``), so no periode's 200,000 customers are grouped and fetched for the few
# thousand flagged.
FLAGGED = "AND nomen IN (SELECT nomen FROM flag_nomen)"
FLAG_NOMEN = ("DROP TABLE IF EXISTS flag_nomen", "CREATE TEMPORARY TABLE flag_nomen (nomen VARCHAR(20) PRIMARY KEY)")


def quoted(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


_CORRECTED = f"MAX(CASE WHEN UPPER(TRIM(jenis_rek)) IN ({quoted(CORRECTIONS)}) THEN 1 ELSE 0 END)"
_BILLS = "SUM(CASE WHEN COALESCE(bill_period, periode) = :p THEN 1 ELSE 0 END)"
_BILL_COLUMNS = f"""{_BILLS} AS bills, {_CORRECTED} AS corrected,
               SUM(CASE WHEN total > 0 AND pakai > 0 THEN total ELSE 0 END) AS priced_total,
               SUM(CASE WHEN total > 0 AND pakai > 0 THEN pakai ELSE 0 END) AS priced_m3,
               MAX(rayon) AS rayon, MAX(tarif) AS tarif"""


def load_marked(conn: Connection, periode: str, types: frozenset[str] = frozenset({"MC", "MAINBILL"}),
                which: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the checks read of MC(P) and MAINBILL(P), indexed by nomen: the inactive customers
    (found row by row, no grouping of the whole periode), and the customers with a corrected
    bill or more than one (``types``: of these files; the others' come back empty; ``which``:
    of these customers)."""
    def unless(file_type: str) -> str:
        return which if file_type in types else "AND 1 = 0"
    inactive = load_frame(conn, f"""
        SELECT DISTINCT nomen, 1 AS inactive FROM mc
        WHERE periode = :p AND UPPER(TRIM(cust_type)) IN ({quoted(sorted(INACTIVE))}) {unless("MC")}""",
                          {"p": periode})
    # The few candidates first (more than one row: the (periode, nomen) index alone; a correction),
    # then their figures: grouping every bill of P with these sums took 2-3x as long.
    bills = load_frame(conn, f"""
        WITH candidate AS (
            SELECT nomen FROM mainbill WHERE periode = :p {unless("MAINBILL")} GROUP BY nomen HAVING COUNT(*) > 1
            UNION
            SELECT nomen FROM mainbill WHERE periode = :p {unless("MAINBILL")}
                AND UPPER(TRIM(jenis_rek)) IN ({quoted(CORRECTIONS)}))
        SELECT nomen, {_BILL_COLUMNS} FROM mainbill WHERE periode = :p AND nomen IN (SELECT nomen FROM candidate)
        GROUP BY nomen HAVING {_CORRECTED} = 1 OR {_BILLS} > 1""", {"p": periode})
    return inactive.set_index("nomen"), bills.set_index("nomen")


def load_mc(conn: Connection, periode: str) -> pd.DataFrame:
    """MC(P) per flagged customer (``FLAGGED``)."""
    return load_frame(conn, f"""
        SELECT nomen, MAX(rayon) AS rayon, MAX(nama) AS nama, MAX(tarif) AS tarif,
               SUM(nominal) AS nominal, SUM(kubik) AS kubik
        FROM mc WHERE periode = :p {FLAGGED} GROUP BY nomen""", {"p": periode}).set_index("nomen")


def load_bills(conn: Connection, periode: str) -> pd.DataFrame:
    """MAINBILL(P) per flagged customer (``FLAGGED``)."""
    return load_frame(conn, f"SELECT nomen, {_BILL_COLUMNS} FROM mainbill WHERE periode = :p {FLAGGED} "
                            "GROUP BY nomen", {"p": periode}).set_index("nomen")


def keep_flagged(conn: Connection, nomens: pd.Series) -> None:
    """Put these customers in the temporary table ``flag_nomen`` (``FLAGGED`` reads it)."""
    conn.exec_driver_sql("DELETE FROM flag_nomen")
    wanted = nomens.dropna().drop_duplicates().tolist()
    if not wanted:
        return
    if conn.dialect.name == "postgresql":
        # One statement with an array, not a round trip per customer.
        conn.exec_driver_sql("INSERT INTO flag_nomen (nomen) SELECT unnest(%s::text[])", (wanted,))
    else:
        conn.exec_driver_sql("INSERT INTO flag_nomen (nomen) VALUES (?)", [(n,) for n in wanted])


def row_loader(conn: Connection):
    """A loader of any file type's stored rows of a periode, for checks that read other files."""
    def load(file_type: str, periode: str) -> pd.DataFrame:
        table = data_table(file_type)
        result = conn.execute(select(table).where(table.c.periode == periode))
        return pd.DataFrame(result.all(), columns=list(result.keys()))
    return load


def load_latest_rayon(conn: Connection) -> pd.Series:
    """The most recent MC's rayon of the flagged customers (``FLAGGED``)."""
    frame = load_frame(conn, f"SELECT nomen, rayon FROM customer_rayon WHERE true {FLAGGED}", {})
    return frame.set_index("nomen")["rayon"]


def load_directory(conn: Connection) -> pd.DataFrame:
    """The directory's name and tarif of the flagged customers."""
    return load_frame(conn, f"SELECT nomen, nama, tarif FROM customer WHERE true {FLAGGED}", {}).set_index("nomen")


def load_earlier_prices(conn: Connection, periode: str, nomens: pd.Series) -> pd.Series:
    """Rupiah per m3 of these customers' MC rows with m3 in the six periodes before P (they
    replace ``FLAGGED``'s customers: the few flagged still without a price, looked up by the
    (nomen, periode) index, not every flagged customer of six periodes)."""
    keep_flagged(conn, nomens)
    rows = load_frame(conn, f"""
        SELECT nomen, SUM(nominal) AS nominal, SUM(kubik) AS kubik FROM mc
        WHERE periode >= :a AND periode < :p {FLAGGED} AND kubik > 0 AND nominal > 0
        GROUP BY nomen""", {"a": shift_periode(periode, -PRICE_LOOKBACK), "p": periode})
    return pd.Series((rows["nominal"] / rows["kubik"]).to_numpy(dtype="float64"), index=rows["nomen"],
                     dtype="float64")


# The customers whose readings an SBRS replacing stored ones changed (``changed_readings``).
READINGS_CHANGED = "readings_changed"


def changed_readings(conn: Connection, file_type: str, periode: str, replaced: list[int]) -> tuple[int, int]:
    """The customers whose rows of P (``file_type``: the readings') differ in any column from
    those of the uploads this one replaced (kept as superseded rows), into ``READINGS_CHANGED``;
    a customer with more than one row on either side counts as changed (a flag shows the first
    row that raised it). Returns how many changed, and how many customers P holds now."""
    table, archive = data_table(file_type), superseded_table(file_type)
    fields = ", ".join(c.name for c in archive.columns if c.name != "upload_id")
    now = f"SELECT {fields} FROM {table.name} WHERE periode = :p"
    then = (f"SELECT {fields} FROM {archive.name} WHERE periode = :p "
            f"AND upload_id IN ({', '.join(str(int(u)) for u in replaced)})")
    for statement in (f"DROP TABLE IF EXISTS {READINGS_CHANGED}",
                      f"CREATE TEMPORARY TABLE {READINGS_CHANGED} (nomen VARCHAR(20) PRIMARY KEY)"):
        conn.exec_driver_sql(statement)
    p = {"p": periode}
    changed = conn.execute(text(f"""
        INSERT INTO {READINGS_CHANGED} (nomen)
        SELECT nomen FROM ({now}) a GROUP BY nomen HAVING COUNT(*) > 1
        UNION SELECT nomen FROM ({then}) b GROUP BY nomen HAVING COUNT(*) > 1
        UNION SELECT nomen FROM ({now} EXCEPT {then}) c
        UNION SELECT nomen FROM ({then} EXCEPT {now}) d"""), p).rowcount
    customers = conn.execute(text(f"SELECT COUNT(DISTINCT nomen) FROM {table.name} WHERE periode = :p"), p).scalar()
    return changed, int(customers or 0)
