"""Folding a COLLECTION's new payments into pay_customer: Arrow sums against SQL's GROUP BY.

    python benchmarks/fold.py [--file build/bench/Collection-1M-2025.txt] [--repeat 5] \
        [--database-url postgresql+psycopg://USER:PW@HOST/DB]

The file (by default benchmarks/ingest.py's 1,000,000 payments) is read and prepared as the
pipeline does, once, with their payment keys (an empty database has nothing to de-duplicate
against). Each run, in a fresh transaction of a migrated, empty database (SQLite under
build/bench/, or the server given), rolled back afterwards, bulk-inserts the rows as ``store``
does and folds them into pay_customer:

- **arrow**: the pipeline's way (``payment_fold.payment_sums`` beside the rows, inserted by
  ``bulk.insert_derived``: from the stage on SQLite, by COPY from Arrow on PostgreSQL), timed
  from the bulk insert to the end of the fold, with the rows staged as the daily figures ask
  for them (``payment_fold.PAYMENTS_READ_BACK``'s columns; on SQLite they are staged anyway);
- **sql** (the baseline of the same run): the rows alone staged (the same columns), and
  pay_customer's sums grouped from them in SQL (``_PAY_CUSTOMER`` over the stage), the way before.

The two alternate, so a pair shares the machine's drift, and take turns going first; each pair
prints its seconds, then the medians and their ratio. What this leaves out is the same in both ways (reading, validation,
the other summaries): end to end the difference is about a second of 9-15 s, under the noise
of benchmarks/ingest.py on a drifting machine.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "build" / "bench" / "Collection-1M-2025.txt")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if not args.file.exists():
        raise SystemExit(f"{args.file} is missing: `python benchmarks/ingest.py --only Collection-1M` makes it")

    from sqlalchemy import bindparam, insert, text

    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.domain.clock import now_utc
    from sunter_dash.ingest import payment_fold
    from sunter_dash.ingest.bulk import ROWS, bulk_insert, detach_stage, insert_derived, staged
    from sunter_dash.ingest.prepare import prepare
    from sunter_dash.ingest.read import read_table
    from sunter_dash.ingest.store import payment_keys
    from sunter_dash.models import PayCustomer, Upload, data_table

    url = args.database_url
    if url is None:
        database = ROOT / "build" / "bench" / "fold.db"
        for leftover in database.parent.glob(f"{database.name}*"):
            leftover.unlink()
        url = f"sqlite:///{database}"
    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as conn:
        if conn.execute(text("SELECT COUNT(*) FROM pay_customer")).scalar():
            raise SystemExit("pay_customer is not empty: give an empty database")

    started = time.perf_counter()
    prepared = prepare(read_table(args.file, args.file.name, 1 << 30), args.file.name, None, None)
    frame = prepared.frame
    frame["pay_key"] = payment_keys(prepared.spec, frame)
    table = data_table("COLLECTION")
    names = [c.name for c in table.columns if c.name in frame or c.name == "upload_id"]
    periodes = sorted(frame["periode"].dropna().unique().tolist())
    print(f"{args.file.name}: {len(frame):,} payments in {len(periodes)} pay months, prepared in "
          f"{time.perf_counter() - started:.1f} s")

    def run(way: str) -> float:
        with engine.connect() as conn:
            transaction = conn.begin()
            try:
                upload = conn.execute(insert(Upload).values(
                    filename=args.file.name, size=0, file_type="COLLECTION", status="running", created_at=now_utc())
                ).inserted_primary_key[0]
                frame["upload_id"] = upload
                t0 = time.perf_counter()
                if way == "arrow":
                    bulk_insert(conn, table, frame, names, read_back=payment_fold.PAYMENTS_READ_BACK)
                    insert_derived(conn, table.name, payment_fold.PAY_SUMS, PayCustomer.__table__, "periode", periodes)
                    staged(conn, table.name)  # the rows, as the daily figures ask for them
                else:
                    bulk_insert(conn, table, frame, names, read_back={ROWS: payment_fold.DAILY_COLUMNS})
                    fold = text(payment_fold._PAY_CUSTOMER.format(source=staged(conn, table.name),
                                                             where="periode IN :periodes"))
                    conn.execute(fold.bindparams(bindparam("periodes", expanding=True)), {"periodes": periodes})
                return time.perf_counter() - t0
            finally:
                transaction.rollback()
                detach_stage(conn)

    times: dict[str, list[float]] = {"arrow": [], "sql": []}
    for i in range(args.repeat):
        for way in (("arrow", "sql") if i % 2 == 0 else ("sql", "arrow")):
            times[way].append(run(way))
        print(f"pair {i + 1}: arrow {times['arrow'][-1]:.2f} s, sql {times['sql'][-1]:.2f} s, "
              f"ratio {times['arrow'][-1] / times['sql'][-1]:.2f}")
    ratios = [a / s for a, s in zip(times["arrow"], times["sql"])]
    print(f"bulk insert + fold, median of {args.repeat}: arrow {statistics.median(times['arrow']):.2f} s, "
          f"sql {statistics.median(times['sql']):.2f} s; ratio {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
