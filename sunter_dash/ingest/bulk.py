"""Bulk insert without binding every value from Python.

``executemany`` spends most of its time converting Python objects, value by
value. Instead the frame goes, as Arrow columns, into a staging table, which is
copied with one ``INSERT ... SELECT``: still inside the upload's transaction, so
the load stays atomic, and later SQL of the same transaction (the summaries) can
read the new rows, and tables derived from them in Arrow, from the stage
(``staged``). On PostgreSQL the rows are copied straight into their table, and
what is read back is staged apart when first asked for.

- SQLite: a staging database file written by ADBC's bulk ingest (C), attached to
  the app's own connection as ``sunter_stage``;
- PostgreSQL: ``COPY`` from CSV that Arrow writes (C), straight into the target,
  and into temporary tables (dropped at commit) for what is read back.

See docs/PERFORMANCE.md for the figures.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from io import BytesIO
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain.codes import date_text
from ..models import Base
from ..models.base import is_partition

log = logging.getLogger(__name__)

BULK_ROWS = 20_000  # below this executemany is as quick and needs no staging file
STAGE = "sunter_stage"  # SQLite: the attached staging file's schema name
STAGE_FILE = "sunter_stage_file"  # conn.info: the attached file, until DETACH
WRITTEN = "sunter_written"  # conn.info: the tables an upload wrote many rows of, until settle()
STAGED_TABLE = "sunter_staged_table"  # conn.info: which table the staged rows went into
STAGED_NAMES = "sunter_staged_names"  # conn.info: the relations staged for reading back
DERIVED = "sunter_derived"  # conn.info, PostgreSQL: derived tables and rows read back (Arrow) not yet staged
ROWS = "rows"  # the staged relation of the inserted rows themselves
COPY_CHUNK = 100_000  # rows per CSV chunk sent to COPY
# What later SQL of the transaction reads back of an insert: by name, the rows themselves
# (``ROWS``: the columns read, None for all; SQLite's stage holds them all anyway) or a table
# derived from them, a function of the rows as Arrow in primary-key order. Empty: nothing.
ReadBack = Mapping[str, Callable[[pa.Table], pa.Table] | Sequence[str] | None]
_PG_TYPES = {pa.string(): "TEXT", pa.large_string(): "TEXT", pa.int64(): "BIGINT"}  # of derived tables


def _relation(dialect: str, name: str) -> str:
    return f"{STAGE}.{name}" if dialect == "sqlite" else f"pg_temp.sunter_stage_{name}"


def stageable(conn: Connection, table_name: str, name: str = ROWS) -> bool:
    """Whether ``staged`` can give the rows just inserted into ``table_name`` (``name``: the
    table derived from them), without staging them yet."""
    return conn.info.get(STAGED_TABLE) == table_name and name in conn.info.get(STAGED_NAMES, ())


def release(conn: Connection, table_name: str, name: str = ROWS) -> None:
    """The rows just inserted into ``table_name`` (``name``: a derived table) will not be read
    back: on PostgreSQL, the Arrow table kept to stage them is let go."""
    if conn.info.get(STAGED_TABLE) == table_name:
        conn.info.get(DERIVED, {}).pop(name, None)
        conn.info.get(STAGED_NAMES, set()).discard(name)


def staged(conn: Connection, table_name: str, name: str = ROWS) -> str | None:
    """The relation holding the rows just inserted into ``table_name`` (at least the columns
    ``read_back`` named; ``name``: the table derived from them under that name), to read in
    this transaction; None when they were not staged for reading back. On PostgreSQL the rows
    or a derived table are staged when first asked for: one that ``insert_derived`` copies
    whole, or that is never asked for, is never staged."""
    if not stageable(conn, table_name, name):
        return None
    pending = conn.info.get(DERIVED, {})
    if name in pending:
        if name == ROWS:
            _stage_rows(conn, table_name, pending[name])
        else:
            _stage_derived(conn, name, pending[name])
        del pending[name]
    return _relation(conn.dialect.name, name)


def insert_derived(conn: Connection, table_name: str, name: str, target, column: str, values: list) -> int:
    """Insert into ``target`` the rows of the table derived under ``name`` from the rows just
    inserted into ``table_name`` whose ``column`` is one of ``values`` (each of ``target``'s
    columns from the derived column of its name); their number. On PostgreSQL by ``COPY``
    straight from Arrow, with no stage, so nothing may conflict with rows ``target`` holds."""
    quote = conn.dialect.identifier_preparer.quote
    names = [c.name for c in target.columns]
    columns = ", ".join(quote(n) for n in names)
    pending = conn.info.get(DERIVED, {})
    if conn.info.get(STAGED_TABLE) == table_name and name in pending:
        rows = pending[name]
        rows = rows.filter(pc.is_in(rows[column], pa.array(values, rows.schema.field(column).type))).select(names)
        _copy(conn, quote(target.name), columns, rows)
        return rows.num_rows
    relation = staged(conn, table_name, name)
    if relation is None:
        raise LookupError(f"{name!r} was not derived from the rows inserted into {table_name!r}")
    return conn.execute(text(f"INSERT INTO {quote(target.name)} ({columns}) SELECT {columns} FROM {relation} "
                             f"WHERE {quote(column)} IN :values").bindparams(bindparam("values", expanding=True)),
                        {"values": list(values)}).rowcount


def bulk_insert(conn: Connection, table, frame: pd.DataFrame, names: list[str], *, read_back: ReadBack) -> None:
    """Insert the frame's columns ``names`` into ``table``; ``read_back``: what later SQL of
    this transaction reads through ``staged``."""
    if callable(read_back.get(ROWS)):
        raise ValueError(f"{ROWS!r} names the inserted rows themselves: a derived table needs another name")
    arrow = pa.table({name: _arrow_column(frame[name], table.c[name]) for name in names})
    arrow = arrow.take(_primary_key_order(table, arrow))
    derived = {name: make(arrow) for name, make in read_back.items() if name != ROWS}
    # The rows as they are read back: only the columns named (PostgreSQL stages no more).
    rows_back = None
    if ROWS in read_back:
        rows_back = arrow.select(list(read_back[ROWS])) if read_back[ROWS] else arrow
    if conn.dialect.name == "postgresql":
        _bulk_insert_postgresql(conn, table, arrow, rows_back, derived)
    else:
        _bulk_insert_sqlite(conn, table, arrow, rows_back, derived)


def _arrow_column(series: pd.Series, column) -> pa.Array:
    if isinstance(column.type, Date):
        series = date_text(series)
    if series.dtype == object:
        return pa.array(series.where(series.notna(), None), from_pandas=True)
    return pa.Array.from_pandas(series)


def _primary_key_order(table, arrow: pa.Table) -> pa.Array:
    """Row order of the primary key: a clustered (WITHOUT ROWID) table, or a B-tree
    index, is then appended to rather than split page by page."""
    keys = [c.name for c in table.primary_key.columns if c.name in arrow.column_names]
    if not keys:
        # A rowid table: follow its first index, so that index grows at its end.
        first = sorted(table.indexes, key=lambda index: index.name)[:1]
        keys = [c.name for index in first for c in index.columns if c.name in arrow.column_names]
    if not keys:
        return pa.array(range(arrow.num_rows))
    return pc.sort_indices(arrow, sort_keys=[(k, "ascending") for k in keys])


def _bulk_insert_postgresql(conn: Connection, table, arrow: pa.Table, rows_back: pa.Table | None,
                            derived: dict[str, pa.Table]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in arrow.column_names)
    # The summaries group the new rows: with room in memory, a hash aggregate instead of a
    # sort that spills to disk.
    conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    unknown = [f"{name}: {f.name} {f.type}" for name, rows in derived.items()
               for f in rows.schema if f.type not in _PG_TYPES]
    if unknown:
        raise TypeError(f"derived tables: no PostgreSQL type for {', '.join(unknown)}")
    # Straight into the table, always: the rows read back are staged apart when first asked for,
    # as a derived table is (staged first, then an INSERT ... SELECT from there: a million
    # payments took 4-5 s longer).
    try:
        _copy(conn, quote(table.name), columns, arrow)
    except psycopg.IntegrityError as exc:  # as an INSERT would raise it
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
    _staged_here(conn, table, rows_back, derived)
    fresh_statistics(conn, table.name, arrow.num_rows)


def _stage_rows(conn: Connection, table_name: str, rows: pa.Table) -> None:
    """PostgreSQL: the rows read back into a temporary table with their table's column types,
    and statistics for the summaries that join them."""
    quote = conn.dialect.identifier_preparer.quote
    stage = _relation("postgresql", ROWS)
    columns = ", ".join(quote(n) for n in rows.column_names)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
                         f"SELECT {columns} FROM {quote(table_name)} WITH NO DATA")
    _copy(conn, stage, columns, rows)
    conn.exec_driver_sql(f"ANALYZE {stage}")


def _stage_derived(conn: Connection, name: str, rows: pa.Table) -> None:
    """PostgreSQL: a derived table into a temporary table, for SQL to read (no statistics: the
    derived tables are read whole, by a fold)."""
    quote = conn.dialect.identifier_preparer.quote
    stage = _relation("postgresql", name)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {stage} ("
                         + ", ".join(f"{quote(f.name)} {_PG_TYPES[f.type]}" for f in rows.schema)
                         + ") ON COMMIT DROP")
    _copy(conn, stage, ", ".join(quote(n) for n in rows.column_names), rows)


def _staged_here(conn: Connection, table, rows_back: pa.Table | None, derived: dict[str, pa.Table]) -> None:
    """Remember which relations of this insert ``staged`` may name (on PostgreSQL, with what
    it stages when first asked)."""
    names = set(derived) | ({ROWS} if rows_back is not None else set())
    if names:
        conn.info[STAGED_TABLE] = table.name
        conn.info[STAGED_NAMES] = names
        if conn.dialect.name == "postgresql":
            conn.info[DERIVED] = dict(derived)
            if rows_back is not None:
                conn.info[DERIVED][ROWS] = rows_back


def _copy(conn: Connection, relation: str, columns: str, arrow: pa.Table) -> None:
    # CSV as Arrow writes it: strings quoted (so "" stays an empty string), nulls as nothing (NULL).
    options = pa_csv.WriteOptions(include_header=False)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {relation} ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for batch in arrow.to_batches(max_chunksize=COPY_CHUNK):
                chunk = BytesIO()
                pa_csv.write_csv(batch, chunk, options)
                copy.write(chunk.getbuffer())


def fresh_statistics(conn: Connection, table_name: str, written: int) -> None:
    """PostgreSQL: statistics for the rows this transaction just wrote into a table, when they are
    many. Without them the planner takes the transaction's new periode for empty and joins it by
    nested loops: at 1,000,000 customers an SBRS's KPI query and an MC's collection summary ran
    for minutes. ANALYZE samples a fixed number of rows: 0.2-0.5 s on a table of 12M rows. The
    table is noted for ``settle`` too."""
    if conn.dialect.name == "postgresql" and written >= BULK_ROWS:
        conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.quote(table_name)}")
        wrote(conn, table_name, written)


def wrote(conn: Connection, table_name: str, written: int) -> None:
    """Note a table of the app (or a partition of one) this transaction wrote many rows of, for
    ``settle`` after it commits (a temporary table is not noted: it is gone by then). The note
    lives on the pooled connection: ``detach_stage`` drops it when the transaction did not
    commit."""
    if conn.dialect.name == "postgresql" and written >= BULK_ROWS and (
            table_name in Base.metadata.tables or is_partition(table_name)):
        conn.info.setdefault(WRITTEN, set()).add(table_name)


def settle(conn: Connection) -> None:
    """PostgreSQL, once the upload has committed: VACUUM the tables it wrote many rows of, so that
    the visibility map covers the new rows. Without it an index-only scan visits the table for
    every new row until autovacuum comes, which on a large table waits for a fifth of it to
    change: at 1,000,000 customers the month's disconnection candidates were counted in 244 ms
    instead of 20. The upload is stored already; a VACUUM that fails only leaves that for
    autovacuum, and is logged."""
    tables = sorted(conn.info.pop(WRITTEN, ()))
    if not tables:
        return
    quote = conn.dialect.identifier_preparer.quote
    try:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            f"VACUUM {', '.join(quote(name) for name in tables)}")
        conn.rollback()
    except Exception:  # whatever it is, the upload stays stored and recorded as loaded
        log.warning("VACUUM of %s after an upload failed; autovacuum will do it", tables, exc_info=True)


def _bulk_insert_sqlite(conn: Connection, table, arrow: pa.Table, rows_back: pa.Table | None,
                        derived: dict[str, pa.Table]) -> None:
    names = arrow.column_names
    handle, path = tempfile.mkstemp(prefix="sunter-stage-", suffix=".db")
    os.close(handle)
    os.unlink(path)
    try:
        # Every staged table is written before the app's connection attaches the file: ADBC
        # carries its own SQLite, which must never open a file that connection has open.
        with adbc_sqlite.connect(path) as stage:
            with stage.cursor() as cur:
                for name, rows in {ROWS: arrow, **derived}.items():
                    cur.adbc_ingest(name, rows, mode="create")
            stage.commit()
        # ATTACH works inside the open transaction; DETACH has to wait for its end.
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {STAGE}", (path,))
        conn.info[STAGE_FILE] = path
        _staged_here(conn, table, rows_back, derived)
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(n) for n in names)
        conn.exec_driver_sql(
            f"INSERT INTO main.{quote(table.name)} ({columns}) SELECT {columns} FROM {_relation('sqlite', ROWS)}")
    finally:
        # The attached file stays readable until DETACH, even once unlinked.
        Path(path).unlink(missing_ok=True)


def detach_stage(conn: Connection) -> None:
    """Call after the transaction that used ``bulk_insert`` has ended (PostgreSQL's
    stage went with the transaction)."""
    conn.info.pop(STAGED_TABLE, None)
    conn.info.pop(STAGED_NAMES, None)
    conn.info.pop(DERIVED, None)
    conn.info.pop(WRITTEN, None)  # a rolled-back upload's
    if conn.info.pop(STAGE_FILE, None) is not None:
        conn.exec_driver_sql(f"DETACH DATABASE {STAGE}")
