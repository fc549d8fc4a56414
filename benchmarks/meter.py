"""What keeping the meter-reading flags and the customer directory costs at 200,000 customers.

    python benchmarks/meter.py [--db build/bench/dashboard-200k.db] [--skip-rebuild]

On a copy of the benchmark world (benchmarks/world.py: 200,000 customers, 12
periodes of SBRS, MC and MAINBILL), through the real pipeline:

- deleting and loading again the newest periode's SBRS, MC and MAINBILL (the flags
  of that periode and the directory follow each time), timing the whole ingest and
  the part spent in the meter flags and the customer directory (``flags.refresh``, ``directory.refresh``);
- the same with the oldest periode's SBRS (a back-fill: the six periodes after it
  look back at it and are recomputed too);
- recomputing everything (the directory and the flags of all 12 periodes: what a
  migration or a change of thresholds costs).

Prints seconds and peak memory.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "bench" / "dashboard-200k.db")
    parser.add_argument("--skip-rebuild", action="store_true", help="skip the full recomputation")
    args = parser.parse_args()

    from world import build_world, demo_dir

    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.domain.periodes import shift_periode
    from sunter_dash.ingest import delete_upload, directory, flags, ingest_file, summaries

    build_world(args.db)
    work = args.db.with_name("meter-bench.db")
    shutil.copyfile(args.db, work)
    url = f"sqlite:///{work}"
    started = time.perf_counter()
    upgrade(url)
    print(f"schema at head: {time.perf_counter() - started:.1f} s (a first upgrade computes every flag)")
    engine = get_engine(url)

    spent: list[float] = []

    def timed(refresh):
        def call(*a, **k):
            t0 = time.perf_counter()
            refresh(*a, **k)
            spent.append(time.perf_counter() - t0)
        return call
    # summaries calls both through their modules: the flags and the customer directory, timed.
    summaries.flags.refresh = timed(flags.refresh)
    summaries.directory.refresh = timed(directory.refresh)

    demo = demo_dir(200_000)
    with engine.connect() as conn:
        periodes = [p for (p,) in conn.exec_driver_sql("SELECT DISTINCT periode FROM sbrs ORDER BY 1")]
    newest, oldest = periodes[-1], periodes[0]
    compact = {p: p.replace("-", "") for p in periodes}
    read = shift_periode(newest, -1)  # an MC is named by its reading month, the month before its periode
    mc_file = next(demo.glob(f"MC{read[5:7]}{read[2:4]}*"))
    sbrs = {p: next(demo.glob(f"SBRS_{compact[p]}.*")) for p in (newest, oldest)}  # .xlsx or .txt
    cases = [
        (f"SBRS {newest}", sbrs[newest]),
        (f"MC {newest}", mc_file),
        (f"MAINBILL {newest}", demo / f"MAINBILL_{compact[newest]}.csv"),
        (f"SBRS {oldest} (back-fill: 7 periodes)", sbrs[oldest]),
    ]
    print(f"\n{'file (deleted, then loaded again)':<40}{'delete s':>10}{'load s':>10}{'of which flags + directory s':>30}")
    with engine.connect() as conn:
        loaded = dict(conn.exec_driver_sql("SELECT filename, id FROM upload WHERE status = 'loaded'").all())
    for name, path in cases:
        spent.clear()
        t0 = time.perf_counter()
        delete_upload(engine, loaded[path.name])  # the same file again would be refused as a duplicate
        deleted = time.perf_counter() - t0
        spent.clear()
        t0 = time.perf_counter()
        result = ingest_file(engine, path)
        total = time.perf_counter() - t0
        assert result.status == "loaded", result.as_json()
        print(f"{name + ' ' + path.suffix:<40}{deleted:>10.1f}{total:>10.1f}{sum(spent):>30.1f}", flush=True)

    if not args.skip_rebuild:
        with engine.begin() as conn:
            t0 = time.perf_counter()
            directory.refresh(conn, None, None)
            directory_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            flags.rebuild(conn)
            flags_s = time.perf_counter() - t0
            rows = conn.exec_driver_sql("SELECT COUNT(*) FROM meter_flag").scalar()
        print(f"\neverything again: directory {directory_s:.1f} s, flags of {len(periodes)} periodes {flags_s:.1f} s "
              f"({rows:,} flag rows)")
    print(f"peak memory (this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    work.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
