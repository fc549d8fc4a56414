"""The stored meter flags (``meter_flag`` and its counts, ``meter_flag_count``): written from
what ingest/flags.py found, and read back as the checks found them, so that a change of MC or
MAINBILL gives the other checks' flags their name, rayon and price again without the readings."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, insert, text
from sqlalchemy.engine import Connection

from ..domain import checks
from ..models import MeterFlag, MeterFlagCount
from .flag_inputs import load_frame, quoted

READING_COLUMNS = ["stand_lalu", "stand_kini", "pakai", "volume", "prev_stand_kini", "prev_volume",
                   "median_volume", "read_method", "trouble_code"]
# What a flag was found with, kept beside it (meter_flag's column: the name flags.py's checks
# give it), so that a change of MC or MAINBILL finds the flags of the other checks again without
# the readings.
FOUND_WITH = {"read_rayon": "own_rayon", "read_nama": "own_nama", "read_tarif": "own_tarif",
              "delta_exact": "delta_m3", "given_stake": "given_stake", "priced": "priced"}
BASE_COLUMNS = ["nomen", "flag", *READING_COLUMNS]
INTEGERS = {"stand_lalu", "stand_kini", "pakai", "volume", "prev_stand_kini", "prev_volume", "median_volume",
            "delta_m3", "price_m3", "at_stake", "priced"}


def stored_hits(conn: Connection, periode: str, other_than: set[str] = frozenset(),
                only: str | None = None) -> pd.DataFrame:
    """The stored flags of P of the registered checks (but ``other_than``) as the checks found
    them (of the customers the query ``only`` selects, when given)."""
    shown = ", ".join(BASE_COLUMNS)
    found = ", ".join(f"{stored} AS {name}" for stored, name in FOUND_WITH.items())
    kept = sorted(set(checks.names()) - set(other_than))
    if not kept:
        return pd.DataFrame(columns=[*BASE_COLUMNS, *FOUND_WITH.values()])
    some = f" AND nomen IN ({only})" if only else ""
    return load_frame(conn, f"SELECT {shown}, {found} FROM meter_flag WHERE periode = :p "
                            f"AND flag IN ({quoted(kept)}){some}", {"p": periode})


def replace(conn: Connection, periode: str, flagged: pd.DataFrame | None) -> None:
    """The flags of P, and their counts per rayon and check."""
    conn.execute(delete(MeterFlag).where(MeterFlag.periode == periode))
    conn.execute(delete(MeterFlagCount).where(MeterFlagCount.periode == periode))
    if flagged is not None and not flagged.empty:
        _insert(conn, flagged)
        counts = flagged.groupby(["rayon", "flag"]).size()
        conn.execute(insert(MeterFlagCount), [{"periode": periode, "rayon": rayon, "flag": flag, "customers": int(n)}
                                             for (rayon, flag), n in counts.items()])


def replace_some(conn: Connection, periode: str, only: str, flagged: pd.DataFrame | None) -> None:
    """The flags of P of the customers ``only`` selects, then P's counts summed again from its flags."""
    conn.execute(text(f"DELETE FROM meter_flag WHERE periode = :p AND nomen IN ({only})"), {"p": periode})
    if flagged is not None and not flagged.empty:
        _insert(conn, flagged)
    conn.execute(delete(MeterFlagCount).where(MeterFlagCount.periode == periode))
    conn.execute(text("INSERT INTO meter_flag_count (periode, rayon, flag, customers) "
                      "SELECT periode, rayon, flag, COUNT(*) FROM meter_flag WHERE periode = :p "
                      "GROUP BY periode, rayon, flag"), {"p": periode})


def _insert(conn: Connection, frame: pd.DataFrame) -> None:
    quote = conn.dialect.identifier_preparer.quote
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO meter_flag ({', '.join(quote(c) for c in frame.columns)}) "
           f"VALUES ({', '.join([marker] * len(frame.columns))})")
    conn.exec_driver_sql(sql, _values(frame))


def _values(frame: pd.DataFrame) -> list[tuple]:
    """Rows for insert, in the frame's column order: missing values None, figures int."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if name in INTEGERS:
            numbers = pd.to_numeric(column, errors="coerce").astype("Int64")
            columns.append([None if v is pd.NA else int(v) for v in numbers.tolist()])
        else:
            column = column.astype(object)
            columns.append(column.where(column.notna(), None).tolist())
    return list(zip(*columns))
