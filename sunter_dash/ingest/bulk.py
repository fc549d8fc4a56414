"""Bulk insert into SQLite without binding every value from Python.

``executemany`` spends most of its time converting Python objects, value by
value. Instead the frame goes, as Arrow columns, into a staging database file
through ADBC's bulk ingest (C), which is then attached to the app's own
connection and copied with one ``INSERT ... SELECT``: still inside the upload's
transaction, so the load stays atomic. See docs/PERFORMANCE.md for the figures.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Date
from sqlalchemy.engine import Connection

from .parse import date_text

BULK_ROWS = 20_000  # below this executemany is as quick and needs no staging file
STAGE = "sunter_stage"
STAGED_TABLE = "sunter_staged_table"  # which table the attached stage's rows went into


def staged(conn: Connection, table_name: str) -> bool:
    """True while the rows just inserted into ``table_name`` are readable as sunter_stage.rows."""
    return conn.info.get(STAGED_TABLE) == table_name and STAGE in conn.info


def _arrow_column(series: pd.Series, column) -> pa.Array:
    if isinstance(column.type, Date):
        series = date_text(series)
    if series.dtype == object:
        return pa.array(series.where(series.notna(), None), from_pandas=True)
    return pa.Array.from_pandas(series)


def _primary_key_order(table, arrow: pa.Table) -> pa.Array:
    """Row order of the primary key: a clustered (WITHOUT ROWID) table is then
    appended to rather than split page by page."""
    keys = [c.name for c in table.primary_key.columns if c.name in arrow.column_names]
    if not keys:
        # A rowid table: follow its first index, so that index grows at its end.
        first = sorted(table.indexes, key=lambda index: index.name)[:1]
        keys = [c.name for index in first for c in index.columns if c.name in arrow.column_names]
    if not keys:
        return pa.array(range(arrow.num_rows))
    return pc.sort_indices(arrow, sort_keys=[(k, "ascending") for k in keys])


def bulk_insert_sqlite(conn: Connection, table, frame: pd.DataFrame, names: list[str]) -> None:
    arrow = pa.table({name: _arrow_column(frame[name], table.c[name]) for name in names})
    arrow = arrow.take(_primary_key_order(table, arrow))
    handle, path = tempfile.mkstemp(prefix="sunter-stage-", suffix=".db")
    os.close(handle)
    os.unlink(path)
    try:
        with adbc_sqlite.connect(path) as stage:
            with stage.cursor() as cur:
                cur.adbc_ingest("rows", arrow, mode="create")
            stage.commit()
        # ATTACH works inside the open transaction; DETACH has to wait for its end.
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {STAGE}", (path,))
        conn.info[STAGE] = path
        conn.info[STAGED_TABLE] = table.name
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(n) for n in names)
        conn.exec_driver_sql(
            f"INSERT INTO main.{quote(table.name)} ({columns}) SELECT {columns} FROM {STAGE}.rows")
    finally:
        # The attached file stays readable until DETACH, even once unlinked.
        Path(path).unlink(missing_ok=True)


def detach_stage(conn: Connection) -> None:
    """Call after the transaction that used ``bulk_insert_sqlite`` has ended."""
    conn.info.pop(STAGED_TABLE, None)
    if conn.info.pop(STAGE, None) is not None:
        conn.exec_driver_sql(f"DETACH DATABASE {STAGE}")
