"""Ingestion speed and memory, beside a bare baseline measured in the same run.

    python benchmarks/ingest.py [--customers 200000] [--work build/bench]
        [--database-url postgresql+psycopg://user:pw@host/db] [--only Collection-1M]
        [--paired [--vs sqlite | --vs ../other-checkout]]

Makes a demo world with ``sunter_dash.demo``, then builds from its exports
  * a 1,000,000-row COLLECTION .txt (the month extracts joined),
  * a COLLECTION .txt of just under 100 MB (for peak memory),
  * the newest SBRS .xlsx (one row per customer: 200,000 rows),
  * the newest MC written as a dBase .dbf in Windows-1252 (200,000 rows, as the billing
    system writes it, by the ``dbf`` library),
and times each through the real pipeline (``ingest_file`` on a fresh SQLite
database, de-duplication and indexes included; once in a cold process as the
CLI runs, once more in the same, now warm, process as the server runs) and through two baselines:
  * ``baseline``: the same file read by pandas / python-calamine / dbfread and inserted with
    ``executemany`` into an unindexed table (the real-exports issue's yardstick);
  * ``bare-limit`` (issue 18, frozen in ``child_bare_limit``): the fastest reader (pyarrow's CSV
    reader, fastexcel; for dBase the project's own column reader, faster than dbfread), the minimal derivation
    (periode, typed amount, key, key order) and an ADBC bulk insert into the project's own tables
    and indexes with its pragmas. "vs bare" is the pipeline's cold time over it. Every measurement runs in its own process so that
its peak RSS (VmHWM) belongs to that file alone; each is repeated (--repeat)
and the median run is shown. Prints a table.

With --database-url the pipeline loads into fresh databases created on that
PostgreSQL server (the URL's role needs CREATEDB; each is dropped afterwards);
the baseline stays SQLite's. --only keeps the files whose name contains it. --paired times the
pipeline and a yardstick in turn: the bare limit, the pipeline on SQLite (--vs sqlite) or another
checkout's pipeline (--vs FOLDER, a clone at another commit sharing this build/).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    # VmHWM starts afresh with exec; ru_maxrss would carry the parent's peak over.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_baseline(path: Path, db: Path) -> dict:
    import pandas as pd
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    if path.suffix == ".dbf":
        from dbfread import DBF
        table = DBF(str(path), encoding="cp1252")
        header = table.field_names
        body = [tuple(record.values()) for record in table]
    elif path.suffix == ".xlsx":
        workbook = CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python()
        header, body = rows[0], rows[1:]
        body = [tuple(r) for r in body]
    else:
        frame = pd.read_csv(path, sep="|", dtype=str, keep_default_na=False)
        header = list(frame.columns)
        body = list(frame.itertuples(index=False, name=None))
    read_s = time.perf_counter() - started
    conn = sqlite3.connect(db)
    columns = ", ".join(f"c{i}" for i in range(len(header)))
    conn.execute(f"CREATE TABLE bare ({columns})")
    conn.executemany(f"INSERT INTO bare VALUES ({', '.join('?' * len(header))})", body)
    conn.commit()
    return {"rows": len(body), "seconds": time.perf_counter() - started, "read_seconds": read_s,
            "peak_mb": _peak_mb()}


def _read_bare(path: Path):
    """The fastest reader there is for the file, as an Arrow table of its cells: pyarrow's CSV
    reader (every column text), fastexcel for Excel, and for dBase the project's own reader, which
    cuts the record block into columns at once (dbfread, record by record, took 4-5x as long and
    was this function's dBase reader until 2026-11-27)."""
    import pyarrow as pa

    if path.suffix == ".xlsx":
        import fastexcel
        return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()
    if path.suffix == ".dbf":
        from sunter_dash.ingest.read import read_dbf
        return pa.Table.from_pandas(read_dbf(path).frame, preserve_index=False)
    import pyarrow.csv as pcsv
    header = path.open(encoding="utf-8").readline().rstrip("\r\n")
    sep = max("|;,\t", key=header.count)
    names = header.split(sep)
    return pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=sep),
                         convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}))


def _column(table, spec, field: str):
    """The file's column holding ``field`` of ``spec``, by the catalogue's names for it."""
    from sunter_dash.domain.files import normalise_header
    names = {normalise_header(n) for n in spec.column(field).names}
    return next(table.column(i) for i, name in enumerate(table.column_names) if normalise_header(name) in names)


def _derive_bare(table, path: Path):
    """DATA.md's minimal derivation: (target table, Arrow table with periode, typed amounts, key
    and the upload), in key order. No validation, no aliases beyond the catalogue's names."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from sunter_dash.domain import files
    rows = table.num_rows
    upload = pa.array([1] * rows, pa.int64())
    if path.name.startswith("Collection"):
        spec = files.spec("COLLECTION")
        day = _column(table, spec, "pay_date")
        iso = pc.binary_join_element_wise(pc.utf8_slice_codeunits(day, 6, 10), pc.utf8_slice_codeunits(day, 3, 5),
                                          pc.utf8_slice_codeunits(day, 0, 2), "-")
        periode = pc.utf8_slice_codeunits(iso, 0, 7)
        bill = _column(table, spec, "bill_period")
        bill = pc.binary_join_element_wise(pc.utf8_slice_codeunits(bill, 2, 6), pc.utf8_slice_codeunits(bill, 0, 2),
                                           "-")
        out = pa.table({"periode": periode, "nomen": _column(table, spec, "nomen"),
                        "pay_key": pa.array(range(rows), pa.int64()), "upload_id": upload, "pay_date": iso,
                        "amount": pc.abs(pc.cast(_column(table, spec, "amount"), pa.int64())),
                        "bill_period": bill, "jenis": pc.if_else(pc.equal(bill, periode), "CURRENT", "UNDUE")})
        return "payment", out.sort_by([("periode", "ascending"), ("nomen", "ascending"), ("pay_key", "ascending")])
    if path.name.startswith("SBRS"):
        spec = files.spec("SBRS")
        lalu = pc.cast(_column(table, spec, "stand_lalu"), pa.int64())
        kini = pc.cast(_column(table, spec, "stand_kini"), pa.int64())
        periode = pa.array([f"{path.stem[5:9]}-{path.stem[9:11]}"] * rows)
        out = pa.table({"upload_id": upload, "periode": periode, "nomen": _column(table, spec, "nomen"),
                        "stand_lalu": lalu, "stand_kini": kini, "volume": pc.subtract(kini, lalu)})
        return "sbrs", out.sort_by([("nomen", "ascending")])
    spec = files.spec("MC")
    months = {name: i + 1 for i, name in enumerate(MONTH_NAMES)}
    first = table.slice(0, 1).to_pylist()[0]
    periode = f"{int(first['TAHUN2']):04d}-{months[first['NAMA_BLN2']]:02d}"
    zone = _column(table, spec, "zona_novak")
    out = pa.table({"upload_id": upload, "periode": pa.array([periode] * rows), "nomen": _column(table, spec, "nomen"),
                    "zona_novak": zone, "rayon": pc.utf8_slice_codeunits(zone, 0, 2),
                    "nominal": pc.cast(_column(table, spec, "nominal"), pa.int64())})
    return "mc", out.sort_by([("nomen", "ascending")])


def child_bare_limit(path: Path, db: Path) -> dict:
    """The bare limit (issue 18), FROZEN: the fastest reader (``_read_bare``), the minimal
    derivation (``_derive_bare``: periode, typed amount, key, key order) and an ADBC bulk insert
    into the project's own tables and indexes (made by its migrations) with its pragmas, in one
    transaction. It is the yardstick the pipeline is measured against: do not tune it."""
    import adbc_driver_sqlite.dbapi as adbc

    from sunter_dash.db import upgrade
    from sunter_dash.ingest.read import read_dbf  # noqa: F401 (imported before the clock, as the pipeline's)

    upgrade(f"sqlite:///{db}")  # the project's schema: its tables, keys and indexes
    started = time.perf_counter()
    table = _read_bare(path)
    read_s = time.perf_counter() - started
    target, rows = _derive_bare(table, path)
    with adbc.connect(str(db), autocommit=True) as conn:
        cur = conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536", "temp_store=MEMORY"):
            cur.execute(f"PRAGMA {pragma}")
        conn.adbc_connection.set_autocommit(False)  # one transaction, as a load
        cur.execute("INSERT INTO upload (id, filename, size, created_at, rows_read, rows_stored, rows_rejected, "
                    "rows_duplicate, status) VALUES (1, ?, ?, '2025-12-31 00:00:00', 0, 0, 0, 0, 'loaded')",
                    (path.name, path.stat().st_size))
        cur.adbc_ingest(target, rows, mode="append")
        conn.adbc_connection.commit()
        cur.execute(f"SELECT count(*) FROM {target}")
        stored = cur.fetchone()[0]
    return {"rows": stored, "seconds": time.perf_counter() - started, "read_seconds": read_s,
            "peak_mb": _peak_mb()}


def _server_database(server_url: str, name: str, *, drop: bool = False) -> str:
    """(Re)create the database ``name`` on the PostgreSQL server of ``server_url``; its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


# Set by --without-search-index for the children (their environment is this process's).
WITHOUT_SEARCH_INDEX = "SUNTER_BENCH_WITHOUT_SEARCH_INDEX"


def child_pipeline(path: Path, db: Path, server_url: str | None = None) -> dict:
    """Two loads of the file into two fresh databases: the first in a cold process (as
    the CLI runs), the second once the process is warm (as the server runs)."""
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.ingest import ingest_file

    timings = []
    for run in ("cold", "warm"):
        name = f"bench_{db.stem}_{run}".lower().replace("-", "_")
        url = _server_database(server_url, name) if server_url else f"sqlite:///{db}-{run}"
        upgrade(url)
        if server_url and os.environ.get(WITHOUT_SEARCH_INDEX):
            # As a server without pg_trgm has it (migration 0018): the search scans every name.
            with get_engine(url).begin() as conn:
                conn.exec_driver_sql("DROP INDEX IF EXISTS ix_customer_search_trigram")
        started = time.perf_counter()
        result = ingest_file(get_engine(url), path, max_bytes=100 * 1024 * 1024)
        timings.append(time.perf_counter() - started)
        if server_url:
            get_engine(url).dispose()
            _server_database(server_url, name, drop=True)
        if result.status != "loaded":
            raise SystemExit(f"{path.name} not loaded: {result.status} {result.message}")
    return {"rows": result.stored + result.duplicate, "stored": result.stored, "seconds": timings[0],
            "warm_seconds": timings[1], "peak_mb": _peak_mb()}


def run_child(kind: str, path: Path, work: Path, server_url: str | None = None,
              checkout: Path | None = None) -> dict:
    """One measurement in a process of its own (``checkout``: that checkout's code)."""
    db = work / f"{kind}-{path.stem}.db"
    for leftover in work.glob(f"{db.name}*"):  # the database and its -cold/-warm, -wal, -shm
        leftover.unlink()
    server = ["--database-url", server_url] if server_url and kind == "pipeline" else []
    script = checkout / "benchmarks" / "ingest.py" if checkout else Path(__file__)
    out = subprocess.run([sys.executable, str(script), "--child", kind, str(path), str(db), *server],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _collection_lines(demo: Path) -> tuple[str, list[Path]]:
    extracts = sorted(demo.glob("Collection-*.txt"))
    # Overlapping extracts of one month repeat rows: keep the widest of each month.
    by_month: dict[str, Path] = {}
    for path in extracts:
        month = path.name[len("Collection-"):len("Collection-2025-12")]
        if month not in by_month or path.stat().st_size > by_month[month].stat().st_size:
            by_month[month] = path
    header = by_month[min(by_month)].open(encoding="utf-8").readline()
    return header, [by_month[m] for m in sorted(by_month)]


def build_collection(demo: Path, target: Path, *, rows: int | None = None, max_bytes: int | None = None) -> int:
    header, files = _collection_lines(demo)
    written, size = 0, len(header.encode())
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        for path in files:
            with path.open(encoding="utf-8") as fh:
                next(fh)
                for line in fh:
                    if rows is not None and written >= rows:
                        return written
                    if max_bytes is not None and size + len(line) > max_bytes:
                        return written
                    out.write(line)
                    written += 1
                    size += len(line)
    if rows is not None and written < rows:
        raise SystemExit(f"demo world too small: {written} payment rows, need {rows}")
    return written


MC_DBF_FIELDS = ("NOMEN C(12); NAMA_PEL C(60); ALM1_PEL C(120); ZONA_NOVAK C(9); TARIF C(8); NOMET C(20); "
                 "TGL_CATAT D; STAN_AWAL N(9,0); STAN_AKIR N(9,0); KUBIK N(9,0); NOMINAL N(12,0); "
                 "CUST_TYPE C(12); TAHUN2 N(4,0); NAMA_BLN2 C(10)")
MONTH_NAMES = ("JANUARI", "FEBRUARI", "MARET", "APRIL", "MEI", "JUNI", "JULI", "AGUSTUS", "SEPTEMBER", "OKTOBER",
               "NOVEMBER", "DESEMBER")


def build_mc_dbf(demo: Path, target: Path) -> int:
    """The newest MC of the demo world as the billing system's dBase export (with TAHUN2 and
    NAMA_BLN2 naming the bill month), written by the ``dbf`` library."""
    import dbf
    import pandas as pd

    from sunter_dash.ingest.prepare import prepare
    from sunter_dash.ingest.read import read_table

    source = sorted(demo.glob("MC*"), key=lambda p: p.stat().st_mtime)[-1]
    prepared = prepare(read_table(source), source.name, None, None)
    frame, year, month = prepared.frame, int(prepared.periode[:4]), int(prepared.periode[5:])

    def number(name: str) -> list:
        return [None if pd.isna(v) else int(v) for v in frame[name]] if name in frame else [None] * len(frame)

    def text(name: str) -> list:
        return [None if pd.isna(v) else str(v) for v in frame[name]] if name in frame else [None] * len(frame)

    dates = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame["tgl_catat"]] if "tgl_catat" in frame else [None] * len(frame)
    rows = zip(text("nomen"), text("nama"), text("alamat"), text("zona_novak"), text("tarif"), text("nomet"), dates,
               number("stan_awal"), number("stan_akir"), number("kubik"), number("nominal"), text("cust_type"))
    table = dbf.Table(str(target), MC_DBF_FIELDS, codepage="cp1252")
    table.open(dbf.READ_WRITE)
    written = 0
    for row in rows:
        table.append((*row, year, MONTH_NAMES[month - 1]))
        written += 1
    table.close()
    return written


def _median(runs: list[dict]) -> dict:
    """The run of median time (its own rows and peak memory with it)."""
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def paired(path: Path, work: Path, pairs: int, server_url: str | None, vs: str | None = None) -> None:
    """The pipeline (cold) and a yardstick in turn: a drift of the machine's speed moves both
    runs of a pair alike, so the ratio of each pair holds where unpaired medians do not. The
    yardstick is the bare limit; with ``vs`` "sqlite" the pipeline on SQLite (for a pipeline on
    PostgreSQL), with ``vs`` a checkout's folder that checkout's pipeline (a change's effect).
    The two take turns going first (on SQLite the first of a pair measured up to 10 % slower)."""
    ratios = []
    label = {None: "bare", "sqlite": "SQLite"}.get(vs, vs)

    def yardstick() -> dict:
        if vs is None:
            return run_child("bare-limit", path, work)
        if vs == "sqlite":
            return run_child("pipeline", path, work)
        return run_child("pipeline", path, work, server_url, checkout=Path(vs))

    for i in range(pairs):
        if i % 2 == 0:
            pipe = run_child("pipeline", path, work, server_url)
            other = yardstick()
        else:
            other = yardstick()
            pipe = run_child("pipeline", path, work, server_url)
        ratios.append(pipe["seconds"] / other["seconds"])
        first = "pipeline" if i % 2 == 0 else label
        print(f"{path.name} pair {i + 1} ({first} first): pipeline {pipe['seconds']:.2f} s, "
              f"{label} {other['seconds']:.2f} s, ratio {ratios[-1]:.2f}", flush=True)
    ratios.sort()
    print(f"{path.name}: median ratio {ratios[len(ratios) // 2]:.2f} over {pairs} pairs "
          f"({ratios[0]:.2f}-{ratios[-1]:.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    parser.add_argument("--database-url", help="a PostgreSQL server for the pipeline (default: SQLite files)")
    parser.add_argument("--only", default="", help="only the files whose name contains this")
    parser.add_argument("--paired", action="store_true",
                        help="the pipeline and the bare limit in turn, --repeat pairs: each pair's ratio and the median "
                             "(for a machine whose speed drifts)")
    parser.add_argument("--vs", help="with --paired, instead of the bare limit: 'sqlite' (the pipeline on SQLite, "
                                     "beside --database-url's) or another checkout's folder (its pipeline)")
    parser.add_argument("--without-search-index", action="store_true",
                        help="PostgreSQL: the pipeline without the search's trigram index (as on a server without "
                             "pg_trgm), to show that index's share of a first load")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.vs and not args.paired:
        parser.error("--vs goes with --paired")
    if args.vs == "sqlite" and not args.database_url:
        parser.error("--vs sqlite pairs a --database-url's pipeline with SQLite's")
    if args.without_search_index:
        if not args.database_url:
            parser.error("--without-search-index is for --database-url's PostgreSQL")
        if args.vs not in (None, "sqlite"):
            parser.error("--without-search-index cannot reach another checkout's pipeline")
        os.environ[WITHOUT_SEARCH_INDEX] = "1"
    if args.child:
        kind, path, db = args.child
        if kind == "baseline":
            print(json.dumps(child_baseline(Path(path), Path(db))))
        elif kind == "bare-limit":
            print(json.dumps(child_bare_limit(Path(path), Path(db))))
        else:
            print(json.dumps(child_pipeline(Path(path), Path(db), args.database_url)))
        return

    from sunter_dash.demo import generate

    work = args.work
    demo = work / f"demo-{args.customers}"
    if not (demo / ".complete").exists():
        started = time.perf_counter()
        generate(demo, customers=args.customers, months=args.months, seed=7)
        (demo / ".complete").write_text("ok")
        print(f"demo world: {args.customers:,} customers x {args.months} months "
              f"in {time.perf_counter() - started:.1f} s")
    coll_1m = work / "Collection-1M-2025.txt"
    coll_100 = work / "Collection-100MB-2025.txt"
    if not coll_1m.exists():
        build_collection(demo, coll_1m, rows=1_000_000)
    if not coll_100.exists():
        build_collection(demo, coll_100, max_bytes=100 * 1024 * 1024 - 4096)
    sbrs = sorted(demo.glob("SBRS_*.xlsx"))[-1]
    mc_dbf = work / "MC-200k.dbf"
    if not mc_dbf.exists():
        started = time.perf_counter()
        rows = build_mc_dbf(demo, mc_dbf)
        print(f"{mc_dbf.name}: {rows:,} rows written in {time.perf_counter() - started:.1f} s")

    if args.paired:
        for path in (coll_1m, sbrs, mc_dbf, coll_100):
            if args.only in path.name:
                paired(path, work, args.repeat, args.database_url, args.vs)
        return
    print(f"{'file':<32}{'MB':>7}{'rows':>11}{'cold s':>8}{'rows/s':>10}{'warm s':>8}{'rows/s':>10}"
          f"{'baseline s':>12}{'(read s)':>10}{'rows/s':>10}{'ratio':>7}{'bare s':>8}{'(read s)':>10}"
          f"{'vs bare':>9}{'peak MB':>9}")
    for path in (coll_1m, sbrs, mc_dbf, coll_100):
        if args.only not in path.name:
            continue
        base = _median([run_child("baseline", path, work) for _ in range(args.repeat)])
        bare = _median([run_child("bare-limit", path, work) for _ in range(args.repeat)])
        pipe = _median([run_child("pipeline", path, work, args.database_url) for _ in range(args.repeat)])
        ratio = pipe["seconds"] / base["seconds"]
        print(f"{path.name:<32}{path.stat().st_size / 1048576:>7.1f}{pipe['rows']:>11,}"
              f"{pipe['seconds']:>8.2f}{pipe['rows'] / pipe['seconds']:>10,.0f}"
              f"{pipe['warm_seconds']:>8.2f}{pipe['rows'] / pipe['warm_seconds']:>10,.0f}"
              f"{base['seconds']:>12.2f}{base['read_seconds']:>10.2f}{base['rows'] / base['seconds']:>10,.0f}"
              f"{ratio:>7.2f}{bare['seconds']:>8.2f}{bare['read_seconds']:>10.2f}"
              f"{pipe['seconds'] / bare['seconds']:>9.2f}{pipe['peak_mb']:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
