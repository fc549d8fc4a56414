"""The search by words at head-office scale, on PostgreSQL.

    python benchmarks/search.py --database-url postgresql+psycopg://USER:PW@HOST/DB \
        [--customers 1000000] [--samples 40]

The directory is the demo's MC of one periode with ``--customers`` customers (generated once
under build/search-<customers>/, then loaded once through the ingest into the database, which
should be empty or hold that load; about 3 minutes at 1,000,000). Each sample searches one
customer's name, as queries.py does, through ``queries.customer_search`` with no cache: the
SQL the API runs and the rows it returns. The bare baseline of the same run is the same
function on a second connection whose planner may not use the trigram index (bitmap scans
off), i.e. the scan of every name the search did before migration 0018.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from queries import percentile  # noqa: E402


def directory(url: str, customers: int) -> None:
    """The database's directory holds ``customers`` customers, loaded from the demo's MC."""
    from sqlalchemy import text

    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.demo import generate
    from sunter_dash.ingest import ingest_file

    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as conn:
        held = conn.execute(text("SELECT COUNT(*) FROM customer_search")).scalar()
    if held >= customers:
        print(f"directory: {held:,} customers, loaded before")
        return
    folder = ROOT / "build" / f"search-{customers}"
    mc = sorted(folder.glob("MC*")) if folder.exists() else []
    if not mc:
        started = time.perf_counter()
        mc = [p for p in generate(folder, customers=customers, months=1, text=True) if p.name.startswith("MC")]
        print(f"generated the demo's files in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    result = ingest_file(engine, mc[0], max_bytes=2048 * 1024 * 1024)  # as the head office sets it
    assert result.status == "loaded", result.message
    print(f"loaded {mc[0].name} ({result.stored:,} customers) in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL (the trigram index is PostgreSQL's)")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be PostgreSQL: SQLite has no trigram index and scans")

    from sqlalchemy import create_engine, inspect

    from sunter_dash.db import get_engine
    from sunter_dash.queries.customers import customer_search

    directory(args.database_url, args.customers)
    indexed = get_engine(args.database_url)
    assert "ix_customer_search_trigram" in {i["name"] for i in inspect(indexed).get_indexes("customer_search")}, \
        "no trigram index: see docs/DEPLOYMENT.md (pg_trgm)"
    scanning = create_engine(args.database_url, connect_args={"options": "-c enable_bitmapscan=off"})
    with indexed.connect() as conn:
        names = [n for (n,) in conn.exec_driver_sql(
            "SELECT nama FROM customer WHERE nama IS NOT NULL ORDER BY nomen LIMIT %s", (10 * args.samples,))]
    words = names[::10][:args.samples]
    print(f"{len(words)} searches by a customer's name words (e.g. {words[0]!r}); ms")
    print(f"{'':<36}{'p50':>8}{'p95':>8}{'max':>8}")
    figures = {}
    for label, engine in (("trigram index", indexed), ("bare: every name scanned", scanning)):
        customer_search.uncached(engine, words[0])  # the connection pool opened
        samples = []
        for word in words:
            started = time.perf_counter()
            found = customer_search.uncached(engine, word)
            samples.append((time.perf_counter() - started) * 1000)
            assert found, word
        figures[label] = percentile(samples, .95)
        print(f"{label:<36}{percentile(samples, .5):>8.1f}{percentile(samples, .95):>8.1f}{max(samples):>8.1f}")
    print(f"p95 ratio, bare / index: {figures['bare: every name scanned'] / figures['trigram index']:.1f}x")


if __name__ == "__main__":
    main()
