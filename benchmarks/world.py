"""The dashboard benchmarks' database: a 200,000-customer branch, 12 periodes, 10,000,000 payments.

    python benchmarks/world.py [--db build/bench/dashboard-200k.db] [--customers 200000]
                               [--payments 10000000] [--work build/bench]

or, from another benchmark (with benchmarks/ on sys.path)::

    from world import build_world
    url = build_world(Path("build/bench/dashboard-200k.db"))

The demo branch (``sunter_dash.demo``, seed 7, 2025-01 .. 2025-12) is reused from
build/world<N>k when present (as ``python -m sunter_dash demo --out build/world200k
--customers 200000 --months 12 --seed 7 --text`` writes it), else generated there with MC
and SBRS as delimited text (the Excel writers go cell by cell: 200,000 customers x 12
months take about 13 minutes as Excel, 20 s as text; the rows are the same). Its
COLLECTION extracts hold about one payment per customer and month, so one extra
COLLECTION file per month (in the work folder) brings the payment table to
--payments rows: installments of the month's bill and UNDUE payments of older
bills, on days on which the customer has no other payment, so that no row is
de-duplicated away. Everything loads through the real pipeline (``ingest_file``,
summary tables included) in the order a branch receives it: RUTE, then per
periode MC, SBRS, MAINBILL, the COLLECTION extracts and the extra file, then MB
and ARDEBT. One line per file with its seconds, then seconds per file type and
rows per table.

The database is built beside --db and renamed into place when complete; an
existing --db with at least 99% of --payments payment rows is reused.
"""
from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sunter_dash.demo.common import PAD2, days_in, fmt_date, join, month_start, num_str, parse_periode, ym  # noqa: E402
from sunter_dash.demo.vocab import LOKET_SHARE, LOKETS  # noqa: E402
from sunter_dash.demo.writers import text_lines, write_text  # noqa: E402

SEED = 7
MONTHS = 12
END_PERIODE = "2025-12"
COMPLETE = ".complete"  # written into a demo folder this script generated
REUSE_SHARE = 0.99  # a cached database with this share of the wanted payments is reused

COLLECTION_HEADER = ["NOMEN", "PAY_DT", "AMT_COLLECT", "BILL_PERIOD", "NOTAG", "BILL_REASON", "VOL_COLLECT",
                     "FREEZE_DTTM", "LOKET"]
CURRENT_SHARE = 0.3  # of the extra payments; the rest pay older bills (UNDUE)
OVERSAMPLE = 1.10  # candidates per wanted row: those on a day the demo already uses are dropped
DAY_CODE = 100_000  # (nomen, day) -> nomen * DAY_CODE + days since 1970: exact, fits int64


# --- the demo world ------------------------------------------------------------------

def demo_dir(customers: int) -> Path:
    size = f"{customers // 1000}k" if customers % 1000 == 0 else str(customers)
    return ROOT / "build" / f"world{size}"


def demo_complete(demo: Path) -> bool:
    """The generator writes the newest ARDEBT last, so a folder without it (and without our
    marker) is half written; a folder that is neither empty nor complete is refused."""
    last = demo / f"ARDEBT_{END_PERIODE.replace('-', '')}.csv"
    if (demo / COMPLETE).exists() or last.exists():
        return True
    if demo.exists() and any(demo.iterdir()):
        raise SystemExit(f"{demo} is incomplete (no {last.name}): is a generation still running? "
                         "Wait for it, or delete the folder.")
    return False


def ensure_demo(customers: int) -> Path:
    """The demo folder, generated when missing."""
    from sunter_dash.demo import generate

    demo = demo_dir(customers)
    if demo_complete(demo):
        print(f"demo world: reusing {demo}")
        return demo
    started = time.perf_counter()
    generate(demo, customers=customers, months=MONTHS, seed=SEED, end_periode=END_PERIODE, text=True)
    (demo / COMPLETE).write_text("ok")
    print(f"demo world: {customers:,} customers x {MONTHS} months into {demo} "
          f"in {time.perf_counter() - started:.1f} s")
    return demo


_YM = re.compile(r"(20\d\d)-?(0[1-9]|1[0-2])")
_MC = re.compile(r"^MC(\d\d)(\d\d)")
# (file name prefix, group, rank within a periode): the generator's order, MC first as the
# periode's target; a month's extra file after its extracts. Longer prefixes before their stems.
_PREFIXES = [("RUTE", 0, 0), ("MC", 1, 0), ("SBRS", 1, 1), ("MAINBILL", 1, 2), ("COLLECTION-EXTRA", 1, 4),
             ("COLLECTION", 1, 3), ("MB", 2, 0), ("ARDEBT", 3, 0)]


def load_key(path: Path) -> tuple:
    """Sort key for the load order: RUTE, per periode MC SBRS MAINBILL COLLECTION (+ extra),
    then MB, then ARDEBT. An MC is named after its reading month, the month before its periode."""
    name = path.name.upper()
    group, rank = next((g, r) for prefix, g, r in _PREFIXES if name.startswith(prefix))
    mc = _MC.match(name)
    if mc:
        mi = (2000 + int(mc.group(2))) * 12 + int(mc.group(1))  # the reading month's index + 1
    else:
        found = _YM.search(name)
        mi = int(found.group(1)) * 12 + int(found.group(2)) - 1
    return group, mi, rank, name


def demo_files(demo: Path) -> list[Path]:
    prefixes = tuple(prefix for prefix, _, _ in _PREFIXES)
    return [p for p in demo.iterdir() if p.is_file() and p.name.upper().startswith(prefixes)]


# --- extra payments ------------------------------------------------------------------

def _pay_days(values: pa.Array) -> np.ndarray:
    """'dd-mm-yyyy' text -> days since 1970."""
    stamps = pc.strptime(values, format="%d-%m-%Y", unit="s")
    return pc.cast(pc.cast(stamps, pa.date32()), pa.int32()).to_numpy().astype(np.int64)


def demo_payments(demo: Path) -> tuple[int, np.ndarray]:
    """Distinct payments of the demo's COLLECTION extracts (DATA.md's composite key: the
    extracts of a month overlap), and the (nomen, day) codes they occupy."""
    types = {"NOMEN": pa.int64(), "PAY_DT": pa.string(), "AMT_COLLECT": pa.string(), "NOTAG": pa.string()}
    tables = [pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter="|"),
                             convert_options=pacsv.ConvertOptions(column_types=types,
                                                                  include_columns=list(types)))
              for path in sorted(demo.glob("Collection-*.txt"))]
    unique = pa.concat_tables(tables).group_by(list(types)).aggregate([])
    nomen = unique["NOMEN"].to_numpy()
    codes = np.unique(nomen * DAY_CODE + _pay_days(unique["PAY_DT"].combine_chunks()))
    return unique.num_rows, codes


def month_bills(demo: Path, mi: int) -> tuple[np.ndarray, np.ndarray]:
    """Customers billed in periode mi and their (first NORMAL) bill, from MAINBILL."""
    y, m = ym(mi)
    types = {"NOMEN": pa.int64(), "TOTAL_TAGIHAN": pa.int64(), "JENIS_REK": pa.string()}
    table = pacsv.read_csv(demo / f"MAINBILL_{y:04d}{m:02d}.csv",
                           parse_options=pacsv.ParseOptions(delimiter=";"),
                           convert_options=pacsv.ConvertOptions(column_types=types, include_columns=list(types)))
    normal = pc.and_(pc.equal(table["JENIS_REK"], "NORMAL"), pc.greater(table["TOTAL_TAGIHAN"], 0))
    table = table.filter(normal)
    nomen, first = np.unique(table["NOMEN"].to_numpy(), return_index=True)
    return nomen, table["TOTAL_TAGIHAN"].to_numpy()[first]


def day_weights(mi: int) -> np.ndarray:
    """Payments crowd before the due date (the 20th), thin out after it and on Sundays."""
    days = np.arange(1, days_in(mi) + 1)
    w = np.where(days <= 20, 1.0, 0.4)
    w = np.where((days >= 16) & (days <= 20), 1.6, w)
    sunday = (month_start(mi).astype(np.int64) + days - 1 + 3) % 7 == 6
    return np.where(sunday, w * 0.3, w)


def _distinct_days(rng: np.random.Generator, weights: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """counts[i] distinct days (0-based) for customer i, weighted, as one flat array in
    customer order: the counts[i] largest of log(u) / w per row (Efraimidis-Spirakis)."""
    keys = np.log(rng.random((counts.size, weights.size))) / weights
    order = np.argsort(-keys, axis=1)
    return order[np.arange(weights.size) < counts[:, None]]


def _round_down(values: np.ndarray, step: int, minimum: int) -> np.ndarray:
    return np.maximum(values // step * step, minimum).astype(np.int64)


def extra_month(rng: np.random.Generator, mi: int, nomen: np.ndarray, bill: np.ndarray, rows: int,
                taken: np.ndarray) -> dict[str, np.ndarray]:
    """`rows` payments dated in month mi, at most one per customer and day, none on a day
    the customer already paid in the demo: every composite key is new."""
    nd = days_in(mi)
    counts = np.minimum(rng.poisson(rows * OVERSAMPLE / nomen.size, nomen.size), nd)
    cust = np.repeat(np.arange(nomen.size), counts)
    day = month_start(mi).astype(np.int64) + _distinct_days(rng, day_weights(mi), counts)
    free = np.flatnonzero(~np.isin(nomen[cust] * DAY_CODE + day, taken))
    if free.size < rows:
        raise SystemExit(f"only {free.size:,} free payment slots in {mi // 12}-{mi % 12 + 1:02d}, need {rows:,}")
    keep = np.sort(rng.choice(free, rows, replace=False))
    cust, day = cust[keep], day[keep]
    current = rng.random(rows) < CURRENT_SHARE
    # UNDUE: mostly last month's bill or the one before, a few up to two years old
    bill_mi = np.where(current, mi, mi - np.minimum(rng.geometric(0.45, rows), 24))
    base = bill[cust]
    installment = _round_down(base * rng.uniform(0.1, 0.3, rows), 100, 1_000)
    older_bill = base * rng.lognormal(0.0, 0.2, rows) * np.where(rng.random(rows) < 0.6, 1.0, 0.5)
    amount = np.where(current, installment, _round_down(older_bill, 50, 1_000))
    order = np.lexsort((nomen[cust], day))  # an extract's order: by date, then customer
    return {"nomen": nomen[cust][order], "day": day[order], "amount": amount[order],
            "bill_mi": bill_mi[order]}


def collection_lines(rng: np.random.Generator, pays: dict[str, np.ndarray]) -> pa.Array:
    """The rows in the billing system's pipe-delimited COLLECTION layout (minus-signed amounts)."""
    n = pays["nomen"].size
    dates = pays["day"].astype("datetime64[D]")
    bill_year, bill_month = pays["bill_mi"] // 12, pays["bill_mi"] % 12 + 1
    freeze_s = rng.integers(3600, 5 * 3600, n)
    hh, mm, ss = (PAD2.take(pa.array(v)) for v in (freeze_s // 3600, freeze_s // 60 % 60, freeze_s % 60))
    loket = pa.array(LOKETS.tolist()).take(pa.array(rng.choice(LOKETS.size, n, p=LOKET_SHARE)))
    nomen = num_str(pays["nomen"])
    return text_lines([
        nomen, fmt_date(dates, "-"), num_str(-pays["amount"]),
        join(PAD2.take(pa.array(bill_month)), num_str(bill_year)),
        join(PAD2.take(pa.array(bill_year % 100)), PAD2.take(pa.array(bill_month)), nomen),
        "NORMAL", "0",
        join(fmt_date(dates + np.timedelta64(1, "D"), "-"), " ", hh, ":", mm, ":", ss), loket,
    ], "|", "\n")


def write_extras(demo: Path, out: Path, rows: int, taken: np.ndarray) -> list[Path]:
    """One extra COLLECTION file per month holding `rows` payments in all, none on a
    (nomen, day) of `taken`."""
    out.mkdir(parents=True, exist_ok=True)
    end = parse_periode(END_PERIODE)
    mis = range(end - MONTHS + 1, end + 1)
    per_month = [len(part) for part in np.array_split(np.arange(rows), MONTHS)]
    paths = []
    for mi, wanted in zip(mis, per_month):
        rng = np.random.default_rng([SEED, mi])
        nomen, bill = month_bills(demo, mi)
        pays = extra_month(rng, mi, nomen, bill, wanted, taken)
        y, m = ym(mi)
        paths.append(write_text(out / f"Collection-extra-{y:04d}-{m:02d}.txt", COLLECTION_HEADER,
                                collection_lines(rng, pays), "|", "\n"))
    return paths


# --- loading -------------------------------------------------------------------------

def load(url: str, files: list[Path]) -> None:
    """Every file through the pipeline, one line each; then seconds per file type."""
    from sunter_dash.db import get_engine
    from sunter_dash.ingest import ingest_file

    engine = get_engine(url)
    per_type: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])  # files, seconds, rows stored
    started = time.perf_counter()
    for i, path in enumerate(files, 1):
        t0 = time.perf_counter()
        result = ingest_file(engine, path)
        seconds = time.perf_counter() - t0
        print(f"{i:>3}/{len(files)} {path.name:<48}{result.type or '?':<11}{result.periode or '':<9}"
              f"{result.stored:>10,} stored{result.duplicate:>9,} dup{seconds:>8.1f} s"
              f"{result.stored / seconds:>10,.0f} rows/s", flush=True)
        if result.status not in ("loaded", "duplicate"):
            raise SystemExit(f"{path.name}: {result.status}: {result.message}")
        totals = per_type[result.type]
        totals[0] += 1
        totals[1] += seconds
        totals[2] += result.stored
    print(f"loaded {len(files)} files in {time.perf_counter() - started:.1f} s")
    for file_type, (count, seconds, stored) in per_type.items():
        print(f"  {file_type:<11}{count:>3} files{seconds:>9.1f} s{stored:>12,} rows"
              f"{stored / seconds:>10,.0f} rows/s")


def table_counts(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(db)) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def payment_rows(db: Path) -> int:
    try:
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute("SELECT COUNT(*) FROM payment").fetchone()[0]
    except sqlite3.DatabaseError:  # no such table, or not a database
        return 0


def _fold_wal(db: Path) -> None:
    """Move the WAL's pages into the database file, so that renaming the file alone moves
    all of it (the last connection to close normally does this; make sure)."""
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if Path(f"{db}-wal").exists():
        raise SystemExit(f"{db}-wal is still there: is another process using {db}?")


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def build_world(db_path, customers: int = 200_000, payments: int = 10_000_000,
                work: Path = ROOT / "build" / "bench") -> str:
    """The SQLAlchemy URL of the benchmark database, built first unless cached."""
    from sunter_dash.db import get_engine, upgrade

    db = Path(db_path).resolve()
    url = f"sqlite:///{db}"
    if db.exists():
        found = payment_rows(db)
        if found >= payments * REUSE_SHARE:
            print(f"reusing {db}: {found:,} payment rows")
            return url
        print(f"{db} holds {found:,} payment rows, fewer than {payments:,}: rebuilding")
    started = time.perf_counter()
    demo = ensure_demo(customers)
    t0 = time.perf_counter()
    demo_rows, taken = demo_payments(demo)
    extra_rows = max(payments - demo_rows, 0)
    extras = write_extras(demo, Path(work) / f"extra-{customers}", extra_rows, taken)
    print(f"payments: {demo_rows:,} in the demo's extracts + {extra_rows:,} in {len(extras)} extra files "
          f"(written in {time.perf_counter() - t0:.1f} s)")

    # Built under another name, so that an interrupted build is never taken for a cached one.
    partial = db.with_name(db.name + ".partial")
    _remove_db(partial)
    partial_url = f"sqlite:///{partial}"
    upgrade(partial_url)
    load(partial_url, sorted(demo_files(demo) + extras, key=load_key))
    get_engine(partial_url).dispose()
    _fold_wal(partial)
    _remove_db(db)
    os.replace(partial, db)
    for name, count in table_counts(db).items():
        print(f"  {name:<20}{count:>12,}")
    print(f"built {db} in {time.perf_counter() - started:.1f} s")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "bench" / "dashboard-200k.db",
                        help="the SQLite database to build, or reuse when complete")
    parser.add_argument("--customers", type=int, default=200_000, help="customers of the demo branch")
    parser.add_argument("--payments", type=int, default=10_000_000, help="rows wanted in the payment table")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench",
                        help="folder for the extra COLLECTION files")
    args = parser.parse_args()
    build_world(args.db, args.customers, args.payments, args.work)


if __name__ == "__main__":
    main()
